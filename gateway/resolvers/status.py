"""The `personStatus` resolver."""

from __future__ import annotations

import asyncio
from typing import Annotated, TypeVar

import strawberry

from gateway.auth import Role
from gateway.context import Context, Info
from gateway.errors import BadUserInput, Forbidden
from gateway.resolvers.checkpoint import Evaluate, evaluating, resolve_scan
from gateway.resolvers.dcc import is_passport, resolve_passport_scan
from gateway.resolvers.identity import scoped_person_in
from gateway.schema.selection import selected_paths
from gateway.schema.status import PersonStatus

T = TypeVar("T")


async def resolve_person_status(
    info: Info,
    qr: Annotated[
        str | None,
        strawberry.argument(
            description="A scanned QR payload: the personal QR, or a vaccine passport (HC1:...)."
        ),
    ] = None,
    sms_code: Annotated[str | None, strawberry.argument(description="A code sent by SMS.")] = None,
    person_id: Annotated[
        strawberry.ID | None, strawberry.argument(description="A person id, within scope.")
    ] = None,
) -> PersonStatus | None:
    """A person's status by id, within the caller's scope.

    A citizen's own status needs no identity record, so it stands while the register is down;
    other roles' scope (district, employer) is checked on the record, fetched beside the facts.
    """
    given = [name for name, value in (("qr", qr), ("smsCode", sms_code)) if value is not None]
    if person_id is not None:
        given.append("personId")
    if len(given) != 1:
        field = given[1] if given else "personId"
        raise BadUserInput("Give exactly one of qr, smsCode or personId.", field=field)
    if qr is not None and is_passport(qr):  # an EU DCC vaccine passport, not the city's QR
        return await resolve_passport_scan(info, qr)
    if person_id is None:
        return await resolve_scan(info, qr, sms_code)
    return await status_by_id(info.context, str(person_id), evaluating(selected_paths(info)))


async def status_by_id(context: Context, person_id: str, evaluate: Evaluate[T]) -> T:
    """`personStatus(personId:)` from a context, with `evaluate` answering for the person once
    in scope (the compiled plans pass their own, as to `scan`)."""
    principal = context.principal
    if principal.role is Role.CITIZEN:
        if person_id != principal.person_id:
            raise Forbidden("You may not read this person's record.")
        return await evaluate(context, person_id)
    _, status = await asyncio.gather(
        scoped_person_in(context, person_id), evaluate(context, person_id)
    )
    return status
