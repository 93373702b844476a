"""OpenAPI description of electronic health declarations (`/declarations`)."""

from __future__ import annotations

from mocks.specs import (
    Schema,
    document,
    error,
    path_param,
    query_param,
    ref,
    response,
    secured_errors,
)
from mocks.specs.submissions import (
    IDEMPOTENCY_KEY,
    STORED_FIELDS,
    SUBMITTED_BY,
    person_ids_body,
    write_responses,
)

_CODE = {"type": "string", "description": "A national administrative unit code."}
_NULLABLE_CODE = {**_CODE, "type": ["string", "null"]}

NEW_DECLARATION: Schema = {
    "type": "object",
    "required": [
        "submissionId",
        "personId",
        "submittedAt",
        "placesVisited",
        "symptoms",
        "exposures",
        "address",
        "phone",
        "submittedBy",
        "digest",
    ],
    "properties": {
        "submissionId": {"type": "string", "description": "The submitter's id of it."},
        "personId": {"type": "string"},
        "submittedAt": {"type": "string", "format": "date-time"},
        "placesVisited": {
            "type": "array",
            "description": "Provinces (and districts) visited in the last 14 days.",
            "items": {
                "type": "object",
                "required": ["province"],
                "properties": {
                    "province": _CODE,
                    "district": {**_CODE, "type": ["string", "null"]},
                },
            },
        },
        "symptoms": {"type": "array", "items": {"type": "string"}},
        "exposures": {"type": "array", "items": {"type": "string"}},
        "address": {
            "type": "object",
            "required": ["district", "ward"],
            "properties": {"district": _CODE, "ward": {"type": "string"}},
        },
        "phone": {"type": "string"},
        "submittedBy": ref("SubmittedBy"),
        "digest": {"type": "string", "description": "SHA-256 of the declaration, hex."},
    },
}

DECLARATION: Schema = {
    "allOf": [
        ref("NewDeclaration"),
        {"type": "object", "required": list(STORED_FIELDS), "properties": STORED_FIELDS},
    ]
}

DECLARATIONS: Schema = {
    "type": "object",
    "required": ["declarations"],
    "properties": {"declarations": {"type": "array", "items": ref("Declaration")}},
}

PATHS: dict[str, Schema] = {
    "/declarations": {
        "post": {
            "operationId": "submitDeclaration",
            "summary": "Store a declaration, once per Idempotency-Key.",
            "parameters": [IDEMPOTENCY_KEY],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("NewDeclaration")}},
            },
            "responses": {**write_responses("declaration", ref("Declaration")), **secured_errors()},
        },
        "get": {
            "operationId": "getDeclarationsByPerson",
            "summary": "Every declaration of one person, oldest first.",
            "parameters": [query_param("personId", "The person id.")],
            "responses": {
                "200": response("The person's declarations.", ref("Declarations")),
                "400": error("The personId parameter is missing."),
                **secured_errors(),
            },
        },
    },
    "/declarations/search": {
        "post": {
            "operationId": "searchDeclarations",
            "summary": "Every declaration of many people, person by person, oldest first.",
            "requestBody": person_ids_body(),
            "responses": {
                "200": response("Their declarations.", ref("Declarations")),
                "400": error('The body is not {"personIds": [...]} or lists too many.'),
                **secured_errors(),
            },
        }
    },
    "/declarations/latest": {
        "post": {
            "operationId": "latestDeclarations",
            "summary": "The latest declaration of each of many people (none for who has none).",
            "requestBody": person_ids_body(),
            "responses": {
                "200": response("One declaration per person who has any.", ref("Declarations")),
                "400": error('The body is not {"personIds": [...]} or lists too many.'),
                **secured_errors(),
            },
        }
    },
    "/declarations/{id}": {
        "get": {
            "operationId": "getDeclaration",
            "summary": "One declaration by the service's id.",
            "parameters": [path_param("id", "The service's id of the declaration.")],
            "responses": {
                "200": response("The declaration.", ref("Declaration")),
                "404": error("No declaration has this id."),
                **secured_errors(),
            },
        }
    },
}

SPEC = document(
    "declarations",
    "Health declarations (mock)",
    "Electronic health declarations (khai báo y tế): one makes a person's QR usable for 24 h.",
    PATHS,
    {
        "NewDeclaration": NEW_DECLARATION,
        "Declaration": DECLARATION,
        "Declarations": DECLARATIONS,
        "SubmittedBy": SUBMITTED_BY,
    },
)
