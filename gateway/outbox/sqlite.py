"""The store on SQLite (the embedded default: `DATA_DIR/gateway.sqlite3`).

One connection in WAL mode with `synchronous=FULL`: a submission is on disk before the mutation
answers, and a SIGKILL loses nothing acknowledged. Every statement runs on one dedicated thread,
so the event loop never blocks on the file and transactions never interleave. One gateway
process per file: several instances share PostgreSQL instead.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import orjson

from gateway.outbox.commits import CommitSignal
from gateway.outbox.store import Accepted, Alert, IdempotencyClaim, Kind, Submission, utc

T = TypeVar("T")
LOOP_READ_MAX = 4  # people whose latest submissions `latest_of` reads on the event loop
MAX_REMEMBERED = 100_000  # latest submissions remembered between commits

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    person_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    submitted_at REAL NOT NULL,
    delivered_at REAL,
    next_attempt_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS submissions_due ON submissions (next_attempt_at)
    WHERE delivered_at IS NULL;
CREATE INDEX IF NOT EXISTS submissions_by_person ON submissions (kind, person_id, submitted_at);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    caller TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    submission_id TEXT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    PRIMARY KEY (caller, key)
);
CREATE INDEX IF NOT EXISTS idempotency_by_submission ON idempotency_keys (submission_id);
CREATE TABLE IF NOT EXISTS f0_alerts (
    id TEXT PRIMARY KEY,
    submission_id TEXT NOT NULL UNIQUE,
    person_id TEXT NOT NULL,
    district TEXT NOT NULL,
    raised_at REAL NOT NULL,
    warnings TEXT NOT NULL,
    acknowledged_at REAL,
    acknowledged_by TEXT
);
CREATE INDEX IF NOT EXISTS f0_alerts_by_district ON f0_alerts (district, raised_at);
"""


def _ts(value: datetime) -> float:
    return utc(value).timestamp()


def _dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _submission(row: sqlite3.Row) -> Submission:
    return Submission(
        id=row["id"],
        kind=Kind(row["kind"]),
        person_id=row["person_id"],
        payload=orjson.loads(row["payload"]),
        submitted_at=datetime.fromtimestamp(row["submitted_at"], UTC),
        delivered_at=_dt(row["delivered_at"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
    )


def _alert(row: sqlite3.Row) -> Alert:
    return Alert(
        id=row["id"],
        submission_id=row["submission_id"],
        person_id=row["person_id"],
        district=row["district"],
        raised_at=datetime.fromtimestamp(row["raised_at"], UTC),
        warnings=tuple(orjson.loads(row["warnings"])),
        acknowledged_at=_dt(row["acknowledged_at"]),
        acknowledged_by=row["acknowledged_by"],
    )


def _state_filter(acknowledged: bool | None) -> str:
    if acknowledged is None:
        return ""
    return " AND acknowledged_at IS NOT NULL" if acknowledged else " AND acknowledged_at IS NULL"


class SQLiteStore:
    """`OutboxStore` on one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-sqlite")
        self._conn: sqlite3.Connection | None = None
        # Small reads on the event loop itself (see `latest_of`): WAL readers never wait.
        self._reader: sqlite3.Connection | None = None
        # What `latest_of` read through it, until anything commits (`commits.py`).
        self._commits: CommitSignal | None = None
        self._latest: dict[tuple[Kind, str], Submission | None] = {}
        self._latest_version: bytes | int = -1

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args))

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("The outbox store is not open.")
        return self._conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    async def open(self) -> None:
        await self._run(self._open)

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.executescript(SCHEMA)
        self._conn = conn
        reader = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        reader.row_factory = sqlite3.Row
        reader.execute("PRAGMA query_only=ON")
        reader.execute("PRAGMA busy_timeout=0")  # never block the loop: busy goes the usual way
        self._commits = CommitSignal(self.path, reader)
        self._reader = reader

    async def close(self) -> None:
        if self._commits is not None:
            self._commits.close()  # before the connections: see commits.py
        if self._conn is not None:
            await self._run(self._db.close)
            self._conn = None
        if self._reader is not None:
            await self._run(self._reader.close)
            self._reader = None
        self._executor.shutdown(wait=True)

    async def accept(
        self,
        submission: Submission,
        claim: IdempotencyClaim,
        alert: Alert | None,
        lease_until: datetime,
    ) -> Accepted:
        return await self._run(self._accept, submission, claim, alert, lease_until)

    def _accept(
        self,
        submission: Submission,
        claim: IdempotencyClaim,
        alert: Alert | None,
        lease_until: datetime,
    ) -> Accepted:
        with self._transaction() as db:
            earlier = self._find(claim.caller, claim.key)
            if earlier is not None:
                return earlier
            db.execute(
                "INSERT INTO submissions (id, kind, person_id, payload, submitted_at,"
                " next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    submission.id,
                    submission.kind.value,
                    submission.person_id,
                    orjson.dumps(submission.payload).decode(),
                    _ts(submission.submitted_at),
                    _ts(lease_until),
                ),
            )
            db.execute(
                "INSERT INTO idempotency_keys (caller, key, request_hash, submission_id)"
                " VALUES (?, ?, ?, ?)",
                (claim.caller, claim.key, claim.request_hash, submission.id),
            )
            if alert is not None:
                db.execute(
                    "INSERT INTO f0_alerts (id, submission_id, person_id, district, raised_at,"
                    " warnings) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        alert.id,
                        alert.submission_id,
                        alert.person_id,
                        alert.district,
                        _ts(alert.raised_at),
                        orjson.dumps(list(alert.warnings)).decode(),
                    ),
                )
        return Accepted(submission, alert, created=True, request_hash=claim.request_hash)

    async def find(self, caller: str, key: str) -> Accepted | None:
        return await self._run(self._find, caller, key)

    def _find(self, caller: str, key: str) -> Accepted | None:
        row = self._db.execute(
            "SELECT s.*, k.request_hash FROM idempotency_keys k"
            " JOIN submissions s ON s.id = k.submission_id WHERE k.caller = ? AND k.key = ?",
            (caller, key),
        ).fetchone()
        if row is None:
            return None
        alert = self._db.execute(
            "SELECT * FROM f0_alerts WHERE submission_id = ?", (row["id"],)
        ).fetchone()
        return Accepted(
            _submission(row),
            _alert(alert) if alert is not None else None,
            created=False,
            request_hash=row["request_hash"],
        )

    async def submission(self, submission_id: str) -> Submission | None:
        return await self._run(self._one_submission, submission_id)

    def _one_submission(self, submission_id: str) -> Submission | None:
        row = self._db.execute("SELECT * FROM submissions WHERE id = ?", (submission_id,))
        found = row.fetchone()
        return _submission(found) if found is not None else None

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Submission]:
        return await self._run(self._claim_due, _ts(now), _ts(lease_until), limit)

    def _claim_due(self, now: float, lease_until: float, limit: int) -> list[Submission]:
        with self._transaction() as db:
            rows = db.execute(
                "SELECT * FROM submissions WHERE delivered_at IS NULL AND next_attempt_at <= ?"
                " ORDER BY next_attempt_at LIMIT ?",
                (now, limit),
            ).fetchall()
            db.executemany(
                "UPDATE submissions SET next_attempt_at = ? WHERE id = ?",
                [(lease_until, row["id"]) for row in rows],
            )
        return [_submission(row) for row in rows]

    async def mark_delivered(self, submission_id: str, at: datetime) -> None:
        await self._run(
            self._write,
            "UPDATE submissions SET delivered_at = ?, attempts = attempts + 1, last_error = NULL"
            " WHERE id = ? AND delivered_at IS NULL",
            (_ts(at), submission_id),
        )

    async def mark_failed(self, submission_id: str, error: str, retry_at: datetime) -> None:
        await self._run(
            self._write,
            "UPDATE submissions SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?"
            " WHERE id = ? AND delivered_at IS NULL",
            (error, _ts(retry_at), submission_id),
        )

    def _write(self, sql: str, params: tuple[Any, ...]) -> int:
        with self._transaction() as db:
            return db.execute(sql, params).rowcount

    async def submissions_of(
        self, kind: Kind, person_ids: Sequence[str]
    ) -> dict[str, list[Submission]]:
        return await self._run(self._submissions_of, kind, list(person_ids))

    def _submissions_of(self, kind: Kind, person_ids: list[str]) -> dict[str, list[Submission]]:
        found: dict[str, list[Submission]] = {pid: [] for pid in person_ids}
        for start in range(0, len(person_ids), 500):  # SQLite caps bound parameters
            chunk = person_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT * FROM submissions WHERE kind = ? AND person_id IN ({marks})"
                " ORDER BY submitted_at",
                (kind.value, *chunk),
            ).fetchall()
            for row in rows:
                found[row["person_id"]].append(_submission(row))
        return found

    async def latest_of(self, kind: Kind, person_ids: Sequence[str]) -> dict[str, Submission]:
        """The newest submission of each person. A few people's (a scan's, a status's) are
        read on the event loop, through the read-only connection: an indexed read in WAL mode
        takes microseconds and never waits for a writer, where the hop to the store's thread
        cost a warm scan more than its cache reads (README, Performance)."""
        commits = self._commits
        if self._reader is not None and commits is not None and len(person_ids) <= LOOP_READ_MAX:
            try:
                return self._latest_remembered(kind, person_ids, self._reader, commits)
            except sqlite3.OperationalError:
                pass  # busy (a WAL recovery, say): read on the store's thread, which may wait
        return await self._run(self._latest_of, kind, list(person_ids))

    def _latest_remembered(
        self,
        kind: Kind,
        person_ids: Sequence[str],
        reader: sqlite3.Connection,
        commits: CommitSignal,
    ) -> dict[str, Submission]:
        """`_latest_of`, remembered until the next commit by any connection, of this process
        or another (`commits.py`)."""
        version = commits.version()
        if version != self._latest_version or len(self._latest) > MAX_REMEMBERED:
            self._latest.clear()
            self._latest_version = version
        missing = [pid for pid in person_ids if (kind, pid) not in self._latest]
        if missing:
            found = self._latest_of(kind, missing, reader)
            self._latest.update(((kind, pid), found.get(pid)) for pid in missing)
        return {
            pid: latest for pid in person_ids if (latest := self._latest[(kind, pid)]) is not None
        }

    def _latest_of(
        self, kind: Kind, person_ids: list[str], db: sqlite3.Connection | None = None
    ) -> dict[str, Submission]:
        db = db or self._db
        found: dict[str, Submission] = {}
        for start in range(0, len(person_ids), 500):
            chunk = person_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            # SQLite answers the bare columns of the row holding max(): the newest one.
            rows = db.execute(
                f"SELECT *, max(submitted_at) FROM submissions WHERE kind = ?"
                f" AND person_id IN ({marks}) GROUP BY person_id",
                (kind.value, *chunk),
            ).fetchall()
            found.update((row["person_id"], _submission(row)) for row in rows)
        return found

    async def pending_count(self) -> int:
        return await self._run(self._pending_count)

    def _pending_count(self) -> int:
        row = self._db.execute("SELECT count(*) FROM submissions WHERE delivered_at IS NULL")
        count: int = row.fetchone()[0]
        return count

    async def oldest_pending(self) -> datetime | None:
        return await self._run(self._oldest_pending)

    def _oldest_pending(self) -> datetime | None:
        row = self._db.execute(
            "SELECT min(submitted_at) FROM submissions WHERE delivered_at IS NULL"
        )
        oldest = row.fetchone()[0]
        return None if oldest is None else datetime.fromtimestamp(oldest, UTC)

    async def purge(self, delivered_before: datetime) -> int:
        return await self._run(
            self._write,
            "DELETE FROM submissions WHERE delivered_at < ?"
            " AND id NOT IN (SELECT submission_id FROM f0_alerts)",
            (_ts(delivered_before),),
        )

    async def alerts(self, district: str, acknowledged: bool | None, limit: int) -> list[Alert]:
        return await self._run(self._alerts, district, acknowledged, limit)

    def _alerts(self, district: str, acknowledged: bool | None, limit: int) -> list[Alert]:
        rows = self._db.execute(
            f"SELECT * FROM f0_alerts WHERE district = ?{_state_filter(acknowledged)}"
            " ORDER BY acknowledged_at IS NOT NULL, raised_at, id LIMIT ?",
            (district, limit),
        ).fetchall()
        return [_alert(row) for row in rows]

    async def alert(self, alert_id: str) -> Alert | None:
        return await self._run(self._alert_by_id, alert_id)

    def _alert_by_id(self, alert_id: str) -> Alert | None:
        row = self._db.execute("SELECT * FROM f0_alerts WHERE id = ?", (alert_id,)).fetchone()
        return _alert(row) if row is not None else None

    async def acknowledge(self, alert_id: str, by: str, at: datetime) -> Alert | None:
        await self._run(
            self._write,
            "UPDATE f0_alerts SET acknowledged_at = ?, acknowledged_by = ?"
            " WHERE id = ? AND acknowledged_at IS NULL",
            (_ts(at), by, alert_id),
        )
        return await self.alert(alert_id)
