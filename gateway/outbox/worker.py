"""The background delivery worker: started and stopped with the application (lifespan)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from datetime import timedelta

from gateway import tasks
from gateway.outbox.delivery import Outbox

log = logging.getLogger("gateway.outbox")

_PURGE_EVERY_SECONDS = 3600.0
STOP_SECONDS = 5.0


async def run_worker(outbox: Outbox) -> None:
    """Deliver due rows forever; look again at once while there is a backlog.

    A failure of the store itself (a database restart) is logged and the loop goes on: the rows
    are still there, and their leases run out.
    """
    settings = outbox.settings
    purged_at = -float("inf")
    while True:
        claimed = 0
        try:
            claimed = await outbox.deliver_due()
            if time.monotonic() - purged_at > _PURGE_EVERY_SECONDS:
                cutoff = outbox.now() - timedelta(days=settings.retention_days)
                purged = await outbox.store.purge(cutoff)
                purged_at = time.monotonic()
                if purged:
                    log.info("purged %d delivered submissions older than %s", purged, cutoff)
        except Exception:
            log.exception("the outbox worker's pass failed; retrying")
        if claimed < settings.batch_size:
            await asyncio.sleep(settings.poll_interval)


@contextlib.asynccontextmanager
async def running(outbox: Outbox) -> AsyncIterator[asyncio.Task[None]]:
    """Run the worker as a task for the duration of the block."""
    task = asyncio.create_task(run_worker(outbox), name="outbox-worker")
    try:
        yield task
    finally:
        # Cancelled again until it stops (a cancellation can be lost in Python 3.11's wait_for).
        await tasks.stop(task, STOP_SECONDS)
