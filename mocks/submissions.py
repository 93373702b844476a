"""Idempotent writes for the mocked services that accept submissions (declarations, F0 reports).

A write carries an `Idempotency-Key` header. The first write with a key stores the record
(201); the same key with the same body again answers the stored record (200) and stores nothing;
the same key with another body is refused (409). The `lostAnswerRate` knob makes a share of
writes lose their answer AFTER the record is stored (503): what a network cut between an upstream
and its caller looks like, and what a gateway's idempotency key must make harmless.

Development endpoints (no authentication): `GET /_admin/records` (every record with how often its
key was written, plus counters), `DELETE /_admin/records`, and `GET|PUT|DELETE /_admin/writes`
(`{"lostAnswerRate": 0..1}`).
"""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mocks.common import BadRequest, ORJSONResponse, error_json, note_ids
from mocks.knobs import UNAVAILABLE_BODY
from mocks.model import LOCAL_TZ

Record = dict[str, Any]


@dataclass(slots=True)
class _Stored:
    record: Record
    body_hash: str
    writes: int = 1


@dataclass(slots=True)
class SubmissionLog:
    """The records one service received, by idempotency key and by person."""

    id_prefix: str
    lost_answer_rate: float = 0.0
    default_lost_answer_rate: float = 0.0
    by_key: dict[str, _Stored] = field(default_factory=dict)
    by_person: dict[str, list[Record]] = field(default_factory=dict)
    writes: int = 0
    lost_answers: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _random: random.Random = field(default_factory=random.Random)

    def receive(self, key: str, body: Record) -> tuple[int, Record]:
        """Store `body` under `key` once: (201, new record), (200, stored), or (409, stored)."""
        self.writes += 1
        body_hash = hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()
        stored = self.by_key.get(key)
        if stored is not None:
            stored.writes += 1
            return (200 if stored.body_hash == body_hash else 409), stored.record
        record = {
            **body,
            "id": f"{self.id_prefix}{next(self._ids):07d}",
            "idempotencyKey": key,
            "receivedAt": datetime.now(LOCAL_TZ).isoformat(),
        }
        self.by_key[key] = _Stored(record, body_hash)
        self.by_person.setdefault(str(body["personId"]), []).append(record)
        return 201, record

    def loses_answer(self) -> bool:
        """Whether this write's answer is lost (the record stays stored)."""
        lost = self._random.random() < self.lost_answer_rate
        self.lost_answers += lost
        return lost

    def of(self, person_ids: list[str]) -> list[Record]:
        """Every record of those people, person by person, oldest first."""
        return [r for pid in person_ids for r in self.by_person.get(pid, ())]

    def clear(self) -> None:
        self.by_key.clear()
        self.by_person.clear()
        self.writes = self.lost_answers = 0

    def summary(self) -> dict[str, Any]:
        return {
            "count": len(self.by_key),
            "writes": self.writes,
            "lostAnswers": self.lost_answers,
            "records": [
                {
                    "id": s.record["id"],
                    "idempotencyKey": key,
                    "personId": s.record["personId"],
                    "writes": s.writes,
                }
                for key, s in self.by_key.items()
            ],
        }


async def json_body(request: Request) -> Record:
    """The request's JSON object body, or 400."""
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise BadRequest("The request body must be JSON.") from None
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    return body


def write_endpoint(log: SubmissionLog, check: Callable[[Record], None]) -> Callable[[Request], Any]:
    """The POST handler: key required, body checked by `check` (raises BadRequest), stored once."""

    async def write(request: Request) -> Response:
        key = request.headers.get("idempotency-key", "").strip()
        if not key:
            raise BadRequest("The Idempotency-Key header is required.")
        body = await json_body(request)
        check(body)
        note_ids(request, 1)
        status, record = log.receive(key, body)
        if status == 409:
            return error_json(
                409, "idempotency_conflict", "This Idempotency-Key was used with another body."
            )
        if log.loses_answer():
            return Response(UNAVAILABLE_BODY, 503, media_type="application/json")
        return ORJSONResponse(record, status_code=status)

    return write


def admin_routes(log: SubmissionLog) -> list[Route]:
    """`/_admin/records` and `/_admin/writes` (see the module's docstring)."""

    async def records(request: Request) -> Response:
        if request.method == "DELETE":
            log.clear()
            return Response(status_code=204)
        return ORJSONResponse(log.summary())

    async def writes(request: Request) -> Response:
        if request.method == "PUT":
            body = await json_body(request)
            rate = body.get("lostAnswerRate")
            if set(body) != {"lostAnswerRate"} or not _is_rate(rate):
                return error_json(
                    400, "invalid_request", 'The body must be {"lostAnswerRate": 0..1}.'
                )
            log.lost_answer_rate = float(rate)  # type: ignore[arg-type]  # checked just above
        elif request.method == "DELETE":
            log.lost_answer_rate = log.default_lost_answer_rate
        return ORJSONResponse({"lostAnswerRate": log.lost_answer_rate})

    return [
        Route("/_admin/records", records, methods=["GET", "DELETE"]),
        Route("/_admin/writes", writes, methods=["GET", "PUT", "DELETE"]),
    ]


def _is_rate(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1


def require(condition: bool, message: str) -> None:
    """Raise BadRequest (400) with `message` unless `condition` holds."""
    if not condition:
        raise BadRequest(message)
