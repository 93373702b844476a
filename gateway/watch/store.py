"""The watch's durable state (SQLite under DATA_DIR): feed cursors, watched workers, alerts.

- `feed_cursors`: the cursor of each followed change feed, so a restarted gateway resumes where
  it stopped instead of reading every feed from the start or skipping what happened meanwhile.
- `watched_workers`: every worker of an APPROVED list with their last evaluated status and when
  it must be looked at again (`due_at`, epoch seconds: a colour's validUntil, a declaration's
  end). A new row has no colour yet and is due at once: the follower takes its baseline.
- `worker_alerts`: the alerts raised, per employer, in order.

Cursors move in the same transaction as the alerts and row updates their changes caused, so an
alert is raised once per change, however the process stops. One connection, statements of well
under a millisecond: run on the event loop, like the follower that is their only writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from gateway.status import Color
from gateway.watch.alerts import AlertKind, WorkerAlertRecord

FILE = "workforce.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feed_cursors (feed TEXT PRIMARY KEY, cursor TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS watched_workers (
    list_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    enterprise_id TEXT NOT NULL,
    list_name TEXT NOT NULL,
    color TEXT,
    valid_until TEXT,
    declaration_valid_until TEXT,
    checked_at TEXT,
    due_at REAL,
    PRIMARY KEY (list_id, person_id)
);
CREATE INDEX IF NOT EXISTS watched_by_person ON watched_workers (person_id);
CREATE INDEX IF NOT EXISTS watched_by_due ON watched_workers (due_at);
CREATE TABLE IF NOT EXISTS worker_alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    enterprise_id TEXT NOT NULL,
    list_id TEXT NOT NULL,
    list_name TEXT NOT NULL,
    person_id TEXT NOT NULL,
    masked_name TEXT,
    kind TEXT NOT NULL,
    color TEXT NOT NULL,
    reasons TEXT NOT NULL,
    previous_color TEXT,
    declaration_valid_until TEXT,
    raised_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_by_enterprise ON worker_alerts (enterprise_id, id);
"""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def epoch(value: datetime | None) -> float | None:
    """An instant as epoch seconds (how `due_at` compares)."""
    return value.astimezone(UTC).timestamp() if value is not None else None


@dataclass(frozen=True, slots=True)
class WatchedWorker:
    """A worker of an approved list, as last evaluated (no colour before the baseline)."""

    list_id: str
    person_id: str
    enterprise_id: str
    list_name: str
    color: Color | None
    valid_until: datetime | None
    declaration_valid_until: datetime | None
    checked_at: datetime | None


@dataclass(frozen=True, slots=True)
class Evaluated:
    """A row's new state after an evaluation."""

    list_id: str
    person_id: str
    color: Color
    valid_until: datetime | None
    declaration_valid_until: datetime | None
    checked_at: datetime
    due_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewAlert:
    """An alert to store (it gets its id there)."""

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


_ROW = (
    "list_id, person_id, enterprise_id, list_name, color, valid_until, "
    "declaration_valid_until, checked_at"
)


def _watched(row: Sequence[str | None]) -> WatchedWorker:
    color = row[4]
    return WatchedWorker(
        list_id=str(row[0]),
        person_id=str(row[1]),
        enterprise_id=str(row[2]),
        list_name=str(row[3]),
        color=Color(color) if color is not None else None,
        valid_until=_instant(row[5]),
        declaration_valid_until=_instant(row[6]),
        checked_at=_instant(row[7]),
    )


def _alert(row: Sequence[object]) -> WorkerAlertRecord:
    reasons = str(row[8])
    previous = row[9]
    return WorkerAlertRecord(
        id=int(str(row[0])),
        enterprise_id=str(row[1]),
        list_id=str(row[2]),
        list_name=str(row[3]),
        person_id=str(row[4]),
        masked_name=None if row[5] is None else str(row[5]),
        kind=AlertKind(str(row[6])),
        color=Color(str(row[7])),
        reasons=tuple(reasons.split(",")) if reasons else (),
        previous_color=Color(str(previous)) if previous is not None else None,
        declaration_valid_until=_instant(None if row[10] is None else str(row[10])),
        raised_at=datetime.fromisoformat(str(row[11])),
    )


class WatchStore:
    """The watch's tables in one SQLite file, opened on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def cursor(self, feed: str) -> str | None:
        """The stored cursor of a feed (None: read it from the start)."""
        row = self._db.execute("SELECT cursor FROM feed_cursors WHERE feed = ?", (feed,)).fetchone()
        return None if row is None else str(row[0])

    def watch_list(
        self, list_id: str, enterprise_id: str, list_name: str, person_ids: Iterable[str]
    ) -> None:
        """Watch exactly `person_ids` for an approved list: new ones are due for a baseline."""
        ids = list(dict.fromkeys(person_ids))
        with self._transaction() as db:
            db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (person_id TEXT PRIMARY KEY)")
            db.execute("DELETE FROM keep")
            db.executemany("INSERT INTO keep VALUES (?)", ((pid,) for pid in ids))
            db.execute(
                "DELETE FROM watched_workers WHERE list_id = ? "
                "AND person_id NOT IN (SELECT person_id FROM keep)",
                (list_id,),
            )
            db.executemany(
                "INSERT OR IGNORE INTO watched_workers (list_id, person_id, enterprise_id, "
                "list_name, due_at) VALUES (?, ?, ?, ?, 0)",
                ((list_id, pid, enterprise_id, list_name) for pid in ids),
            )

    def approved(
        self, list_id: str, enterprise_id: str, list_name: str, rows: Sequence[Evaluated]
    ) -> None:
        """Watch a list just approved, from what its approval evaluated: the alerts that follow
        can name the colour before, and what falls due is known at once."""
        with self._transaction() as db:
            db.execute("DELETE FROM watched_workers WHERE list_id = ?", (list_id,))
            db.executemany(
                "INSERT INTO watched_workers (list_id, person_id, enterprise_id, list_name, "
                "color, valid_until, declaration_valid_until, checked_at, due_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        list_id,
                        row.person_id,
                        enterprise_id,
                        list_name,
                        row.color.value,
                        _iso(row.valid_until),
                        _iso(row.declaration_valid_until),
                        _iso(row.checked_at),
                        epoch(row.due_at),
                    )
                    for row in rows
                ),
            )

    def unwatch_list(self, list_id: str) -> None:
        """Stop watching a list (it is no longer APPROVED)."""
        self._db.execute("DELETE FROM watched_workers WHERE list_id = ?", (list_id,))

    def unwatch_all(self) -> None:
        """Forget every watched worker (the registry's history started over)."""
        self._db.execute("DELETE FROM watched_workers")

    def watched_people(self, person_ids: Iterable[str]) -> list[WatchedWorker]:
        """The watched rows of these people (one per approved list they are on)."""
        ids = list(set(person_ids))
        rows: list[WatchedWorker] = []
        for start in range(0, len(ids), 500):  # SQLite's bound on host parameters
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found = self._db.execute(
                f"SELECT {_ROW} FROM watched_workers WHERE person_id IN ({marks})", chunk
            )
            rows += [_watched(row) for row in found]
        return rows

    def due(self, now: datetime, limit: int) -> list[WatchedWorker]:
        """Rows whose due time has come, earliest first."""
        found = self._db.execute(
            f"SELECT {_ROW} FROM watched_workers WHERE due_at IS NOT NULL AND due_at <= ? "
            "ORDER BY due_at LIMIT ?",
            (epoch(now), limit),
        )
        return [_watched(row) for row in found]

    def record(
        self,
        cursors: Mapping[str, str],
        evaluated: Sequence[Evaluated],
        alerts: Sequence[NewAlert],
    ) -> list[WorkerAlertRecord]:
        """In one transaction: new cursors, evaluated rows and alerts; the alerts as stored."""
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO feed_cursors VALUES (?, ?) "
                "ON CONFLICT (feed) DO UPDATE SET cursor = excluded.cursor",
                cursors.items(),
            )
            db.executemany(
                "UPDATE watched_workers SET color = ?, valid_until = ?, "
                "declaration_valid_until = ?, checked_at = ?, due_at = ? "
                "WHERE list_id = ? AND person_id = ?",
                (
                    (
                        e.color.value,
                        _iso(e.valid_until),
                        _iso(e.declaration_valid_until),
                        _iso(e.checked_at),
                        epoch(e.due_at),
                        e.list_id,
                        e.person_id,
                    )
                    for e in evaluated
                ),
            )
            ids = [self._insert(db, alert) for alert in alerts]
        return self.alerts_by_id(ids)

    def _insert(self, db: sqlite3.Connection, alert: NewAlert) -> int:
        cursor = db.execute(
            "INSERT INTO worker_alerts (enterprise_id, list_id, list_name, person_id, "
            "masked_name, kind, color, reasons, previous_color, declaration_valid_until, "
            "raised_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                alert.enterprise_id,
                alert.list_id,
                alert.list_name,
                alert.person_id,
                alert.masked_name,
                alert.kind.value,
                alert.color.value,
                ",".join(alert.reasons),
                alert.previous_color.value if alert.previous_color else None,
                _iso(alert.declaration_valid_until),
                _iso(alert.raised_at),
            ),
        )
        return int(cursor.lastrowid or 0)

    def alerts_by_id(self, ids: Sequence[int]) -> list[WorkerAlertRecord]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        found = self._db.execute(
            f"SELECT * FROM worker_alerts WHERE id IN ({marks}) ORDER BY id", list(ids)
        )
        return [_alert(row) for row in found]

    def alerts(self, enterprise_id: str, after: int, limit: int) -> list[WorkerAlertRecord]:
        """An employer's alerts after the id `after`, oldest first, at most `limit`."""
        found = self._db.execute(
            "SELECT * FROM worker_alerts WHERE enterprise_id = ? AND id > ? ORDER BY id LIMIT ?",
            (enterprise_id, after, limit),
        )
        return [_alert(row) for row in found]

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """BEGIN … COMMIT (ROLLBACK on an error) on an autocommit connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
