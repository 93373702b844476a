"""OpenAPI description of F0 home care (`/f0`): confirmed cases and their recovery."""

from __future__ import annotations

from mocks.common import MAX_IDS
from mocks.specs import Schema, document, error, query_param, ref, response, secured_errors
from mocks.specs.changes import RECORD_CHANGE, change_page, changes_path
from mocks.specs.f0_reports import REPORT_PATHS, REPORT_SCHEMAS

CASE: Schema = {
    "type": "object",
    "required": ["caseId", "personId", "district", "confirmedAt", "recoveredAt", "recoveryProof"],
    "properties": {
        "caseId": {"type": "string"},
        "personId": {"type": "string"},
        "district": {"type": "string", "description": "National code of the district."},
        "confirmedAt": {"type": "string", "format": "date-time"},
        "recoveredAt": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "When the case ended; null while it is active.",
        },
        "recoveryProof": {
            "enum": [
                None, "DISCHARGE_PAPER", "WARD_ISOLATION_COMPLETION", "HOME_CARE_TEAM_CONFIRMATION",
            ],
            "description": "The proof of recovery, if any; only a proven recovery counts.",
        },
    },
}

CASES: Schema = {
    "type": "object",
    "required": ["cases"],
    "properties": {"cases": {"type": "array", "items": ref("Case")}},
}

PATHS: dict[str, Schema] = {
    "/cases": {"get": {
        "operationId": "getCasesByPerson",
        "summary": "The F0 cases of one person (none, one, or more after reinfection).",
        "parameters": [query_param("personId", "The person id.")],
        "responses": {
            "200": response("The person's cases.", ref("Cases")),
            "400": error("The personId parameter is missing."),
            **secured_errors(),
        },
    }},
    "/cases/search": {"post": {
        "operationId": "searchCases",
        "summary": f"The F0 cases of many people at once (at most {MAX_IDS}).",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object",
            "required": ["personIds"],
            "properties": {"personIds": {
                "type": "array", "items": {"type": "string"}, "maxItems": MAX_IDS,
            }},
        }}}},
        "responses": {
            "200": response("The cases of all those people.", ref("Cases")),
            "400": error(f"The body is not {{\"personIds\": [...]}} or has more than {MAX_IDS}."),
            **secured_errors(),
        },
    }},
}

SPEC = document(
    "f0",
    "F0 home care (mock)",
    "Confirmed COVID-19 cases followed at home, with their recovery and its proof.",
    {**PATHS, **changes_path("RecordChange", "new F0 cases"), **REPORT_PATHS},
    {
        **REPORT_SCHEMAS,
        "Case": CASE,
        "Cases": CASES,
        "RecordChange": RECORD_CHANGE,
        "RecordChangePage": change_page("RecordChange"),
    },
)
