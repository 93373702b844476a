"""The QR registry mock: one active QR per person, re-issue revokes, SMS codes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

jsonschema = pytest.importorskip("jsonschema")


async def _valid(
    client: httpx.AsyncClient, path: str, method: str, response: httpx.Response
) -> None:
    spec = (await client.get("/qr/openapi.json")).json()
    media = spec["paths"][path][method]["responses"][str(response.status_code)]["content"]
    schema = {**media["application/json"]["schema"], "components": spec["components"]}
    jsonschema.Draft202012Validator(schema).validate(response.json())


async def ensure(client: httpx.AsyncClient, auth: dict[str, str], *ids: str) -> httpx.Response:
    return await client.post("/qr/codes/ensure", json={"personIds": list(ids)}, headers=auth)


async def test_ensure_issues_once_and_then_answers_the_same_qr(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    first = await ensure(client, auth, "P0000001", "P9999999")
    again = await ensure(client, auth, "P0000001")

    assert first.status_code == 200
    await _valid(client, "/codes/ensure", "post", first)
    [code] = first.json()["codes"]
    assert (code["personId"], code["status"], code["revokedAt"]) == ("P0000001", "active", None)
    assert len(code["qrId"]) == 16 and "P0000001" not in code["qrId"]
    assert first.json()["notFound"] == ["P9999999"]
    assert again.json()["codes"] == [code]


async def test_reissue_revokes_the_previous_qr(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    old = (await ensure(client, auth, "P0000002")).json()["codes"][0]

    reissued = await client.post("/qr/codes/reissue", json={"personId": "P0000002"}, headers=auth)
    looked_up = await client.get(f"/qr/codes/{old['qrId']}", headers=auth)

    assert reissued.status_code == 201
    await _valid(client, "/codes/reissue", "post", reissued)
    body = reissued.json()
    assert body["revoked"]["qrId"] == old["qrId"] and body["revoked"]["status"] == "revoked"
    assert body["issued"]["qrId"] != old["qrId"] and body["issued"]["status"] == "active"
    await _valid(client, "/codes/{qrId}", "get", looked_up)
    assert looked_up.json()["status"] == "revoked"
    assert (await ensure(client, auth, "P0000002")).json()["codes"] == [body["issued"]]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("get", "/qr/codes/nope", None, 404),
        ("post", "/qr/codes/reissue", {"personId": "P9999999"}, 404),
        ("post", "/qr/codes/reissue", {"person": "P0000001"}, 400),
        ("post", "/qr/sms-codes", {"personId": "P9999999"}, 404),
        ("get", "/qr/sms-codes/AAAAAAAAAA", None, 404),
    ],
    ids=["unknown qr", "reissue unknown", "reissue bad body", "sms unknown", "unknown code"],
)
async def test_errors(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    method: str,
    path: str,
    body: Any,
    status: int,
) -> None:
    response = await client.request(method, path, json=body, headers=auth)

    assert response.status_code == status
    assert response.json()["error"] == ("not_found" if status == 404 else "invalid_request")


async def test_sms_codes_resolve_and_a_new_one_revokes_the_old(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    first = await client.post("/qr/sms-codes", json={"personId": "P0000003"}, headers=auth)
    second = await client.post("/qr/sms-codes", json={"personId": "P0000003"}, headers=auth)

    await _valid(client, "/sms-codes", "post", first)
    old = await client.get(f"/qr/sms-codes/{first.json()['code']}", headers=auth)
    new = await client.get(f"/qr/sms-codes/{second.json()['code']}", headers=auth)
    await _valid(client, "/sms-codes/{code}", "get", new)
    assert (old.json()["status"], new.json()["status"]) == ("revoked", "active")
    assert new.json()["personId"] == "P0000003"


async def test_the_registry_needs_a_service_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/qr/codes/anything")

    assert (response.status_code, response.json()) == (401, {"error": "invalid_token"})
