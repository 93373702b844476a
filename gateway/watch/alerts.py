"""Alerts to an employer about its approved workers, and their in-process fan-out.

An alert is raised when an approved worker turns RED or UNKNOWN, or their health declaration
lapses (`follower.py` decides). It is written to the watch store first (so `workerAlerts` can
list it and a reconnecting subscriber can catch up), then published on the `AlertBus` to the
employer's live subscriptions. `MemoryAlertBus` fans out within one process; a shared bus (Redis
pub/sub, issue 8) only needs to implement the same two methods.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from gateway.status import Color

QUEUE_LIMIT = 1000  # alerts kept for one slow subscriber; older ones are dropped (see catch-up)


class AlertKind(StrEnum):
    """Why the employer is alerted."""

    STATUS_RED = "STATUS_RED"
    STATUS_UNKNOWN = "STATUS_UNKNOWN"
    DECLARATION_LAPSED = "DECLARATION_LAPSED"


@dataclass(frozen=True, slots=True)
class WorkerAlertRecord:
    """One alert as stored; `id` grows with every alert of the store."""

    id: int
    enterprise_id: str
    list_id: str
    list_name: str
    person_id: str
    masked_name: str | None
    kind: AlertKind
    color: Color
    reasons: tuple[str, ...]
    previous_color: Color | None
    declaration_valid_until: datetime | None
    raised_at: datetime


Subscription = AbstractAsyncContextManager[AsyncIterator[WorkerAlertRecord]]


class AlertBus(Protocol):
    """Delivers stored alerts to the live subscriptions of their employer."""

    async def publish(self, alerts: Sequence[WorkerAlertRecord]) -> None:
        """Hand alerts (already stored) to their employers' subscriptions."""

    def subscribe(self, enterprise_id: str) -> Subscription:
        """The employer's alerts published from now on, while the context is open."""


class MemoryAlertBus:
    """Fan-out to the subscriptions of this process."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[WorkerAlertRecord]]] = {}

    async def publish(self, alerts: Sequence[WorkerAlertRecord]) -> None:
        for alert in alerts:
            for queue in self._queues.get(alert.enterprise_id, ()):
                if queue.full():
                    queue.get_nowait()  # a subscriber this far behind catches up from the store
                queue.put_nowait(alert)

    @asynccontextmanager
    async def subscribe(
        self, enterprise_id: str
    ) -> AsyncIterator[AsyncIterator[WorkerAlertRecord]]:
        queue: asyncio.Queue[WorkerAlertRecord] = asyncio.Queue(QUEUE_LIMIT)
        self._queues.setdefault(enterprise_id, set()).add(queue)
        try:
            yield _drain(queue)
        finally:
            subscribers = self._queues.get(enterprise_id, set())
            subscribers.discard(queue)
            if not subscribers:
                self._queues.pop(enterprise_id, None)

    def subscribers(self, enterprise_id: str) -> int:
        """How many live subscriptions the employer has (for tests and metrics)."""
        return len(self._queues.get(enterprise_id, ()))


async def _drain(queue: asyncio.Queue[WorkerAlertRecord]) -> AsyncIterator[WorkerAlertRecord]:
    while True:
        yield await queue.get()
