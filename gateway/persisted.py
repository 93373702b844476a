"""Persisted operations, APQ-style: a client sends a SHA-256 hash instead of the query text.

The protocol is Apollo's automatic persisted queries: the request carries
`extensions.persistedQuery = {"version": 1, "sha256Hash": "<hex of the query text>"}`.

- Hash only: the text registered under that hash runs; an unknown hash answers the standard
  `PersistedQueryNotFound` error (code `PERSISTED_QUERY_NOT_FOUND`), and the client sends the
  hash again with the query, which registers it.
- Hash and query: the query runs and is registered, unless the hash is not the SHA-256 of the
  text: then it is refused (BAD_USER_INPUT), so nobody can register text under another's hash.

Operations shipped in `gateway/operations/*.graphql` (the scanner's `Scan`) are known to every
instance from the start, under the hash of the file's exact bytes: a scanner never has to send
the text. Registrations made at run time are kept in memory, per instance (bounded, least
recently used dropped first); the protocol copes with a miss by re-sending the text once.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from gateway.errors import BadUserInput

OPERATIONS_DIR = Path(__file__).parent / "operations"
MAX_REGISTERED = 10_000
FIELD = "extensions.persistedQuery"


def sha256_hex(text: str) -> str:
    """The hash APQ clients send: SHA-256 of the UTF-8 query text, lower-case hex."""
    return hashlib.sha256(text.encode()).hexdigest()


def shipped_operations(directory: Path = OPERATIONS_DIR) -> dict[str, str]:
    """The operations shipped with the gateway, by hash."""
    texts = (path.read_text(encoding="utf-8") for path in sorted(directory.glob("*.graphql")))
    return {sha256_hex(text): text for text in texts}


class PersistedQueryStore:
    """Shipped operations plus those registered at run time."""

    def __init__(self, shipped: Mapping[str, str], max_registered: int = MAX_REGISTERED) -> None:
        self._shipped = dict(shipped)
        self._registered: OrderedDict[str, str] = OrderedDict()
        self._max = max_registered

    @classmethod
    def with_shipped_operations(cls) -> PersistedQueryStore:
        return cls(shipped_operations())

    def get(self, digest: str) -> str | None:
        if digest in self._shipped:
            return self._shipped[digest]
        text = self._registered.get(digest)
        if text is not None:
            self._registered.move_to_end(digest)
        return text

    def register(self, digest: str, text: str) -> None:
        if digest in self._shipped:
            return
        self._registered[digest] = text
        self._registered.move_to_end(digest)
        while len(self._registered) > self._max:
            self._registered.popitem(last=False)


def persisted_query_not_found() -> GraphQLError:
    return GraphQLError("PersistedQueryNotFound", extensions={"code": "PERSISTED_QUERY_NOT_FOUND"})


def _digest(persisted: object) -> str:
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise BadUserInput("persistedQuery must be {version: 1, sha256Hash: ...}.", field=FIELD)
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or len(digest) != 64:
        raise BadUserInput("sha256Hash must be 64 hexadecimal characters.", field=FIELD)
    return digest.lower()


def resolve(store: PersistedQueryStore, query: str | None, persisted: object) -> str:
    """The text to run for a request carrying `extensions.persistedQuery`."""
    digest = _digest(persisted)
    if query is None:
        known = store.get(digest)
        if known is None:
            raise persisted_query_not_found()
        return known
    if sha256_hex(query) != digest:
        raise BadUserInput(
            "The persisted query's sha256Hash is not the hash of the query sent.",
            field=f"{FIELD}.sha256Hash",
        )
    store.register(digest, query)
    return query


class PersistedQueries(SchemaExtension):
    """Fills in (or registers) the query text before parsing."""

    async def on_operation(self) -> AsyncIterator[None]:
        context = self.execution_context
        persisted = (context.operation_extensions or {}).get("persistedQuery")
        if persisted is not None:
            store: PersistedQueryStore = context.context.persisted_queries
            try:
                context.query = resolve(store, context.query, persisted)
            except BadUserInput as error:
                raise GraphQLError(error.message, extensions=error.extensions) from None
        yield


def operation_extensions(query: str) -> dict[str, Any]:
    """The `extensions` a client sends for `query` (tests, examples)."""
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(query)}}
