"""Rule kinds: one small pure function per kind of the policy file's vocabulary.

A kind answers a `Verdict` for the facts as of T: None when the rule does not hold,
otherwise the instant until which it holds (`NO_EXPIRY` when it has no end).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from .facts import AsOf, TestKind

Verdict = dt.datetime | None

# Holds with no "valid until": the largest instant, so that taking the latest of several
# verdicts yields NO_EXPIRY whenever one of them has none.
NO_EXPIRY: Final = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Params:
    """Parameters of one rule, converted from the policy file at load time.

    Only the fields a kind declares are read from the file; the others keep their defaults.
    """

    window: dt.timedelta = dt.timedelta(0)
    matured_after: dt.timedelta = dt.timedelta(0)
    valid_for: dt.timedelta = dt.timedelta(0)
    test_kinds: frozenset[TestKind] = frozenset()
    required_doses: Mapping[str, int] = field(default_factory=dict)


Check = Callable[[AsOf, Params], Verdict]


def active_f0(now: AsOf, p: Params) -> Verdict:
    """A case confirmed at or before T with no recovery at or before T."""
    for case in now.cases:
        if case.recovered_at is None or case.recovered_at > now.at:
            return NO_EXPIRY
    return None


def recent_positive_test(now: AsOf, p: Params) -> Verdict:
    """A positive test sampled in (T - window, T] with no recovery of any case after it."""
    latest = _latest_sample(now, p, positive=True)
    # A recovery after the latest sample also follows every earlier one. A recovery at the
    # very instant of the sample does not end it: the sample may be the later event.
    if latest is None or any(r > latest for r in now.recoveries):
        return None
    return NO_EXPIRY


def complete_series(now: AsOf, p: Params) -> Verdict:
    """A complete series ending at dose k, matured, not expired; until day(date_k + valid)."""
    latest_end: dt.date | None = None
    for k, dose in enumerate(now.doses, start=1):
        needed = p.required_doses.get(dose.product)
        # An unknown product counts as a dose (k still advances) but never completes a series.
        if needed is None or k < needed:
            continue
        end = dose.date + p.valid_for
        if dose.date + p.matured_after <= now.today < end:
            latest_end = end if latest_end is None else max(latest_end, end)
    return None if latest_end is None else now.day(latest_end)


def recovered_with_proof(now: AsOf, p: Params) -> Verdict:
    """A recovery with proof at r, T - window < r <= T; until the latest r + window."""
    latest: dt.datetime | None = None
    for case in now.cases:
        r = case.recovered_at
        # An empty proof code is no proof.
        if r is not None and case.recovery_proof and r <= now.at:
            latest = r if latest is None else max(latest, r)
    if latest is None or latest <= now.at - p.window:
        return None
    return latest + p.window


def first_dose_matured(now: AsOf, p: Params) -> Verdict:
    """At least one dose, and day(first dose's date + matured) <= T; no end."""
    if now.doses and now.doses[0].date + p.matured_after <= now.today:
        return NO_EXPIRY
    return None


def recent_negative_test(now: AsOf, p: Params) -> Verdict:
    """A negative test sampled at s, T - window < s <= T; until the latest s + window."""
    latest = _latest_sample(now, p, positive=False)
    return None if latest is None else latest + p.window


def _latest_sample(now: AsOf, p: Params, *, positive: bool) -> dt.datetime | None:
    """The latest sample instant in (T - window, T] of a test with this result."""
    latest: dt.datetime | None = None
    for test in now.tests:
        if test.positive is positive and test.kind in p.test_kinds:
            s = test.sampled_at
            latest = s if latest is None else max(latest, s)
    # Only the latest matters: if it is out of the window, so is every other one.
    if latest is None or latest <= now.at - p.window:
        return None
    return latest


@dataclass(frozen=True, slots=True)
class Kind:
    """A rule kind: its check and the parameter names the policy file must give it."""

    check: Check
    params: frozenset[str]


KINDS: Final[Mapping[str, Kind]] = {
    "active_f0": Kind(active_f0, frozenset()),
    "recent_positive_test": Kind(recent_positive_test, frozenset({"window", "testKinds"})),
    "complete_series": Kind(complete_series, frozenset({"maturedAfterDays", "validForDays"})),
    "recovered_with_proof": Kind(recovered_with_proof, frozenset({"window"})),
    "first_dose_matured": Kind(first_dose_matured, frozenset({"maturedAfterDays"})),
    "recent_negative_test": Kind(recent_negative_test, frozenset({"window", "testKinds"})),
}
