"""The /graphql endpoint: admission (rate limits, token, body size), then Strawberry."""

from __future__ import annotations

import math
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from strawberry.asgi import GraphQL

from gateway.auth import Principal
from gateway.compiled_plans import CompiledPlans
from gateway.errors import Unauthenticated
from gateway.rate_limit import RateLimit, RateLimiter
from gateway.schema import GatewaySchema
from gateway.settings import Settings


class GraphQLEndpoint:
    """Admits a request, then hands it to Strawberry (a class, so starlette's Route sees ASGI).

    Admission, cheapest refusal first: a rate limit per client address (before any token work),
    the bearer token, a rate limit per token subject, and a body of at most `max_body_bytes`.
    """

    def __init__(self, app: Starlette, graphql: GraphQL[Any, None]) -> None:
        self._app = app
        self._graphql = graphql
        settings: Settings = app.state.settings
        self._settings = settings
        self._per_address = RateLimit(settings.rate_limit_per_address, window=60.0)
        self._per_subject = RateLimit(settings.rate_limit_per_subject, window=60.0)
        schema = graphql.schema  # `personStatus` documents answered by plans (compiled_plans.py)
        self._plans = (
            CompiledPlans(schema, settings)
            if settings.compiled_scan and isinstance(schema, GatewaySchema)
            else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._settings.production and scope["method"] == "GET":
            request = Request(scope, receive)
            if _wants_graphiql(request):
                await (await self._graphql.render_graphql_ide(request))(scope, receive, send)
                return
        # Each header read once, from the raw list (the first of a repeated name, as Starlette's
        # `Headers.get`): three reads through `Request.headers` cost 4 % of a warm scan.
        headers = dict(reversed(scope["headers"]))
        admitted = await self._admit(scope, receive, headers)
        if isinstance(admitted, Response):
            await admitted(scope, receive, send)
            return
        principal, body = admitted
        if self._plans is not None and scope["method"] == "POST" and _is_json(headers):
            idempotency_key = _text(headers.get(b"idempotency-key"))
            answer = await self._plans.answer(self._app.state, principal, idempotency_key, body)
            if answer is not None:
                await answer(scope, receive, send)
                return
        scope.setdefault("state", {})["principal"] = principal
        await self._graphql(scope, replay(body), send)

    async def _admit(
        self, scope: Scope, receive: Receive, headers: dict[bytes, bytes]
    ) -> tuple[Principal, bytes] | Response:
        limiter: RateLimiter = self._app.state.limiter
        client = scope.get("client")
        address = client[0] if client else "unknown"
        if (wait := await limiter.hit(f"address:{address}", self._per_address)) is not None:
            return rate_limited(wait)
        try:
            principal: Principal = await self._app.state.verifier.authenticate(
                _text(headers.get(b"authorization"))
            )
        except Unauthenticated as error:
            return unauthenticated(error)
        subject = f"subject:{principal.role.value}:{principal.subject}"
        if (wait := await limiter.hit(subject, self._per_subject)) is not None:
            return rate_limited(wait)
        body = await read_bounded(receive, self._settings.max_body_bytes)
        if body is None:
            return too_large(self._settings.max_body_bytes)
        return principal, body


def unauthenticated(error: Unauthenticated) -> Response:
    body = {"data": None, "errors": [{"message": error.message, "extensions": error.extensions}]}
    return Response(
        orjson.dumps(body),
        status_code=401,
        media_type="application/json",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


async def read_bounded(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None as soon as it grows past `limit` bytes."""
    body = bytearray()
    while True:
        message = await receive()
        body += message.get("body", b"")
        if len(body) > limit:
            return None
        if not message.get("more_body", False):
            return bytes(body)


def replay(body: bytes) -> Receive:
    """A `receive` that hands a body already read to the next ASGI app."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def rate_limited(retry_after: float) -> Response:
    seconds = max(math.ceil(retry_after), 1)
    error = {
        "message": f"Too many requests; try again in {seconds} s.",
        "extensions": {"code": "RATE_LIMITED", "retryAfter": seconds},
    }
    return Response(
        orjson.dumps({"data": None, "errors": [error]}),
        status_code=429,
        media_type="application/json",
        headers={"Retry-After": str(seconds)},
    )


def too_large(limit: int) -> Response:
    error = {
        "message": f"The request body exceeds {limit} bytes.",
        "extensions": {"code": "BAD_USER_INPUT", "field": "body"},
    }
    return Response(
        orjson.dumps({"data": None, "errors": [error]}),
        status_code=413,
        media_type="application/json",
    )


def _is_json(headers: dict[bytes, bytes]) -> bool:
    return headers.get(b"content-type", b"").partition(b";")[0].strip() == b"application/json"


def _text(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value is not None else None


def _wants_graphiql(request: Request) -> bool:
    return (
        request.method == "GET"
        and "query" not in request.query_params
        and "text/html" in request.headers.get("accept", "")
    )
