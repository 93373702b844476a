"""The GraphQL schema: root types and the Strawberry schema object."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from gateway.errors import GatewayError
from gateway.limits import QueryLimitsExtension
from gateway.metrics import GraphQLMetrics
from gateway.persisted import PersistedQueries
from gateway.resolvers.checkpoint import CheckpointMutation, CheckpointQuery
from gateway.resolvers.declarations import DeclarationsMutation
from gateway.resolvers.f0_care import F0CareMutation, F0CareQuery
from gateway.resolvers.identity import resolve_me, resolve_people, resolve_person
from gateway.resolvers.status import resolve_person_status
from gateway.resolvers.workforce import WorkforceMutation, WorkforceQuery, WorkforceSubscription
from gateway.schema.freshness import StaleAnswersExtension
from gateway.schema.identity import Person
from gateway.schema.input_errors import InputErrorsExtension, is_input_error
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
    people: list[Person | None] = strawberry.field(
        resolver=resolve_people,
        description=(
            "People by id (at most 1,000), in order; each one outside the caller's scope is null "
            "with its own error."
        ),
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
QUERY_PARTS: tuple[type, ...] = (PersonQuery, CheckpointQuery, F0CareQuery, WorkforceQuery)
MUTATION_PARTS: tuple[type, ...] = (
    CheckpointMutation,
    DeclarationsMutation,
    F0CareMutation,
    WorkforceMutation,
)
SUBSCRIPTION_PARTS: tuple[type, ...] = (WorkforceSubscription,)

Query = _root("Query", "What callers may read.", QUERY_PARTS)
Mutation = _root("Mutation", "What callers may change.", MUTATION_PARTS) if MUTATION_PARTS else None
Subscription = _root("Subscription", "What callers may follow live.", SUBSCRIPTION_PARTS)


def should_mask(error: object) -> bool:
    """Whether an error is unexpected: logged, and shown as "Unexpected error." only."""
    original = getattr(error, "original_error", None)
    if isinstance(error, GraphQLError) and is_input_error(error):
        return False  # graphql-core's own refusal of a variable: safe, and the client's to fix
    return original is not None and not isinstance(original, GatewayError)


class GatewaySchema(strawberry.Schema):
    """The schema, logging only unexpected errors (Strawberry logs every one with a traceback)."""

    def process_errors(self, errors, execution_context=None):  # type: ignore[no-untyped-def]
        for error in errors:
            if should_mask(error):
                super().process_errors([error], execution_context)


def create_schema(max_batch_operations: int = 10) -> strawberry.Schema:
    """The schema; a request may batch at most `max_batch_operations` operations."""
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(batching_config={"max_operations": max_batch_operations}),
        extensions=[
            GraphQLMetrics,  # outermost: times all of it, counts the final (masked) result
            PersistedQueries,  # first: fills in the query text the others read
            QueryLimitsExtension,
            lambda: ParserCache(maxsize=1024),
            lambda: ValidationCache(maxsize=1024),
            StaleAnswersExtension,
            InputErrorsExtension,
            lambda: MaskErrors(should_mask_error=should_mask),
        ],
    )


schema = create_schema()
