"""The transport under every upstream client: times each request, counts failures, and sends
the request id along.

One wrapper per source, so the metrics (and the OpenTelemetry client spans, which wrap this
transport when tracing is on) are per source even when tests hand every client one shared
`httpx.ASGITransport`.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from gateway import metrics, request_id


def error_kind(error: BaseException) -> str:
    """How an upstream request failed, as a metrics label."""
    if isinstance(error, httpx.TimeoutException | TimeoutError):
        return "timeout"
    if isinstance(error, asyncio.CancelledError):
        return "cancelled"  # the attempt's own time bound ran out, or a shutdown
    return "transport"


def status_kind(status: int) -> str | None:
    """The error kind of an answer's status: 5xx and 429 are failures, the rest answers."""
    if status >= 500:
        return "http_5xx"
    if status == 429:
        return "http_429"
    return None


class MeteredTransport(httpx.AsyncBaseTransport):
    """Wraps `inner` for the upstream `source`."""

    def __init__(self, inner: httpx.AsyncBaseTransport, source: str) -> None:
        self.inner = inner
        self.source = source

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        current = request_id.current.get()
        if current is not None and request_id.HEADER not in request.headers:
            request.headers[request_id.HEADER] = current
        started = time.perf_counter()
        try:
            response = await self.inner.handle_async_request(request)
        except BaseException as error:
            elapsed = time.perf_counter() - started
            metrics.observe_upstream(self.source, request.method, elapsed, error_kind(error))
            raise
        elapsed = time.perf_counter() - started
        metrics.observe_upstream(
            self.source, request.method, elapsed, status_kind(response.status_code)
        )
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
