"""Failed attempts per caller in a sliding window: SMS-code guessing.

A caller who has failed `attempts` times within `window` seconds is refused (RATE_LIMITED) until
the oldest failure leaves the window, whatever they try, so a correct guess made while limited is
not answered either.

An attempt is counted BEFORE the guess is looked up (`begin`) and forgiven afterwards when it
was right or told nothing (`forgive`): a burst of concurrent guesses gets no more than `attempts`
through, where "check, look up, then count the failure" would let the whole burst pass the check.

`MemoryAttemptLimiter` counts in this process; `RedisAttemptLimiter` (with `REDIS_URL`) counts in
a Redis sorted set per caller, atomically (one Lua script), so every instance of a fleet shares
the caller's budget.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any, Protocol

from redis.asyncio import Redis

from gateway.errors import RateLimited

MAX_CALLERS = 100_000  # bounded memory: the callers idle longest are forgotten first


def _refusal(retry_after: float) -> RateLimited:
    seconds = max(1, round(retry_after))
    return RateLimited(f"Too many wrong codes; try again in {seconds} seconds.", retryAfter=seconds)


class AttemptLimiter(Protocol):
    attempts: int
    window: float

    async def begin(self, key: str) -> str:
        """Count one attempt of `key` (a failure unless forgiven); RATE_LIMITED when used up."""

    async def forgive(self, key: str, attempt: str) -> None:
        """Un-count an attempt that was right, or failed for another reason than the guess."""


class MemoryAttemptLimiter:
    """Attempts per key in this process, in the last `window` seconds."""

    def __init__(
        self, attempts: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.attempts = attempts
        self.window = window
        self._clock = clock
        self._failures: OrderedDict[str, deque[tuple[float, str]]] = OrderedDict()

    def _recent(self, key: str) -> deque[tuple[float, str]]:
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        horizon = self._clock() - self.window
        while failures and failures[0][0] <= horizon:
            failures.popleft()
        return failures

    async def begin(self, key: str) -> str:
        failures = self._recent(key)
        now = self._clock()
        if len(failures) >= self.attempts:
            raise _refusal(failures[0][0] + self.window - now)
        attempt = uuid.uuid4().hex
        failures.append((now, attempt))
        self._failures[key] = failures
        self._failures.move_to_end(key)
        while len(self._failures) > MAX_CALLERS:
            self._failures.popitem(last=False)
        return attempt

    async def forgive(self, key: str, attempt: str) -> None:
        failures = self._failures.get(key)
        if failures is not None:
            kept = deque(f for f in failures if f[1] != attempt)
            self._failures[key] = kept


# KEYS[1]: the caller's sorted set (score: epoch ms). ARGV: now ms, window ms, attempts, member.
# Answers 0 when counted, else the milliseconds until the oldest failure leaves the window.
_BEGIN = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(tonumber(oldest[2]) + ARGV[2] - ARGV[1], 1)
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 0
"""


class RedisAttemptLimiter:
    """Attempts per key in Redis, shared by every gateway instance (wall-clock time)."""

    def __init__(
        self,
        redis: Redis,
        attempts: int,
        window: float,
        prefix: str = "healthpass:attempts:",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.attempts = attempts
        self.window = window
        self._redis = redis
        self._prefix = prefix
        self._clock = clock
        self._script: Any = redis.register_script(_BEGIN)

    async def begin(self, key: str) -> str:
        attempt = uuid.uuid4().hex
        now_ms = int(self._clock() * 1000)
        window_ms = max(int(self.window * 1000), 1)
        wait_ms = int(
            await self._script(
                keys=[self._prefix + key], args=[now_ms, window_ms, self.attempts, attempt]
            )
        )
        if wait_ms:
            raise _refusal(wait_ms / 1000)
        return attempt

    async def forgive(self, key: str, attempt: str) -> None:
        await self._redis.zrem(self._prefix + key, attempt)
