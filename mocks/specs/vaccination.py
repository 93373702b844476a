"""OpenAPI description of the vaccination registry (`/vaccination`, FHIR R4 Immunization)."""

from __future__ import annotations

from mocks.specs import Schema, document, ref
from mocks.specs.changes import RECORD_CHANGE, change_page, changes_path
from mocks.specs.fhir import COMMON, bundle, search_paths

IMMUNIZATION: Schema = {
    "type": "object",
    "required": [
        "resourceType", "id", "status", "vaccineCode", "patient", "occurrenceDateTime",
    ],
    "properties": {
        "resourceType": {"const": "Immunization"},
        "id": {"type": "string"},
        "status": {"const": "completed"},
        "vaccineCode": {
            **ref("CodeableConcept"),
            "description": "A CVX coding (http://hl7.org/fhir/sid/cvx; 500 for Abdala and "
            "Hayat-Vax) and an EU product coding; `text` is the product name.",
        },
        "patient": ref("Reference"),
        "occurrenceDateTime": {
            "type": "string",
            "format": "date",
            "description": "The local date of the dose in Asia/Ho_Chi_Minh.",
        },
        "lotNumber": {"type": "string"},
        "manufacturer": ref("Reference"),
        "performer": {"type": "array", "items": {
            "type": "object", "properties": {"actor": ref("Reference")},
        }},
        "protocolApplied": {"type": "array", "items": {
            "type": "object",
            "properties": {
                "targetDisease": {"type": "array", "items": ref("CodeableConcept")},
                "doseNumberPositiveInt": {"type": "integer", "minimum": 1},
            },
        }},
    },
}

SPEC = document(
    "vaccination",
    "National vaccination registry (mock)",
    "COVID-19 doses as FHIR R4 Immunization resources, searched by patient.",
    {**search_paths("Immunization", "doses"), **changes_path("RecordChange", "new doses")},
    {
        **COMMON,
        "Immunization": IMMUNIZATION,
        "ImmunizationBundle": bundle("Immunization"),
        "RecordChange": RECORD_CHANGE,
        "RecordChangePage": change_page("RecordChange"),
    },
)
