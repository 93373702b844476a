"""Records of the seeded data set: people, doses, lab tests, F0 cases, and the indexed set."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Literal

# Asia/Ho_Chi_Minh has kept UTC+07:00 without daylight saving since 1975: a fixed offset is exact.
LOCAL_TZ = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")

Gender = Literal["male", "female"]
TestKind = Literal["PCR", "ANTIGEN"]
RecoveryProof = Literal[
    "DISCHARGE_PAPER", "WARD_ISOLATION_COMPLETION", "HOME_CARE_TEAM_CONFIRMATION"
]


@dataclass(frozen=True, slots=True)
class Product:
    """A COVID-19 vaccine as the registries code it."""

    name: str
    cvx: str
    eu_code: str
    required_doses: int
    manufacturer: str
    lot_prefix: str


PRODUCTS: dict[str, Product] = {
    p.name: p
    for p in (
        Product("AstraZeneca", "210", "EU/1/21/1529", 2, "AstraZeneca AB", "ABV"),
        Product("Pfizer-BioNTech", "208", "EU/1/20/1528", 2, "BioNTech Manufacturing GmbH", "FF"),
        Product("Moderna", "207", "EU/1/20/1507", 2, "Moderna Biotech Spain S.L.", "30"),
        Product("Sinopharm Vero Cell", "510", "BBIBP-CorV", 2, "Beijing Institute", "2021"),
        Product("Sputnik V", "505", "Sputnik-V", 2, "Gamaleya Research Institute", "II-"),
        Product("Janssen", "212", "EU/1/20/1525", 1, "Janssen-Cilag International NV", "XD"),
        Product("Abdala", "500", "Abdala", 3, "Center for Genetic Engineering (CIGB)", "AB"),
        Product("Hayat-Vax", "500", "Hayat-Vax", 2, "Gulf Pharmaceutical Industries", "HV"),
    )
}


@dataclass(frozen=True, slots=True)
class Person:
    """An entry of the population register."""

    id: str
    full_name: str
    date_of_birth: date
    gender: Gender
    national_id: str
    phone: str
    district: str
    district_name: str
    ward: str
    address: str


@dataclass(frozen=True, slots=True)
class Dose:
    """One vaccination, on a local calendar date."""

    id: str
    person_id: str
    product: Product
    on: date
    dose_number: int
    lot: str
    site: str


@dataclass(frozen=True, slots=True)
class LabTest:
    """A PCR or rapid antigen test; `sampled_at` is the sample instant."""

    id: str
    person_id: str
    kind: TestKind
    sampled_at: datetime
    positive: bool
    lab: str


@dataclass(frozen=True, slots=True)
class F0Case:
    """A confirmed COVID-19 case followed by home care; a recovery ends it."""

    case_id: str
    person_id: str
    district: str
    confirmed_at: datetime
    recovered_at: datetime | None
    recovery_proof: RecoveryProof | None


@dataclass(frozen=True, slots=True)
class PersonRecords:
    """Everything the seed made for one person."""

    person: Person
    doses: tuple[Dose, ...] = ()
    tests: tuple[LabTest, ...] = ()
    cases: tuple[F0Case, ...] = ()


class DataSet:
    """The seeded records, indexed by person id (and phone) so batches of 1000 stay cheap."""

    def __init__(self, reference: datetime, records: Iterable[PersonRecords]) -> None:
        rows = list(records)
        self.reference = reference
        self.persons: dict[str, Person] = {r.person.id: r.person for r in rows}
        self.by_phone: dict[str, list[Person]] = {}
        for person in self.persons.values():
            self.by_phone.setdefault(person.phone, []).append(person)
        # Only people with records get an entry, which keeps the indexes small.
        self.doses: Mapping[str, tuple[Dose, ...]] = {r.person.id: r.doses for r in rows if r.doses}
        self.tests: Mapping[str, tuple[LabTest, ...]] = {
            r.person.id: r.tests for r in rows if r.tests
        }
        self.cases: Mapping[str, tuple[F0Case, ...]] = {
            r.person.id: r.cases for r in rows if r.cases
        }

    def __len__(self) -> int:
        return len(self.persons)
