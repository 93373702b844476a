"""Resolvers that return people: `me` and `person(id)`."""

from __future__ import annotations

import asyncio

import strawberry

from gateway.auth import Role, require_scope
from gateway.context import Context, Info
from gateway.errors import BadUserInput, Forbidden, NotFound
from gateway.schema.identity import Person
from gateway.sources.identity import PersonRecord


async def scoped_person(info: Info, person_id: str) -> PersonRecord:
    """The person's record, once the caller is known to be allowed to look them up by id."""
    return await scoped_person_in(info.context, person_id)


async def scoped_person_in(context: Context, person_id: str) -> PersonRecord:
    """`scoped_person` from a context (the compiled `personStatus` plans call it directly)."""
    principal = context.principal
    if principal.role is Role.CHECKPOINT:
        raise Forbidden("A checkpoint looks people up by QR code or SMS code only.")
    if principal.role is Role.CITIZEN and person_id != principal.person_id:
        raise Forbidden("You may not read this person's record.")
    record, workers = await asyncio.gather(
        context.loaders.person_by_id.load(person_id), employer_workers(context)
    )
    if record is None:
        raise NotFound("No person has this id.")
    require_scope(principal, record, workers)
    return record


async def employer_workers(context: Context) -> frozenset[str]:
    """The people on the calling employer's worker lists (none for any other role)."""
    principal = context.principal
    if principal.role is not Role.EMPLOYER or principal.employer_id is None:
        return frozenset()
    return await context.loaders.worker_ids_by_employer.load(principal.employer_id)


async def resolve_me(info: Info) -> Person | None:
    principal = info.context.principal
    if principal.role is not Role.CITIZEN or principal.person_id is None:
        raise Forbidden("Only a citizen has a record of their own here.")
    return Person.from_record(await scoped_person(info, principal.person_id))


async def resolve_person(info: Info, id: strawberry.ID) -> Person | None:
    return Person.from_record(await scoped_person(info, str(id)))


async def resolve_people(info: Info, ids: list[strawberry.ID]) -> list[Person | None]:
    """Many people at once; each one outside the caller's scope is null with its own error."""
    most = info.context.settings.limits.max_page
    if len(ids) > most:
        raise BadUserInput(f"Ask for at most {most} ids at once.", field="ids")
    found = await asyncio.gather(
        *(scoped_person(info, str(pid)) for pid in ids), return_exceptions=True
    )
    # graphql-core turns an exception in a list into a located error for that item alone.
    return [
        Person.from_record(item) if isinstance(item, PersonRecord) else item  # type: ignore[misc]
        for item in found
    ]
