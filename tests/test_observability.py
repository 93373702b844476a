"""What operators see: request ids end to end, /metrics, /readyz, traces and JSON logs."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client import REGISTRY

from gateway import metrics, request_id
from gateway.metrics import operation_label
from gateway.tracing import exporter_names, provider_from_env
from tests.conftest import gateway_settings, open_gateway
from tests.support import MocksAdmin, gql, metric_families, metric_value

STATUS = '{ personStatus(personId: "P0000001") { color reasons } }'


class Recording(httpx.AsyncBaseTransport):
    """The mocks' transport, keeping every request the gateway sent upstream."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)


@pytest.fixture
async def recording(
    mocks_transport: httpx.ASGITransport, mocks: MocksAdmin
) -> AsyncIterator[Recording]:
    await mocks.reset()
    yield Recording(mocks_transport)
    await mocks.reset()


async def test_a_sane_request_id_is_returned_and_sent_with_every_upstream_call(
    recording: Recording, token: Callable[..., str]
) -> None:
    officer = token("health_officer", district="778")
    async with open_gateway(recording) as client:
        recording.requests.clear()
        response = await client.post(
            "/graphql",
            json={"query": STATUS},
            headers={"Authorization": f"Bearer {officer}", "X-Request-ID": "lb-7f3a9c01-0001"},
        )

    upstream = [r for r in recording.requests if "/idp/" not in r.url.path]
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "lb-7f3a9c01-0001"
    assert {r.url.path.split("/")[1] for r in upstream} >= {"identity", "vaccination", "lab", "f0"}
    assert {r.headers.get("x-request-id") for r in upstream} == {"lb-7f3a9c01-0001"}


@pytest.mark.parametrize(
    "given",
    [b"short", b"a" * 129, b"bad id with spaces", "é-not-ascii-id".encode(), b"ok-but\r\ninjected"],
    ids=["too-short", "too-long", "spaces", "non-ascii", "crlf"],
)
def test_an_insane_request_id_is_replaced_by_a_new_one(given: bytes) -> None:
    chosen = request_id.chosen_id({"headers": [(b"x-request-id", given)]})

    assert re.fullmatch(r"[0-9a-f]{32}", chosen)


async def test_a_request_without_an_id_gets_a_new_one(client: httpx.AsyncClient) -> None:
    first, second = await client.get("/healthz"), await client.get("/healthz")

    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and ids[0] != ids[1]


async def test_metrics_count_operations_upstreams_cache_and_circuits(
    recording: Recording, token: Callable[..., str]
) -> None:
    officer = token("health_officer", district="778")
    named = "query StatusForMetrics " + STATUS
    async with open_gateway(recording) as client:
        before = await _families(client)
        await gql(client, named, token=officer)
        await gql(client, named, token=officer)  # the second is served from the cache
        await gql(client, "query StatusForMetrics { nope }", token=officer)
        await client.post("/graphql", json={"query": STATUS})  # no token: refused before GraphQL
        after = await _families(client)
        text = (await client.get("/metrics")).text

    def grew(sample: str, **labels: str) -> float:
        return metric_value(after, sample, **labels) - metric_value(before, sample, **labels)

    operation = {"operation": "StatusForMetrics"}
    assert grew("gateway_graphql_requests_total", **operation, outcome="ok") == 2
    invalid = {"outcome": "GRAPHQL_VALIDATION_FAILED"}
    assert grew("gateway_graphql_requests_total", **operation, **invalid) == 1
    assert grew("gateway_graphql_request_seconds_count", **operation) == 3
    assert grew("gateway_http_requests_total", route="/graphql", status="401") == 1
    assert grew("gateway_upstream_request_seconds_count", source="identity") == 1
    assert grew("gateway_cache_misses_total", source="identity") == 1
    assert grew("gateway_cache_hits_total", source="identity") == 1
    assert metric_value(after, "gateway_circuit_state", source="identity") == 0
    for name in (
        "gateway_outbox_pending",
        "gateway_outbox_oldest_pending_seconds",
        "gateway_alerts_raised_total",
        "gateway_upstream_errors_total",
        "gateway_watch_leader",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in text, name


def test_operation_names_are_bounded_labels() -> None:
    assert operation_label(None) == "anonymous"
    assert operation_label("Scan") == "Scan"
    assert operation_label("x" * 65) == "other"
    assert operation_label("drop table; --") == "other"


async def test_an_open_circuit_and_upstream_errors_show_in_metrics(
    recording: Recording, mocks: MocksAdmin, token: Callable[..., str]
) -> None:
    officer = token("health_officer", district="778")
    await mocks.set_faults("lab", mode="error500")
    async with open_gateway(recording) as client:
        # Residents of 778; 3 attempts each (2 retries): 5 consecutive failures open the circuit.
        for person in ("P0000001", "P0000005", "P0000009"):
            await gql(
                client, f'{{ personStatus(personId: "{person}") {{ color }} }}', token=officer
            )
        families = await _families(client)

    assert metric_value(families, "gateway_circuit_state", source="lab_results") == 2
    assert (
        metric_value(
            families, "gateway_upstream_errors_total", source="lab_results", kind="http_5xx"
        )
        >= 5
    )


async def test_readyz_names_each_upstream_and_fails_while_one_is_down(
    recording: Recording, mocks: MocksAdmin
) -> None:
    settings = replace(gateway_settings(), readiness_cache=0.5)
    async with open_gateway(recording, settings) as client:
        recording.requests.clear()
        ready = await client.get("/readyz")
        probes_after_first = _health_checks(recording)
        again = await asyncio.gather(*(client.get("/readyz") for _ in range(20)))  # cached
        probes_after_more = _health_checks(recording)
        await mocks.set_faults("vaccination", mode="down")
        await asyncio.sleep(0.6)  # the cached round ages out
        down = await client.get("/readyz")

    upstreams = set(settings.sources) | {"idp", "outbox"}
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert set(ready.json()["upstreams"]) == upstreams
    assert {u["state"] for u in ready.json()["upstreams"].values()} == {"up"}
    assert probes_after_first == len(upstreams) - 1  # every HTTP upstream once (the outbox: SQL)
    assert {r.status_code for r in again} == {200}
    assert probes_after_more == probes_after_first, "a burst of checks probed nothing more"
    assert down.status_code == 503 and down.json()["status"] == "unavailable"
    assert down.json()["upstreams"]["vaccination"]["state"] == "down"
    assert down.json()["upstreams"]["identity"]["state"] == "up"
    assert "http" not in down.text, "no URLs in the answer"


async def test_a_trace_has_the_gateway_span_and_a_child_span_per_upstream_call(
    mocks_transport: httpx.ASGITransport, mocks: MocksAdmin, token: Callable[..., str]
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    officer = token("health_officer", district="778")
    await mocks.reset()
    async with open_gateway(mocks_transport, tracer_provider=provider) as client:
        exporter.clear()
        await gql(client, "query TracedStatus " + STATUS, token=officer)
    spans = exporter.get_finished_spans()

    servers = [s for s in spans if s.kind is SpanKind.SERVER]
    clients = [s for s in spans if s.kind is SpanKind.CLIENT]
    assert len(servers) == 1
    server = servers[0]
    assert server.attributes is not None
    assert server.attributes["graphql.operation.name"] == "TracedStatus"
    by_id = {s.context.span_id: s for s in spans}

    def descends_from_server(span: Any) -> bool:
        while span.parent is not None:
            if span.parent.span_id == server.context.span_id:
                return True
            span = by_id.get(span.parent.span_id)
            if span is None:
                return False
        return False

    hosts = {str(s.attributes.get("url.full") or s.attributes.get("http.url")) for s in clients}
    assert {s.context.trace_id for s in spans} == {server.context.trace_id}
    assert all(descends_from_server(s) for s in clients)
    for service in ("/identity/", "/vaccination/", "/lab/", "/f0/"):
        assert any(service in h for h in hosts), (service, hosts)


def test_tracing_is_off_unless_the_otel_variables_ask() -> None:
    assert provider_from_env({}) is None
    assert provider_from_env({"OTEL_TRACES_EXPORTER": "none"}) is None
    assert exporter_names({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}) == ["otlp"]
    assert exporter_names({"OTEL_TRACES_EXPORTER": "console,otlp"}) == ["console", "otlp"]
    assert exporter_names({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"}) == []
    provider = provider_from_env({"OTEL_TRACES_EXPORTER": "console"})
    assert provider is not None
    provider.shutdown()


def test_logs_are_json_lines_with_the_request_id() -> None:
    script = (
        "import logging, logging.config\n"
        "from gateway import request_id\n"
        "from gateway.logs import log_config\n"
        "logging.config.dictConfig(log_config('json', 'info'))\n"
        "request_id.current.set('lb-7f3a9c01-0002')\n"
        "logging.getLogger('gateway.sources').warning('upstream %s failed', 'lab_results')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )

    line = json.loads(done.stderr.strip())
    assert {k: line[k] for k in ("level", "logger", "message", "request_id")} == {
        "level": "WARNING",
        "logger": "gateway.sources",
        "message": "upstream lab_results failed",
        "request_id": "lb-7f3a9c01-0002",
    }
    assert "timestamp" in line and "pid" in line


def _health_checks(recording: Recording) -> int:
    return sum(
        1
        for r in recording.requests
        if r.url.path.endswith("/healthz") or r.url.path.endswith("/jwks.json")
    )


async def _families(client: httpx.AsyncClient) -> dict[str, list[Any]]:
    return metric_families((await client.get("/metrics")).text)


async def test_request_and_cache_counts_reach_prometheus_in_bulk() -> None:
    """Counts are summed on the loop and added by the flusher (and at every scrape, at exit)."""

    def hits() -> float:
        return REGISTRY.get_sample_value("gateway_cache_hits_total", {"source": "bulk"}) or 0.0

    before = hits()
    async with metrics.flushing(every=0.05):
        metrics.count_cache("bulk", 3, 0)
        metrics.count_cache("bulk", 2, 0)
        assert hits() == before  # not yet
        await asyncio.sleep(0.2)
        assert hits() == before + 5  # flushed while running
        metrics.count_cache("bulk", 1, 0)
    assert hits() == before + 6  # and when stopping
