"""A reference beside the limit: plain Strawberry (parser and validation caches) answering S1's
body from a constant, on the same server settings: what a GraphQL layer costs before any work.

`uvicorn bench.plain:app`; `LIMIT_BODY_FILE` holds S1's response body, whose `personStatus`
becomes the constant. Requests send the `Scan` text (plain Strawberry has no persisted queries).
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import strawberry
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache

ANSWER = orjson.loads(Path(os.environ["LIMIT_BODY_FILE"]).read_bytes())["data"]["personStatus"]


@strawberry.type
class PersonStatus:
    color: str
    reasons: list[str]
    valid_until: str | None
    masked_name: str | None
    birth_year: int | None
    declaration_valid_until: str | None


@strawberry.type
class Query:
    @strawberry.field
    def person_status(self, qr: str | None = None, sms_code: str | None = None) -> PersonStatus:
        return PersonStatus(
            color=ANSWER["color"],
            reasons=ANSWER["reasons"],
            valid_until=ANSWER["validUntil"],
            masked_name=ANSWER["maskedName"],
            birth_year=ANSWER["birthYear"],
            declaration_valid_until=ANSWER["declarationValidUntil"],
        )


schema = strawberry.Schema(
    query=Query,
    extensions=[lambda: ParserCache(maxsize=1024), lambda: ValidationCache(maxsize=1024)],
)
app = GraphQL(schema, graphql_ide=None)
