"""Failed attempts per caller in a sliding window (in memory, per process): SMS-code guessing.

Used against guessing SMS codes: a caller who has failed `attempts` times within `window`
seconds is refused (RATE_LIMITED) until the oldest failure leaves the window, whatever they
try, so a correct guess made while limited is not answered either. Issues 7/8 move the counts
to Redis so that every gateway instance shares them.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable

from gateway.errors import RateLimited

MAX_CALLERS = 100_000  # bounded memory: the callers idle longest are forgotten first


class AttemptLimiter:
    """Failed attempts per key in the last `window` seconds, at most `attempts` of them."""

    def __init__(
        self, attempts: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.attempts = attempts
        self.window = window
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, key: str) -> deque[float]:
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        horizon = self._clock() - self.window
        while failures and failures[0] <= horizon:
            failures.popleft()
        return failures

    def check(self, key: str) -> None:
        """RATE_LIMITED when `key` has used up its failed attempts."""
        failures = self._recent(key)
        if len(failures) >= self.attempts:
            retry_after = max(1, round(failures[0] + self.window - self._clock()))
            raise RateLimited(
                f"Too many wrong codes; try again in {retry_after} seconds.",
                retryAfter=retry_after,
            )

    def fail(self, key: str) -> None:
        """Count one failed attempt of `key`."""
        failures = self._recent(key)
        failures.append(self._clock())
        self._failures[key] = failures
        self._failures.move_to_end(key)
        while len(self._failures) > MAX_CALLERS:
            self._failures.popitem(last=False)
