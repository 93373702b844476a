"""The GraphQL schema: root types and the Strawberry schema object."""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaskErrors, ParserCache, ValidationCache
from strawberry.tools import merge_types

from gateway.errors import GatewayError
from gateway.resolvers.identity import resolve_me, resolve_person
from gateway.resolvers.status import resolve_person_status
from gateway.schema.identity import Person
from gateway.schema.status import PersonStatus


@strawberry.type(description="Reading people and their status.")
class PersonQuery:
    me: Person | None = strawberry.field(
        resolver=resolve_me, description="The caller's own record (citizens only)."
    )
    person: Person | None = strawberry.field(
        resolver=resolve_person,
        description="A person by id, within the caller's scope (self, district, own workers).",
    )
    person_status: PersonStatus | None = strawberry.field(
        resolver=resolve_person_status,
        description="A person's status. Give exactly one argument.",
    )


def _root(name: str, description: str, parts: tuple[type, ...]) -> type:
    """One root type merged from each domain's part (a domain adds its part to the tuple)."""
    root = merge_types(name, parts)
    root.__strawberry_definition__.description = description  # type: ignore[attr-defined]
    return root


# Each domain contributes its own root fields: add its class here.
QUERY_PARTS: tuple[type, ...] = (PersonQuery,)
MUTATION_PARTS: tuple[type, ...] = ()

Query = _root("Query", "What callers may read.", QUERY_PARTS)
Mutation = _root("Mutation", "What callers may change.", MUTATION_PARTS) if MUTATION_PARTS else None


def _should_mask(error: object) -> bool:
    original = getattr(error, "original_error", None)
    return original is not None and not isinstance(original, GatewayError)


class GatewaySchema(strawberry.Schema):
    """The schema, logging only unexpected errors (Strawberry logs every one with a traceback)."""

    def process_errors(self, errors, execution_context=None):  # type: ignore[no-untyped-def]
        for error in errors:
            if _should_mask(error):
                super().process_errors([error], execution_context)


def create_schema() -> strawberry.Schema:
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        extensions=[
            lambda: ParserCache(maxsize=1024),
            lambda: ValidationCache(maxsize=1024),
            lambda: MaskErrors(should_mask_error=_should_mask),
        ],
    )


schema = create_schema()
