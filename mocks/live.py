"""After the seed: records that arrive at run time, and the change feeds that announce them.

The seeded data set is shared by every app of a process and never changes. Each app adds its own
`LiveRecords` on top (records added through the `/_admin` endpoints, so that tests can make a
person's status change) and a `ChangeLog` that announces every addition, the way a national
service announces new and corrected records to the systems that follow it:

    GET /<mount>/changes?after=<cursor>&limit=<n>
    → {"changes": [{"cursor", ...entry}], "next": cursor, "hasMore": bool, "reset": bool}

Cursors are opaque to the follower: `<epoch>.<seq>`. A log belongs to one app (one run of the
service); a cursor of another epoch (the service restarted and lost its history) is answered from
the start of the current history with `reset: true`, so a follower never silently skips changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mocks.common import BadRequest, ORJSONResponse, error_json
from mocks.model import LOCAL_TZ

R = TypeVar("R")
MAX_CHANGES = 1000
DEFAULT_CHANGES = 500


class LiveRecords(Mapping[str, Sequence[R]], Generic[R]):
    """A person's seeded records followed by the ones added at run time (per app)."""

    def __init__(self, seeded: Mapping[str, Sequence[R]]) -> None:
        self._seeded = seeded
        self._added: dict[str, list[R]] = {}

    def add(self, person_id: str, record: R) -> None:
        """Append one record to a person's (after the seeded ones)."""
        self._added.setdefault(person_id, []).append(record)

    def get(self, key: str, default: Any = ()) -> Any:  # the hot path of every batch search
        added = self._added.get(key)
        seeded = self._seeded.get(key)
        if added is None:
            return seeded if seeded is not None else default
        return (*(seeded or ()), *added)

    def __getitem__(self, key: str) -> Sequence[R]:
        found: Sequence[R] | None = self.get(key, None)
        if found is None:
            raise KeyError(key)
        return found

    def __iter__(self) -> Iterator[str]:
        yield from self._seeded
        yield from (key for key in self._added if key not in self._seeded)

    def __len__(self) -> int:
        return len(self._seeded) + sum(1 for key in self._added if key not in self._seeded)


class ChangeLog:
    """The ordered changes of one service since this app started."""

    def __init__(self) -> None:
        self.epoch = uuid.uuid4().hex[:12]
        self._entries: list[dict[str, object]] = []

    def __len__(self) -> int:
        return len(self._entries)

    def append(self, entry: dict[str, object]) -> str:
        """Record one change; returns its cursor."""
        self._entries.append(entry)
        return self._cursor(len(self._entries))

    def _cursor(self, seq: int) -> str:
        return f"{self.epoch}.{seq}"

    def read(self, after: str | None, limit: int) -> dict[str, object]:
        """The changes after the cursor `after` (from the start when None), at most `limit`."""
        start, reset = self._position(after)
        page = self._entries[start : start + limit]
        changes = [{"cursor": self._cursor(start + i + 1), **e} for i, e in enumerate(page)]
        end = start + len(page)
        return {
            "changes": changes,
            "next": self._cursor(end),
            "hasMore": end < len(self._entries),
            "reset": reset,
        }

    def _position(self, after: str | None) -> tuple[int, bool]:
        if not after:
            return 0, False
        epoch, _, seq = after.partition(".")
        if not seq.isdigit():
            raise BadRequest(f"The cursor {after!r} is not one this service gave out.")
        if epoch != self.epoch:
            return 0, True
        return min(int(seq), len(self._entries)), False


def changes_route(log: ChangeLog) -> Route:
    """`GET /changes?after=<cursor>&limit=<n>`: the service's change feed."""

    async def changes(request: Request) -> Response:
        raw_limit = request.query_params.get("limit", str(DEFAULT_CHANGES))
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_CHANGES:
            return error_json(
                400, "invalid_request", f"limit must be an integer from 1 to {MAX_CHANGES}."
            )
        try:
            page = log.read(request.query_params.get("after") or None, int(raw_limit))
        except BadRequest as problem:
            return error_json(400, "invalid_request", problem.message)
        return ORJSONResponse(page)

    return Route("/changes", changes, methods=["GET"])


def record_change(
    log: ChangeLog, person_id: str, resource_type: str, resource_id: str, at: datetime
) -> None:
    """Announce a new record of a person (the entry of the health services' feeds)."""
    log.append(
        {
            "personId": person_id,
            "resourceType": resource_type,
            "resourceId": resource_id,
            "action": "created",
            "at": at.isoformat(),
        }
    )


async def json_object(request: Request) -> dict[str, Any]:
    """The JSON object body of an admin request, or 400."""
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise BadRequest("The request body must be JSON.") from None
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    return body


def instant_field(body: Mapping[str, Any], name: str, default: datetime | None) -> datetime | None:
    """An optional ISO 8601 instant (with an offset) of an admin body; `default` when absent."""
    raw = body.get(name)
    if raw is None:
        return default
    try:
        value = datetime.fromisoformat(str(raw))
    except ValueError:
        raise BadRequest(f"{name} must be an ISO 8601 instant.") from None
    if value.tzinfo is None:
        raise BadRequest(f"{name} must carry an offset, e.g. 2021-10-01T09:00:00+07:00.")
    return value.astimezone(LOCAL_TZ)


def now() -> datetime:
    """The mocks' wall clock, in the city's time zone, to the second."""
    return datetime.now(LOCAL_TZ).replace(microsecond=0)
