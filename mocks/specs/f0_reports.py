"""OpenAPI description of F0 home care's daily reports (part of the `/f0` document)."""

from __future__ import annotations

from mocks.specs import Schema, error, query_param, ref, response, secured_errors
from mocks.specs.submissions import (
    IDEMPOTENCY_KEY,
    STORED_FIELDS,
    SUBMITTED_BY,
    person_ids_body,
    write_responses,
)

OBSERVATION: Schema = {
    "type": "object",
    "required": ["code"],
    "description": (
        "A vital sign by its LOINC code: 9279-1 respiratory rate (/min), 8867-4 heart rate "
        "(/min), 8310-5 body temperature (Cel), 59408-5 SpO2 (%), or 85354-9 the blood "
        "pressure panel with components 8480-6 systolic and 8462-4 diastolic (mm[Hg])."
    ),
    "properties": {
        "code": {"type": "string"},
        "display": {"type": "string"},
        "value": {"type": "number"},
        "unit": {"type": "string"},
        "components": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "value"],
                "properties": {
                    "code": {"type": "string"},
                    "value": {"type": "number"},
                    "unit": {"type": "string"},
                },
            },
        },
    },
}

NEW_REPORT: Schema = {
    "type": "object",
    "required": [
        "submissionId",
        "personId",
        "measuredAt",
        "submittedAt",
        "observations",
        "symptoms",
        "warnings",
        "severity",
        "submittedBy",
    ],
    "properties": {
        "submissionId": {"type": "string", "description": "The submitter's id of it."},
        "personId": {"type": "string"},
        "measuredAt": {"type": "string", "format": "date-time"},
        "submittedAt": {"type": "string", "format": "date-time"},
        "observations": {"type": "array", "items": ref("VitalSign")},
        "symptoms": {"type": "array", "items": {"type": "string"}},
        "warnings": {"type": "array", "items": {"type": "string"}},
        "severity": {"enum": ["ROUTINE", "URGENT"]},
        "submittedBy": ref("SubmittedBy"),
    },
}

REPORT: Schema = {
    "allOf": [
        ref("NewReport"),
        {"type": "object", "required": list(STORED_FIELDS), "properties": STORED_FIELDS},
    ]
}

REPORTS: Schema = {
    "type": "object",
    "required": ["reports"],
    "properties": {"reports": {"type": "array", "items": ref("Report")}},
}

REPORT_PATHS: dict[str, Schema] = {
    "/reports": {
        "post": {
            "operationId": "submitReport",
            "summary": "Store a daily home-care report, once per Idempotency-Key.",
            "parameters": [IDEMPOTENCY_KEY],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("NewReport")}},
            },
            "responses": {**write_responses("report", ref("Report")), **secured_errors()},
        },
        "get": {
            "operationId": "getReportsByPerson",
            "summary": "Every report of one person, oldest first.",
            "parameters": [query_param("personId", "The person id.")],
            "responses": {
                "200": response("The person's reports.", ref("Reports")),
                "400": error("The personId parameter is missing."),
                **secured_errors(),
            },
        },
    },
    "/reports/search": {
        "post": {
            "operationId": "searchReports",
            "summary": "Every report of many people, person by person, oldest first.",
            "requestBody": person_ids_body(),
            "responses": {
                "200": response("Their reports.", ref("Reports")),
                "400": error('The body is not {"personIds": [...]} or lists too many.'),
                **secured_errors(),
            },
        }
    },
}

REPORT_SCHEMAS: dict[str, Schema] = {
    "VitalSign": OBSERVATION,
    "NewReport": NEW_REPORT,
    "Report": REPORT,
    "Reports": REPORTS,
    "SubmittedBy": SUBMITTED_BY,
}
