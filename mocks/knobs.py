"""Fault knobs and request statistics of one service, with their `/_admin` endpoints.

Gateway tests turn the knobs to simulate outages and read the statistics to prove concurrency
(overlapping start/end windows) and batching (request and id counts).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from dataclasses import asdict, dataclass

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mocks.common import NOTE_KEY, ORJSONResponse, RequestNote, error_json
from mocks.settings import MODES, Faults, parse_mode

STATS_LIMIT = 10_000  # a long `make run` session must not grow without bound


@dataclass(frozen=True, slots=True)
class RequestStat:
    """One served request: monotonic start and end, and how many person ids it asked for."""

    method: str
    path: str
    start: float
    end: float
    ids: int


class ServiceRuntime:
    """Mutable per-app state of one service: knobs (reset to `defaults`) and the request log."""

    def __init__(self, name: str, defaults: Faults, slow_seconds: float = 30.0) -> None:
        self.name = name
        self.defaults = defaults
        self.slow_seconds = slow_seconds
        self.knobs = defaults
        self.stats: deque[RequestStat] = deque(maxlen=STATS_LIMIT)
        self.served = 0  # requests logged since the last DELETE, beyond STATS_LIMIT too
        self._random = random.Random()
        self._requests = 0

    def reset(self) -> None:
        """Back to the knobs read from the environment at start."""
        self.knobs = self.defaults
        self._requests = 0

    def knobs_json(self) -> dict[str, object]:
        """The knobs as the admin endpoint shows them."""
        k = self.knobs
        return {"latencyMs": k.latency_ms, "failureRate": k.failure_rate, "mode": k.mode}

    def fails_now(self) -> bool:
        """Whether this request gets a 503: the configured share, or every other (`flapping`)."""
        self._requests += 1
        if self.knobs.mode == "flapping":
            return self._requests % 2 == 1
        return self._random.random() < self.knobs.failure_rate

    def update(self, body: object) -> str | None:
        """Apply a PUT body; the problem in a sentence when it is not valid (nothing applied)."""
        if not isinstance(body, dict):
            return "The body must be a JSON object."
        unknown = set(body) - {"latencyMs", "failureRate", "mode"}
        if unknown:
            return f"Unknown knobs: {', '.join(sorted(unknown))}."
        latency = body.get("latencyMs", self.knobs.latency_ms)
        rate = body.get("failureRate", self.knobs.failure_rate)
        mode = parse_mode(body.get("mode", self.knobs.mode))
        if not isinstance(latency, int) or isinstance(latency, bool) or latency < 0:
            return "latencyMs must be a non-negative integer."
        if not isinstance(rate, int | float) or isinstance(rate, bool) or not 0 <= rate <= 1:
            return "failureRate must be a number between 0 and 1."
        if mode is None:
            return f"mode must be one of {', '.join(MODES)}."
        if mode != self.knobs.mode:
            self._requests = 0  # `flapping` starts with a failure
        self.knobs = Faults(latency_ms=latency, failure_rate=float(rate), mode=mode)
        return None


def route_path(scope: Scope) -> str:
    """The path inside the service's mount."""
    path: str = scope["path"]
    return path[len(scope.get("root_path", "")) :]


# An upstream 500 as careless servers send it: the gateway must log it, never forward it.
INTERNAL_ERROR_BODY = orjson.dumps({
    "error": "Internal Server Error",
    "exception": "psycopg2.OperationalError: could not connect to server: Connection refused",
    "trace": [
        'File "/srv/ngsp-adapter/app/registry.py", line 214, in fetch_batch',
        'File "/srv/ngsp-adapter/app/db.py", line 88, in connect',
    ],
    "upstream": "http://10.16.4.21:8080/ngsp/internal/v2/registry?db=prod&user=svc_registry",
})
UNAVAILABLE_BODY = b'{"error":"service_unavailable","message":"The service is unavailable."}'


class FaultsMiddleware:
    """Applies the knobs to every request but `/_admin/*` and `/openapi.json`, and logs it."""

    def __init__(self, app: ASGIApp, runtime: ServiceRuntime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = route_path(scope) if scope["type"] == "http" else ""
        if scope["type"] != "http" or path.startswith("/_admin/") or path == "/openapi.json":
            await self.app(scope, receive, send)
            return
        start = time.monotonic()
        note = scope[NOTE_KEY] = RequestNote()
        try:
            await self._faulty(scope, receive, send)
        finally:
            if path != "/healthz":
                end = time.monotonic()
                stat = RequestStat(scope["method"], scope["path"], start, end, note.ids)
                self.runtime.stats.append(stat)
                self.runtime.served += 1

    async def _faulty(self, scope: Scope, receive: Receive, send: Send) -> None:
        knobs = self.runtime.knobs
        if knobs.latency_ms:
            await asyncio.sleep(knobs.latency_ms / 1000)
        if knobs.mode == "down" or self.runtime.fails_now():
            await _send_raw(send, 503, UNAVAILABLE_BODY)
        elif knobs.mode == "error500":
            await _send_raw(send, 500, INTERNAL_ERROR_BODY)
        elif knobs.mode == "malformed":
            await self._malformed(scope, receive, send)
        else:
            if knobs.mode == "slow":
                await asyncio.sleep(self.runtime.slow_seconds)
            await self.app(scope, receive, send)

    async def _malformed(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The real answer cut in half: a 200 whose JSON (or FHIR) body does not parse.
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        broken = body[: len(body) // 2] if len(body) > 1 else b"{"
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        await _send_raw(send, 200, broken, headers)


async def _send_raw(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    base = headers if headers is not None else [(b"content-type", b"application/json")]
    all_headers = [*base, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": body})


def admin_routes(runtime: ServiceRuntime) -> list[Route]:
    """`/_admin/faults` (GET, PUT, DELETE) and `/_admin/stats` (GET, DELETE)."""

    async def faults(request: Request) -> Response:
        if request.method == "PUT":
            try:
                body = orjson.loads(await request.body())
            except orjson.JSONDecodeError:
                return error_json(400, "invalid_request", "The body must be JSON.")
            problem = runtime.update(body)
            if problem:
                return error_json(400, "invalid_request", problem)
        elif request.method == "DELETE":
            runtime.reset()
        return ORJSONResponse(runtime.knobs_json())

    async def stats(request: Request) -> Response:
        if request.method == "DELETE":
            runtime.stats.clear()
            runtime.served = 0
            return Response(status_code=204)
        if request.query_params.get("summary"):  # the count alone: cheap under load (benchmarks)
            return ORJSONResponse({"total": runtime.served})
        requests = [asdict(s) for s in runtime.stats]
        return ORJSONResponse({"requests": requests, "total": runtime.served})

    return [
        Route("/_admin/faults", faults, methods=["GET", "PUT", "DELETE"]),
        Route("/_admin/stats", stats, methods=["GET", "DELETE"]),
    ]
