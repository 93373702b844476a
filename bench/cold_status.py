"""S2 in process: a cold `personStatus(personId:)` through the ASGI app, with its timeline.

    .venv/bin/python -m bench.cold_status [--requests 200] [--latency-ms 20]

The mocks run as a real process; the gateway is built in this process and sent S2's request
(a health officer, a person never asked for before) one at a time, alternating with the same
five upstream reads made directly through the sources (`fetch_batch`, no gateway around them).
It prints the medians: the whole request, the five bare reads, and when the first and the last
upstream request reached the transport and the last answer came back, counted from the
request's arrival, then the time from that answer to the response. What separates the first
two is the gateway's own cost on a cold status (README, Performance).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from bench import scenarios
from bench.inprocess import request, with_mocks
from bench.run import _population
from gateway.sources import metered
from mocks.idp import issue_user_token
from mocks.settings import MockSettings

_marks: list[tuple[str, float]] = []
_handle = metered.MeteredTransport.handle_async_request


async def _timed(self: metered.MeteredTransport, outgoing: httpx.Request) -> httpx.Response:
    _marks.append(("sent", time.perf_counter()))
    answer = await _handle(self, outgoing)
    _marks.append(("answered", time.perf_counter()))
    return answer


async def measure(mocks_url: str, settings: MockSettings, requests: int) -> None:
    from gateway.app import create_app  # after the environment names the mocks

    metered.MeteredTransport.handle_async_request = _timed  # type: ignore[method-assign]
    app = create_app()
    people = iter(_population(mocks_url))
    tokens: dict[str, str] = {}
    times: dict[str, list[float]] = {}

    def note(name: str, seconds: float) -> None:
        times.setdefault(name, []).append(seconds * 1000)

    async with LifespanManager(app):
        upstreams: Any = app.state.upstreams
        sources = [
            upstreams.identity,
            upstreams.vaccination,
            upstreams.lab_results,
            upstreams.f0_care,
            upstreams.latest_declarations,
        ]
        for n in range(requests + 10):  # the first ten warm the connections, unrecorded
            person, district = next(people)
            if district not in tokens:
                tokens[district] = issue_user_token(
                    "health_officer", district=district, ttl=3600, settings=settings
                )
            body = scenarios.body(scenarios.STATUS, {"id": person}).encode()
            call = request(app, body, f"Bearer {tokens[district]}".encode())
            _marks.clear()
            started = time.perf_counter()
            answer = await call()
            ended = time.perf_counter()
            if b'"errors"' in answer:
                raise SystemExit(f"the status failed: {answer.decode()}")
            sent = [t for kind, t in _marks if kind == "sent"]
            answered = [t for kind, t in _marks if kind == "answered"]
            bare, _ = next(people)
            bare_started = time.perf_counter()
            await asyncio.gather(*(source.fetch_batch([bare]) for source in sources))
            if n < 10:
                continue
            note("request", ended - started)
            note("five bare reads", time.perf_counter() - bare_started)
            note("first upstream request sent", min(sent) - started)
            note("last upstream request sent", max(sent) - started)
            note("last upstream answer", max(answered) - started)
            note("last answer to response", ended - max(answered))
    for name, values in times.items():
        print(f"{name}: {statistics.median(values):.2f} ms (median of {len(values)})")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_status", description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--latency-ms", type=int, default=20)
    args = parser.parse_args()
    with_mocks(lambda url, settings: measure(url, settings, args.requests), args.latency_ms)


if __name__ == "__main__":
    main()
