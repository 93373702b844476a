"""S1 in process: the gateway's ASGI app driven directly, without a server or a client.

    .venv/bin/python -m bench.inprocess [--requests 4000] [--profile s1.prof]

The mocks run as a real process (20 ms per upstream request, as in `make bench`); the gateway is
built in this process and sent S1's request (the shipped `Scan` by hash, a checkpoint's token,
100 people's QRs, warm caches) as ASGI messages by 64 concurrent callers. It prints the
microseconds of one request (wall and CPU), and with `--profile` writes a cProfile of the
measured requests (`python -m pstats`). What it leaves out (uvicorn, the sockets) is the same
for every version of the code, so it tells one change from another where the full benchmark's
noise would hide it; the ratios in the README come from `make bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import uvloop
from asgi_lifespan import LifespanManager

from bench import procs, scenarios
from bench.procs import Server
from bench.run import _population
from mocks.idp import issue_user_token
from mocks.settings import MockSettings

CALLERS = 64


def request(app: Any, body: bytes, authorization: bytes) -> Callable[[], Awaitable[bytes]]:
    """One POST /graphql to `app`, as uvicorn would hand it over; returns the response body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"authorization", authorization),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }

    async def send_one() -> bytes:
        chunks: list[bytes] = []
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if delivered:
                await asyncio.Event().wait()  # no disconnect while the answer is written
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await app(dict(scope), receive, send)
        return b"".join(chunks)

    return send_one


async def measure(
    mocks_url: str, settings: MockSettings, requests: int, profile: Path | None
) -> None:
    from gateway.app import create_app  # after the environment names the mocks

    app = create_app()
    officer = issue_user_token("health_officer", district="778", ttl=3600, settings=settings)
    checkpoint = issue_user_token("checkpoint", district="778", ttl=3600, settings=settings)
    people = [pid for pid, district in _population(mocks_url) if district == "778"][:100]
    async with LifespanManager(app):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")
        calls = []
        for pid in people:
            answer = await client.post(
                "/graphql",
                json={"query": scenarios.QR_OF, "variables": {"id": pid}},
                headers={"Authorization": f"Bearer {officer}"},
            )
            payload = answer.json()["data"]["person"]["qr"]["payload"]
            body = scenarios.body(None, {"qr": payload}, scenarios.SCAN_HASH).encode()
            calls.append(request(app, body, f"Bearer {checkpoint}".encode()))
        for call in calls:  # warm, and every answer clean
            answer = await call()
            if b'"errors"' in answer:
                raise SystemExit(f"the scan failed: {answer.decode()}")

        async def drive(count: int) -> None:
            async def caller(first: int) -> None:
                for i in range(first, count, CALLERS):
                    await calls[i % len(calls)]()

            await asyncio.gather(*(caller(k) for k in range(CALLERS)))

        await drive(1000)
        wall, cpu = time.perf_counter(), time.process_time()
        await drive(requests)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"{wall / requests * 1e6:.1f} µs per request, {cpu / requests * 1e6:.1f} µs of CPU")
        if profile is not None:
            profiler = cProfile.Profile()
            profiler.enable()
            await drive(requests)
            profiler.disable()
            profiler.dump_stats(profile)
            print(f"profile: {profile} (python -m pstats {profile})")


def with_mocks(
    measure: Callable[[str, MockSettings], Awaitable[None]], latency_ms: int = 20
) -> None:
    """Run `measure(mocks_url, mock_settings)` on uvloop, with the mocks as a real process
    (`latency_ms` per upstream request) and the environment naming them for the gateway."""
    with tempfile.TemporaryDirectory(prefix="healthpass-inprocess-") as tmp:
        data = Path(tmp)
        port = procs.free_port()
        mocks = Server(
            "mocks",
            procs.uvicorn("mocks.app:create_app", port, factory=True),
            port,
            procs.mocks_env(port, data, latency_ms),
            data,
            None,
            health="/identity/healthz",
        )
        try:
            os.environ.update(procs.gateway_env(mocks.url, data))
            settings = MockSettings(port=port, idp_key_file=data / "idp-key.json")
            uvloop.run(measure(mocks.url, settings))
        finally:
            mocks.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess", description=__doc__)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args()
    with_mocks(lambda url, settings: measure(url, settings, args.requests, args.profile))


if __name__ == "__main__":
    main()
