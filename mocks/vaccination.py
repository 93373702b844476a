"""The national vaccination registry: FHIR R4 `Immunization` resources, searched by patient."""

from __future__ import annotations

from starlette.applications import Starlette

from mocks.fhir import Resource, resource_routes
from mocks.model import Dose
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
    """The vaccination registry's sub-app."""
    routes = resource_routes("Immunization", ctx.dataset.doses, immunization)
    return service_app(ctx, routes, SPEC, fhir=True)
