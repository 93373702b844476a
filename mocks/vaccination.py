"""The national vaccination registry: FHIR R4 `Immunization` resources, searched by patient."""

from __future__ import annotations

from datetime import date

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mocks.common import BadRequest, FHIRResponse
from mocks.fhir import Resource, resource_routes
from mocks.live import ChangeLog, LiveRecords, changes_route, json_object, now, record_change
from mocks.model import PRODUCTS, Dose
from mocks.names import DISTRICTS_BY_CODE, health_station
from mocks.service import ServiceContext, service_app
from mocks.specs.vaccination import SPEC

CVX = "http://hl7.org/fhir/sid/cvx"
EU_PRODUCTS = "https://ec.europa.eu/health/documents/community-register/html/"
SNOMED = "http://snomed.info/sct"
COVID_19 = {"system": SNOMED, "code": "840539006", "display": "COVID-19"}


def immunization(dose: Dose) -> Resource:
    """A dose as a FHIR Immunization; the date is the local date in Asia/Ho_Chi_Minh."""
    product = dose.product
    cvx_display = "non-US product unknown" if product.cvx == "500" else product.name
    return {
        "resourceType": "Immunization",
        "id": dose.id,
        "status": "completed",
        "vaccineCode": {
            "coding": [
                {"system": CVX, "code": product.cvx, "display": cvx_display},
                {"system": EU_PRODUCTS, "code": product.eu_code, "display": product.name},
            ],
            "text": product.name,
        },
        "patient": {"reference": f"Patient/{dose.person_id}"},
        "occurrenceDateTime": dose.on.isoformat(),
        "lotNumber": dose.lot,
        "manufacturer": {"display": product.manufacturer},
        "performer": [{"actor": {"display": dose.site}}],
        "protocolApplied": [
            {"targetDisease": [{"coding": [COVID_19]}], "doseNumberPositiveInt": dose.dose_number}
        ],
    }


def create_app(ctx: ServiceContext) -> Starlette:
    """The vaccination registry's sub-app, with its change feed and `/_admin/immunizations`."""
    doses: LiveRecords[Dose] = LiveRecords(ctx.dataset.doses)
    log = ChangeLog()

    async def add_immunization(request: Request) -> Response:
        """Development only: a dose is given (on a local date, today by default)."""
        body = await json_object(request)
        person = ctx.dataset.persons.get(str(body.get("personId")))
        product = PRODUCTS.get(str(body.get("product")))
        if person is None or product is None:
            raise BadRequest(f"personId must name a person and product be one of {list(PRODUCTS)}.")
        try:
            on = date.fromisoformat(str(body["date"])) if "date" in body else now().date()
        except ValueError:
            raise BadRequest("date must be a YYYY-MM-DD date.") from None
        number = len(doses.get(person.id)) + 1
        site = health_station(DISTRICTS_BY_CODE[person.district], person.ward)
        dose = Dose(f"imm-{person.id}-{number}", person.id, product, on, number, "LIVE", site)
        doses.add(person.id, dose)
        record_change(log, person.id, "Immunization", dose.id, now())
        return FHIRResponse(immunization(dose), status_code=201)

    routes = [
        *resource_routes("Immunization", doses, immunization),
        changes_route(log),
        Route("/_admin/immunizations", add_immunization, methods=["POST"]),
    ]
    return service_app(ctx, routes, SPEC, fhir=True)
