"""The national population register: people by id, by batch of ids, or by phone."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mocks.common import ORJSONResponse, error_json, json_ids, note_ids
from mocks.model import Person
from mocks.service import ServiceContext, service_app
from mocks.specs.identity import SPEC


def person_json(person: Person) -> dict[str, str]:
    """The register's person object."""
    return {
        "id": person.id,
        "fullName": person.full_name,
        "dateOfBirth": person.date_of_birth.isoformat(),
        "gender": person.gender,
        "nationalId": person.national_id,
        "phone": person.phone,
        "district": person.district,
        "districtName": person.district_name,
        "ward": person.ward,
        "address": person.address,
    }


def create_app(ctx: ServiceContext) -> Starlette:
    """The population register's sub-app."""
    persons = ctx.dataset.persons
    by_phone = ctx.dataset.by_phone

    async def get_person(request: Request) -> Response:
        note_ids(request, 1)
        person = persons.get(request.path_params["id"])
        if person is None:
            return error_json(404, "not_found")
        return ORJSONResponse(person_json(person))

    async def batch(request: Request) -> Response:
        ids = await json_ids(request, "ids")
        found = [persons[i] for i in ids if i in persons]
        missing = [i for i in ids if i not in persons]
        return ORJSONResponse({"persons": [person_json(p) for p in found], "notFound": missing})

    async def by_phone_number(request: Request) -> Response:
        phone = request.query_params.get("phone", "").strip()
        if not phone:
            return error_json(400, "invalid_request", "The phone parameter is required.")
        return ORJSONResponse({"persons": [person_json(p) for p in by_phone.get(phone, [])]})

    routes = [
        Route("/persons", by_phone_number, methods=["GET"]),
        Route("/persons/batch", batch, methods=["POST"]),
        Route("/persons/{id}", get_person, methods=["GET"]),
    ]
    return service_app(ctx, routes, SPEC)
