"""The national population register: people by id, by batch of ids, or by phone."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mocks.common import BadRequest, ORJSONResponse, check_ids, error_json, json_ids, note_ids
from mocks.live import json_object
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


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _lookup(
    wanted: dict[str, list[str]],
    by_national_id: dict[str, Person],
    by_phone: dict[str, list[Person]],
) -> dict[str, object]:
    """Everyone a national id or a phone names (a phone may name several), and what named no one."""
    found: dict[str, Person] = {}
    missing: dict[str, list[str]] = {"nationalIds": [], "phones": []}
    for national_id in dict.fromkeys(wanted["nationalIds"]):
        if (person := by_national_id.get(national_id)) is not None:
            found[person.id] = person
        else:
            missing["nationalIds"].append(national_id)
    for phone in dict.fromkeys(wanted["phones"]):
        matches = by_phone.get(phone, [])
        found.update((p.id, p) for p in matches)
        if not matches:
            missing["phones"].append(phone)
    return {"persons": [person_json(p) for p in found.values()], "notFound": missing}


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

    by_national_id = {p.national_id: p for p in persons.values()}

    async def lookup(request: Request) -> Response:
        """Many people by national id and by phone at once (an employer's list, say)."""
        body = await json_object(request)
        wanted = {key: body.get(key, []) for key in ("nationalIds", "phones")}
        if not all(_strings(value) for value in wanted.values()):
            raise BadRequest('The body must be {"nationalIds": [string], "phones": [string]}.')
        check_ids(request, [*wanted["nationalIds"], *wanted["phones"]])
        return ORJSONResponse(_lookup(wanted, by_national_id, by_phone))

    routes = [
        Route("/persons", by_phone_number, methods=["GET"]),
        Route("/persons/batch", batch, methods=["POST"]),
        Route("/persons/lookup", lookup, methods=["POST"]),
        Route("/persons/{id}", get_person, methods=["GET"]),
    ]
    return service_app(ctx, routes, SPEC)
