"""Electronic health declarations (khai báo y tế): written once per Idempotency-Key, read by
person (history, or the latest of many people at once)."""

from __future__ import annotations

from datetime import datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mocks.common import ORJSONResponse, check_ids, error_json, json_ids
from mocks.service import ServiceContext, service_app
from mocks.specs.declarations import SPEC
from mocks.submissions import Record, SubmissionLog, admin_routes, require, write_endpoint

_LISTS = ("placesVisited", "symptoms", "exposures")


def check_declaration(body: Record) -> None:
    """400 unless the body has the declaration's shape (see the OpenAPI document)."""
    for name in ("submissionId", "personId", "submittedAt", "phone", "digest"):
        require(isinstance(body.get(name), str) and bool(body[name]), f"{name} is required.")
    for name in _LISTS:
        require(isinstance(body.get(name), list), f"{name} must be a list.")
    require(isinstance(body.get("address"), dict), "address must be an object.")
    require(isinstance(body.get("submittedBy"), dict), "submittedBy must be an object.")
    try:
        instant = datetime.fromisoformat(body["submittedAt"])
    except ValueError:
        instant = None
    require(instant is not None and instant.tzinfo is not None, "submittedAt is not an instant.")


def create_app(ctx: ServiceContext) -> Starlette:
    """The declarations service's sub-app."""
    rate = ctx.settings.lost_answer_rates.get("declarations", 0.0)
    log = SubmissionLog("HD", lost_answer_rate=rate, default_lost_answer_rate=rate)

    def answer(records: list[Record]) -> Response:
        return ORJSONResponse({"declarations": records})

    async def by_person(request: Request) -> Response:
        person_id = request.query_params.get("personId", "").strip()
        if not person_id:
            return error_json(400, "invalid_request", "The personId parameter is required.")
        return answer(log.of(check_ids(request, [person_id])))

    async def search(request: Request) -> Response:
        return answer(log.of(await json_ids(request, "personIds")))

    async def latest(request: Request) -> Response:
        ids = await json_ids(request, "personIds")
        newest = (
            max(log.by_person[pid], key=lambda r: datetime.fromisoformat(r["submittedAt"]))
            for pid in ids
            if log.by_person.get(pid)
        )
        return answer(list(newest))

    async def one(request: Request) -> Response:
        wanted = request.path_params["id"]
        found = next((s.record for s in log.by_key.values() if s.record["id"] == wanted), None)
        return ORJSONResponse(found) if found else error_json(404, "not_found")

    routes = [
        Route("/declarations", write_endpoint(log, check_declaration), methods=["POST"]),
        Route("/declarations", by_person, methods=["GET"]),
        Route("/declarations/search", search, methods=["POST"]),
        Route("/declarations/latest", latest, methods=["POST"]),
        Route("/declarations/{id}", one, methods=["GET"]),
        *admin_routes(log),
    ]
    return service_app(ctx, routes, SPEC)
