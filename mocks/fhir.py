"""FHIR R4 plumbing shared by the vaccination and lab services: search by patient, Bundles."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mocks.common import BadRequest, FHIRResponse, check_ids, note_ids
from mocks.service import operation_outcome

R = TypeVar("R")
Resource = dict[str, Any]


def patient_ids(values: Iterable[str]) -> list[str]:
    """Person ids from `patient` values: comma-separated OR-lists of `Patient/{id}` (or `{id}`)."""
    ids: list[str] = []
    for value in values:
        ids.extend(part.strip().removeprefix("Patient/") for part in value.split(","))
    return [i for i in ids if i]


async def search_ids(request: Request) -> list[str]:
    """The patients a search asks for: query string, plus the form body of a POST `_search`."""
    values = request.query_params.getlist("patient")
    if request.method == "POST":
        form = parse_qsl((await request.body()).decode("utf-8", "replace"))
        values += [value for name, value in form if name == "patient"]
    ids = patient_ids(values)
    if not ids:
        raise BadRequest("A patient parameter (Patient/{id}, comma-separated) is required.")
    return check_ids(request, ids)


def _base_url(request: Request) -> str:
    # fullUrl must be absolute: the service's own base, whatever host it is reached by.
    return str(request.url.replace(path=f"{request.scope.get('root_path', '')}/fhir/", query=""))


def searchset(request: Request, resources: Sequence[Resource]) -> Resource:
    """A searchset Bundle holding `resources` as matches."""
    base = _base_url(request)
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "link": [{"relation": "self", "url": str(request.url)}],
        "entry": [
            {
                "fullUrl": f"{base}{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }


def resource_routes(
    resource_type: str,
    records: Mapping[str, Sequence[R]],
    to_fhir: Callable[[R], Resource],
) -> list[Route]:
    """Search (GET and POST `_search`) and read routes for one resource type.

    Resource ids are `<prefix>-<person id>-<n>`, so a read finds its person without an extra index.
    """

    async def search(request: Request) -> Response:
        ids = await search_ids(request)
        resources = [to_fhir(r) for pid in ids for r in records.get(pid, ())]
        return FHIRResponse(searchset(request, resources))

    async def read(request: Request) -> Response:
        resource_id = request.path_params["id"]
        note_ids(request, 1)
        parts = resource_id.split("-")
        person_id = parts[1] if len(parts) == 3 else ""
        for record in records.get(person_id, ()):
            resource = to_fhir(record)
            if resource["id"] == resource_id:
                return FHIRResponse(resource)
        return operation_outcome(404, "not-found", f"{resource_type}/{resource_id} is not known.")

    return [
        Route(f"/fhir/{resource_type}", search, methods=["GET"]),
        Route(f"/fhir/{resource_type}/_search", search, methods=["POST"]),
        Route(f"/fhir/{resource_type}/{{id}}", read, methods=["GET"]),
    ]
