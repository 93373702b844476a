"""Per-source resilience: a circuit breaker and jittered retries for idempotent reads."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import TypeVar

import httpx

from gateway.settings import Resilience

T = TypeVar("T")


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitOpen(Exception):
    """The source's circuit is open: fail fast instead of waiting on a sick upstream."""


class CircuitBreaker:
    """Opens after `failures` consecutive failures; after `cooldown` lets one probe through."""

    def __init__(
        self,
        failures: int,
        cooldown: float,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[CircuitState], None] | None = None,
    ) -> None:
        self.failures = failures
        self.cooldown = cooldown
        self._clock = clock
        self._state = CircuitState.CLOSED
        self._consecutive = 0
        self._opened_at = 0.0
        self._on_change = on_change  # told of each transition (the circuit-state metric)

    @property
    def state(self) -> CircuitState:
        return self._state

    @state.setter
    def state(self, state: CircuitState) -> None:
        if state is not self._state:
            self._state = state
            if self._on_change is not None:
                self._on_change(state)

    def allow(self) -> bool:
        """Whether a request may go upstream now (a half-open circuit admits a single probe)."""
        if self.state is CircuitState.CLOSED:
            return True
        if self.state is CircuitState.OPEN and self._clock() - self._opened_at >= self.cooldown:
            self.state = CircuitState.HALF_OPEN
            return True
        return False

    def record_success(self) -> None:
        self.state = CircuitState.CLOSED
        self._consecutive = 0

    def record_failure(self) -> None:
        self._consecutive += 1
        if self.state is CircuitState.HALF_OPEN or self._consecutive >= self.failures:
            self.state = CircuitState.OPEN
            self._opened_at = self._clock()


def retryable(error: BaseException) -> bool:
    """Timeouts, transport failures and 5xx/429 answers may succeed on a second try."""
    if isinstance(error, httpx.TransportError | TimeoutError):
        return True
    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code >= 500 or error.response.status_code == 429
    return False


async def with_retries(
    call: Callable[[], Awaitable[T]], breaker: CircuitBreaker, policy: Resilience
) -> T:
    """Run an idempotent read through the breaker, retrying with full-jitter exponential backoff."""
    attempt = 0
    while True:
        if not breaker.allow():
            raise CircuitOpen()
        try:
            result = await call()
        except Exception as error:
            breaker.record_failure()
            if attempt >= policy.retries or not retryable(error):
                raise
            ceiling = min(policy.backoff_max, policy.backoff_base * 2**attempt)
            await asyncio.sleep(random.uniform(0, ceiling))
            attempt += 1
        else:
            breaker.record_success()
            return result
