"""OpenTelemetry traces: a server span per request, a client span per upstream call.

Off by default. The standard variables turn it on: `OTEL_TRACES_EXPORTER` (`otlp`, `console`,
or several, comma-separated; `none` is off), or an OTLP endpoint alone
(`OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, which then means `otlp`).
The OTLP exporter speaks protobuf over HTTP and reads the rest of its `OTEL_EXPORTER_OTLP_*`
variables itself; `OTEL_SERVICE_NAME` (default `healthpass-gateway`), `OTEL_RESOURCE_ATTRIBUTES`,
`OTEL_TRACES_SAMPLER(_ARG)` and `OTEL_BSP_*` work as everywhere. `OTEL_SDK_DISABLED=true` wins.

Spans come from the Starlette instrumentation (server) and the httpx instrumentation of each
upstream client (client spans carry the W3C `traceparent` upstream). A provider belongs to one
application (tests build their own with an in-memory exporter); none is installed globally.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

import httpx
from opentelemetry import trace
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.starlette import StarletteInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from starlette.applications import Starlette

log = logging.getLogger("gateway.tracing")
SERVICE_NAME = "healthpass-gateway"


def exporter_names(env: Mapping[str, str]) -> list[str]:
    """The exporters the environment asks for (empty: tracing off)."""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    named = [n.strip().lower() for n in env.get("OTEL_TRACES_EXPORTER", "").split(",")]
    names = [n for n in named if n]
    if not names and (
        env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    ):
        names = ["otlp"]
    return [n for n in names if n != "none"]


def _exporter(name: str) -> SpanExporter | None:
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    if name == "console":
        return ConsoleSpanExporter()
    log.error("unknown OTEL_TRACES_EXPORTER %r (known: otlp, console, none): ignored", name)
    return None


def provider_from_env(env: Mapping[str, str] | None = None) -> TracerProvider | None:
    """A tracer provider exporting where the OTEL_* variables say, or None (tracing off)."""
    env = os.environ if env is None else env
    exporters = [e for e in map(_exporter, exporter_names(env)) if e is not None]
    if not exporters:
        return None
    resource = Resource.create({"service.name": env.get("OTEL_SERVICE_NAME") or SERVICE_NAME})
    provider = TracerProvider(resource=resource)
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


# Whether any span may record in this process (a provider of ours, or a global one, as
# `opentelemetry-instrument` sets before the app is imported): without, `annotate` skips the
# context look-up (1.4 % of a warm scan in process).
_instrumented = not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def instrument_app(app: Starlette, provider: TracerProvider | None) -> None:
    """A server span around every request of `app` (nothing when tracing is off)."""
    global _instrumented
    if provider is not None:
        _instrumented = True
        StarletteInstrumentor.instrument_app(app, tracer_provider=provider)


def instrument_client(client: httpx.AsyncClient, provider: TracerProvider | None) -> None:
    """A client span around every request of `client` (nothing when tracing is off)."""
    global _instrumented
    if provider is not None:
        _instrumented = True
        HTTPXClientInstrumentor.instrument_client(client, tracer_provider=provider)


def annotate(key: str, value: str) -> None:
    """Set an attribute on the current span (a no-op without one)."""
    if _instrumented:
        trace.get_current_span().set_attribute(key, value)
