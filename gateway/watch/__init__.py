"""The workforce watch: alerts to employers when an approved worker's status turns.

- `follower.py`: follows the upstreams' change feeds (and what falls due) and decides alerts.
- `store.py`: its durable state in SQLite (`DATA_DIR/workforce.sqlite3`): cursors, watched
  workers, alerts.
- `alerts.py`: the alert record and the fan-out to live subscriptions (`AlertBus`).
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.watch.alerts import AlertBus, AlertKind, MemoryAlertBus, WorkerAlertRecord
from gateway.watch.store import WatchStore

__all__ = [
    "AlertBus",
    "AlertKind",
    "Alerts",
    "MemoryAlertBus",
    "WatchStore",
    "WorkerAlertRecord",
]


@dataclass(frozen=True, slots=True)
class Alerts:
    """What resolvers need of the watch: the stored alerts and the live fan-out."""

    store: WatchStore
    bus: AlertBus
