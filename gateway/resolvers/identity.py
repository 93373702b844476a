"""Resolvers that return people: `me` and `person(id)`."""

from __future__ import annotations

import strawberry

from gateway.auth import Role, require_scope
from gateway.context import Info
from gateway.errors import Forbidden, NotFound
from gateway.schema.identity import Person
from gateway.sources.identity import PersonRecord


async def scoped_person(info: Info, person_id: str) -> PersonRecord:
    """The person's record, once the caller is known to be allowed to look them up by id."""
    principal = info.context.principal
    if principal.role is Role.CHECKPOINT:
        raise Forbidden("A checkpoint looks people up by QR code or SMS code only.")
    if principal.role is Role.CITIZEN and person_id != principal.person_id:
        raise Forbidden("You may not read this person's record.")
    record = await info.context.loaders.person_by_id.load(person_id)
    if record is None:
        raise NotFound("No person has this id.")
    require_scope(principal, record)
    return record


async def resolve_me(info: Info) -> Person | None:
    principal = info.context.principal
    if principal.role is not Role.CITIZEN or principal.person_id is None:
        raise Forbidden("Only a citizen has a record of their own here.")
    return Person.from_record(await scoped_person(info, principal.person_id))


async def resolve_person(info: Info, id: strawberry.ID) -> Person | None:
    return Person.from_record(await scoped_person(info, str(id)))
