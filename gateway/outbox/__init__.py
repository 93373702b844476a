"""The durable outbox of submissions (health declarations, F0 reports), and the F0 alerts.

- `store.py`: the records and the `OutboxStore` protocol; `sqlite.py` and `postgres.py`
  implement it (`DATABASE_URL` picks PostgreSQL, else SQLite at `DATA_DIR/gateway.sqlite3`).
- `delivery.py`: `Outbox.submit` (one transaction, then an immediate delivery attempt) and the
  retry schedule.
- `worker.py`: the background worker that delivers what is due, started in the lifespan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from gateway.outbox.delivery import Destination, Outbox
from gateway.outbox.store import Accepted, Alert, IdempotencyClaim, Kind, OutboxStore, Submission
from gateway.outbox.worker import running
from gateway.settings import Settings

__all__ = [
    "Accepted",
    "Alert",
    "Destination",
    "IdempotencyClaim",
    "Kind",
    "Outbox",
    "OutboxStore",
    "Submission",
    "create_store",
    "open_outbox",
]

SQLITE_FILE = "gateway.sqlite3"


def create_store(settings: Settings) -> OutboxStore:
    """The store the settings name (not yet open)."""
    if settings.database_url:
        from gateway.outbox.postgres import PostgresStore  # only needed with a DATABASE_URL

        return PostgresStore(settings.database_url, schema=settings.outbox.schema)
    from gateway.outbox.sqlite import SQLiteStore

    return SQLiteStore(settings.data_dir / SQLITE_FILE)


@asynccontextmanager
async def open_outbox(
    settings: Settings,
    destinations: Mapping[Kind, Destination],
    store: OutboxStore | None = None,
) -> AsyncIterator[Outbox]:
    """Open the store, run the delivery worker, and stop both on exit."""
    store = store if store is not None else create_store(settings)
    await store.open()
    try:
        outbox = Outbox(store, destinations, settings.outbox)
        async with running(outbox):
            yield outbox
    finally:
        await store.close()
