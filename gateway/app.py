"""The ASGI application: routes, the lifespan that opens upstream clients, and authentication."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

from gateway import timezone
from gateway.auth import Principal, TokenVerifier
from gateway.cache import create_cache
from gateway.context import Context
from gateway.errors import Unauthenticated
from gateway.loaders import Loaders
from gateway.schema import schema
from gateway.settings import Settings
from gateway.sources import Upstreams, open_upstreams
from gateway.status import load_policy


class GatewayGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with our typed context and fast JSON."""

    def __init__(self, app: Starlette, **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self._app = app

    async def get_context(self, request: Any, response: Any) -> Context:
        state = self._app.state
        principal: Principal = request.scope["state"]["principal"]
        upstreams: Upstreams = state.upstreams
        return Context(
            principal=principal,
            settings=state.settings,
            upstreams=upstreams,
            loaders=Loaders.for_request(upstreams),
            policy=state.policy,
            clock=state.clock,
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


def unauthenticated(error: Unauthenticated) -> Response:
    body = {"data": None, "errors": [{"message": error.message, "extensions": error.extensions}]}
    return Response(
        orjson.dumps(body),
        status_code=401,
        media_type="application/json",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def _wants_graphiql(request: Request) -> bool:
    return (
        request.method == "GET"
        and "query" not in request.query_params
        and "text/html" in request.headers.get("accept", "")
    )


def create_app(
    settings_or_none: Settings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], datetime] = timezone.now,
) -> Starlette:
    """The gateway. `transport` lets tests reach the mocks in-process; `clock` pins "now"."""
    settings = settings_or_none if settings_or_none is not None else Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        cache = create_cache(settings)
        async with open_upstreams(settings, cache, transport) as upstreams:
            app.state.upstreams = upstreams
            app.state.verifier = TokenVerifier(settings, upstreams.idp)
            yield
        await cache.close()

    app = Starlette(lifespan=lifespan)
    app.state.settings = settings
    app.state.policy = load_policy(settings.status_policy)
    app.state.clock = clock
    graphql = GatewayGraphQL(app, graphql_ide=None if settings.production else "graphiql")

    class GraphQLEndpoint:
        """Authenticates, then hands the request to Strawberry (a class, so Route sees ASGI)."""

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            request = Request(scope, receive)
            if not settings.production and _wants_graphiql(request):
                await (await graphql.render_graphql_ide(request))(scope, receive, send)
                return
            verifier: TokenVerifier = app.state.verifier
            try:
                principal = await verifier.authenticate(request.headers.get("authorization"))
            except Unauthenticated as error:
                await unauthenticated(error)(scope, receive, send)
                return
            scope.setdefault("state", {})["principal"] = principal
            await graphql(scope, receive, send)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    app.router.routes.extend(
        [
            Route("/graphql", GraphQLEndpoint(), methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
    return app
