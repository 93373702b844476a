"""OpenAPI pieces shared by the FHIR services: data types, Bundle, OperationOutcome, search."""

from __future__ import annotations

from mocks.common import MAX_IDS
from mocks.specs import Schema, error, path_param, query_param, ref, response, secured_errors

FHIR_JSON = "application/fhir+json"

CODING: Schema = {
    "type": "object",
    "required": ["system", "code"],
    "properties": {
        "system": {"type": "string", "format": "uri"},
        "code": {"type": "string"},
        "display": {"type": "string"},
    },
}
CODEABLE_CONCEPT: Schema = {
    "type": "object",
    "properties": {
        "coding": {"type": "array", "items": ref("Coding")},
        "text": {"type": "string"},
    },
}
REFERENCE: Schema = {
    "type": "object",
    "properties": {"reference": {"type": "string"}, "display": {"type": "string"}},
}
OPERATION_OUTCOME: Schema = {
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"const": "OperationOutcome"},
        "issue": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["severity", "code"],
                "properties": {
                    "severity": {"enum": ["fatal", "error", "warning", "information"]},
                    "code": {"type": "string"},
                    "diagnostics": {"type": "string"},
                },
            },
        },
    },
}

COMMON: dict[str, Schema] = {
    "Coding": CODING,
    "CodeableConcept": CODEABLE_CONCEPT,
    "Reference": REFERENCE,
    "OperationOutcome": OPERATION_OUTCOME,
}


def bundle(resource: str) -> Schema:
    """A searchset Bundle of `resource` entries."""
    return {
        "type": "object",
        "required": ["resourceType", "type", "total", "entry"],
        "properties": {
            "resourceType": {"const": "Bundle"},
            "type": {"const": "searchset"},
            "total": {"type": "integer", "minimum": 0},
            "link": {"type": "array", "items": {
                "type": "object",
                "properties": {"relation": {"type": "string"}, "url": {"type": "string"}},
            }},
            "entry": {"type": "array", "items": {
                "type": "object",
                "required": ["fullUrl", "resource"],
                "properties": {
                    "fullUrl": {"type": "string", "format": "uri"},
                    "resource": ref(resource),
                    "search": {"type": "object", "properties": {"mode": {"const": "match"}}},
                },
            }},
        },
    }


PATIENT_HELP = (
    f"Patient/{{id}} references, comma-separated (a FHIR OR-list), at most {MAX_IDS}; "
    "a bare id is accepted too."
)


def search_paths(resource: str, plural: str) -> dict[str, Schema]:
    """GET search, POST `_search` and read by id for `resource`."""
    found = response(f"A searchset Bundle of the {plural} of those patients.",
                     ref(f"{resource}Bundle"), FHIR_JSON)
    bad = error(f"No patient parameter, or more than {MAX_IDS} patients.", FHIR_JSON)
    return {
        f"/fhir/{resource}": {"get": {
            "operationId": f"search{resource}",
            "summary": f"The {plural} of one or more patients.",
            "parameters": [query_param("patient", PATIENT_HELP)],
            "responses": {"200": found, "400": bad, **secured_errors()},
        }},
        f"/fhir/{resource}/_search": {"post": {
            "operationId": f"search{resource}Post",
            "summary": f"The {plural} of many patients at once (search by POST).",
            "requestBody": {"required": True, "content": {
                "application/x-www-form-urlencoded": {"schema": {
                    "type": "object",
                    "required": ["patient"],
                    "properties": {"patient": {"type": "string", "description": PATIENT_HELP}},
                }},
            }},
            "responses": {"200": found, "400": bad, **secured_errors()},
        }},
        f"/fhir/{resource}/{{id}}": {"get": {
            "operationId": f"read{resource}",
            "summary": f"One {resource} by its id.",
            "parameters": [path_param("id", f"The {resource} id.")],
            "responses": {
                "200": response(f"The {resource}.", ref(resource), FHIR_JSON),
                "404": error(f"No {resource} has this id.", FHIR_JSON),
                **secured_errors(),
            },
        }},
    }
