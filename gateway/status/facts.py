"""The facts the status policy reads, the status it answers, and facts as of an instant."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from operator import attrgetter


class Color(StrEnum):
    """Colour of a health pass."""

    GREEN = "GREEN"
    YELLOW = "YELLOW"
    RED = "RED"
    UNKNOWN = "UNKNOWN"


class TestKind(StrEnum):
    """Kind of SARS-CoV-2 lab test."""

    __test__ = False  # not a pytest test class, despite the name

    PCR = "PCR"
    ANTIGEN = "ANTIGEN"


def _require_aware(value: dt.datetime, what: str) -> None:
    # A naive instant would only fail later, deep inside a comparison, as a TypeError.
    if value.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got {value!r}.")


@dataclass(frozen=True, slots=True)
class Dose:
    """One vaccine dose: its local date (Asia/Ho_Chi_Minh) and product key, e.g. PFIZER."""

    date: dt.date
    product: str


@dataclass(frozen=True, slots=True)
class LabTest:
    """One lab test: kind, sample instant and result."""

    kind: TestKind
    sampled_at: dt.datetime
    positive: bool

    def __post_init__(self) -> None:
        _require_aware(self.sampled_at, "LabTest.sampled_at")


@dataclass(frozen=True, slots=True)
class F0Case:
    """One confirmed case; a recovery ends it, a proof (non-empty code) makes it count."""

    confirmed_at: dt.datetime
    recovered_at: dt.datetime | None = None
    recovery_proof: str | None = None

    def __post_init__(self) -> None:
        _require_aware(self.confirmed_at, "F0Case.confirmed_at")
        if self.recovered_at is not None:
            _require_aware(self.recovered_at, "F0Case.recovered_at")


@dataclass(frozen=True, slots=True)
class Facts:
    """What the three policy sources said; None for a source that could not be read."""

    doses: Sequence[Dose] | None
    tests: Sequence[LabTest] | None
    f0_cases: Sequence[F0Case] | None


@dataclass(frozen=True, slots=True)
class Status:
    """The answer of a policy: colour, sorted reason codes and how long it holds."""

    color: Color
    reasons: tuple[str, ...]
    valid_until: dt.datetime | None
    evaluated_at: dt.datetime
    policy: str


_MIDNIGHT = dt.time()
_by_date = attrgetter("date")


# Not frozen: built once per evaluation, and frozen dataclasses are slower to build.
@dataclass(slots=True)
class AsOf:
    """The facts known at instant `at`: later facts dropped, doses sorted by date."""

    at: dt.datetime
    today: dt.date
    tz: dt.tzinfo
    doses: Sequence[Dose]
    tests: Sequence[LabTest]
    cases: Sequence[F0Case]
    recoveries: Sequence[dt.datetime]
    all_sources_read: bool

    def day(self, date: dt.date) -> dt.datetime:
        """The instant 'day D': 00:00 of `date` in the policy's time zone."""
        return dt.datetime.combine(date, _MIDNIGHT, self.tz)


def as_of(facts: Facts, at: dt.datetime, tz: dt.tzinfo) -> AsOf:
    """Facts as known at `at` (tz-aware), with calendar dates taken in `tz`."""
    today = at.astimezone(tz).date()
    # day(date) > T exactly when date > today, so doses compare as plain dates.
    doses = sorted([d for d in facts.doses or () if d.date <= today], key=_by_date)
    tests = [t for t in facts.tests or () if t.sampled_at <= at]
    cases = [c for c in facts.f0_cases or () if c.confirmed_at <= at]
    recoveries = [
        c.recovered_at for c in cases if c.recovered_at is not None and c.recovered_at <= at
    ]
    return AsOf(
        at=at,
        today=today,
        tz=tz,
        doses=doses,
        tests=tests,
        cases=cases,
        recoveries=recoveries,
        all_sources_read=(
            facts.doses is not None and facts.tests is not None and facts.f0_cases is not None
        ),
    )
