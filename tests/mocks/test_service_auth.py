"""National services answer only to a valid service token of the mock IdP."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from joserfc.jwk import ECKey

from mocks.idp import issue_service_token, issue_user_token
from mocks.keys import load_signing_key
from mocks.service_auth import ServiceTokenVerifier
from mocks.settings import MockSettings
from tests.mocks.support import service_token

PROTECTED = [
    "/identity/persons/P0000001",
    "/vaccination/fhir/Immunization?patient=Patient/P0000001",
    "/lab/fhir/Observation?patient=Patient/P0000001",
    "/f0/cases?personId=P0000001",
]


@pytest.mark.parametrize("path", PROTECTED)
async def test_no_token_is_401(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token"}
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", PROTECTED)
async def test_client_credentials_token_is_200(client: httpx.AsyncClient, path: str) -> None:
    headers = {"Authorization": f"Bearer {await service_token(client)}"}
    assert (await client.get(path, headers=headers)).status_code == 200


def _bad_tokens(settings: MockSettings, tmp_path: Path) -> dict[str, str]:
    key = load_signing_key(settings.idp_key_file)
    foreign = load_signing_key(tmp_path / "other.json")
    long_ago = int(time.time()) - 7200
    return {
        "garbage": "not-a-jwt",
        "user token": issue_user_token("citizen", person_id="P0000001", settings=settings),
        "expired": issue_service_token("healthpass-gateway", key, settings.issuer, now=long_ago),
        "foreign key": issue_service_token("healthpass-gateway", foreign, settings.issuer),
        "foreign issuer": issue_service_token("healthpass-gateway", key, "http://elsewhere/idp"),
    }


@pytest.mark.parametrize(
    "label", ["garbage", "user token", "expired", "foreign key", "foreign issuer"]
)
async def test_bad_tokens_are_401(
    client: httpx.AsyncClient, settings: MockSettings, tmp_path: Path, label: str
) -> None:
    headers = {"Authorization": f"Bearer {_bad_tokens(settings, tmp_path)[label]}"}
    response = await client.get("/identity/persons/P0000001", headers=headers)
    assert (response.status_code, response.json()) == (401, {"error": "invalid_token"})


@pytest.mark.parametrize("path", ["/openapi.json", "/healthz", "/_admin/faults", "/_admin/stats"])
async def test_tooling_endpoints_need_no_token(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(f"/identity{path}")).status_code == 200


def test_a_verified_token_is_cached_until_it_expires(settings: MockSettings) -> None:
    key: ECKey = load_signing_key(settings.idp_key_file)
    now = [1_000_000.0]
    verifier = ServiceTokenVerifier(key, settings.issuer, clock=lambda: now[0])
    token = issue_service_token("healthpass-gateway", key, settings.issuer, now=1_000_000)
    assert verifier.verify(token)
    now[0] += 3599
    assert verifier.verify(token)
    now[0] += 1
    assert not verifier.verify(token)
