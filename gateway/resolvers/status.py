"""The `personStatus` resolver."""

from __future__ import annotations

import asyncio

import strawberry

from gateway.auth import Role
from gateway.context import Info
from gateway.errors import BadUserInput, Forbidden
from gateway.resolvers.identity import scoped_person
from gateway.schema.status import PersonStatus


async def resolve_person_status(
    info: Info, person_id: strawberry.ID | None = None
) -> PersonStatus | None:
    """A person's status by id, within the caller's scope.

    A citizen's own status needs no identity record, so it stands while the register is down;
    other roles' scope (district, employer) is checked on the record, fetched beside the facts.
    """
    if person_id is None:
        raise BadUserInput("Give exactly one of qr, smsCode or personId.", field="personId")
    pid = str(person_id)
    principal = info.context.principal
    if principal.role is Role.CITIZEN:
        if pid != principal.person_id:
            raise Forbidden("You may not read this person's record.")
        return await PersonStatus.evaluate(info, pid)
    _, status = await asyncio.gather(scoped_person(info, pid), PersonStatus.evaluate(info, pid))
    return status
