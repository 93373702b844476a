"""Prometheus metrics: what the gateway does, for operators (`GET /metrics`).

Every metric is defined once, here, and recorded with one increment or observation on the hot
path (label children are looked up once and kept; the request and cache counters are summed on
the event loop and added in bulk: `_Deferred`). With several worker processes
(`uvicorn --workers N`), set `PROMETHEUS_MULTIPROC_DIR` to an empty directory before the workers
start: each process then writes its values to files there and `/metrics`, whichever worker
answers, adds them up (prometheus-client's multiprocess mode). Without it, each process reports
its own numbers only.

Metrics (labels in brackets):

- `gateway_graphql_requests_total` [operation, outcome]: GraphQL operations; the outcome is
  `ok` or the first error's code. `gateway_graphql_request_seconds` [operation]: their time.
- `gateway_http_requests_total` [route, status] and `gateway_http_request_seconds` [route]:
  HTTP requests, refusals before GraphQL (401, 413, 429) included.
- `gateway_upstream_request_seconds` [source, method]: one HTTP request to an upstream (until
  its headers; POST to a write service is a delivery); `gateway_upstream_errors_total`
  [source, method, kind]: the failed ones (timeout, cancelled, transport, http_5xx, http_429).
- `gateway_cache_hits_total`, `gateway_cache_misses_total` [source]: record cache look-ups.
- `gateway_circuit_state` [source]: 0 closed, 1 half-open, 2 open (the worst of the workers).
- `gateway_outbox_pending` and `gateway_outbox_oldest_pending_seconds`: submissions waiting
  for delivery and the age of the oldest (0 when none), read at scrape time;
  `gateway_outbox_attempts_total` [kind, outcome]: this process's delivery attempts.
- `gateway_alerts_raised_total` [kind]: worker alerts by kind, and `F0_URGENT` reports.
- `gateway_watch_leader`: 1 in the process that follows the change feeds (at most one).
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from starlette.requests import Request
from starlette.responses import Response
from strawberry.extensions import SchemaExtension

from gateway import tracing

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# Seconds: from a cache-hit read (~1 ms) to the request deadline (8 s) and beyond.
_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

GRAPHQL_REQUESTS = Counter(
    "gateway_graphql_requests",
    "GraphQL operations by operation name and outcome (ok, or the first error's code).",
    ["operation", "outcome"],
)
GRAPHQL_SECONDS = Histogram(
    "gateway_graphql_request_seconds",
    "Seconds to answer one GraphQL operation.",
    ["operation"],
    buckets=_BUCKETS,
)
HTTP_REQUESTS = Counter(
    "gateway_http_requests", "HTTP requests by route and status.", ["route", "status"]
)
HTTP_SECONDS = Histogram(
    "gateway_http_request_seconds",
    "Seconds to answer one HTTP request.",
    ["route"],
    buckets=_BUCKETS,
)
UPSTREAM_SECONDS = Histogram(
    "gateway_upstream_request_seconds",
    "Seconds one HTTP request to an upstream took (failed ones included).",
    ["source", "method"],
    buckets=_BUCKETS,
)
UPSTREAM_ERRORS = Counter(
    "gateway_upstream_errors",
    "Failed upstream requests by kind: timeout, cancelled, transport, http_5xx, http_429.",
    ["source", "method", "kind"],
)
CACHE_HITS = Counter("gateway_cache_hits", "Record cache look-ups answered fresh.", ["source"])
CACHE_MISSES = Counter(
    "gateway_cache_misses", "Record cache look-ups that went upstream.", ["source"]
)
CIRCUIT_STATE = Gauge(
    "gateway_circuit_state",
    "Circuit breaker per source: 0 closed, 1 half-open, 2 open.",
    ["source"],
    multiprocess_mode="livemax",
)
OUTBOX_PENDING = Gauge(
    "gateway_outbox_pending",
    "Submissions waiting for delivery.",
    multiprocess_mode="livemostrecent",
)
OUTBOX_OLDEST = Gauge(
    "gateway_outbox_oldest_pending_seconds",
    "Age of the oldest submission waiting for delivery (0 when none waits).",
    multiprocess_mode="livemostrecent",
)
OUTBOX_ATTEMPTS = Counter(
    "gateway_outbox_attempts",
    "Delivery attempts of submissions by kind and outcome (delivered, failed).",
    ["kind", "outcome"],
)
ALERTS_RAISED = Counter("gateway_alerts_raised", "Alerts raised, by kind.", ["kind"])
WATCH_LEADER = Gauge(
    "gateway_watch_leader",
    "1 in the process that follows the change feeds (at most one in a fleet).",
    multiprocess_mode="livesum",
)

_CIRCUIT_VALUES = {"closed": 0.0, "half_open": 1.0, "open": 2.0}
_OPERATION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
MAX_OPERATION_NAMES = 500  # distinct operation labels; later names count as "other"
_CODES = frozenset(
    {
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "NOT_FOUND",
        "BAD_USER_INPUT",
        "INVALID_QR",
        "UPSTREAM_UNAVAILABLE",
        "RATE_LIMITED",
        "QUERY_TOO_COMPLEX",
        "PERSISTED_QUERY_NOT_FOUND",
    }
)


class _Children:
    """Label children looked up once: recording is then one increment (no label parsing)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[tuple[object, ...], Any] = {}

    def get(self, metric: Any, *labels: str) -> Any:
        key = (metric, *labels)
        child = self._known.get(key)
        if child is None:
            with self._lock:
                child = self._known.setdefault(key, metric.labels(*labels))
        return child


_children = _Children()
_operations: set[str] = set()


class _Deferred:
    """Counter increments made on the event loop, added to Prometheus in bulk.

    A prometheus_client increment takes a lock and a handful of calls; a warm scan made eleven,
    ~8 % of its CPU in process (README, Performance). Here an increment is one dictionary
    update; the sums reach Prometheus at every scrape of this process (`metrics_endpoint`),
    every second while `flushing()` runs (another worker may answer the scrape), and when the
    app stops. Only the event loop's thread adds or flushes.
    """

    def __init__(self) -> None:
        self.pending: dict[tuple[Any, ...], float] = {}

    def add(self, key: tuple[Any, ...], amount: float = 1) -> None:
        pending = self.pending
        pending[key] = pending.get(key, 0) + amount

    def flush(self) -> None:
        pending, self.pending = self.pending, {}
        for (metric, *labels), amount in pending.items():
            _children.get(metric, *labels).inc(amount)


_deferred = _Deferred()


def flush() -> None:
    """Add the counts gathered since the last flush to Prometheus."""
    _deferred.flush()


@asynccontextmanager
async def flushing(every: float = 1.0) -> AsyncIterator[None]:
    """Flush every `every` seconds while the app runs, and once more when it stops."""

    async def repeat() -> None:
        while True:
            await asyncio.sleep(every)
            _deferred.flush()

    task = asyncio.create_task(repeat())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        _deferred.flush()


def operation_label(name: str | None) -> str:
    """A bounded label for a client-chosen operation name (clients could send millions)."""
    if not name:
        return "anonymous"
    if name in _operations:
        return name
    if not _OPERATION_NAME.fullmatch(name) or len(_operations) >= MAX_OPERATION_NAMES:
        return "other"
    _operations.add(name)
    return name


def outcome_of(errors: list[Any] | None, *, executed: bool = True) -> str:
    """`ok`, the first error's code, `GRAPHQL_VALIDATION_FAILED` for a document refused before
    execution without one, or `INTERNAL` for a masked error."""
    if not errors:
        return "ok"
    extensions = getattr(errors[0], "extensions", None) or {}
    code = extensions.get("code")
    if code in _CODES:
        return str(code)
    return "INTERNAL" if executed else "GRAPHQL_VALIDATION_FAILED"


def observe_upstream(source: str, method: str, seconds: float, error: str | None) -> None:
    _children.get(UPSTREAM_SECONDS, source, method).observe(seconds)
    if error is not None:
        _children.get(UPSTREAM_ERRORS, source, method, error).inc()


def count_cache(source: str, hits: int, misses: int) -> None:
    if hits:
        _deferred.add((CACHE_HITS, source), hits)
    if misses:
        _deferred.add((CACHE_MISSES, source), misses)


def count_cache_hits(sources: Sequence[str]) -> None:
    """One fresh record cache read of each of `sources` (a remembered answer's entries,
    `answer_memo.py`): `count_cache(source, 1, 0)` for each, in one call."""
    pending = _deferred.pending
    for source in sources:
        key = (CACHE_HITS, source)
        pending[key] = pending.get(key, 0) + 1


def circuit_changed(source: str, state: str) -> None:
    _children.get(CIRCUIT_STATE, source).set(_CIRCUIT_VALUES.get(state, 2.0))


def outbox_attempt(kind: str, *, delivered: bool) -> None:
    _children.get(OUTBOX_ATTEMPTS, kind, "delivered" if delivered else "failed").inc()


def alerts_raised(kind: str, count: int = 1) -> None:
    _children.get(ALERTS_RAISED, kind).inc(count)


class GraphQLMetrics(SchemaExtension):
    """Counts and times each GraphQL operation by name and outcome."""

    def on_operation(self):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        yield
        context = self.execution_context
        result = context.result
        refused = context.pre_execution_errors
        errors = refused or (result.errors if result is not None else None)
        observe_operation(context.operation_name, errors, started, executed=not refused)


def observe_operation(
    name: str | None, errors: list[Any] | None, started: float, *, executed: bool = True
) -> None:
    """Count and time one GraphQL operation (started: its `time.perf_counter()`)."""
    operation = operation_label(name)
    tracing.annotate("graphql.operation.name", operation)
    _deferred.add((GRAPHQL_REQUESTS, operation, outcome_of(errors, executed=executed)))
    _children.get(GRAPHQL_SECONDS, operation).observe(time.perf_counter() - started)


def observe_http(route: str, status: int, started: float) -> None:
    """Count and time one HTTP request (`gateway/front.py`; started: its `time.perf_counter()`)."""
    _deferred.add((HTTP_REQUESTS, route, str(status)))
    _children.get(HTTP_SECONDS, route).observe(time.perf_counter() - started)


def registry() -> CollectorRegistry:
    """What `/metrics` exposes: this process's metrics, or every worker's in multiprocess mode."""
    if os.environ.get(MULTIPROCESS_DIR):
        collected = CollectorRegistry()
        MultiProcessCollector(collected)  # type: ignore[no-untyped-call]
        return collected
    return REGISTRY


def metrics_endpoint(
    refresh: Callable[[], Awaitable[None]],
) -> Callable[[Request], Awaitable[Response]]:
    """`GET /metrics`; `refresh` first updates what is read at scrape time (the outbox)."""

    async def endpoint(request: Request) -> Response:
        await refresh()
        flush()
        return Response(generate_latest(registry()), media_type=CONTENT_TYPE_LATEST)

    return endpoint


def process_stopped() -> None:
    """Drop this process's live gauges (multiprocess mode), at shutdown."""
    if os.environ.get(MULTIPROCESS_DIR):
        mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
