"""F0 home care: confirmed COVID-19 cases, their recovery and its proof, by person."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mocks.common import ORJSONResponse, check_ids, error_json, json_ids
from mocks.model import F0Case
from mocks.service import ServiceContext, service_app
from mocks.specs.f0_care import SPEC


def case_json(case: F0Case) -> dict[str, str | None]:
    """The service's case object; instants in ISO 8601 with their offset."""
    return {
        "caseId": case.case_id,
        "personId": case.person_id,
        "district": case.district,
        "confirmedAt": case.confirmed_at.isoformat(),
        "recoveredAt": case.recovered_at.isoformat() if case.recovered_at else None,
        "recoveryProof": case.recovery_proof,
    }


def create_app(ctx: ServiceContext) -> Starlette:
    """The F0 home-care service's sub-app."""
    cases = ctx.dataset.cases

    def answer(ids: list[str]) -> Response:
        return ORJSONResponse({"cases": [case_json(c) for i in ids for c in cases.get(i, ())]})

    async def by_person(request: Request) -> Response:
        person_id = request.query_params.get("personId", "").strip()
        if not person_id:
            return error_json(400, "invalid_request", "The personId parameter is required.")
        return answer(check_ids(request, [person_id]))

    async def search(request: Request) -> Response:
        return answer(await json_ids(request, "personIds"))

    routes = [
        Route("/cases", by_person, methods=["GET"]),
        Route("/cases/search", search, methods=["POST"]),
    ]
    return service_app(ctx, routes, SPEC)
