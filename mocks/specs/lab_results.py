"""OpenAPI description of the lab results service (`/lab`, FHIR R4 Observation)."""

from __future__ import annotations

from mocks.specs import Schema, document, ref
from mocks.specs.changes import RECORD_CHANGE, change_page, changes_path
from mocks.specs.fhir import COMMON, bundle, search_paths

OBSERVATION: Schema = {
    "type": "object",
    "required": [
        "resourceType", "id", "status", "code", "subject", "effectiveDateTime",
        "valueCodeableConcept",
    ],
    "properties": {
        "resourceType": {"const": "Observation"},
        "id": {"type": "string"},
        "status": {"const": "final"},
        "category": {"type": "array", "items": ref("CodeableConcept")},
        "code": {
            **ref("CodeableConcept"),
            "description": "LOINC 94500-6 (PCR) or 94558-4 (rapid antigen).",
        },
        "subject": ref("Reference"),
        "effectiveDateTime": {
            "type": "string",
            "format": "date-time",
            "description": "The sample instant, with its offset.",
        },
        "issued": {"type": "string", "format": "date-time"},
        "performer": {"type": "array", "items": ref("Reference")},
        "valueCodeableConcept": {
            **ref("CodeableConcept"),
            "description": "SNOMED CT 260373001 (detected) or 260415000 (not detected).",
        },
    },
}

SPEC = document(
    "lab",
    "National lab results (mock)",
    "SARS-CoV-2 PCR and rapid antigen results as FHIR R4 Observation resources.",
    {
        **search_paths("Observation", "test results"),
        **changes_path("RecordChange", "new test results"),
    },
    {
        **COMMON,
        "Observation": OBSERVATION,
        "ObservationBundle": bundle("Observation"),
        "RecordChange": RECORD_CHANGE,
        "RecordChangePage": change_page("RecordChange"),
    },
)
