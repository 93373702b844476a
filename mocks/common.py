"""Shared plumbing of the mocked services: JSON responses, errors, id lists in request bodies."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

MAX_IDS = 1000
NOTE_KEY = "mocks.note"


class ORJSONResponse(Response):
    """A JSON response rendered by orjson (dates and datetimes as ISO 8601)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class FHIRResponse(ORJSONResponse):
    """A FHIR R4 JSON response."""

    media_type = "application/fhir+json"


class BadRequest(Exception):
    """The request cannot be served as sent; the message says why, in a full sentence."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RequestNote:
    """What a handler tells the request statistics about a request (the ids it asked for)."""

    __slots__ = ("ids",)

    def __init__(self) -> None:
        self.ids = 0


def note_ids(request: Request, count: int) -> None:
    """Record that the request asked for `count` person ids."""
    note = request.scope.get(NOTE_KEY)
    if isinstance(note, RequestNote):
        note.ids = count


def error_json(status: int, error: str, message: str | None = None) -> ORJSONResponse:
    """The REST error body `{"error": code, "message": ...}`."""
    body = {"error": error} if message is None else {"error": error, "message": message}
    return ORJSONResponse(body, status_code=status)


def check_ids(request: Request, ids: list[str]) -> list[str]:
    """`ids` without duplicates (first occurrence kept), after counting them and the limit."""
    note_ids(request, len(ids))
    if len(ids) > MAX_IDS:
        raise BadRequest(f"At most {MAX_IDS} ids are allowed per request; got {len(ids)}.")
    return list(dict.fromkeys(ids))


async def json_ids(request: Request, field: str) -> list[str]:
    """The string list `field` of a JSON object body, checked with `check_ids`."""
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise BadRequest("The request body must be JSON.") from None
    ids = body.get(field) if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise BadRequest(f'The request body must be an object {{"{field}": [string, ...]}}.')
    return check_ids(request, ids)
