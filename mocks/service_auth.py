"""The national services' check of the bearer token the IdP issued by client credentials."""

from __future__ import annotations

import time
from collections.abc import Callable

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey
from starlette.types import ASGIApp, Receive, Scope, Send

from mocks.knobs import route_path

SERVICE_AUDIENCE = "national-services"
_CACHE_LIMIT = 1024
_UNAUTHORIZED_HEADERS = [
    (b"content-type", b"application/json"),
    (b"www-authenticate", b'Bearer error="invalid_token"'),
]
_UNAUTHORIZED_BODY = b'{"error":"invalid_token"}'


class ServiceTokenVerifier:
    """Verifies ES256 service tokens (signature, issuer, `aud`, `exp`), caching good ones."""

    def __init__(
        self, key: ECKey, issuer: str, clock: Callable[[], float] = time.time
    ) -> None:
        self._key = ECKey.import_key(key.as_dict(private=False))
        self._registry = jwt.JWTClaimsRegistry(
            now=lambda: int(clock()),
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": SERVICE_AUDIENCE},
            exp={"essential": True},
        )
        self._clock = clock
        # token -> exp: a gateway reuses one token for an hour, so verify it once.
        self._verified: dict[str, float] = {}

    def verify(self, token: str) -> bool:
        """Whether `token` is a valid, unexpired service token of this IdP."""
        now = self._clock()
        expires = self._verified.get(token)
        if expires is not None:
            return now < expires
        try:
            claims = jwt.decode(token, self._key, algorithms=["ES256"]).claims
            self._registry.validate(claims)
        except (JoseError, ValueError):
            return False
        if len(self._verified) >= _CACHE_LIMIT:
            self._verified = {t: e for t, e in self._verified.items() if e > now}
            if len(self._verified) >= _CACHE_LIMIT:
                self._verified.clear()
        self._verified[token] = float(claims["exp"])
        return True


class ServiceAuthMiddleware:
    """Answers 401 `{"error": "invalid_token"}` unless a valid service token is presented.

    `/openapi.json`, `/healthz` and `/_admin/*` stay open.
    """

    def __init__(self, app: ASGIApp, verifier: ServiceTokenVerifier) -> None:
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._open(route_path(scope)) or self._authorized(scope):
            await self.app(scope, receive, send)
            return
        headers = [*_UNAUTHORIZED_HEADERS, (b"content-length", b"%d" % len(_UNAUTHORIZED_BODY))]
        await send({"type": "http.response.start", "status": 401, "headers": headers})
        await send({"type": "http.response.body", "body": _UNAUTHORIZED_BODY})

    @staticmethod
    def _open(path: str) -> bool:
        return path in ("/openapi.json", "/healthz") or path.startswith("/_admin/")

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                return scheme.lower() == "bearer" and self.verifier.verify(token.strip())
        return False
