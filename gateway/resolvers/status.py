"""The `personStatus` resolver."""

from __future__ import annotations

import asyncio
from typing import Annotated

import strawberry

from gateway.auth import Role
from gateway.context import Info
from gateway.errors import BadUserInput, Forbidden
from gateway.resolvers.checkpoint import resolve_scan
from gateway.resolvers.dcc import is_passport, resolve_passport_scan
from gateway.resolvers.identity import scoped_person
from gateway.schema.status import PersonStatus


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
    pid = str(person_id)
    principal = info.context.principal
    if principal.role is Role.CITIZEN:
        if pid != principal.person_id:
            raise Forbidden("You may not read this person's record.")
        return await PersonStatus.evaluate(info, pid)
    _, status = await asyncio.gather(scoped_person(info, pid), PersonStatus.evaluate(info, pid))
    return status
