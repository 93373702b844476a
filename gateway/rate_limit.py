"""Rate limits per caller: fixed windows counted in memory, or in Redis across instances.

`hit(key, limit, window)` counts one request against `key` and answers None while the caller is
within `limit` requests per `window` seconds, else the seconds until the window resets. In Redis
the count is one INCR with the window as the key's expiry, so every instance sees the same count.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis


@dataclass(frozen=True, slots=True)
class RateLimit:
    """`requests` per `window` seconds."""

    requests: int
    window: float


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: RateLimit) -> float | None: ...

    async def aclose(self) -> None: ...


class MemoryRateLimiter:
    """Counts in this process (the embedded default)."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._windows: dict[str, tuple[float, int]] = {}
        self._max_keys = max_keys

    async def hit(self, key: str, limit: RateLimit) -> float | None:
        now = time.monotonic()
        started, count = self._windows.get(key, (now, 0))
        if now - started >= limit.window:
            started, count = now, 0
        count += 1
        self._windows[key] = (started, count)
        if len(self._windows) > self._max_keys:
            self._prune(now, limit.window)
        if count > limit.requests:
            return max(limit.window - (now - started), 0.0)
        return None

    def _prune(self, now: float, window: float) -> None:
        self._windows = {k: v for k, v in self._windows.items() if now - v[0] < window}
        while len(self._windows) > self._max_keys:
            self._windows.pop(next(iter(self._windows)))

    async def aclose(self) -> None:
        self._windows.clear()


class RedisRateLimiter:
    """Counts in Redis, shared by every gateway instance."""

    def __init__(self, redis: Redis, prefix: str = "healthpass:rate:") -> None:
        self._redis = redis
        self._prefix = prefix

    async def hit(self, key: str, limit: RateLimit) -> float | None:
        name = self._prefix + key
        window_ms = max(math.ceil(limit.window * 1000), 1)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.pexpire(name, window_ms, nx=True)
            pipe.pttl(name)
            count, _, ttl_ms = await pipe.execute()
        if int(count) > limit.requests:
            return max(int(ttl_ms), 0) / 1000
        return None

    async def aclose(self) -> None:
        await self._redis.aclose()


def create_rate_limiter(redis_url: str | None, prefix: str = "healthpass:rate:") -> RateLimiter:
    """Redis when `redis_url` is set (limits hold across instances), else memory."""
    if redis_url:
        return RedisRateLimiter(Redis.from_url(redis_url), prefix)
    return MemoryRateLimiter()
