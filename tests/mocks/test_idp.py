"""The mock IdP: signing key file, JWKS, client credentials, user tokens per role."""

from __future__ import annotations

import base64
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from mocks.idp import TokenRequestError, issue_user_token
from mocks.keys import load_signing_key
from mocks.settings import DEV_GATEWAY_CLIENT_SECRET, GATEWAY_CLIENT_ID, MockSettings

TOKEN_URL = "/idp/oauth/token"
GRANT = {"grant_type": "client_credentials"}


async def _jwks(client: httpx.AsyncClient) -> KeySet:
    response = await client.get("/idp/.well-known/jwks.json")
    assert response.status_code == 200
    return KeySet.import_key_set(response.json())


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "key.json"
    first = load_signing_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_signing_key(path).kid == first.kid == first.thumbprint()
    assert [p.name for p in path.parent.iterdir()] == ["key.json"]  # no temporary file left


async def test_jwks_publishes_only_the_public_key(client: httpx.AsyncClient) -> None:
    body = (await client.get("/idp/.well-known/jwks.json")).json()
    [key] = body["keys"]
    assert {key["kty"], key["crv"], key["alg"], key["use"]} == {"EC", "P-256", "ES256", "sig"}
    assert "d" not in key
    assert key["kid"]


@pytest.mark.parametrize("auth_method", ["basic", "form"])
async def test_client_credentials_issue_a_service_token(
    client: httpx.AsyncClient, settings: MockSettings, auth_method: str
) -> None:
    if auth_method == "basic":
        response = await client.post(
            TOKEN_URL, data=GRANT, auth=(GATEWAY_CLIENT_ID, DEV_GATEWAY_CLIENT_SECRET)
        )
    else:
        form = {**GRANT, "client_id": GATEWAY_CLIENT_ID, "client_secret": DEV_GATEWAY_CLIENT_SECRET}
        response = await client.post(TOKEN_URL, data=form)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    claims = jwt.decode(body["access_token"], await _jwks(client), algorithms=["ES256"]).claims
    assert claims["aud"] == "national-services"
    assert claims["sub"] == GATEWAY_CLIENT_ID
    assert claims["iss"] == settings.issuer
    assert claims["exp"] - claims["iat"] == 3600


@pytest.mark.parametrize(
    ("label", "user", "password"),
    [
        ("wrong secret", GATEWAY_CLIENT_ID, "guess"),
        ("unknown client", "someone-else", DEV_GATEWAY_CLIENT_SECRET),
    ],
)
async def test_wrong_client_is_rejected(
    client: httpx.AsyncClient, label: str, user: str, password: str
) -> None:
    response = await client.post(TOKEN_URL, data=GRANT, auth=(user, password))
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


async def test_no_client_authentication_is_rejected(client: httpx.AsyncClient) -> None:
    response = await client.post(TOKEN_URL, data=GRANT)
    assert (response.status_code, response.json()) == (401, {"error": "invalid_client"})
    garbled = {"Authorization": "Basic !!!"}
    response = await client.post(TOKEN_URL, data=GRANT, headers=garbled)
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("form", "error"),
    [({"grant_type": "password"}, "unsupported_grant_type"), ({}, "invalid_request")],
)
async def test_other_grants_are_rejected(
    client: httpx.AsyncClient, form: dict[str, str], error: str
) -> None:
    basic = base64.b64encode(f"{GATEWAY_CLIENT_ID}:{DEV_GATEWAY_CLIENT_SECRET}".encode()).decode()
    response = await client.post(TOKEN_URL, data=form, headers={"Authorization": f"Basic {basic}"})
    assert (response.status_code, response.json()) == (400, {"error": error})


async def test_discovery_names_the_endpoints(
    client: httpx.AsyncClient, settings: MockSettings
) -> None:
    body = (await client.get("/idp/.well-known/openid-configuration")).json()
    assert body["issuer"] == settings.issuer
    assert body["jwks_uri"] == f"{settings.issuer}/.well-known/jwks.json"
    assert body["token_endpoint"] == f"{settings.issuer}/oauth/token"


ROLE_CASES: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    ("citizen", {"person_id": "P0000001"}, {"sub": "P0000001", "person_id": "P0000001"}),
    ("checkpoint", {"district": "778"}, {"sub": "CP-778-001", "district": "778"}),
    ("employer", {"employer_id": "E0001"}, {"sub": "E0001-HR-01", "employer_id": "E0001"}),
    ("health_officer", {"district": "760"}, {"sub": "HO-760-001", "district": "760"}),
    ("district_admin", {"district": "787"}, {"sub": "DA-787-001", "district": "787"}),
]


@pytest.mark.parametrize(("role", "given", "expected"), ROLE_CASES, ids=[c[0] for c in ROLE_CASES])
async def test_user_tokens_carry_the_contract_claims(
    client: httpx.AsyncClient,
    settings: MockSettings,
    role: str,
    given: dict[str, Any],
    expected: dict[str, str],
) -> None:
    token = issue_user_token(role, **given, settings=settings, now=1_634_265_000)
    decoded = jwt.decode(token, await _jwks(client), algorithms=["ES256"])
    assert decoded.header["kid"] == load_signing_key(settings.idp_key_file).kid
    assert decoded.claims == {
        "iss": settings.issuer,
        "aud": "healthpass-gateway",
        "iat": 1_634_265_000,
        "exp": 1_634_268_600,
        "role": role,
        **expected,
    }


def test_explicit_subject_and_lifetime(settings: MockSettings) -> None:
    token = issue_user_token(
        "checkpoint", district="778", sub="CP-778-042", ttl=60, settings=settings, now=1000
    )
    claims = jwt.decode(token, load_signing_key(settings.idp_key_file)).claims
    assert (claims["sub"], claims["exp"]) == ("CP-778-042", 1060)


@pytest.mark.parametrize(
    ("role", "given", "message"),
    [
        ("citizen", {}, "needs --person"),
        ("checkpoint", {"person_id": "P0000001"}, "needs --district"),
        ("employer", {"employer_id": "E1", "district": "778"}, "takes no --district"),
        ("CITIZEN", {"person_id": "P0000001"}, "Unknown role"),
        ("citizen", {"person_id": "P0000001", "ttl": 0}, "positive"),
    ],
)
def test_user_token_requests_that_make_no_sense_are_refused(
    settings: MockSettings, role: str, given: dict[str, Any], message: str
) -> None:
    with pytest.raises(TokenRequestError, match=message):
        issue_user_token(role, **given, settings=settings)
