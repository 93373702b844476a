"""Per-request DataLoaders over the sources, and the facts the status policy reads.

Loaders are built per request (`<Thing>By<Key>Loader` naming, as STYLE.md asks); the sources
behind them batch, cache and single-flight across requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

from strawberry.dataloader import DataLoader

from gateway.errors import UpstreamUnavailable
from gateway.outbox.merge import history_with_outbox
from gateway.outbox.store import Kind, OutboxStore
from gateway.sources import Upstreams
from gateway.sources.base import BatchSource
from gateway.sources.declarations import (
    DeclarationRecord,
    latest_with_outbox,
)
from gateway.sources.f0_care import F0CaseRecord, F0ReportRecord
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
            if (fresh := source.peek_many(ids)) is not None:
                return fresh  # type: ignore[return-value]  # nothing to wait for, no deadline
            # `timeout_at`, not `wait_for`: no task per load (a warm scan makes five).
            try:
                async with asyncio.timeout_at(self.deadline):
                    return await source.load_many(ids, self.stale)
            except TimeoutError:
                return [UpstreamUnavailable(source.name) for _ in ids]

        return load


PersonByIdLoader = DataLoader[str, PersonRecord | None]
VaccinationsByPersonLoader = DataLoader[str, tuple[VaccinationRecord, ...]]
LabTestsByPersonLoader = DataLoader[str, tuple[LabTestRecord, ...]]
F0CasesByPersonLoader = DataLoader[str, tuple[F0CaseRecord, ...]]
QrByPersonLoader = DataLoader[str, QrRecord | None]


class Loaders:
    """The loaders of one request, each built the first time it is used.

    A checkpoint scan uses five of the eleven: building all of them for every request cost
    more than a warm scan's cache reads (README, Performance).
    """

    def __init__(self, upstreams: Upstreams, budget: RequestBudget, store: OutboxStore) -> None:
        self._upstreams = upstreams
        self._budget = budget
        self._store = store
        self._fresh: dict[tuple[str, str], tuple[object]] = {}  # what `_peek` found

    @classmethod
    def for_request(
        cls, upstreams: Upstreams, budget: RequestBudget, store: OutboxStore
    ) -> Loaders:
        return cls(upstreams, budget, store)

    @cached_property
    def person_by_id(self) -> PersonByIdLoader:
        return DataLoader(self._budget.bound(self._upstreams.identity))

    @cached_property
    def vaccinations_by_person(self) -> VaccinationsByPersonLoader:
        return DataLoader(self._budget.bound(self._upstreams.vaccination))

    @cached_property
    def lab_tests_by_person(self) -> LabTestsByPersonLoader:
        return DataLoader(self._budget.bound(self._upstreams.lab_results))

    @cached_property
    def f0_cases_by_person(self) -> F0CasesByPersonLoader:
        return DataLoader(self._budget.bound(self._upstreams.f0_care))

    @cached_property
    def qr_by_person(self) -> QrByPersonLoader:
        return DataLoader(self._upstreams.qr_registry.ensure_many)

    # Merged with what the outbox accepted, so a submission reads back at once (issue 4).
    @cached_property
    def declarations_by_person(self) -> DataLoader[str, tuple[DeclarationRecord, ...]]:
        bound = self._budget.bound(self._upstreams.declarations)

        async def declarations(ids: list[str]) -> list[tuple[DeclarationRecord, ...] | Exception]:
            upstream = await bound(ids)
            return await history_with_outbox(  # type: ignore[return-value]
                upstream, self._store, Kind.DECLARATION, ids, DeclarationRecord.from_submission
            )

        return DataLoader(declarations)

    @cached_property
    def latest_declaration_by_person(self) -> DataLoader[str, DeclarationRecord | None]:
        bound = self._budget.bound(self._upstreams.latest_declarations)

        async def latest(ids: list[str]) -> list[DeclarationRecord | Exception | None]:
            return await latest_with_outbox(await bound(ids), self._store, ids)  # type: ignore[return-value]

        return DataLoader(latest)

    @cached_property
    def f0_reports_by_person(self) -> DataLoader[str, tuple[F0ReportRecord, ...]]:
        bound = self._budget.bound(self._upstreams.f0_reports)

        async def reports(ids: list[str]) -> list[tuple[F0ReportRecord, ...] | Exception]:
            upstream = await bound(ids)
            return await history_with_outbox(  # type: ignore[return-value]
                upstream, self._store, Kind.F0_REPORT, ids, F0ReportRecord.from_submission
            )

        return DataLoader(reports)

    # The workforce registry (issue 5): never cached across requests, lists change.
    @cached_property
    def enterprise_by_id(self) -> DataLoader[str, EnterpriseRecord | None]:
        return DataLoader(self._upstreams.workforce.enterprises_many)

    @cached_property
    def worker_ids_by_employer(self) -> DataLoader[str, frozenset[str]]:
        return DataLoader(self._upstreams.workforce.worker_ids_many)

    @cached_property
    def workers_by_list(self) -> DataLoader[str, tuple[WorkerEntry, ...]]:
        return DataLoader(self._upstreams.workforce.workers_many)

    # One person's reads, answered at once from a cache that holds them fresh (memory), else
    # through the loaders: a warm scan then makes no DataLoader future, task or deadline
    # (README, Performance).

    def _peek(self, source: BatchSource[V], person_id: str) -> tuple[V] | None:
        """The source's fresh cached record of one person (a 1-tuple), or None."""
        key = (source.name, person_id)
        if (found := self._fresh.get(key)) is not None:
            return found  # type: ignore[return-value]
        fresh = source.peek(person_id)
        if fresh is not None:
            self._fresh[key] = fresh
        return fresh

    async def person(self, person_id: str) -> PersonRecord | None:
        """`person_by_id.load(person_id)`."""
        if (fresh := self._peek(self._upstreams.identity, person_id)) is not None:
            return fresh[0]
        return await self.person_by_id.load(person_id)

    async def latest_declaration(self, person_id: str) -> DeclarationRecord | None:
        """`latest_declaration_by_person.load(person_id)`."""
        if (fresh := self._peek(self._upstreams.latest_declarations, person_id)) is None:
            return await self.latest_declaration_by_person.load(person_id)
        (latest,) = await latest_with_outbox(fresh, self._store, [person_id])
        if isinstance(latest, BaseException):
            raise latest
        return latest

    def prefetch(self, person_id: str, *, person: bool, declaration: bool) -> None:
        """Start the loads `person` and `latest_declaration` will wait for, unless cached."""
        if person and self._peek(self._upstreams.identity, person_id) is None:
            _start(self.person_by_id.load(person_id))
        if declaration and self._peek(self._upstreams.latest_declarations, person_id) is None:
            _start(self.latest_declaration_by_person.load(person_id))

    async def facts(self, person_id: str) -> Facts:
        """The policy's three sources for one person, fetched concurrently.

        A source that failed is None in the facts: the policy then decides (UNKNOWN or RED).
        """
        upstreams = self._upstreams
        fresh_doses = self._peek(upstreams.vaccination, person_id)
        fresh_tests = self._peek(upstreams.lab_results, person_id)
        fresh_cases = self._peek(upstreams.f0_care, person_id)
        if fresh_doses is not None and fresh_tests is not None and fresh_cases is not None:
            return _facts(fresh_doses[0], fresh_tests[0], fresh_cases[0])
        doses, tests, cases = await asyncio.gather(  # what was found fresh is not read again
            _known(fresh_doses) if fresh_doses else self.vaccinations_by_person.load(person_id),
            _known(fresh_tests) if fresh_tests else self.lab_tests_by_person.load(person_id),
            _known(fresh_cases) if fresh_cases else self.f0_cases_by_person.load(person_id),
            return_exceptions=True,
        )
        return _facts(doses, tests, cases)

    async def facts_many(self, person_ids: Sequence[str]) -> list[Facts]:
        """`facts` of many people: one gather per source, not three awaits per person."""
        doses, tests, cases = await asyncio.gather(
            each(self.vaccinations_by_person, person_ids),
            each(self.lab_tests_by_person, person_ids),
            each(self.f0_cases_by_person, person_ids),
        )
        return [_facts(*found) for found in zip(doses, tests, cases, strict=True)]


async def each(loader: DataLoader[str, V], keys: Sequence[str]) -> list[V | BaseException]:
    """One result or exception per key, from one call of the loader's batch function.

    For a page of 1,000 people, 1,000 `load` futures cost more than the cached reads behind
    them (README, Performance). The answers are not primed into the loader (that cost 5 % of
    a page): a later `load` of the same key reads the source's cache again.
    """
    unique = list(dict.fromkeys(keys))
    found = dict(zip(unique, await loader.load_fn(unique), strict=True))
    return [found[key] for key in keys]


def _facts(doses: object, tests: object, cases: object) -> Facts:
    return Facts(
        doses=None if _failed(doses) else [d.as_dose() for d in doses],  # type: ignore[attr-defined]
        tests=None if _failed(tests) else [t.as_fact() for t in tests],  # type: ignore[attr-defined]
        f0_cases=None if _failed(cases) else [c.as_fact() for c in cases],  # type: ignore[attr-defined]
    )


async def _known(found: tuple[V]) -> V:
    return found[0]


def _start(load: Awaitable[object]) -> None:
    """Let a load run ahead of the field that will await it (its failure is that field's)."""
    future = asyncio.ensure_future(load)
    future.add_done_callback(lambda done: done.cancelled() or done.exception())


def _failed(result: object) -> bool:
    if isinstance(result, UpstreamUnavailable):
        return True
    if isinstance(result, BaseException):
        raise result
    return False
