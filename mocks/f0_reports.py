"""F0 home care's daily reports (mounted with the F0 service at `/f0`): LOINC-coded vital signs,
written once per Idempotency-Key, read by person."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mocks.common import ORJSONResponse, check_ids, error_json, json_ids
from mocks.service import ServiceContext
from mocks.submissions import Record, SubmissionLog, admin_routes, require, write_endpoint

# Vital signs every report carries (respiratory rate, heart rate, body temperature, SpO2); the
# blood pressure panel (85354-9) is optional.
REQUIRED_VITALS = frozenset({"9279-1", "8867-4", "8310-5", "59408-5"})


def check_report(body: Record) -> None:
    """400 unless the body has the report's shape (see the OpenAPI document)."""
    for name in ("submissionId", "personId", "measuredAt", "submittedAt", "severity"):
        require(isinstance(body.get(name), str) and bool(body[name]), f"{name} is required.")
    for name in ("observations", "symptoms", "warnings"):
        require(isinstance(body.get(name), list), f"{name} must be a list.")
    require(isinstance(body.get("submittedBy"), dict), "submittedBy must be an object.")
    codes = {o.get("code") for o in body["observations"] if isinstance(o, dict)}
    missing = sorted(REQUIRED_VITALS - codes)
    require(not missing, f"observations lack the LOINC codes {', '.join(missing)}.")


def report_routes(ctx: ServiceContext) -> list[BaseRoute]:
    """`POST /reports`, `GET /reports?personId=`, `POST /reports/search` and the admin records."""
    rate = ctx.settings.lost_answer_rates.get("f0", 0.0)
    reports = SubmissionLog("F0R", lost_answer_rate=rate, default_lost_answer_rate=rate)

    async def by_person(request: Request) -> Response:
        person_id = request.query_params.get("personId", "").strip()
        if not person_id:
            return error_json(400, "invalid_request", "The personId parameter is required.")
        return ORJSONResponse({"reports": reports.of(check_ids(request, [person_id]))})

    async def search(request: Request) -> Response:
        return ORJSONResponse({"reports": reports.of(await json_ids(request, "personIds"))})

    return [
        Route("/reports", write_endpoint(reports, check_report), methods=["POST"]),
        Route("/reports", by_person, methods=["GET"]),
        Route("/reports/search", search, methods=["POST"]),
        *admin_routes(reports),
    ]
