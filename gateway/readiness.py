"""`GET /readyz`: 200 when every upstream answers, else 503; the body names each one's state.

Each national service's health endpoint (and the IdP's key set, and Redis and PostgreSQL when
configured) is probed concurrently, each within `READYZ_TIMEOUT`. One probe round serves every
`/readyz` for `READYZ_CACHE_SECONDS`, and concurrent requests share the round in flight, so a
storm of load-balancer checks costs the upstreams one round per couple of seconds. The body has
names and states only: no URLs, no upstream answers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

Probe = Callable[[], Awaitable[object]]  # raises when its dependency does not answer


def http_probe(client: httpx.AsyncClient, url: str) -> Probe:
    async def probe() -> None:
        (await client.get(url)).raise_for_status()

    return probe


@dataclass(frozen=True, slots=True)
class Readiness:
    """One round of probes: each dependency's state and how long it took to answer."""

    states: Mapping[str, str]  # "up", "down" (answered with an error) or "timeout"
    millis: Mapping[str, int]

    @property
    def ready(self) -> bool:
        return all(state == "up" for state in self.states.values())

    def body(self) -> dict[str, object]:
        return {
            "status": "ready" if self.ready else "unavailable",
            "upstreams": {
                name: {"state": state, "ms": self.millis[name]}
                for name, state in self.states.items()
            },
        }


class ReadinessCheck:
    """Probes the dependencies, at most once per `cache_seconds`."""

    def __init__(self, probes: Mapping[str, Probe], timeout: float, cache_seconds: float) -> None:
        self.probes = dict(probes)
        self.timeout = timeout
        self.cache_seconds = cache_seconds
        self._last: tuple[float, Readiness] | None = None
        self._round: asyncio.Task[Readiness] | None = None

    async def check(self) -> Readiness:
        last = self._last
        if last is not None and time.monotonic() - last[0] < self.cache_seconds:
            return last[1]
        if self._round is None or self._round.done():
            self._round = asyncio.create_task(self._probe_all())
        return await asyncio.shield(self._round)

    async def _probe_all(self) -> Readiness:
        names = list(self.probes)
        results = await asyncio.gather(*(self._probe(self.probes[name]) for name in names))
        readiness = Readiness(
            states={name: state for name, (state, _) in zip(names, results, strict=True)},
            millis={name: ms for name, (_, ms) in zip(names, results, strict=True)},
        )
        self._last = (time.monotonic(), readiness)
        return readiness

    async def _probe(self, probe: Probe) -> tuple[str, int]:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(probe(), self.timeout)
            state = "up"
        except TimeoutError:
            state = "timeout"
        except Exception:
            state = "down"
        return state, round((time.perf_counter() - started) * 1000)

    async def endpoint(self, request: Request) -> Response:
        readiness = await self.check()
        return JSONResponse(readiness.body(), status_code=200 if readiness.ready else 503)
