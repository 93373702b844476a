"""The upstream clients' network (gateway/sources/network.py) against real sockets.

Each test runs a small HTTP/1.1 server on 127.0.0.1 that answers as the test needs (well, with a
cookie, never, half, or garbage) and checks that the client sees httpx's answers and exceptions,
which the sources' retries and error mapping rely on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from gateway.sources.network import UpstreamClient, UpstreamTransport

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
LIMITS = httpx.Limits(max_connections=10)


@asynccontextmanager
async def server(handler: Handler) -> AsyncIterator[str]:
    """A server on a free port running `handler` per connection; yields its base URL."""
    tasks: set[asyncio.Task[None]] = set()

    async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await handler(reader, writer)
        finally:
            writer.close()

    listening = await asyncio.start_server(connected, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        listening.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """One request's head and body (Content-Length bodies only)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return head + await reader.readexactly(length)


def client(base_url: str, timeout: float = 5.0) -> UpstreamClient:
    return UpstreamClient(base_url=base_url, transport=UpstreamTransport(LIMITS), timeout=timeout)


async def test_requests_round_trip_on_one_connection_and_no_cookie_is_kept() -> None:
    # Given a server that answers JSON and sets a cookie on every answer
    seen: list[bytes] = []
    connections = 0

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while not reader.at_eof():
            try:
                seen.append(await read_request(reader))
            except asyncio.IncompleteReadError:
                return
            body = b'{"ok":true}'
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Set-Cookie: session=upstream-state; Path=/\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            await writer.drain()

    async with server(answer) as url, client(url) as upstream:
        # When the client sends a POST and a GET
        first = await upstream.post("/persons/batch", json={"ids": ["P1"]})
        second = await upstream.get("/persons/P1")

    # Then both are answered over one kept-alive connection, and no cookie goes back upstream
    assert (first.status_code, first.json()) == (200, {"ok": True})
    assert (second.status_code, second.json()) == (200, {"ok": True})
    assert connections == 1
    assert seen[0].startswith(b"POST /persons/batch HTTP/1.1")
    assert seen[0].endswith(b'{"ids":["P1"]}')
    assert seen[1].startswith(b"GET /persons/P1 HTTP/1.1")
    assert all(b"cookie:" not in request.lower() for request in seen)
    assert not upstream.cookies


async def test_a_refused_connection_is_an_httpx_connect_error() -> None:
    async def unused(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        return None

    async with server(unused) as url:
        pass  # closed: nothing listens there any more
    async with client(url) as upstream:
        with pytest.raises(httpx.ConnectError):
            await upstream.get("/persons/P1")


async def test_a_server_that_never_answers_is_an_httpx_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(30)

    async with server(silent) as url, client(url, timeout=0.2) as upstream:
        with pytest.raises(httpx.ReadTimeout):
            await upstream.get("/persons/P1")


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        pytest.param(
            b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"persons":', httpx.ReadError, id="cut"
        ),
        pytest.param(b"HELLO THERE\r\n\r\n", httpx.RemoteProtocolError, id="garbage"),
        pytest.param(b"", httpx.RemoteProtocolError, id="closed"),
    ],
)
async def test_a_broken_answer_is_an_httpx_transport_error(
    reply: bytes, error: type[httpx.TransportError]
) -> None:
    # Given a server that answers part of a response, garbage, or nothing, then hangs up
    async def broken(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(reply)
        await writer.drain()

    async with server(broken) as url, client(url) as upstream:
        # Then the sources see httpx's transport error (retried, then UPSTREAM_UNAVAILABLE)
        with pytest.raises(error):
            response = await upstream.get("/persons/P1")
            response.json()


def test_an_upstream_client_refuses_cookies() -> None:
    with pytest.raises(ValueError, match="no cookies"):
        UpstreamClient(cookies={"session": "x"})
