"""A second, independent reading of policy hcmc-2021-10 (DOMAIN.md §3), for the mocks' tests.

The personas' expectations were written by hand; this oracle recomputes them from the data the
services serve, so a mistake in either shows up as a mismatch. It is test code, not the gateway's
engine, and it only covers the colours a complete data set can give (no UNKNOWN).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from mocks.model import LOCAL_TZ, DataSet

REQUIRED_DOSES = {
    "AstraZeneca": 2,
    "Pfizer-BioNTech": 2,
    "Moderna": 2,
    "Sinopharm Vero Cell": 2,
    "Sputnik V": 2,
    "Hayat-Vax": 2,
    "Janssen": 1,
    "Abdala": 3,
}
# Products as the vaccination registry codes them: the EU product coding is unique per product.
EU_CODES = {
    "EU/1/21/1529": "AstraZeneca",
    "EU/1/20/1528": "Pfizer-BioNTech",
    "EU/1/20/1507": "Moderna",
    "BBIBP-CorV": "Sinopharm Vero Cell",
    "Sputnik-V": "Sputnik V",
    "EU/1/20/1525": "Janssen",
    "Abdala": "Abdala",
    "Hayat-Vax": "Hayat-Vax",
}
EU_SYSTEM = "https://ec.europa.eu/health/documents/community-register/html/"
DETECTED = "260373001"


@dataclass
class Facts:
    """What the policy reads: doses (date, product), tests (instant, positive), cases."""

    doses: list[tuple[date, str]] = field(default_factory=list)
    tests: list[tuple[datetime, bool]] = field(default_factory=list)
    cases: list[tuple[datetime, datetime | None, bool]] = field(default_factory=list)


@dataclass(frozen=True)
class Status:
    """The outcome of the policy."""

    color: str
    reasons: tuple[str, ...]
    valid_until: datetime | None


def facts_from_dataset(dataset: DataSet, person_id: str) -> Facts:
    """The facts of one person, read from the records directly."""
    return Facts(
        doses=[(d.on, d.product.name) for d in dataset.doses.get(person_id, ())],
        tests=[(t.sampled_at, t.positive) for t in dataset.tests.get(person_id, ())],
        cases=[
            (c.confirmed_at, c.recovered_at, c.recovery_proof is not None)
            for c in dataset.cases.get(person_id, ())
        ],
    )


def facts_from_wire(
    immunizations: list[dict[str, Any]],
    observations: list[dict[str, Any]],
    cases: list[dict[str, Any]],
) -> Facts:
    """The facts of one person, read from the services' JSON as a client would."""

    def product(resource: dict[str, Any]) -> str:
        codings = resource["vaccineCode"]["coding"]
        return next(EU_CODES[c["code"]] for c in codings if c["system"] == EU_SYSTEM)

    def instant(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    return Facts(
        doses=[(date.fromisoformat(r["occurrenceDateTime"]), product(r)) for r in immunizations],
        tests=[
            (
                datetime.fromisoformat(o["effectiveDateTime"]),
                o["valueCodeableConcept"]["coding"][0]["code"] == DETECTED,
            )
            for o in observations
        ],
        cases=[
            (
                datetime.fromisoformat(c["confirmedAt"]),
                instant(c["recoveredAt"]),
                c["recoveryProof"] is not None,
            )
            for c in cases
        ],
    )


def _day(d: date) -> datetime:
    return datetime.combine(d, time(0), LOCAL_TZ)


def _red(facts: Facts, at: datetime) -> list[str]:
    reasons = []
    if any(c <= at and (r is None or r > at) for c, r, _ in facts.cases):
        reasons.append("ACTIVE_F0")
    recoveries = [r for _, r, _ in facts.cases if r is not None and r <= at]
    for sampled, positive in facts.tests:
        recent = positive and at - timedelta(days=14) < sampled <= at
        if recent and not any(r > sampled for r in recoveries):
            reasons.append("RECENT_POSITIVE_TEST")
            break
    return reasons


def _green(facts: Facts, at: datetime) -> dict[str, datetime]:
    green = {}
    doses = sorted(facts.doses)
    ends = [
        _day(on + timedelta(days=365))
        for k, (on, product) in enumerate(doses, start=1)
        if k >= REQUIRED_DOSES[product]
        and _day(on + timedelta(days=14)) <= at < _day(on + timedelta(days=365))
    ]
    if ends:
        green["FULLY_VACCINATED"] = max(ends)
    recovered = [
        r + timedelta(days=180)
        for _, r, proof in facts.cases
        if proof and r is not None and at - timedelta(days=180) < r <= at
    ]
    if recovered:
        green["RECOVERED"] = max(recovered)
    return green


def _yellow(facts: Facts, at: datetime) -> dict[str, datetime | None]:
    yellow: dict[str, datetime | None] = {}
    doses = sorted(facts.doses)
    if doses and _day(doses[0][0] + timedelta(days=14)) <= at:
        yellow["PARTIALLY_VACCINATED"] = None
    negatives = [
        s + timedelta(hours=72)
        for s, positive in facts.tests
        if not positive and at - timedelta(hours=72) < s <= at
    ]
    if negatives:
        yellow["RECENT_NEGATIVE_TEST"] = max(negatives)
    return yellow


def evaluate(facts: Facts, at: datetime) -> Status:
    """The status of hcmc-2021-10 at `at`."""
    red = _red(facts, at)
    if red:
        return Status("RED", tuple(sorted(red)), None)
    green = _green(facts, at)
    if green:
        return Status("GREEN", tuple(sorted(green)), max(green.values()))
    yellow = _yellow(facts, at)
    if yellow:
        ends = list(yellow.values())
        until = None if None in ends else max(e for e in ends if e is not None)
        return Status("YELLOW", tuple(sorted(yellow)), until)
    return Status("RED", ("NO_PROTECTION",), None)
