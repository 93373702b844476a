"""Accepting a submission into the outbox, and delivering it upstream.

`Outbox.submit` stores the submission (with its idempotency key and alert) in one transaction,
leased to itself, then tries to deliver it at once with a short timeout: the usual answer is
ACCEPTED. When that attempt fails the row is scheduled for a retry and the answer is QUEUED; the
worker (`worker.py`) delivers it later. Attempts never stop: the wait between two grows to
`retry_max` and stays there. The submission id travels upstream as the `Idempotency-Key`, so an
attempt whose answer was lost (or a crash between delivering and marking delivered) does not
make a second record upstream.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from gateway import metrics
from gateway.outbox.store import Accepted, Alert, IdempotencyClaim, Kind, OutboxStore, Submission
from gateway.settings import Outbox as OutboxSettings

log = logging.getLogger("gateway.outbox")

# POST the payload to the upstream with the key as Idempotency-Key; raise when it failed.
Deliver = Callable[[str, Mapping[str, Any], float | None], Awaitable[None]]
# Forget what the cache holds about a person (their new submission is upstream now).
Forget = Callable[[str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Destination:
    """Where submissions of one kind go."""

    deliver: Deliver
    forget: Forget


def retry_delay(attempt: int, settings: OutboxSettings, rng: random.Random) -> float:
    """Seconds to wait after the `attempt`-th failure: exponential, capped, with equal jitter."""
    ceiling: float = min(settings.retry_max, settings.retry_min * 2.0 ** min(attempt - 1, 32))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def describe(error: BaseException) -> str:
    """A short, body-free description of a failed attempt, for the row and the logs."""
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code}"
    if isinstance(error, TimeoutError | httpx.TimeoutException):
        return "timed out"
    return type(error).__name__


def utc_now() -> datetime:
    return datetime.now(UTC)


class Outbox:
    """The durable outbox: accept, deliver now if possible, retry until delivered."""

    def __init__(
        self,
        store: OutboxStore,
        destinations: Mapping[Kind, Destination],
        settings: OutboxSettings,
        *,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.settings = settings
        self._destinations = destinations
        self.now = now
        self._rng = random.Random()

    async def submit(
        self, submission: Submission, claim: IdempotencyClaim, alert: Alert | None = None
    ) -> Accepted:
        """Store the submission durably, then try to deliver it within `deliver_timeout`.

        When the caller's key was used before, nothing is stored or sent: the earlier
        submission comes back (`created` False).
        """
        lease_until = self.now() + timedelta(seconds=self.settings.lease)
        accepted = await self.store.accept(submission, claim, alert, lease_until)
        if not accepted.created:
            return accepted
        if alert is not None:
            metrics.alerts_raised("F0_URGENT")
        delivered_at = await self.attempt(accepted.submission, self.settings.deliver_timeout)
        if delivered_at is None:
            return accepted
        return replace(accepted, submission=replace(submission, delivered_at=delivered_at))

    async def attempt(self, submission: Submission, timeout: float | None) -> datetime | None:
        """One delivery attempt; the instant it was delivered, or None (a retry is scheduled)."""
        destination = self._destinations[submission.kind]
        try:
            await asyncio.wait_for(
                destination.deliver(submission.id, submission.payload, timeout), timeout
            )
        except (httpx.HTTPError, TimeoutError, ValueError) as error:
            attempt = submission.attempts + 1
            delay = retry_delay(attempt, self.settings, self._rng)
            log.warning(
                "delivery of %s %s failed (attempt %d, %s); retry in %.1f s",
                submission.kind,
                submission.id,
                attempt,
                describe(error),
                delay,
            )
            retry_at = self.now() + timedelta(seconds=delay)
            await self.store.mark_failed(submission.id, describe(error), retry_at)
            metrics.outbox_attempt(submission.kind.value, delivered=False)
            return None
        metrics.outbox_attempt(submission.kind.value, delivered=True)
        delivered_at = self.now()
        await self.store.mark_delivered(submission.id, delivered_at)
        await destination.forget(submission.person_id)
        return delivered_at

    async def deliver_due(self) -> int:
        """Claim the rows due now and deliver them concurrently; how many were claimed."""
        now = self.now()
        due = await self.store.claim_due(
            now, now + timedelta(seconds=self.settings.lease), self.settings.batch_size
        )
        if due:
            await asyncio.gather(*(self.attempt(submission, None) for submission in due))
        return len(due)
