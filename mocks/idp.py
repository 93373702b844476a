"""The mock identity provider: JWKS, OAuth2 client credentials, and user tokens for the CLI.

User tokens carry the claims of CONTRACT.md §3 (audience `healthpass-gateway`); service tokens
(audience `national-services`) are what the gateway presents to the national services.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from joserfc import jwt
from joserfc.jwk import ECKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mocks.common import ORJSONResponse
from mocks.keys import ALGORITHM, load_signing_key, public_jwk
from mocks.service import ServiceContext, service_app
from mocks.service_auth import SERVICE_AUDIENCE
from mocks.settings import GATEWAY_CLIENT_ID, MockSettings
from mocks.specs.idp import SPEC

USER_AUDIENCE = "healthpass-gateway"
SERVICE_TOKEN_TTL = 3600
# The one claim each role needs, its CLI option, and the default `sub` built from it.
ROLE_CLAIMS = {
    "citizen": ("person_id", "--person", "{}"),
    "checkpoint": ("district", "--district", "CP-{}-001"),
    "employer": ("employer_id", "--employer", "{}-HR-01"),
    "health_officer": ("district", "--district", "HO-{}-001"),
    "district_admin": ("district", "--district", "DA-{}-001"),
}
_OPTIONS = {"person_id": "--person", "district": "--district", "employer_id": "--employer"}


class TokenRequestError(ValueError):
    """A user token cannot be issued as asked (unknown role, missing or foreign claim)."""


def sign(claims: dict[str, Any], key: ECKey) -> str:
    """An ES256 JWT of `claims` with the key's `kid` in the header."""
    return jwt.encode({"alg": ALGORITHM, "kid": key.kid}, claims, key, algorithms=[ALGORITHM])


def user_claims(
    role: str, values: dict[str, str | None], *, ttl: int, sub: str | None, issuer: str, now: int
) -> dict[str, Any]:
    """The claims of a user token; `values` maps person_id/district/employer_id to a value."""
    if role not in ROLE_CLAIMS:
        raise TokenRequestError(f"Unknown role {role!r}; use one of {', '.join(ROLE_CLAIMS)}.")
    claim, option, default_sub = ROLE_CLAIMS[role]
    value = values.get(claim)
    if not value:
        raise TokenRequestError(f"A token for role {role} needs {option} (the {claim} claim).")
    foreign = [_OPTIONS[name] for name, v in values.items() if v and name != claim]
    if foreign:
        raise TokenRequestError(f"A token for role {role} takes no {' or '.join(foreign)}.")
    if ttl <= 0:
        raise TokenRequestError(f"The lifetime must be a positive number of seconds, not {ttl}.")
    return {
        "iss": issuer,
        "aud": USER_AUDIENCE,
        "iat": now,
        "exp": now + ttl,
        "sub": sub or default_sub.format(value),
        "role": role,
        claim: value,
    }


def issue_user_token(
    role: str,
    person_id: str | None = None,
    district: str | None = None,
    employer_id: str | None = None,
    ttl: int = 3600,
    sub: str | None = None,
    *,
    settings: MockSettings | None = None,
    key: ECKey | None = None,
    now: int | None = None,
) -> str:
    """A signed user token for `role`, as the gateway expects them (CONTRACT.md §3).

    Raises TokenRequestError when the role is unknown or its claim is missing. `now` (epoch
    seconds) lets tests mint already-expired tokens.
    """
    settings = settings or MockSettings.from_env()
    values = {"person_id": person_id, "district": district, "employer_id": employer_id}
    issued_at = int(time.time()) if now is None else now
    claims = user_claims(role, values, ttl=ttl, sub=sub, issuer=settings.issuer, now=issued_at)
    return sign(claims, key or load_signing_key(settings.idp_key_file))


def issue_service_token(client_id: str, key: ECKey, issuer: str, now: int | None = None) -> str:
    """A client-credentials access token for the national services."""
    issued_at = int(time.time()) if now is None else now
    claims = {
        "iss": issuer,
        "aud": SERVICE_AUDIENCE,
        "sub": client_id,
        "client_id": client_id,
        "iat": issued_at,
        "exp": issued_at + SERVICE_TOKEN_TTL,
        "jti": uuid.uuid4().hex,
    }
    return sign(claims, key)


def _client(request: Request, form: dict[str, str], clients: dict[str, str]) -> str | None:
    """The authenticated client id (HTTP Basic, else form fields), or None."""
    header = request.headers.get("authorization", "")
    if header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        raw_id, _, raw_secret = decoded.partition(":")
        client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
    else:
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    expected = clients.get(client_id)
    if expected is None or not hmac.compare_digest(secret.encode(), expected.encode()):
        return None
    return client_id


_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def create_app(ctx: ServiceContext) -> Starlette:
    """The IdP's sub-app: JWKS, discovery document and token endpoint."""
    settings, key = ctx.settings, ctx.key
    clients = {GATEWAY_CLIENT_ID: settings.gateway_client_secret}
    jwks = {"keys": [public_jwk(key)]}

    async def get_jwks(request: Request) -> Response:
        return ORJSONResponse(jwks)

    async def discovery(request: Request) -> Response:
        return ORJSONResponse({
            "issuer": settings.issuer,
            "jwks_uri": f"{settings.issuer}/.well-known/jwks.json",
            "token_endpoint": f"{settings.issuer}/oauth/token",
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "id_token_signing_alg_values_supported": [ALGORITHM],
        })

    async def token(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        client_id = _client(request, form, clients)
        if client_id is None:
            headers = {**_NO_STORE, "WWW-Authenticate": 'Basic realm="mock-idp"'}
            return ORJSONResponse({"error": "invalid_client"}, 401, headers=headers)
        grant = form.get("grant_type")
        if grant != "client_credentials":
            error = "invalid_request" if grant is None else "unsupported_grant_type"
            return ORJSONResponse({"error": error}, 400, headers=_NO_STORE)
        body = {
            "access_token": issue_service_token(client_id, key, settings.issuer),
            "token_type": "Bearer",
            "expires_in": SERVICE_TOKEN_TTL,
            "scope": form.get("scope") or SERVICE_AUDIENCE,
        }
        return ORJSONResponse(body, headers=_NO_STORE)

    routes = [
        Route("/.well-known/jwks.json", get_jwks, methods=["GET"]),
        Route("/.well-known/openid-configuration", discovery, methods=["GET"]),
        Route("/oauth/token", token, methods=["POST"]),
    ]
    return service_app(ctx, routes, SPEC, authenticated=False)
