"""Hand-built demo people: one per case and boundary of the status policy `hcmc-2021-10`.

Each expectation was worked out by hand from DOMAIN.md §3 (not computed by a policy engine), so
that the gateway's engine can be checked against it. Days count local calendar days before the
reference date; hours count back from the reference instant. An expectation holds at the
reference instant: boundary cases (71 h, 13 days, 364 days) flip within the hour or at the next
local midnight by design.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal

from mocks.model import LOCAL_TZ
from mocks.records import RecordBuilder

POLICY = "hcmc-2021-10"
Color = Literal["GREEN", "YELLOW", "RED"]
ValidUntil = Callable[[datetime], datetime]

AZ, PFIZER, MODERNA, SINOPHARM = "AstraZeneca", "Pfizer-BioNTech", "Moderna", "Sinopharm Vero Cell"
SPUTNIK, JANSSEN, ABDALA, HAYAT = "Sputnik V", "Janssen", "Abdala", "Hayat-Vax"
FV, REC, PV, NEG = "FULLY_VACCINATED", "RECOVERED", "PARTIALLY_VACCINATED", "RECENT_NEGATIVE_TEST"
F0, POS, NONE = "ACTIVE_F0", "RECENT_POSITIVE_TEST", "NO_PROTECTION"
DAY = 24  # hours


def midnight(days: int) -> ValidUntil:
    """00:00 local of the date `days` days after the reference date (vaccination validity)."""

    def at(reference: datetime) -> datetime:
        day = reference.astimezone(LOCAL_TZ).date() + timedelta(days=days)
        return datetime.combine(day, time(0), LOCAL_TZ)

    return at


def later(hours: int) -> ValidUntil:
    """The reference instant plus `hours` (recovery and negative-test validity)."""
    return lambda reference: reference.astimezone(LOCAL_TZ) + timedelta(hours=hours)


@dataclass(frozen=True, slots=True)
class PersonaSpec:
    """A persona's records and the status expected for them at the reference instant."""

    district: str
    case: str
    color: Color
    reasons: tuple[str, ...]
    valid_until: ValidUntil | None
    records: Callable[[RecordBuilder], object]


@dataclass(frozen=True, slots=True)
class Persona:
    """A persona as `python -m mocks personas` prints it."""

    person_id: str
    district: str
    case: str
    color: Color
    reasons: tuple[str, ...]
    valid_until: datetime | None
    evaluated_at: datetime

    def as_json(self) -> dict[str, object]:
        """The JSON object of this persona (camelCase keys, ISO 8601 instants)."""
        # hcmc-2021-09 has the same RED and GREEN rules and no YELLOW: YELLOW becomes RED there.
        older = ("RED", [NONE]) if self.color == "YELLOW" else (self.color, sorted(self.reasons))
        return {
            "personId": self.person_id,
            "district": self.district,
            "case": self.case,
            "policy": POLICY,
            "evaluatedAt": self.evaluated_at.isoformat(),
            "expectedColor": self.color,
            "expectedReasons": sorted(self.reasons),
            "expectedValidUntil": self.valid_until.isoformat() if self.valid_until else None,
            "otherPolicies": {
                "hcmc-2021-09": {"expectedColor": older[0], "expectedReasons": older[1]}
            },
        }


def _spec(
    district: str,
    case: str,
    expected: tuple[Color, tuple[str, ...], ValidUntil | None],
    records: Callable[[RecordBuilder], object],
) -> PersonaSpec:
    color, reasons, valid_until = expected
    return PersonaSpec(district, case, color, reasons, valid_until, records)


def _recovery(b: RecordBuilder, days: int, proof: bool, kind: Literal["PCR", "ANTIGEN"]) -> None:
    # The usual course: a positive sample, confirmation the next day, recovery two weeks later.
    b.test(kind, (days + 15) * DAY, positive=True)
    b.case((days + 14) * DAY, days * DAY, "HOME_CARE_TEAM_CONFIRMATION" if proof else None)


SPECS: tuple[PersonaSpec, ...] = (
    _spec("778", "Two Pfizer-BioNTech doses, the second 60 days ago",
          ("GREEN", (FV,), midnight(305)), lambda b: b.dose(PFIZER, 81).dose(PFIZER, 60)),
    _spec("760", "Mixed schedule: AstraZeneca then Pfizer-BioNTech 45 days ago, complete at dose 2",
          ("GREEN", (FV,), midnight(320)), lambda b: b.dose(AZ, 115).dose(PFIZER, 45)),
    _spec("783", "One Janssen dose 30 days ago (a one-dose series)",
          ("GREEN", (FV,), midnight(335)), lambda b: b.dose(JANSSEN, 30)),
    _spec("787", "Second Pfizer-BioNTech dose exactly 14 days ago: the first GREEN day",
          ("GREEN", (FV,), midnight(351)), lambda b: b.dose(PFIZER, 35).dose(PFIZER, 14)),
    _spec("778", "Second Moderna dose 13 days ago (first 41 days ago): GREEN only tomorrow",
          ("YELLOW", (PV,), None), lambda b: b.dose(MODERNA, 41).dose(MODERNA, 13)),
    _spec("760", "Only a first AstraZeneca dose, 13 days ago: not yet partially protected",
          ("RED", (NONE,), None), lambda b: b.dose(AZ, 13)),
    _spec("783", "Two of three Abdala doses (44 and 30 days ago): series incomplete",
          ("YELLOW", (PV,), None), lambda b: b.dose(ABDALA, 44).dose(ABDALA, 30)),
    _spec("787", "Three Abdala doses, the third 20 days ago", ("GREEN", (FV,), midnight(345)),
          lambda b: b.dose(ABDALA, 48).dose(ABDALA, 34).dose(ABDALA, 20)),
    _spec("778", "Two Sinopharm doses, the second 364 days ago: the last GREEN day",
          ("GREEN", (FV,), midnight(1)), lambda b: b.dose(SINOPHARM, 392).dose(SINOPHARM, 364)),
    _spec("760", "Two AstraZeneca doses, the second 365 days ago: expired, partially only",
          ("YELLOW", (PV,), None), lambda b: b.dose(AZ, 449).dose(AZ, 365)),
    _spec("783", "Pfizer-BioNTech series done 400 days ago, booster 100 days ago extends it",
          ("GREEN", (FV,), midnight(265)),
          lambda b: b.dose(PFIZER, 421).dose(PFIZER, 400).dose(PFIZER, 100)),
    _spec("787", "Fully vaccinated (Sinopharm, 200 days ago) and recovered with proof 60 days ago",
          ("GREEN", (FV, REC), midnight(165)),
          lambda b: _recovery(b.dose(SINOPHARM, 228).dose(SINOPHARM, 200), 60, True, "PCR")),
    _spec("778", "Recovered with proof 179 days ago, never vaccinated",
          ("GREEN", (REC,), later(1 * DAY)), lambda b: _recovery(b, 179, True, "PCR")),
    _spec("760", "Recovered with proof 181 days ago, never vaccinated: no longer GREEN",
          ("RED", (NONE,), None), lambda b: _recovery(b, 181, True, "PCR")),
    _spec("783", "Recovered 30 days ago without a proof, never vaccinated",
          ("RED", (NONE,), None), lambda b: _recovery(b, 30, False, "ANTIGEN")),
    _spec("787", "Active F0 confirmed 16 days ago (positive PCR 17 days ago), fully vaccinated",
          ("RED", (F0,), None),
          lambda b: b.dose(PFIZER, 120).dose(PFIZER, 90)
          .test("PCR", 17 * DAY, positive=True).case(16 * DAY)),
    _spec("778", "Active F0 confirmed 3 days ago with a positive PCR 4 days ago",
          ("RED", (F0, POS), None), lambda b: b.test("PCR", 4 * DAY, positive=True).case(3 * DAY)),
    _spec("760", "Fully vaccinated, positive rapid antigen test 10 days ago, no F0 case",
          ("RED", (POS,), None),
          lambda b: b.dose(AZ, 150).dose(AZ, 80).test("ANTIGEN", 10 * DAY, positive=True)),
    _spec("783", "Fully vaccinated, positive PCR 15 days ago: outside the 14-day window",
          ("GREEN", (FV,), midnight(245)),
          lambda b: b.dose(MODERNA, 150).dose(MODERNA, 120).test("PCR", 15 * DAY, positive=True)),
    _spec("787", "Positive PCR 10 days ago, then recovered with proof 2 days ago",
          ("GREEN", (REC,), later(178 * DAY)),
          lambda b: b.test("PCR", 10 * DAY, positive=True)
          .case(9 * DAY + 12, 2 * DAY, "WARD_ISOLATION_COMPLETION")),
    _spec("778", "Positive rapid antigen 10 days ago, recovered without proof 2 days ago",
          ("RED", (NONE,), None),
          lambda b: b.test("ANTIGEN", 10 * DAY, positive=True).case(9 * DAY + 12, 2 * DAY)),
    _spec("760", "Negative PCR 71 hours ago, never vaccinated",
          ("YELLOW", (NEG,), later(1)), lambda b: b.test("PCR", 71, positive=False)),
    _spec("783", "Negative PCR 73 hours ago, never vaccinated",
          ("RED", (NONE,), None), lambda b: b.test("PCR", 73, positive=False)),
    _spec("787", "Negative rapid antigen 24 hours ago and a first Pfizer-BioNTech dose 20 days ago",
          ("YELLOW", (NEG, PV), None),
          lambda b: b.dose(PFIZER, 20).test("ANTIGEN", 24, positive=False)),
    _spec("778", "Fully vaccinated (Moderna) with a negative rapid antigen 24 hours ago",
          ("GREEN", (FV,), midnight(295)),
          lambda b: b.dose(MODERNA, 100).dose(MODERNA, 70).test("ANTIGEN", 24, positive=False)),
    _spec("760", "No records at all", ("RED", (NONE,), None), lambda b: b),
    _spec("783", "Two Sputnik V doses, the second 50 days ago", ("GREEN", (FV,), midnight(315)),
          lambda b: b.dose(SPUTNIK, 71).dose(SPUTNIK, 50)),
    _spec("787", "Two Hayat-Vax doses, the second 40 days ago", ("GREEN", (FV,), midnight(325)),
          lambda b: b.dose(HAYAT, 65).dose(HAYAT, 40)),
    _spec("778", "Two Abdala doses then Pfizer-BioNTech 25 days ago: complete at dose 3",
          ("GREEN", (FV,), midnight(340)),
          lambda b: b.dose(ABDALA, 100).dose(ABDALA, 86).dose(PFIZER, 25)),
    _spec("760", "AstraZeneca then one Abdala dose: incomplete, Abdala needs three",
          ("YELLOW", (PV,), None), lambda b: b.dose(AZ, 90).dose(ABDALA, 30)),
    _spec("764", "One AstraZeneca dose 40 days ago: YELLOW, but RED under hcmc-2021-09",
          ("YELLOW", (PV,), None), lambda b: b.dose(AZ, 40)),
)


def persona_id(index: int) -> str:
    """The person id of the persona at `index` in SPECS: personas come first in the data set."""
    return f"P{index + 1:07d}"


def expectations(reference: datetime) -> list[Persona]:
    """Every persona with its expected status at `reference`."""
    return [
        Persona(
            persona_id(i),
            spec.district,
            spec.case,
            spec.color,
            tuple(sorted(spec.reasons)),
            spec.valid_until(reference) if spec.valid_until else None,
            reference.astimezone(LOCAL_TZ),
        )
        for i, spec in enumerate(SPECS)
    ]
