"""Build one person's health records at times counted back from the reference instant."""

from __future__ import annotations

from datetime import datetime, timedelta

from mocks.draw import Draw
from mocks.model import (
    LOCAL_TZ,
    PRODUCTS,
    Dose,
    F0Case,
    LabTest,
    Person,
    PersonRecords,
    RecoveryProof,
    TestKind,
)
from mocks.names import DISTRICTS_BY_CODE, LABS_PCR, health_station


class RecordBuilder:
    """Collects doses, tests and cases for one person; `build()` numbers and sorts them.

    Days are local calendar days before the reference date; hours are before the reference instant.
    """

    def __init__(self, person: Person, reference: datetime, draw: Draw) -> None:
        self.person = person
        self._reference = reference.astimezone(LOCAL_TZ)
        self._today = self._reference.date()
        self._draw = draw
        self._doses: list[tuple[int, str]] = []
        self._tests: list[tuple[TestKind, datetime, bool]] = []
        self._cases: list[tuple[datetime, datetime | None, RecoveryProof | None]] = []

    def dose(self, product: str, days_ago: int) -> RecordBuilder:
        """A dose of `product` on the local date `days_ago` days before the reference date."""
        self._doses.append((days_ago, product))
        return self

    def test(self, kind: TestKind, hours_ago: float, *, positive: bool) -> RecordBuilder:
        """A test sampled `hours_ago` hours before the reference instant."""
        self._tests.append((kind, self.instant(hours_ago), positive))
        return self

    def case(
        self,
        confirmed_hours_ago: float,
        recovered_hours_ago: float | None = None,
        proof: RecoveryProof | None = None,
    ) -> RecordBuilder:
        """An F0 case; with `recovered_hours_ago` it ended then, with or without a proof."""
        recovered = None if recovered_hours_ago is None else self.instant(recovered_hours_ago)
        self._cases.append((self.instant(confirmed_hours_ago), recovered, proof))
        return self

    def instant(self, hours_ago: float) -> datetime:
        """The local instant `hours_ago` hours before the reference, to the minute."""
        return self._reference - timedelta(minutes=round(hours_ago * 60))

    def build(self) -> PersonRecords:
        """The person's records, each kind sorted by time."""
        doses, tests, cases = self._build_doses(), self._build_tests(), self._build_cases()
        return PersonRecords(self.person, doses, tests, cases)

    def _build_doses(self) -> tuple[Dose, ...]:
        pid = self.person.id
        district = DISTRICTS_BY_CODE[self.person.district]
        site = health_station(district, self.person.ward)
        doses = []
        for number, (days_ago, name) in enumerate(sorted(self._doses, reverse=True), start=1):
            product = PRODUCTS[name]
            lot = product.lot_prefix + self._draw.digits(4)
            on = self._today - timedelta(days=days_ago)
            doses.append(Dose(f"imm-{pid}-{number}", pid, product, on, number, lot, site))
        return tuple(doses)

    def _build_tests(self) -> tuple[LabTest, ...]:
        pid = self.person.id
        district = DISTRICTS_BY_CODE[self.person.district]
        tests = []
        for number, (kind, at, positive) in enumerate(sorted(self._tests, key=lambda t: t[1]), 1):
            lab = (
                self._draw.pick(LABS_PCR)
                if kind == "PCR"
                else health_station(district, self.person.ward)
            )
            tests.append(LabTest(f"obs-{pid}-{number}", pid, kind, at, positive, lab))
        return tuple(tests)

    def _build_cases(self) -> tuple[F0Case, ...]:
        pid = self.person.id
        return tuple(
            F0Case(f"F0-{self.person.district}-{pid[1:]}-{n}", pid, self.person.district, *case)
            for n, case in enumerate(sorted(self._cases, key=lambda c: c[0]), start=1)
        )
