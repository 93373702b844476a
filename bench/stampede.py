"""S4's load: N requests sent at the same instant on N connections opened beforehand.

wrk keeps a steady rate; a stampede is the opposite, so this is a small asyncio client: open
every connection, then write every request, then read every answer (HTTP/1.1, one request
per connection, `Connection: close`).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Stampede:
    """What the N requests got."""

    requests: int
    ok: int  # HTTP 200 without GraphQL errors
    p50_ms: float
    p95_ms: float
    max_ms: float


def _request(host: str, port: int, token: str, body: bytes) -> bytes:
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


async def _stampede(host: str, port: int, token: str, body: bytes, n: int) -> Stampede:
    connections = [await asyncio.open_connection(host, port) for _ in range(n)]
    payload = _request(host, port, token, body)

    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> tuple[float, bool]:
        start = time.perf_counter()
        writer.write(payload)
        await writer.drain()
        answer = await reader.read()
        elapsed = time.perf_counter() - start
        writer.close()
        return elapsed, answer.startswith(b"HTTP/1.1 200") and b'"errors"' not in answer

    results = await asyncio.gather(*(one(r, w) for r, w in connections))
    times = sorted(t * 1000 for t, _ in results)
    return Stampede(
        requests=n,
        ok=sum(ok for _, ok in results),
        p50_ms=round(statistics.median(times), 2),
        p95_ms=round(times[int(0.95 * (n - 1))], 2),
        max_ms=round(times[-1], 2),
    )


def stampede(url: str, token: str, body: bytes, n: int = 200) -> Stampede:
    """Send `n` identical requests to `url` (http://host:port) at once."""
    host, port = url.removeprefix("http://").split(":")
    return asyncio.run(_stampede(host, int(port), token, body, n))
