"""Every service describes itself with a valid OpenAPI 3.1 document matching its routes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from mocks.app import SERVICES, create_app
from mocks.settings import DEV_GATEWAY_CLIENT_SECRET, GATEWAY_CLIENT_ID, MockSettings

# Test-only dependencies (openapi-spec-validator brings jsonschema along).
openapi_spec_validator = pytest.importorskip("openapi_spec_validator")
jsonschema = pytest.importorskip("jsonschema")


async def _spec(client: httpx.AsyncClient, service: str) -> dict[str, Any]:
    response = await client.get(f"/{service}/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("service", list(SERVICES))
async def test_document_is_valid_openapi_3_1(client: httpx.AsyncClient, service: str) -> None:
    spec = await _spec(client, service)
    openapi_spec_validator.validate(spec)
    assert spec["openapi"] == "3.1.0"
    assert spec["servers"] == [{"url": f"/{service}"}]


def _served(app: Starlette, service: str) -> set[tuple[str, str]]:
    mount = next(r for r in app.routes if isinstance(r, Mount) and r.path == f"/{service}")
    served: set[tuple[str, str]] = set()
    for route in mount.routes:
        if isinstance(route, Route) and not route.path.startswith(("/_admin", "/openapi")):
            served.update((route.path, m.lower()) for m in route.methods or () if m != "HEAD")
    return served


@pytest.mark.parametrize("service", list(SERVICES))
async def test_document_lists_exactly_the_served_operations(
    client: httpx.AsyncClient, settings: MockSettings, service: str
) -> None:
    spec = await _spec(client, service)
    documented = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert documented == _served(create_app(settings), service)
    operation_ids = [op["operationId"] for item in spec["paths"].values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))


def _validator(spec: dict[str, Any], path: str, method: str, status: int, media: str) -> Any:
    documented = spec["paths"][path][method]["responses"][str(status)]["content"][media]["schema"]
    # "#/components/..." references resolve against the root: give the schema the spec's components.
    return jsonschema.Draft202012Validator({**documented, "components": spec["components"]})


GOOD_BASIC = (GATEWAY_CLIENT_ID, DEV_GATEWAY_CLIENT_SECRET)
MANY = {"ids": [f"P{i:07d}" for i in range(1001)]}
# (label, service, documented path, method, request path, request options, expected status)
SAMPLES: list[tuple[str, str, str, str, str, dict[str, Any], int]] = [
    ("person", "identity", "/persons/{id}", "get", "/persons/P0000001", {}, 200),
    ("no person", "identity", "/persons/{id}", "get", "/persons/nobody", {}, 404),
    (
        "batch",
        "identity",
        "/persons/batch",
        "post",
        "/persons/batch",
        {"json": {"ids": ["P0000001", "x"]}},
        200,
    ),
    ("big batch", "identity", "/persons/batch", "post", "/persons/batch", {"json": MANY}, 400),
    ("by phone", "identity", "/persons", "get", "/persons", {"params": {"phone": "0"}}, 200),
    (
        "doses",
        "vaccination",
        "/fhir/Immunization",
        "get",
        "/fhir/Immunization",
        {"params": {"patient": "Patient/P0000008,Patient/P0000002"}},
        200,
    ),
    (
        "dose search",
        "vaccination",
        "/fhir/Immunization/_search",
        "post",
        "/fhir/Immunization/_search",
        {"data": {"patient": "Patient/P0000011"}},
        200,
    ),
    (
        "one dose",
        "vaccination",
        "/fhir/Immunization/{id}",
        "get",
        "/fhir/Immunization/imm-P0000001-1",
        {},
        200,
    ),
    ("no dose", "vaccination", "/fhir/Immunization/{id}", "get", "/fhir/Immunization/x", {}, 404),
    ("no patient", "vaccination", "/fhir/Immunization", "get", "/fhir/Immunization", {}, 400),
    (
        "tests",
        "lab",
        "/fhir/Observation",
        "get",
        "/fhir/Observation",
        {"params": {"patient": "P0000017,P0000022"}},
        200,
    ),
    (
        "test search",
        "lab",
        "/fhir/Observation/_search",
        "post",
        "/fhir/Observation/_search",
        {"data": {"patient": "Patient/P0000018"}},
        200,
    ),
    ("cases", "f0", "/cases", "get", "/cases", {"params": {"personId": "P0000012"}}, 200),
    (
        "case search",
        "f0",
        "/cases/search",
        "post",
        "/cases/search",
        {"json": {"personIds": ["P0000017", "P0000020"]}},
        200,
    ),
    ("jwks", "idp", "/.well-known/jwks.json", "get", "/.well-known/jwks.json", {}, 200),
    (
        "discovery",
        "idp",
        "/.well-known/openid-configuration",
        "get",
        "/.well-known/openid-configuration",
        {},
        200,
    ),
    (
        "token",
        "idp",
        "/oauth/token",
        "post",
        "/oauth/token",
        {"data": {"grant_type": "client_credentials"}, "auth": GOOD_BASIC},
        200,
    ),
    (
        "bad client",
        "idp",
        "/oauth/token",
        "post",
        "/oauth/token",
        {"data": {"grant_type": "client_credentials"}},
        401,
    ),
    ("health", "sms", "/healthz", "get", "/healthz", {}, 200),
]


@pytest.mark.parametrize(
    ("service", "path", "method", "url", "options", "status"),
    [s[1:] for s in SAMPLES],
    ids=[s[0] for s in SAMPLES],
)
async def test_answers_match_their_documented_schema(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    service: str,
    path: str,
    method: str,
    url: str,
    options: dict[str, Any],
    status: int,
) -> None:
    spec = await _spec(client, service)
    headers = {} if "auth" in options or service == "idp" else auth
    response = await client.request(method, f"/{service}{url}", headers=headers, **options)
    assert response.status_code == status, response.text
    media = response.headers["content-type"].split(";")[0]
    _validator(spec, path, method, status, media).validate(response.json())


async def test_unauthenticated_answer_matches_the_documented_error(
    client: httpx.AsyncClient,
) -> None:
    spec = await _spec(client, "lab")
    response = await client.get("/lab/fhir/Observation?patient=P0000001")
    assert response.status_code == 401
    validator = _validator(spec, "/fhir/Observation", "get", 401, "application/json")
    validator.validate(response.json())
