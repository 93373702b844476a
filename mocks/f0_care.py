"""F0 home care: confirmed COVID-19 cases, their recovery and its proof, by person."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mocks.common import BadRequest, ORJSONResponse, check_ids, error_json, json_ids
from mocks.f0_reports import report_routes
from mocks.live import (
    ChangeLog,
    LiveRecords,
    changes_route,
    instant_field,
    json_object,
    now,
    record_change,
)
from mocks.model import F0Case, RecoveryProof
from mocks.service import ServiceContext, service_app
from mocks.specs.f0_care import SPEC

_PROOFS: tuple[RecoveryProof, ...] = (
    "DISCHARGE_PAPER",
    "WARD_ISOLATION_COMPLETION",
    "HOME_CARE_TEAM_CONFIRMATION",
)


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
    """The F0 home-care service's sub-app, with its change feed and `/_admin/cases`."""
    cases: LiveRecords[F0Case] = LiveRecords(ctx.dataset.cases)
    log = ChangeLog()

    def answer(ids: list[str]) -> Response:
        return ORJSONResponse({"cases": [case_json(c) for i in ids for c in cases.get(i, ())]})

    async def by_person(request: Request) -> Response:
        person_id = request.query_params.get("personId", "").strip()
        if not person_id:
            return error_json(400, "invalid_request", "The personId parameter is required.")
        return answer(check_ids(request, [person_id]))

    async def search(request: Request) -> Response:
        return answer(await json_ids(request, "personIds"))

    async def add_case(request: Request) -> Response:
        """Development only: a person is confirmed F0 (optionally already recovered)."""
        body = await json_object(request)
        person = ctx.dataset.persons.get(str(body.get("personId")))
        proof = body.get("recoveryProof")
        if person is None:
            raise BadRequest("personId must name a person.")
        if proof not in (None, *_PROOFS):
            raise BadRequest(f"recoveryProof must be null or one of {', '.join(_PROOFS)}.")
        confirmed = instant_field(body, "confirmedAt", now()) or now()
        recovered = instant_field(body, "recoveredAt", None)
        number = len(cases.get(person.id)) + 1
        case_id = f"F0-{person.district}-{person.id[1:]}-{number}"
        case = F0Case(case_id, person.id, person.district, confirmed, recovered, proof)
        cases.add(person.id, case)
        record_change(log, person.id, "Case", case_id, now())
        return ORJSONResponse(case_json(case), status_code=201)

    routes = [
        Route("/cases", by_person, methods=["GET"]),
        Route("/cases/search", search, methods=["POST"]),
        *report_routes(ctx),
        changes_route(log),
        Route("/_admin/cases", add_case, methods=["POST"]),
    ]
    return service_app(ctx, routes, SPEC)
