"""Worker lists: the queries, the mutations of their approval, and the alerts subscription.

The workforce registry is the system of record; these resolvers validate, authorize and forward.
Every list is checked with `require_list_scope` before anything of it is returned or changed,
and every state change is checked here first, so that a client gets a sentence naming the list
and its state (the registry enforces the same rules and its refusals are worded the same way).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from typing import Annotated

import strawberry

from gateway.auth import Principal, Role, require_list_scope
from gateway.context import Info
from gateway.errors import BadUserInput, Forbidden, NotFound, Unauthenticated
from gateway.resolvers.workforce_people import resolve_people
from gateway.schema.declarations import declaration_valid_until
from gateway.schema.permissions import allow
from gateway.schema.status import PersonStatus
from gateway.schema.workforce import (
    AddWorkersInput,
    WorkerAlert,
    WorkerList,
    WorkerListState,
)
from gateway.sources.declarations import DeclarationRecord
from gateway.sources.workforce import ListState, RegistryRefusal, WorkerEntry, WorkerListRecord
from gateway.watch import WorkerAlertRecord
from gateway.watch.follower import Snapshot, due_at
from gateway.watch.store import Evaluated

LIST_ROLES = (Role.EMPLOYER, Role.DISTRICT_ADMIN)
MAX_ALERTS = 1000
SHOWN = 10  # offenders named in an error message; extensions.offenders has them all
ListId = Annotated[strawberry.ID, strawberry.argument(description="The list's id.")]

# The states each change is allowed from, and how the refusal words it.
_FROM: dict[str, tuple[frozenset[ListState], str]] = {
    "edit": (
        frozenset({ListState.DRAFT, ListState.APPROVED, ListState.REJECTED}),
        "edited while the district reviews it (once approved or rejected it can be edited "
        "again, and goes back to DRAFT)",
    ),
    "submit": (frozenset({ListState.DRAFT}), "submitted: only a DRAFT list can be"),
    "approve": (frozenset({ListState.SUBMITTED}), "approved: only a SUBMITTED list can be"),
    "reject": (frozenset({ListState.SUBMITTED}), "rejected: only a SUBMITTED list can be"),
}


async def scoped_list(info: Info, list_id: str) -> WorkerListRecord:
    """The list, once the caller is known to be allowed to see it."""
    principal = info.context.principal
    if principal.role not in LIST_ROLES:
        raise Forbidden("Only employers and district admins see worker lists.")
    record = await info.context.upstreams.workforce.worker_list(list_id)
    if record is None:
        raise NotFound("No worker list has this id.")
    require_list_scope(principal, record.enterprise_id, record.district)
    return record


def _require_state(record: WorkerListRecord, change: str, field: str) -> None:
    allowed, wording = _FROM[change]
    if record.state not in allowed:
        raise BadUserInput(
            f"Worker list {record.id} is {record.state.value}: it cannot be {wording}.",
            field=field,
            state=record.state.value,
        )


def _refused(refusal: RegistryRefusal, list_id: str, field: str) -> BadUserInput:
    """A refusal of the registry (a change that raced ours), worded for the client."""
    if refusal.code == "invalid_transition":
        state = refusal.state or "in another state"
        message = f"Worker list {list_id} is {state} now: the change is not possible any more."
    elif refusal.code == "over_quota":
        return _not_approvable(list_id, "", (), refusal.workers, None)
    elif refusal.code == "empty_list":
        message = f"Worker list {list_id} has no workers to submit."
    else:
        message = f"Worker list {list_id} changed while this request was handled; read it again."
    return BadUserInput(message, field=field, state=refusal.state)


def _named(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:SHOWN])
    return shown + (f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN else "")


def _not_approvable(
    list_id: str,
    condition: str,
    unmet: Sequence[tuple[str, PersonStatus]],
    over: Sequence[str],
    quota: int | None,
) -> BadUserInput:
    """The refusal of an approval, naming every offending worker (all in extensions)."""
    parts = []
    if unmet:
        named = _named([f"{pid} ({s.color}: {', '.join(s.reasons)})" for pid, s in unmet])
        parts.append(f"{len(unmet)} do not meet the district's condition ({condition}): {named}")
    if over:
        limit = f" of {quota}" if quota is not None else ""
        parts.append(f"{len(over)} are over the enterprise's quota{limit}: {_named(over)}")
    offenders = [
        {
            "personId": pid,
            "reason": "CONDITION_NOT_MET",
            "color": str(s.color),
            "reasons": list(s.reasons),
        }
        for pid, s in unmet
    ] + [{"personId": pid, "reason": "OVER_QUOTA"} for pid in over]
    return BadUserInput(
        f"Worker list {list_id} cannot be approved: {'; '.join(parts)}.",
        field="id",
        offenders=offenders,
    )


async def _change(
    info: Info, record: WorkerListRecord, action: str, body: dict[str, object], field: str
) -> WorkerListRecord:
    try:
        return await info.context.upstreams.workforce.change(record.id, action, body)
    except RegistryRefusal as refusal:
        raise _refused(refusal, record.id, field) from None


def _employer_of(info: Info) -> str:
    principal = info.context.principal
    if principal.role is not Role.EMPLOYER or principal.employer_id is None:
        raise Forbidden("Only an employer manages its worker lists.")
    return principal.employer_id


def _text(value: str, field: str, limit: int) -> str:
    text = value.strip()
    if not text or len(text) > limit:
        raise BadUserInput(f"{field} must be 1 to {limit} characters.", field=field)
    return text


def _after(after: strawberry.ID | None) -> int:
    if after is None:
        return 0
    if not str(after).isdigit():
        raise BadUserInput("after must be the id of an alert.", field="after")
    return int(str(after))


@strawberry.type(description="Employers' worker lists and their approval.")
class WorkforceQuery:
    @allow(
        *LIST_ROLES,
        description=(
            "The caller's worker lists: an employer's own, or the lists of the enterprises in a "
            "district admin's district."
        ),
    )
    async def worker_lists(
        self,
        info: Info,
        state: Annotated[
            WorkerListState | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only lists in this state."),
        ] = None,
    ) -> list[WorkerList] | None:
        principal = info.context.principal
        workforce = info.context.upstreams.workforce
        if principal.role is Role.EMPLOYER:
            records = await workforce.lists(enterprise_id=principal.employer_id)
        else:
            records = await workforce.lists(district=principal.district)
        return [WorkerList.from_record(r) for r in records if state in (None, r.state)]

    @allow(*LIST_ROLES, description="One worker list, if the caller may see it.")
    async def worker_list(self, info: Info, id: ListId) -> WorkerList | None:
        return WorkerList.from_record(await scoped_list(info, str(id)))

    @allow(
        Role.EMPLOYER,
        description=(
            "Alerts about the employer's approved workers, oldest first: a worker turned RED or "
            "UNKNOWN, or their declaration lapsed."
        ),
    )
    async def worker_alerts(
        self,
        info: Info,
        after: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only alerts after this alert id."),
        ] = None,
        first: Annotated[
            int, strawberry.argument(description=f"At most this many (up to {MAX_ALERTS}).")
        ] = 100,
    ) -> list[WorkerAlert] | None:
        if not 1 <= first <= MAX_ALERTS:
            raise BadUserInput(f"first must be between 1 and {MAX_ALERTS}.", field="first")
        employer = _employer_of(info)
        records = info.context.alerts.store.alerts(employer, _after(after), first)
        return [WorkerAlert.from_record(record) for record in records]


@strawberry.type(description="Drawing up worker lists (employers) and deciding them (districts).")
class WorkforceMutation:
    @allow(Role.EMPLOYER, description="A new, empty DRAFT list of the caller's enterprise.")
    async def create_worker_list(
        self,
        info: Info,
        name: Annotated[
            str, strawberry.argument(description="A name for the list: a shift, a site.")
        ],
    ) -> WorkerList | None:
        employer = _employer_of(info)
        principal = info.context.principal
        created = await info.context.upstreams.workforce.create(
            employer, _text(name, "name", 200), principal.subject
        )
        return WorkerList.from_record(created)

    @allow(
        Role.EMPLOYER,
        description=(
            "Put people on a list, by person id, national id or phone. Nothing is added unless "
            "everyone is found. An approved or rejected list goes back to DRAFT."
        ),
    )
    async def add_workers(self, info: Info, input: AddWorkersInput) -> WorkerList | None:
        _employer_of(info)
        record = await scoped_list(info, str(input.list_id))
        _require_state(record, "edit", "listId")
        person_ids = await resolve_people(info, input)
        body: dict[str, object] = {"personIds": person_ids, "by": info.context.principal.subject}
        return WorkerList.from_record(await _change(info, record, "workers", body, "listId"))

    @allow(
        Role.EMPLOYER,
        description="Take people off a list; an approved or rejected list goes back to DRAFT.",
    )
    async def remove_workers(
        self,
        info: Info,
        list_id: ListId,
        person_ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(description="The person ids to remove (at most 1,000)."),
        ],
    ) -> WorkerList | None:
        _employer_of(info)
        if not 1 <= len(person_ids) <= MAX_ALERTS:
            raise BadUserInput("Give 1 to 1,000 person ids.", field="personIds")
        record = await scoped_list(info, str(list_id))
        _require_state(record, "edit", "listId")
        body: dict[str, object] = {
            "personIds": [str(pid) for pid in person_ids],
            "by": info.context.principal.subject,
        }
        return WorkerList.from_record(await _change(info, record, "workers/remove", body, "listId"))

    @allow(Role.EMPLOYER, description="Send a DRAFT list to the district for approval.")
    async def submit_worker_list(self, info: Info, id: ListId) -> WorkerList | None:
        _employer_of(info)
        record = await scoped_list(info, str(id))
        _require_state(record, "submit", "id")
        if record.worker_count == 0:
            raise BadUserInput(f"Worker list {record.id} has no workers to submit.", field="id")
        body = {"by": info.context.principal.subject, "expectedVersion": record.version}
        return WorkerList.from_record(await _change(info, record, "submit", body, "id"))

    @allow(
        Role.DISTRICT_ADMIN,
        description=(
            "Approve a SUBMITTED list of an enterprise of the admin's district. Refused, naming "
            "the workers, when it exceeds the enterprise's quota or holds workers who do not "
            "meet the district's condition."
        ),
    )
    async def approve_worker_list(self, info: Info, id: ListId) -> WorkerList | None:
        record = await scoped_list(info, str(id))
        _require_state(record, "approve", "id")
        worker_list = WorkerList.from_record(record)
        entries = await worker_list.entries(info)
        statuses, quota = await asyncio.gather(
            worker_list.statuses_of(info, entries),
            info.context.upstreams.workforce.quota(record.id),
        )
        conditions = info.context.worker_conditions
        unmet = [
            (entry.person_id, status)
            for entry, status in zip(entries, statuses, strict=True)
            if not conditions.met(record.district, status)
        ]
        if unmet or quota.over_quota:
            raise _not_approvable(
                record.id,
                conditions.describe(record.district),
                unmet,
                quota.over_quota,
                quota.approved_quota,
            )
        body = {"by": info.context.principal.subject, "expectedVersion": record.version}
        approved = WorkerList.from_record(await _change(info, record, "approve", body, "id"))
        approved.statuses.update(worker_list.statuses)
        await _watch_approved(info, record, entries, statuses)
        return approved

    @allow(
        Role.DISTRICT_ADMIN,
        description="Reject a SUBMITTED list of an enterprise of the admin's district.",
    )
    async def reject_worker_list(
        self,
        info: Info,
        id: ListId,
        reason: Annotated[
            str, strawberry.argument(description="Why, for the employer (1 to 500 characters).")
        ],
    ) -> WorkerList | None:
        record = await scoped_list(info, str(id))
        _require_state(record, "reject", "id")
        body = {
            "by": info.context.principal.subject,
            "reason": _text(reason, "reason", 500),
            "expectedVersion": record.version,
        }
        return WorkerList.from_record(await _change(info, record, "reject", body, "id"))


async def _watch_approved(
    info: Info,
    record: WorkerListRecord,
    entries: Sequence[WorkerEntry],
    statuses: Sequence[PersonStatus],
) -> None:
    """Hand the just-approved list to the watch with what the approval saw (and declarations)."""
    at = info.context.clock()
    loaders = info.context.loaders
    declared = await asyncio.gather(
        *(loaders.latest_declaration_by_person.load(e.person_id) for e in entries),
        return_exceptions=True,
    )
    recheck = info.context.settings.workforce.unknown_recheck
    rows = []
    for entry, status, latest in zip(entries, statuses, declared, strict=True):
        read = not isinstance(latest, BaseException)
        until = declaration_valid_until(latest) if isinstance(latest, DeclarationRecord) else None
        now = Snapshot(status.color, tuple(status.reasons), status.valid_until, until, read)
        due = due_at(now, at, recheck) if read else at
        rows.append(
            Evaluated(record.id, entry.person_id, now.color, now.valid_until, until, at, due)
        )
    info.context.alerts.store.approved(record.id, record.enterprise_id, record.name, rows)


async def _next_alert(
    live: AsyncIterator[WorkerAlertRecord], principal: Principal
) -> WorkerAlertRecord:
    """The next live alert, or UNAUTHENTICATED once the caller's token expires."""
    try:
        return await asyncio.wait_for(anext(live), max(principal.expires_at - time.time(), 0))
    except TimeoutError:
        raise Unauthenticated("The token expired; subscribe again with a new one.") from None


@strawberry.type(description="Live updates.")
class WorkforceSubscription:
    @strawberry.subscription(
        description=(
            "The employer's alerts as they are raised. With `after`, the alerts stored after "
            "that id come first (to catch up after a reconnect). Ends when the token expires."
        )
    )
    async def worker_alerts(
        self,
        info: Info,
        after: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Replay the stored alerts after this alert id."),
        ] = None,
    ) -> AsyncGenerator[WorkerAlert, None]:
        employer = _employer_of(info)
        principal = info.context.principal
        alerts = info.context.alerts
        last = _after(after)
        async with alerts.bus.subscribe(employer) as live:
            if after is not None:
                for record in alerts.store.alerts(employer, last, MAX_ALERTS):
                    last = record.id
                    yield WorkerAlert.from_record(record)
            while True:
                record = await _next_alert(live, principal)
                if record.id > last:
                    last = record.id
                    yield WorkerAlert.from_record(record)
