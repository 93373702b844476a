"""Per-request DataLoaders over the sources, and the facts the status policy reads.

Loaders are built per request (`<Thing>By<Key>Loader` naming, as STYLE.md asks); the sources
behind them batch, cache and single-flight across requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from strawberry.dataloader import DataLoader

from gateway.errors import UpstreamUnavailable
from gateway.outbox.store import OutboxStore
from gateway.sources import Upstreams
from gateway.sources.base import BatchSource
from gateway.sources.declarations import (
    DeclarationRecord,
    history_with_outbox,
    latest_with_outbox,
)
from gateway.sources.f0_care import F0CaseRecord, F0ReportRecord, reports_with_outbox
from gateway.sources.identity import PersonRecord
from gateway.sources.lab_results import LabTestRecord
from gateway.sources.qr_registry import QrRecord
from gateway.sources.vaccination import VaccinationRecord
from gateway.sources.workforce import EnterpriseRecord, WorkerEntry
from gateway.status import Facts

V = TypeVar("V")


@dataclass(slots=True)
class RequestBudget:
    """One request's deadline for upstream waits, and the stale answers it was given."""

    deadline: float  # on the event loop's clock
    stale: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def starting_now(cls, seconds: float) -> RequestBudget:
        return cls(deadline=asyncio.get_running_loop().time() + seconds)

    def bound(
        self, source: BatchSource[V]
    ) -> Callable[[list[str]], Awaitable[list[V | BaseException]]]:
        """The source's batch load, given up (UPSTREAM_UNAVAILABLE) when the deadline passes.

        The fetch itself goes on (it is shared with other requests and fills the cache).
        """

        async def load(ids: list[str]) -> list[V | BaseException]:
            remaining = self.deadline - asyncio.get_running_loop().time()
            try:
                return await asyncio.wait_for(source.load_many(ids, self.stale), max(remaining, 0))
            except TimeoutError:
                return [UpstreamUnavailable(source.name) for _ in ids]

        return load


PersonByIdLoader = DataLoader[str, PersonRecord | None]
VaccinationsByPersonLoader = DataLoader[str, tuple[VaccinationRecord, ...]]
LabTestsByPersonLoader = DataLoader[str, tuple[LabTestRecord, ...]]
F0CasesByPersonLoader = DataLoader[str, tuple[F0CaseRecord, ...]]
QrByPersonLoader = DataLoader[str, QrRecord | None]


@dataclass(frozen=True, slots=True)
class Loaders:
    """The loaders of one request."""

    person_by_id: PersonByIdLoader
    vaccinations_by_person: VaccinationsByPersonLoader
    lab_tests_by_person: LabTestsByPersonLoader
    f0_cases_by_person: F0CasesByPersonLoader
    qr_by_person: QrByPersonLoader
    # Merged with what the outbox accepted, so a submission reads back at once (issue 4).
    declarations_by_person: DataLoader[str, tuple[DeclarationRecord, ...]]
    latest_declaration_by_person: DataLoader[str, DeclarationRecord | None]
    f0_reports_by_person: DataLoader[str, tuple[F0ReportRecord, ...]]
    # The workforce registry (issue 5): never cached across requests, lists change.
    enterprise_by_id: DataLoader[str, EnterpriseRecord | None]
    worker_ids_by_employer: DataLoader[str, frozenset[str]]
    workers_by_list: DataLoader[str, tuple[WorkerEntry, ...]]

    @classmethod
    def for_request(
        cls, upstreams: Upstreams, budget: RequestBudget, store: OutboxStore
    ) -> Loaders:
        async def declarations(ids: list[str]) -> list[tuple[DeclarationRecord, ...] | Exception]:
            upstream = await budget.bound(upstreams.declarations)(ids)
            return await history_with_outbox(upstream, store, ids)  # type: ignore[return-value]

        async def latest(ids: list[str]) -> list[DeclarationRecord | Exception | None]:
            upstream = await budget.bound(upstreams.latest_declarations)(ids)
            return await latest_with_outbox(upstream, store, ids)  # type: ignore[return-value]

        async def reports(ids: list[str]) -> list[tuple[F0ReportRecord, ...] | Exception]:
            upstream = await budget.bound(upstreams.f0_reports)(ids)
            return await reports_with_outbox(upstream, store, ids)  # type: ignore[return-value]

        return cls(
            declarations_by_person=DataLoader(declarations),
            latest_declaration_by_person=DataLoader(latest),
            f0_reports_by_person=DataLoader(reports),
            person_by_id=DataLoader(budget.bound(upstreams.identity)),
            vaccinations_by_person=DataLoader(budget.bound(upstreams.vaccination)),
            lab_tests_by_person=DataLoader(budget.bound(upstreams.lab_results)),
            f0_cases_by_person=DataLoader(budget.bound(upstreams.f0_care)),
            qr_by_person=DataLoader(upstreams.qr_registry.ensure_many),
            enterprise_by_id=DataLoader(upstreams.workforce.enterprises_many),
            worker_ids_by_employer=DataLoader(upstreams.workforce.worker_ids_many),
            workers_by_list=DataLoader(upstreams.workforce.workers_many),
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
