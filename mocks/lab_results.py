"""The national lab results service: FHIR R4 `Observation` resources, searched by patient."""

from __future__ import annotations

from datetime import datetime, timedelta

from starlette.applications import Starlette

from mocks.fhir import Resource, resource_routes
from mocks.model import LabTest
from mocks.service import ServiceContext, service_app
from mocks.specs.lab_results import SPEC

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CODES = {
    "PCR": {
        "system": LOINC,
        "code": "94500-6",
        "display": "SARS-CoV-2 (COVID-19) RNA [Presence] in Respiratory specimen by NAA with "
        "probe detection",
    },
    "ANTIGEN": {
        "system": LOINC,
        "code": "94558-4",
        "display": "SARS-CoV-2 (COVID-19) Ag [Presence] in Respiratory specimen by Rapid "
        "immunoassay",
    },
}
DETECTED = {"system": SNOMED, "code": "260373001", "display": "Detected"}
NOT_DETECTED = {"system": SNOMED, "code": "260415000", "display": "Not detected"}
# Rapid tests are read on the spot; PCR results come back from the lab hours later.
_TURNAROUND = {"PCR": timedelta(hours=6), "ANTIGEN": timedelta(minutes=15)}


def observation(test: LabTest, reference: datetime) -> Resource:
    """A test as a FHIR Observation; `effectiveDateTime` is the sample instant.

    `issued` (when the result came out) never lies after the data set's reference instant.
    """
    issued = max(test.sampled_at, min(test.sampled_at + _TURNAROUND[test.kind], reference))
    return {
        "resourceType": "Observation",
        "id": test.id,
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY, "code": "laboratory"}]}],
        "code": {"coding": [CODES[test.kind]], "text": test.kind},
        "subject": {"reference": f"Patient/{test.person_id}"},
        "effectiveDateTime": test.sampled_at.isoformat(),
        "issued": issued.isoformat(),
        "performer": [{"display": test.lab}],
        "valueCodeableConcept": {"coding": [DETECTED if test.positive else NOT_DETECTED]},
    }


def create_app(ctx: ServiceContext) -> Starlette:
    """The lab results service's sub-app."""
    reference = ctx.dataset.reference
    routes = resource_routes(
        "Observation", ctx.dataset.tests, lambda test: observation(test, reference)
    )
    return service_app(ctx, routes, SPEC, fhir=True)
