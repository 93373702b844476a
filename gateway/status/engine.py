"""`evaluate`: the status of one person's facts at one instant, under a policy (pure); and
`stable_until`: how long that status stays what it is while the facts do."""

from __future__ import annotations

import datetime as dt

from .facts import AsOf, Color, Facts, Status, as_of
from .policy import Outcome, Policy, Rule
from .rules import NO_EXPIRY

_EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)
_ONE_DAY = dt.timedelta(days=1)


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


def stable_until(policy: Policy, facts: Facts, at: dt.datetime) -> dt.datetime:
    """The first instant after `at` at which `evaluate(policy, facts, ·)` may answer otherwise
    than at `at` (`evaluated_at` aside): with the same facts, every instant T with
    at <= T < stable_until gets the same colour, reasons and valid-until.

    Why: the rule kinds and `as_of` read T only by comparing it with a fact's instant (a
    sample, a confirmation, a recovery) plus one of the policy's durations, or, through T's
    local date, with dates; so between two such instants, and before the next local midnight,
    every comparison comes out the same. `tests/status/test_stable_until.py` holds every kind
    to it.
    """
    tz = policy.timezone
    earliest = dt.datetime.combine(at.astimezone(tz).date() + _ONE_DAY, dt.time(), tz)
    durations = policy.durations
    for instant in _instants(facts):
        for duration in durations:
            try:
                change = instant + duration
            except OverflowError:  # past the last instant Python can name: never reached
                continue
            if at < change < earliest:
                earliest = change
    return earliest


def _instants(facts: Facts) -> list[dt.datetime]:
    """Every instant in the facts (dates count through the local midnight)."""
    instants = [test.sampled_at for test in facts.tests or ()]
    for case in facts.f0_cases or ():
        instants.append(case.confirmed_at)
        if case.recovered_at is not None:
            instants.append(case.recovered_at)
    return instants
