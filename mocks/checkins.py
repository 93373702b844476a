"""The check-in log: every scan at a checkpoint or an employer's gate (who, where, when)."""

from __future__ import annotations

from collections import deque
from datetime import datetime
from itertools import count
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mocks.common import BadRequest, ORJSONResponse, note_ids
from mocks.service import ServiceContext, service_app
from mocks.specs.checkins import SPEC

KEPT_CHECK_INS = 200_000
MAX_BATCH = 1000
ROLES = ("checkpoint", "employer")


def _instant(value: object, name: str) -> datetime:
    try:
        instant = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise BadRequest(f"{name} must be an ISO 8601 instant with an offset.")
    return instant


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise BadRequest(f"{name} must be a non-empty string.")
    return value


def _check_in(data: object, number: int) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a check-in object.")
    role = _text(data, "role")
    if role not in ROLES:
        raise BadRequest("role must be checkpoint or employer.")
    district = data.get("district")
    if district is not None and not isinstance(district, str):
        raise BadRequest("district must be a string or null.")
    return {
        "id": f"CI{number:010d}",
        "personId": _text(data, "personId"),
        "checkpointId": _text(data, "checkpointId"),
        "role": role,
        "district": district,
        "scannedAt": _instant(data.get("scannedAt"), "scannedAt").isoformat(),
    }


def _batch(raw: bytes) -> list[dict[str, Any]]:
    """The check-ins of a batch body, every one valid (or BadRequest: none is kept)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadRequest("The request body must be JSON.") from None
    items = body.get("checkIns") if isinstance(body, dict) else None
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        raise BadRequest(f"checkIns must be a list of 1 to {MAX_BATCH} check-ins.")
    return [_check_in(item, 0) for item in items]


def create_app(ctx: ServiceContext) -> Starlette:
    """The check-in log's sub-app."""
    log: deque[dict[str, Any]] = deque(maxlen=KEPT_CHECK_INS)
    numbers = count(1)

    def matching(request: Request) -> list[dict[str, Any]]:
        params = request.query_params
        person, checkpoint = params.get("personId"), params.get("checkpointId")
        if not person and not checkpoint:
            raise BadRequest("Give personId or checkpointId.")
        start = _instant(params["from"], "from") if "from" in params else None
        end = _instant(params["to"], "to") if "to" in params else None
        found = []
        for item in log:
            scanned = datetime.fromisoformat(item["scannedAt"])
            if (
                (not person or item["personId"] == person)
                and (not checkpoint or item["checkpointId"] == checkpoint)
                and (start is None or scanned >= start)
                and (end is None or scanned < end)
            ):
                found.append(item)
        return sorted(found, key=lambda item: datetime.fromisoformat(item["scannedAt"]))

    async def check_ins(request: Request) -> Response:
        if request.method == "GET":
            return ORJSONResponse({"checkIns": matching(request)})
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            raise BadRequest("The request body must be JSON.") from None
        record = _check_in(body, next(numbers))
        note_ids(request, 1)
        log.append(record)
        return ORJSONResponse(record, status_code=201)

    async def batch(request: Request) -> Response:
        records = _batch(await request.body())
        for record in records:
            record["id"] = f"CI{next(numbers):010d}"
        note_ids(request, len(records))
        log.extend(records)
        return ORJSONResponse({"checkIns": records}, status_code=201)

    routes = [
        Route("/checkins", check_ins, methods=["GET", "POST"]),
        Route("/checkins/batch", batch, methods=["POST"]),
    ]
    return service_app(ctx, routes, SPEC)
