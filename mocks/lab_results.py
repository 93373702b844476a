"""The national lab results service: FHIR R4 `Observation` resources, searched by patient."""

from __future__ import annotations

from datetime import datetime, timedelta

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mocks.common import BadRequest, FHIRResponse
from mocks.fhir import Resource, resource_routes
from mocks.live import (
    ChangeLog,
    LiveRecords,
    changes_route,
    instant_field,
    json_object,
    now,
    record_change,
)
from mocks.model import LabTest
from mocks.names import DISTRICTS_BY_CODE, LABS_PCR, health_station
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
    """The lab results service's sub-app, with its change feed and `/_admin/observations`."""
    reference = ctx.dataset.reference
    tests: LiveRecords[LabTest] = LiveRecords(ctx.dataset.tests)
    log = ChangeLog()

    async def add_observation(request: Request) -> Response:
        """Development only: a new result arrives (e.g. a worker's positive test)."""
        body = await json_object(request)
        person = ctx.dataset.persons.get(str(body.get("personId")))
        kind = body.get("kind", "PCR")
        if person is None or kind not in ("PCR", "ANTIGEN"):
            raise BadRequest("personId must name a person and kind be PCR or ANTIGEN.")
        if not isinstance(body.get("positive"), bool):
            raise BadRequest("positive must be true or false.")
        sampled = instant_field(body, "sampledAt", now()) or now()
        district = DISTRICTS_BY_CODE[person.district]
        lab = LABS_PCR[0] if kind == "PCR" else health_station(district, person.ward)
        test_id = f"obs-{person.id}-{len(tests.get(person.id)) + 1}"
        test = LabTest(test_id, person.id, kind, sampled, body["positive"], lab)
        tests.add(person.id, test)
        record_change(log, person.id, "Observation", test_id, now())
        return FHIRResponse(observation(test, reference), status_code=201)

    routes = [
        *resource_routes("Observation", tests, lambda test: observation(test, reference)),
        changes_route(log),
        Route("/_admin/observations", add_observation, methods=["POST"]),
    ]
    return service_app(ctx, routes, SPEC, fhir=True)
