"""Bearer tokens: only unexpired ES256 tokens of our IdP, for our audience (CONTRACT.md §3)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from mocks.settings import MockSettings
from tests.support import gql

QUERY = "{ me { id } }"
PERSON = "P0000001"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segments(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"


def _idp_key(settings: MockSettings) -> ECKey:
    return ECKey.import_key(json.loads(settings.idp_key_file.read_text()))


def _claims(settings: MockSettings, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": settings.issuer,
        "aud": "healthpass-gateway",
        "iat": now,
        "exp": now + 600,
        "sub": PERSON,
        "role": "citizen",
        "person_id": PERSON,
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def _signed(settings: MockSettings, **overrides: Any) -> str:
    key = _idp_key(settings)
    return jwt.encode({"alg": "ES256", "kid": key.kid}, _claims(settings, **overrides), key)


def _alg_none(settings: MockSettings) -> str:
    return _segments({"alg": "none", "typ": "JWT"}, _claims(settings)) + "."


def _hs256_with_public_key(settings: MockSettings) -> str:
    key = _idp_key(settings)
    public = json.dumps(key.as_dict(private=False)).encode()
    signing_input = _segments({"alg": "HS256", "kid": key.kid}, _claims(settings))
    signature = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _unknown_kid(settings: MockSettings) -> str:
    foreign = ECKey.generate_key("P-256", private=True)
    return jwt.encode({"alg": "ES256", "kid": "not-a-known-kid"}, _claims(settings), foreign)


def _foreign_key_known_kid(settings: MockSettings) -> str:
    foreign = ECKey.generate_key("P-256", private=True)
    kid = _idp_key(settings).kid
    return jwt.encode({"alg": "ES256", "kid": kid}, _claims(settings), foreign)


def _tampered(settings: MockSettings) -> str:
    header, _, signature = _signed(settings).split(".")
    forged_claims = _b64(
        json.dumps(_claims(settings, person_id="P0000002", sub="P0000002")).encode()
    )
    return f"{header}.{forged_claims}.{signature}"


BAD_TOKENS: dict[str, Callable[[MockSettings], str]] = {
    "alg none": _alg_none,
    "HS256 signed with the public key": _hs256_with_public_key,
    "expired": lambda s: _signed(s, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600),
    "wrong issuer": lambda s: _signed(s, iss="https://evil.example/idp"),
    "wrong audience": lambda s: _signed(s, aud="another-service"),
    "service token audience": lambda s: _signed(s, aud="national-services"),
    "unknown kid": _unknown_kid,
    "foreign key under a known kid": _foreign_key_known_kid,
    "tampered claims": _tampered,
    "unknown role": lambda s: _signed(s, role="superuser"),
    "citizen without person_id": lambda s: _signed(s, person_id=None),
    "no expiry": lambda s: _signed(s, exp=None),
    "garbage": lambda s: "not.a.jwt",
}


@pytest.fixture(scope="module", autouse=True)
def _key_exists(token: Callable[..., str]) -> None:
    token("citizen", person_id=PERSON)  # creates the IdP's development key on first use


@pytest.mark.parametrize("case", list(BAD_TOKENS), ids=list(BAD_TOKENS))
async def test_bad_token_is_refused_with_401(
    client: httpx.AsyncClient, mock_settings: MockSettings, case: str
) -> None:
    status, body = await gql(client, QUERY, token=BAD_TOKENS[case](mock_settings))

    assert status == 401
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}],
    ids=["no header", "basic scheme", "empty bearer"],
)
async def test_missing_or_malformed_header_is_refused(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.post("/graphql", json={"query": QUERY}, headers=headers)

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_valid_token_is_accepted(
    client: httpx.AsyncClient, mock_settings: MockSettings
) -> None:
    status, body = await gql(client, QUERY, token=_signed(mock_settings))

    assert status == 200
    assert body == {"data": {"me": {"id": PERSON}}}


async def test_error_messages_carry_no_internals(
    client: httpx.AsyncClient, mock_settings: MockSettings
) -> None:
    _, body = await gql(client, QUERY, token=_unknown_kid(mock_settings))

    message = body["errors"][0]["message"]
    assert "http" not in message and "Traceback" not in message and "kid" not in message


async def test_a_browser_gets_graphiql_without_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_a_get_query_still_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql", params={"query": "{ me { id } }"}, headers={"Accept": "text/html"}
    )

    assert response.status_code == 401
