"""GraphQL types of the workforce: enterprises, worker lists, their workers, and alerts.

A list is seen by its employer and by the district admin of the enterprise's district
(`gateway.auth.require_list_scope`, checked by the resolvers before a `WorkerList` is built).
Its workers' statuses come from the same path as `personStatus` (`PersonStatus.evaluate`: the
per-request loaders and the status engine), so a page of 1,000 workers costs a few batched
requests per upstream, and the colour filter and counts read the same evaluations.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

import strawberry

from gateway.auth import Role
from gateway.context import Info
from gateway.errors import BadUserInput, NotFound
from gateway.loaders import each
from gateway.schema.identity import mask_name
from gateway.schema.permissions import allow
from gateway.schema.selection import selected_paths
from gateway.schema.status import PersonStatus, StatusColor
from gateway.sources.identity import PersonRecord
from gateway.sources.workforce import EnterpriseRecord, ListState, WorkerEntry, WorkerListRecord
from gateway.status import Color
from gateway.timezone import LOCAL
from gateway.watch import AlertKind, WorkerAlertRecord

T = TypeVar("T")
_WORKER_PERSON_FIELDS = frozenset(
    {"edges.node.fullName", "edges.node.maskedName", "edges.node.birthYear"}
)

WorkerListState = strawberry.enum(
    ListState,
    name="WorkerListState",
    description=(
        "DRAFT (the employer edits it) → SUBMITTED (the district reviews it) → APPROVED or "
        "REJECTED. Editing an approved or rejected list takes it back to DRAFT."
    ),
)
WorkerAlertKind = strawberry.enum(
    AlertKind,
    name="WorkerAlertKind",
    description=(
        "STATUS_RED: an approved worker turned RED; STATUS_UNKNOWN: their status can no longer "
        "be established (a policy source is down); DECLARATION_LAPSED: their health "
        "declaration ran out."
    ),
)


def _local(value: datetime | None) -> datetime | None:
    return value.astimezone(LOCAL) if value is not None else None


@strawberry.type(description="An employer, as the district's workforce registry knows it.")
class Enterprise:
    id: strawberry.ID = strawberry.field(description="The registry's id, e.g. 'E0001'.")
    name: str = strawberry.field(description="The registered name.")
    district: str = strawberry.field(description="The national code of its district, e.g. '778'.")
    headcount: int = strawberry.field(description="Everyone it employs.")
    approved_quota: int = strawberry.field(
        description="How many distinct workers the district allows on its approved lists."
    )
    conditions: list[str] = strawberry.field(
        description=(
            "The operating conditions the district set, e.g. THREE_ON_SITE, "
            "ONE_ROUTE_TWO_DESTINATIONS, SHUTTLE_BUS, WEEKLY_RAPID_TESTS."
        )
    )

    @strawberry.field(
        description=(
            "The status a worker must have for the district to approve a list holding them, "
            "in words: 'GREEN, or YELLOW with RECENT_NEGATIVE_TEST'."
        )
    )
    def worker_condition(self, info: Info) -> str:
        return info.context.worker_conditions.describe(self.district)

    @classmethod
    def from_record(cls, record: EnterpriseRecord) -> Enterprise:
        return cls(
            id=strawberry.ID(record.id),
            name=record.name,
            district=record.district,
            headcount=record.headcount,
            approved_quota=record.approved_quota,
            conditions=list(record.conditions),
        )


@strawberry.type(description="A worker on a list: who they are and their status now.")
class Worker:
    id: strawberry.ID = strawberry.field(description="The person's id.")
    added_at: datetime = strawberry.field(description="When they were put on the list.")
    known_status: strawberry.Private[PersonStatus | None]
    # Fetched beforehand for the whole page when the query reads the name or the birth year.
    known_person: strawberry.Private[PersonRecord | BaseException | None] = None

    # The resolvers below are synchronous when the page fetched their data beforehand: a page
    # of 1,000 workers then costs no awaitable per worker (README, Performance); otherwise they
    # hand graphql-core the load to await.
    @allow(
        Role.EMPLOYER,
        Role.DISTRICT_ADMIN,
        description="The full name, as the population register has it.",
    )
    def full_name(self, info: Info) -> str | None:
        return self._with_person(info, lambda person: person.full_name)

    @strawberry.field(description="The name with family and middle names reduced to initials.")
    def masked_name(self, info: Info) -> str | None:
        return self._with_person(info, lambda person: mask_name(person.full_name))

    @strawberry.field(description="The year of birth.")
    def birth_year(self, info: Info) -> int | None:
        return self._with_person(info, lambda person: person.date_of_birth.year)

    @strawberry.field(
        description=(
            "The worker's status now, as `personStatus` gives it (colour, reasons, validUntil, "
            "declarationValidUntil)."
        )
    )
    def status(self, info: Info) -> PersonStatus:
        if self.known_status is not None:
            return self.known_status
        return PersonStatus.evaluate(info, str(self.id))  # type: ignore[return-value]

    def _with_person(self, info: Info, read: Callable[[PersonRecord], T]) -> T:
        if self.known_person is None:
            return self._person_later(info, read)  # type: ignore[return-value]
        return read(_found(self.known_person))

    async def _person_later(self, info: Info, read: Callable[[PersonRecord], T]) -> T:
        return read(_found(await info.context.loaders.person_by_id.load(str(self.id))))


def _found(record: PersonRecord | BaseException | None) -> PersonRecord:
    if isinstance(record, BaseException):
        raise record
    if record is None:
        raise NotFound("The population register has no person with this id.")
    return record


@strawberry.type(description="One worker of a page, with the cursor to continue after them.")
class WorkerEdge:
    cursor: str = strawberry.field(
        description="Pass as `after` to read the workers after this one."
    )
    node: Worker = strawberry.field(description="The worker.")


@strawberry.type(description="Where a page of workers ends.")
class WorkerPageInfo:
    has_next_page: bool = strawberry.field(description="Whether more workers follow this page.")
    end_cursor: str | None = strawberry.field(
        description="The cursor of the page's last worker; null for an empty page."
    )


@strawberry.type(description="A page of a list's workers, in the order they were added.")
class WorkerConnection:
    edges: list[WorkerEdge] = strawberry.field(description="The workers of this page.")
    page_info: WorkerPageInfo = strawberry.field(description="Whether and where more follow.")
    total_count: int = strawberry.field(
        description="How many workers of the whole list match the filter (all without one)."
    )


@strawberry.type(description="How many workers of the whole list have each colour now.")
class WorkerCounts:
    total: int = strawberry.field(description="Every worker of the list.")
    green: int = strawberry.field(description="Workers whose status is GREEN.")
    yellow: int = strawberry.field(description="Workers whose status is YELLOW.")
    red: int = strawberry.field(description="Workers whose status is RED.")
    unknown: int = strawberry.field(description="Workers whose status is UNKNOWN.")


def encode_cursor(entry: WorkerEntry) -> str:
    """An opaque cursor: the entry's running number on the list (stable under removals)."""
    return base64.urlsafe_b64encode(f"worker:{entry.seq}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    """The running number in a cursor, or BAD_USER_INPUT naming `after`."""
    try:
        kind, _, seq = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind == "worker" and seq.isdigit():
            return int(seq)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise BadUserInput("The cursor is not one this API gave out.", field="after")


@strawberry.type(description="An enterprise's list of workers allowed on site, and its approval.")
class WorkerList:
    id: strawberry.ID = strawberry.field(description="The registry's id, e.g. 'WL-0001'.")
    name: str = strawberry.field(description="The employer's name for the list (a shift, a site).")
    state: WorkerListState = strawberry.field(  # type: ignore[valid-type]
        description="Where the list stands in its approval."
    )
    version: int = strawberry.field(description="Grows with every change of the list.")
    worker_count: int = strawberry.field(description="How many workers are on the list.")
    created_at: datetime = strawberry.field(description="When the list was created.")
    updated_at: datetime = strawberry.field(description="When the list last changed.")
    submitted_at: datetime | None = strawberry.field(
        description="When it was submitted for approval; null while it is a DRAFT."
    )
    decided_at: datetime | None = strawberry.field(
        description="When the district approved or rejected it."
    )
    decided_by: str | None = strawberry.field(
        description="Who approved or rejected it (the district admin's account)."
    )
    rejection_reason: str | None = strawberry.field(
        description="Why the district rejected it; null unless REJECTED."
    )
    record: strawberry.Private[WorkerListRecord]
    statuses: strawberry.Private[dict[str, PersonStatus]]

    @strawberry.field(description="The enterprise the list belongs to.")
    async def enterprise(self, info: Info) -> Enterprise:
        found = await info.context.loaders.enterprise_by_id.load(self.record.enterprise_id)
        if found is None:
            raise NotFound("The registry has no enterprise with this id.")
        return Enterprise.from_record(found)

    @strawberry.field(description="How many workers of the whole list have each colour now.")
    async def counts(self, info: Info) -> WorkerCounts:
        entries = await self.entries(info)
        statuses = await self.statuses_of(info, entries)
        colours = Counter(status.color for status in statuses)
        return WorkerCounts(
            total=len(entries),
            green=colours[Color.GREEN],
            yellow=colours[Color.YELLOW],
            red=colours[Color.RED],
            unknown=colours[Color.UNKNOWN],
        )

    @strawberry.field(
        description=(
            "The list's workers, a page at a time, in the order they were added; `color` keeps "
            "only the workers of that colour now."
        )
    )
    async def workers(
        self,
        info: Info,
        first: int = 100,
        after: str | None = None,
        color: StatusColor | None = None,  # type: ignore[valid-type]
    ) -> WorkerConnection:
        most = info.context.settings.limits.max_page
        if not 1 <= first <= most:
            raise BadUserInput(f"first must be between 1 and {most}.", field="first")
        start = decode_cursor(after) if after is not None else 0
        entries = await self.entries(info)
        if color is not None:
            statuses = await self.statuses_of(info, entries)
            entries = tuple(e for e, s in zip(entries, statuses, strict=True) if s.color is color)
        following = [entry for entry in entries if entry.seq > start]
        page = following[:first]
        people = await self._prefetch(info, [entry.person_id for entry in page])
        edges = [
            WorkerEdge(
                cursor=encode_cursor(entry),
                node=Worker(
                    id=strawberry.ID(entry.person_id),
                    added_at=entry.added_at.astimezone(LOCAL),
                    known_status=self.statuses.get(entry.person_id),
                    known_person=people.get(entry.person_id),
                ),
            )
            for entry in page
        ]
        return WorkerConnection(
            edges=edges,
            page_info=WorkerPageInfo(
                has_next_page=len(following) > len(page),
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=len(entries),
        )

    async def entries(self, info: Info) -> tuple[WorkerEntry, ...]:
        """Every worker of the list (one registry read per list and request)."""
        return await info.context.loaders.workers_by_list.load(self.record.id)

    async def _prefetch(
        self, info: Info, ids: list[str]
    ) -> dict[str, PersonRecord | BaseException | None]:
        """What the query reads of the page's workers, fetched for all of them at once (the
        statuses go to `self.statuses`); the people's records by id."""
        wanted = selected_paths(info)
        people: dict[str, PersonRecord | BaseException | None] = {}

        async def read_people() -> None:
            if not wanted.isdisjoint(_WORKER_PERSON_FIELDS):
                found = await each(info.context.loaders.person_by_id, ids)
                people.update(zip(ids, found, strict=True))

        async def evaluate() -> None:
            if "edges.node.status" in wanted:
                missing = [pid for pid in ids if pid not in self.statuses]
                declarations = "edges.node.status.declarationValidUntil" in wanted
                evaluated = await PersonStatus.evaluate_many(
                    info, missing, with_declarations=declarations
                )
                self.statuses.update(zip(missing, evaluated, strict=True))

        await asyncio.gather(read_people(), evaluate())
        return people

    async def statuses_of(self, info: Info, entries: tuple[WorkerEntry, ...]) -> list[PersonStatus]:
        """The status of each entry, evaluated once per request (batched by the loaders)."""
        missing = [e.person_id for e in entries if e.person_id not in self.statuses]
        evaluated = await PersonStatus.evaluate_many(info, missing)
        self.statuses.update(zip(missing, evaluated, strict=True))
        return [self.statuses[e.person_id] for e in entries]

    @classmethod
    def from_record(cls, record: WorkerListRecord) -> WorkerList:
        return cls(
            id=strawberry.ID(record.id),
            name=record.name,
            state=record.state,
            version=record.version,
            worker_count=record.worker_count,
            created_at=record.created_at.astimezone(LOCAL),
            updated_at=record.updated_at.astimezone(LOCAL),
            submitted_at=_local(record.submitted_at),
            decided_at=_local(record.decided_at),
            decided_by=record.decided_by,
            rejection_reason=record.rejection_reason,
            record=record,
            statuses={},
        )


@strawberry.type(description="A warning about an approved worker, for their employer.")
class WorkerAlert:
    id: strawberry.ID = strawberry.field(
        description="Grows with every alert; pass as `after` to read only newer ones."
    )
    kind: WorkerAlertKind = strawberry.field(  # type: ignore[valid-type]
        description="What happened."
    )
    list_id: strawberry.ID = strawberry.field(description="The approved list the worker is on.")
    list_name: str = strawberry.field(description="That list's name.")
    person_id: strawberry.ID = strawberry.field(description="The worker's person id.")
    masked_name: str | None = strawberry.field(
        description="The worker's masked name; null when the register could not be read."
    )
    color: StatusColor = strawberry.field(  # type: ignore[valid-type]
        description="The worker's colour when the alert was raised."
    )
    reasons: list[str] = strawberry.field(description="The reason codes of that colour.")
    previous_color: StatusColor | None = strawberry.field(  # type: ignore[valid-type]
        description="The colour at the look before; null when none was taken since approval."
    )
    declaration_valid_until: datetime | None = strawberry.field(
        description="Until when the worker's latest declaration is valid (past for a lapse)."
    )
    raised_at: datetime = strawberry.field(description="When the alert was raised.")

    @classmethod
    def from_record(cls, record: WorkerAlertRecord) -> WorkerAlert:
        return cls(
            id=strawberry.ID(str(record.id)),
            kind=record.kind,
            list_id=strawberry.ID(record.list_id),
            list_name=record.list_name,
            person_id=strawberry.ID(record.person_id),
            masked_name=record.masked_name,
            color=record.color,
            reasons=list(record.reasons),
            previous_color=record.previous_color,
            declaration_valid_until=_local(record.declaration_valid_until),
            raised_at=record.raised_at.astimezone(LOCAL),
        )


@strawberry.input(
    description="People to put on a list, by any mix of person id, national id and phone."
)
class AddWorkersInput:
    list_id: strawberry.ID = strawberry.field(description="The list to add them to.")
    person_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Person ids."
    )
    national_ids: list[str] = strawberry.field(
        default_factory=list, description="12-digit citizen id numbers (CCCD)."
    )
    phones: list[str] = strawberry.field(
        default_factory=list,
        description="Registered phone numbers; one that several people share is refused.",
    )
