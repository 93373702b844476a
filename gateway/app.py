"""The ASGI application: routes, the lifespan that opens upstream clients, and authentication."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx
import orjson
from opentelemetry.sdk.trace import TracerProvider
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from gateway import metrics, timezone, tracing
from gateway.attempts import MemoryAttemptLimiter, RedisAttemptLimiter
from gateway.auth import Principal, TokenVerifier
from gateway.cache import create_cache
from gateway.context import Context, Shared, request_context
from gateway.dcc.service import create_dcc, refreshing
from gateway.dcc.trust import trust_list_endpoint
from gateway.endpoint import GraphQLEndpoint
from gateway.front import GRAPHQL_PATH, Front
from gateway.keys import jwks_endpoint, signing_keys_for
from gateway.loaders import Loaders, RequestBudget
from gateway.outbox import Outbox, open_outbox
from gateway.persisted import PersistedQueryStore
from gateway.rate_limit import create_rate_limiter
from gateway.readiness import Probe, ReadinessCheck, http_probe
from gateway.schema import create_schema
from gateway.settings import Settings
from gateway.sources import Upstreams, open_upstreams
from gateway.status import load_policy
from gateway.status.worker_conditions import load_worker_conditions
from gateway.subscriptions import (
    GraphQLWebSocketEndpoint,
    TextFramesAdapter,
    authenticate_connection,
)
from gateway.watch.follower import open_watch


class GatewayGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with our typed context and fast JSON."""

    def __init__(self, app: Starlette, **kwargs: Any) -> None:
        super().__init__(create_schema(app.state.settings.max_batch_operations), **kwargs)
        self._app = app

    async def get_context(self, request: Any, response: Any) -> Context:
        principal: Principal = request.scope["state"]["principal"]
        return request_context(self._app.state, principal, request.headers.get("idempotency-key"))

    websocket_adapter_class = TextFramesAdapter

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def on_ws_connect(self, context: Context) -> UnsetType:
        await authenticate_connection(self._app.state.verifier, context)
        plain_ack: UnsetType = UNSET  # a connection_ack without a payload
        return plain_ack

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A persisted-query GET names its operation in `extensions`, not `query`: answer it.
        if "extensions" in request.query_params:
            return False
        return bool(super().should_render_graphql_ide(request))


def create_app(
    settings_or_none: Settings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], datetime] = timezone.now,
    tracer_provider: TracerProvider | None = None,
) -> Starlette:
    """The gateway. `transport` lets tests reach the mocks in-process; `clock` pins "now";
    `tracer_provider` traces requests (default: as the OTEL_* variables say, else off)."""
    settings = settings_or_none if settings_or_none is not None else Settings.from_env()
    tracer_provider = tracer_provider or tracing.provider_from_env()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        cache = create_cache(settings)
        limiter = create_rate_limiter(settings.redis_url, f"{settings.redis_key_prefix}:rate:")
        redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
        if redis is not None:  # wrong SMS codes count across the fleet
            app.state.sms_attempts = RedisAttemptLimiter(
                redis,
                settings.checkpoint.sms_code_attempts,
                settings.checkpoint.sms_code_window,
                prefix=f"{settings.redis_key_prefix}:attempts:",
            )
        async with (
            open_upstreams(settings, cache, transport, tracer_provider) as upstreams,
            open_outbox(settings, upstreams.destinations()) as outbox,
            refreshing(app.state.dcc, transport),
            metrics.flushing(),
        ):
            app.state.upstreams = upstreams
            app.state.outbox = outbox
            app.state.verifier = TokenVerifier(settings, upstreams.idp)
            app.state.limiter = limiter
            app.state.readiness = ReadinessCheck(
                _probes(settings, upstreams, outbox, redis),
                settings.readiness_timeout,
                settings.readiness_cache,
            )

            def loaders() -> Loaders:  # the watch's evaluations read like a request's
                budget = RequestBudget.starting_now(settings.resilience.request_deadline)
                return Loaders.for_request(upstreams, budget, outbox.store)

            async with open_watch(
                settings, upstreams, loaders, app.state.policy, clock, redis
            ) as alerts:
                app.state.alerts = alerts
                app.state.shared = Shared.of(app.state)
                yield
        await limiter.aclose()
        await cache.close()
        if redis is not None:
            await redis.aclose()
        if tracer_provider is not None:
            tracer_provider.shutdown()
        metrics.process_stopped()

    app = Starlette(lifespan=lifespan)
    app.state.settings = settings
    app.state.policy = load_policy(settings.status_policy)
    app.state.clock = clock
    app.state.signing_keys = signing_keys_for(settings)
    app.state.dcc = create_dcc(settings)
    scans = settings.checkpoint
    app.state.sms_attempts = MemoryAttemptLimiter(scans.sms_code_attempts, scans.sms_code_window)
    app.state.persisted_queries = PersistedQueryStore.with_shipped_operations()
    app.state.worker_conditions = load_worker_conditions(settings.workforce.conditions_file)
    graphql = GatewayGraphQL(
        app,
        graphql_ide=None if settings.production else "graphiql",
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
    )

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        readiness: ReadinessCheck = app.state.readiness
        return await readiness.endpoint(request)

    async def outbox_gauges() -> None:
        await _outbox_gauges(app.state.outbox)

    endpoint = GraphQLEndpoint(app, graphql)
    app.router.routes.extend(
        [
            Route(GRAPHQL_PATH, endpoint, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", GraphQLWebSocketEndpoint(app, graphql)),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics.metrics_endpoint(outbox_gauges), methods=["GET"]),
            Route("/.well-known/jwks.json", jwks_endpoint(app.state.signing_keys), methods=["GET"]),
            Route("/dcc/trust-list", trust_list_endpoint(app.state.dcc.published), methods=["GET"]),
        ]
    )
    app.add_middleware(
        Front,
        routes=frozenset(r.path for r in app.router.routes if isinstance(r, Route)),
        graphql=endpoint,
    )
    tracing.instrument_app(app, tracer_provider)  # outermost: the server span covers the rest
    return app


def _probes(
    settings: Settings, upstreams: Upstreams, outbox: Outbox, redis: Redis | None
) -> dict[str, Probe]:
    """What /readyz asks: every upstream's health, the IdP's keys, the stores in use."""
    probes = {
        name: http_probe(upstreams.idp, source.readiness_url)
        for name, source in settings.sources.items()
    }
    probes["idp"] = http_probe(upstreams.idp, settings.idp_jwks_url)
    probes["outbox"] = outbox.store.pending_count
    if redis is not None:
        probes["redis"] = redis.ping
    return probes


async def _outbox_gauges(outbox: Outbox) -> None:
    """The outbox's depth and the age of its oldest waiting submission, read at scrape time."""
    try:
        pending, oldest = await outbox.store.pending_count(), await outbox.store.oldest_pending()
    except Exception:  # a store that cannot be read leaves the gauges as they were
        return
    metrics.OUTBOX_PENDING.set(pending)
    age = (timezone.now() - oldest).total_seconds() if oldest is not None else 0.0
    metrics.OUTBOX_OLDEST.set(max(age, 0.0))
