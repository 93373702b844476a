"""Alert fan-out across a fleet: Redis pub/sub behind the `AlertBus` protocol (`REDIS_URL`).

`publish` sends the stored alerts on one channel; every instance listens on it with one
connection and hands what arrives to the subscriptions of its own process (a `MemoryAlertBus`),
so an employer connected to any instance hears an alert whichever instance raised it. The
publisher hears its own message back like every other instance: that is how its own subscribers
get it (nothing is delivered twice).

Pub/sub delivers to whoever listens at that moment: an instance whose listener is reconnecting
misses what is published meanwhile. Nothing is lost for the employer: alerts are stored before
they are published, and a subscription with `after` replays them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import orjson
from redis.asyncio import Redis

from gateway import tasks
from gateway.status import Color
from gateway.watch.alerts import AlertKind, MemoryAlertBus, WorkerAlertRecord

log = logging.getLogger("gateway.watch")
RECONNECT_SECONDS = 1.0
READY_SECONDS = 5.0
STOP_SECONDS = 2.0


def alert_json(alert: WorkerAlertRecord) -> dict[str, Any]:
    return {
        "id": alert.id,
        "enterpriseId": alert.enterprise_id,
        "listId": alert.list_id,
        "listName": alert.list_name,
        "personId": alert.person_id,
        "maskedName": alert.masked_name,
        "kind": alert.kind.value,
        "color": alert.color.value,
        "reasons": list(alert.reasons),
        "previousColor": alert.previous_color.value if alert.previous_color else None,
        "declarationValidUntil": (
            alert.declaration_valid_until.isoformat() if alert.declaration_valid_until else None
        ),
        "raisedAt": alert.raised_at.isoformat(),
    }


def alert_from_json(data: dict[str, Any]) -> WorkerAlertRecord:
    declared, previous = data["declarationValidUntil"], data["previousColor"]
    return WorkerAlertRecord(
        id=int(data["id"]),
        enterprise_id=data["enterpriseId"],
        list_id=data["listId"],
        list_name=data["listName"],
        person_id=data["personId"],
        masked_name=data["maskedName"],
        kind=AlertKind(data["kind"]),
        color=Color(data["color"]),
        reasons=tuple(data["reasons"]),
        previous_color=Color(previous) if previous else None,
        declaration_valid_until=datetime.fromisoformat(declared) if declared else None,
        raised_at=datetime.fromisoformat(data["raisedAt"]),
    )


class RedisAlertBus:
    """Publishes on a Redis channel; delivers what the channel carries to local subscribers."""

    def __init__(self, redis: Redis, channel: str) -> None:
        self._redis = redis
        self.channel = channel
        self._local = MemoryAlertBus()
        self._listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def publish(self, alerts: Sequence[WorkerAlertRecord]) -> None:
        await self._redis.publish(self.channel, orjson.dumps([alert_json(a) for a in alerts]))

    def subscribe(
        self, enterprise_id: str
    ) -> contextlib.AbstractAsyncContextManager[AsyncIterator[WorkerAlertRecord]]:
        return self._local.subscribe(enterprise_id)

    def subscribers(self, enterprise_id: str) -> int:
        return self._local.subscribers(enterprise_id)

    async def start(self) -> None:
        """Start listening; returns once subscribed (or after READY_SECONDS, still trying)."""
        self._task = asyncio.create_task(self._listen(), name="alert-bus")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._listening.wait(), READY_SECONDS)

    async def aclose(self) -> None:
        if self._task is not None:
            await tasks.stop(self._task, STOP_SECONDS)

    async def _listen(self) -> None:
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    self._listening.set()
                    async for message in pubsub.listen():
                        await self._deliver(message)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self._listening.clear()
                log.warning("the alert channel failed (%s); listening again", type(error).__name__)
                await asyncio.sleep(RECONNECT_SECONDS)

    async def _deliver(self, message: dict[str, Any]) -> None:
        if message.get("type") != "message":
            return
        try:
            alerts = [alert_from_json(item) for item in orjson.loads(message["data"])]
        except (ValueError, KeyError, TypeError):
            log.error("an unreadable message on the alert channel was dropped")
            return
        await self._local.publish(alerts)
