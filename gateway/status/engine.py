"""`evaluate`: the status of one person's facts at one instant, under a policy (pure)."""

from __future__ import annotations

import datetime as dt

from .facts import AsOf, Color, Facts, Status, as_of
from .policy import Outcome, Policy, Rule
from .rules import NO_EXPIRY

_EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)


def evaluate(policy: Policy, facts: Facts, at: dt.datetime) -> Status:
    """The status under `policy` of a person with `facts`, at the tz-aware instant `at`."""
    if at.utcoffset() is None:
        raise ValueError(f"evaluate() needs a timezone-aware instant, got {at!r}.")
    now = as_of(facts, at, policy.timezone)
    # Final rules hold on whatever was read, even with a source missing.
    match = _winner(policy.final_rules, now)
    if match is None and not now.all_sources_read:
        return _fixed(policy, policy.unavailable, at)
    if match is None:
        match = _winner(policy.graded_rules, now)
    if match is None:
        return _fixed(policy, policy.fallback, at)
    color, reasons, until = match
    return Status(
        color=color,
        reasons=tuple(sorted(reasons)),
        valid_until=_valid_until(color, until, policy),
        evaluated_at=at,
        policy=policy.name,
    )


def _winner(rules: tuple[Rule, ...], now: AsOf) -> tuple[Color, list[str], dt.datetime] | None:
    """Colour of the first rule that holds, every holding rule of it, their latest verdict."""
    color: Color | None = None
    reasons: list[str] = []
    until = _EARLIEST
    for rule in rules:
        # Once a colour has won, only rules of that colour can add reasons.
        if color is not None and rule.color is not color:
            continue
        verdict = rule.check(now, rule.params)
        if verdict is None:
            continue
        color = rule.color
        reasons.append(rule.reason)
        until = max(until, verdict)
    return None if color is None else (color, reasons, until)


def _valid_until(color: Color, until: dt.datetime, policy: Policy) -> dt.datetime | None:
    # A RED pass has no end date to show: it lasts until the facts change.
    if color is Color.RED or until == NO_EXPIRY:
        return None
    return until.astimezone(policy.timezone)


def _fixed(policy: Policy, outcome: Outcome, at: dt.datetime) -> Status:
    return Status(
        color=outcome.color,
        reasons=(outcome.reason,),
        valid_until=None,
        evaluated_at=at,
        policy=policy.name,
    )
