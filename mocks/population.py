"""Random health records for the bulk of the seeded people: a plausible mix for HCMC in late 2021.

Every random date or instant keeps clear of the policy boundaries (14 and 365 days after a dose,
72 hours after a negative test, 14 days after a positive one, 180 days after a recovery) so that a
random person's status stays the same for hours after the reference instant. Personas are where
boundaries are tested on purpose.
"""

from __future__ import annotations

from collections.abc import Callable

from mocks.draw import Draw, Weighted
from mocks.model import RecoveryProof, TestKind
from mocks.records import RecordBuilder

DAY = 24
# Date rules flip at local midnight: keep completing and first doses off the days just before.
_UNSTABLE_DAYS = (range(10, 15), range(360, 366))
_MARGIN_HOURS = 12

# Primary-series products by share of doses given in HCMC in 2021, with dose intervals (days).
_PRIMARY: Weighted[tuple[str, int, int]] = Weighted([
    (("AstraZeneca", 56, 84), 35),
    (("Sinopharm Vero Cell", 21, 28), 30),
    (("Pfizer-BioNTech", 21, 42), 20),
    (("Moderna", 28, 42), 8),
    (("Sputnik V", 21, 21), 2),
    (("Hayat-Vax", 21, 28), 2),
    (("Abdala", 14, 14), 3),
])
_BOOSTERS = ("Pfizer-BioNTech", "Pfizer-BioNTech", "Pfizer-BioNTech", "Moderna", "AstraZeneca")
_KINDS: tuple[TestKind, ...] = ("PCR", "ANTIGEN")
_PROOFS: tuple[RecoveryProof, ...] = (
    "DISCHARGE_PAPER",
    "WARD_ISOLATION_COMPLETION",
    "HOME_CARE_TEAM_CONFIRMATION",
)


def _days(draw: Draw, low: int, high: int) -> int:
    while any((n := draw.between(low, high)) in r for r in _UNSTABLE_DAYS):
        pass
    return n


def _hours(draw: Draw, low: float, high: float, boundary: float) -> float:
    while abs((h := draw.uniform(low, high)) - boundary) < _MARGIN_HOURS:
        pass
    return h


def _series(b: RecordBuilder, draw: Draw, completed: int, doses: int | None = None) -> None:
    """A primary series of a random product whose last dose is `completed` days ago."""
    name, low, high = draw.weighted(_PRIMARY)
    count = doses or (3 if name == "Abdala" else 2)
    days = completed
    for number in range(count, 0, -1):
        mixed = name == "AstraZeneca" and number == 2 and draw.chance(0.1)
        b.dose(draw.pick(("Pfizer-BioNTech", "Moderna")) if mixed else name, days)
        days += draw.between(low, high)


def _full(b: RecordBuilder, draw: Draw) -> None:
    completed = _days(draw, 20, 350)
    _series(b, draw, completed)
    if completed > 130 and draw.chance(0.35):
        b.dose(draw.pick(_BOOSTERS), _days(draw, 20, completed - 90))


def _expired(b: RecordBuilder, draw: Draw) -> None:
    _series(b, draw, _days(draw, 375, 480))


def _janssen(b: RecordBuilder, draw: Draw) -> None:
    b.dose("Janssen", _days(draw, 20, 350))


def _partial(b: RecordBuilder, draw: Draw) -> None:
    if draw.chance(0.15):
        b.dose("Abdala", (first := _days(draw, 34, 80))).dose("Abdala", first - 14)
    else:
        _series(b, draw, _days(draw, 20, 80), doses=1)
    if draw.chance(0.1):
        _negative(b, draw)


def _first_recent(b: RecordBuilder, draw: Draw) -> None:
    _series(b, draw, draw.between(1, 8), doses=1)
    if draw.chance(0.4):
        _negative(b, draw)


def _negative(b: RecordBuilder, draw: Draw) -> None:
    kind: TestKind = "ANTIGEN" if draw.chance(0.6) else "PCR"
    b.test(kind, _hours(draw, 1, 60, 72), positive=False)


def _maybe_vaccinated(b: RecordBuilder, draw: Draw) -> None:
    if draw.chance(0.5):
        _full(b, draw)


def _active_f0(b: RecordBuilder, draw: Draw) -> None:
    _maybe_vaccinated(b, draw)
    sampled = _hours(draw, 2 * DAY, 20 * DAY, 14 * DAY)
    b.test("PCR", sampled, positive=True).case(sampled - draw.uniform(12, 36))


def _recovered(b: RecordBuilder, draw: Draw, proof: RecoveryProof | None) -> None:
    _maybe_vaccinated(b, draw)
    recovered = _hours(draw, 5 * DAY, 300 * DAY, 180 * DAY)
    confirmed = recovered + draw.uniform(10 * DAY, 21 * DAY)
    b.test(draw.pick(_KINDS), confirmed + draw.uniform(12, 36), positive=True)
    b.case(confirmed, recovered, proof)


def _recovered_proof(b: RecordBuilder, draw: Draw) -> None:
    _recovered(b, draw, draw.pick(_PROOFS))


def _recovered_no_proof(b: RecordBuilder, draw: Draw) -> None:
    _recovered(b, draw, None)


def _positive(b: RecordBuilder, draw: Draw) -> None:
    _maybe_vaccinated(b, draw)
    b.test(draw.pick(_KINDS), draw.uniform(1 * DAY, 11 * DAY), positive=True)


def _nothing(b: RecordBuilder, draw: Draw) -> None:
    pass


_PROFILES: Weighted[Callable[[RecordBuilder, Draw], None]] = Weighted([
    (_full, 50), (_expired, 5), (_janssen, 2), (_partial, 9), (_first_recent, 3),
    (_negative, 6), (_active_f0, 2), (_recovered_proof, 4), (_recovered_no_proof, 2),
    (_positive, 2), (_nothing, 15),
])


def add_random_records(b: RecordBuilder, draw: Draw) -> None:
    """Give one person the records of a random profile, sometimes with an old negative test."""
    draw.weighted(_PROFILES)(b, draw)
    if draw.chance(0.15):
        b.test("ANTIGEN", draw.uniform(5 * DAY, 60 * DAY), positive=False)
