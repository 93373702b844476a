"""Per-request DataLoaders over the sources, and the facts the status policy reads.

Loaders are built per request (`<Thing>By<Key>Loader` naming, as STYLE.md asks); the sources
behind them batch, cache and single-flight across requests.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from gateway.errors import UpstreamUnavailable
from gateway.sources import Upstreams
from gateway.sources.f0_care import F0CaseRecord
from gateway.sources.identity import PersonRecord
from gateway.sources.lab_results import LabTestRecord
from gateway.sources.vaccination import VaccinationRecord
from gateway.status import Facts

PersonByIdLoader = DataLoader[str, PersonRecord | None]
VaccinationsByPersonLoader = DataLoader[str, tuple[VaccinationRecord, ...]]
LabTestsByPersonLoader = DataLoader[str, tuple[LabTestRecord, ...]]
F0CasesByPersonLoader = DataLoader[str, tuple[F0CaseRecord, ...]]


@dataclass(frozen=True, slots=True)
class Loaders:
    """The loaders of one request."""

    person_by_id: PersonByIdLoader
    vaccinations_by_person: VaccinationsByPersonLoader
    lab_tests_by_person: LabTestsByPersonLoader
    f0_cases_by_person: F0CasesByPersonLoader

    @classmethod
    def for_request(cls, upstreams: Upstreams) -> Loaders:
        return cls(
            person_by_id=DataLoader(upstreams.identity.load_many, cache=True),
            vaccinations_by_person=DataLoader(upstreams.vaccination.load_many),
            lab_tests_by_person=DataLoader(upstreams.lab_results.load_many),
            f0_cases_by_person=DataLoader(upstreams.f0_care.load_many),
        )

    async def facts(self, person_id: str) -> Facts:
        """The policy's three sources for one person, fetched concurrently.

        A source that failed is None in the facts: the policy then decides (UNKNOWN or RED).
        """
        doses, tests, cases = await asyncio.gather(
            self.vaccinations_by_person.load(person_id),
            self.lab_tests_by_person.load(person_id),
            self.f0_cases_by_person.load(person_id),
            return_exceptions=True,
        )
        return Facts(
            doses=None if _failed(doses) else [d.as_dose() for d in doses],  # type: ignore[union-attr]
            tests=None if _failed(tests) else [t.as_fact() for t in tests],  # type: ignore[union-attr]
            f0_cases=None if _failed(cases) else [c.as_fact() for c in cases],  # type: ignore[union-attr]
        )


def _failed(result: object) -> bool:
    if isinstance(result, UpstreamUnavailable):
        return True
    if isinstance(result, BaseException):
        raise result
    return False
