"""The store on PostgreSQL (`DATABASE_URL`), shared by any number of gateway instances.

Rows are claimed with `FOR UPDATE SKIP LOCKED` and leased in the same statement, so two
instances never deliver the same row at once; a lease that runs out (its instance died) makes the
row due again. Idempotency keys are inserted with `ON CONFLICT DO NOTHING`, which waits for a
concurrent insert of the same key to commit, so two identical retries racing each other still
create one submission. Tables live in `schema` (tests use a schema of their own per run).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from gateway.outbox.store import Accepted, Alert, IdempotencyClaim, Kind, Submission, utc

# Serialises table creation when several instances start at once.
_MIGRATION_LOCK = 4_202_104


def _ddl(s: str) -> list[str]:
    return [
        f'CREATE SCHEMA IF NOT EXISTS "{s}"',
        f"""CREATE TABLE IF NOT EXISTS "{s}".submissions (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            person_id TEXT NOT NULL,
            payload JSONB NOT NULL,
            submitted_at TIMESTAMPTZ NOT NULL,
            delivered_at TIMESTAMPTZ,
            next_attempt_at TIMESTAMPTZ NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT)""",
        f"""CREATE INDEX IF NOT EXISTS submissions_due ON "{s}".submissions (next_attempt_at)
            WHERE delivered_at IS NULL""",
        f"""CREATE INDEX IF NOT EXISTS submissions_by_person
            ON "{s}".submissions (kind, person_id, submitted_at)""",
        f"""CREATE TABLE IF NOT EXISTS "{s}".idempotency_keys (
            caller TEXT NOT NULL,
            key TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            submission_id TEXT NOT NULL REFERENCES "{s}".submissions (id) ON DELETE CASCADE
                DEFERRABLE INITIALLY DEFERRED,
            PRIMARY KEY (caller, key))""",
        f"""CREATE INDEX IF NOT EXISTS idempotency_by_submission
            ON "{s}".idempotency_keys (submission_id)""",
        f"""CREATE TABLE IF NOT EXISTS "{s}".f0_alerts (
            id TEXT PRIMARY KEY,
            submission_id TEXT NOT NULL UNIQUE,
            person_id TEXT NOT NULL,
            district TEXT NOT NULL,
            raised_at TIMESTAMPTZ NOT NULL,
            warnings TEXT[] NOT NULL,
            acknowledged_at TIMESTAMPTZ,
            acknowledged_by TEXT)""",
        f"""CREATE INDEX IF NOT EXISTS f0_alerts_by_district
            ON "{s}".f0_alerts (district, raised_at)""",
    ]


def _submission(row: DictRow) -> Submission:
    return Submission(
        id=row["id"],
        kind=Kind(row["kind"]),
        person_id=row["person_id"],
        payload=row["payload"],
        submitted_at=utc(row["submitted_at"]),
        delivered_at=utc(row["delivered_at"]) if row["delivered_at"] else None,
        attempts=row["attempts"],
        last_error=row["last_error"],
    )


def _alert(row: DictRow) -> Alert:
    return Alert(
        id=row["id"],
        submission_id=row["submission_id"],
        person_id=row["person_id"],
        district=row["district"],
        raised_at=utc(row["raised_at"]),
        warnings=tuple(row["warnings"]),
        acknowledged_at=utc(row["acknowledged_at"]) if row["acknowledged_at"] else None,
        acknowledged_by=row["acknowledged_by"],
    )


def _state_filter(acknowledged: bool | None) -> str:
    if acknowledged is None:
        return ""
    return " AND acknowledged_at IS NOT NULL" if acknowledged else " AND acknowledged_at IS NULL"


Pool = AsyncConnectionPool[AsyncConnection[DictRow]]


class PostgresStore:
    """`OutboxStore` on PostgreSQL through a psycopg 3 connection pool."""

    def __init__(self, url: str, schema: str = "public", max_connections: int = 10) -> None:
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
            raise ValueError(f"not a plain schema name: {schema!r}")
        self.schema = schema
        self._pool: Pool = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            open=False,
            connection_class=AsyncConnection[DictRow],
            kwargs={"autocommit": True, "row_factory": dict_row},
        )
        s = f'"{schema}"'
        self._submissions, self._keys, self._alerts = (
            f"{s}.submissions",
            f"{s}.idempotency_keys",
            f"{s}.f0_alerts",
        )

    async def open(self) -> None:
        await self._pool.open(wait=True, timeout=10.0)
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            for statement in _ddl(self.schema):
                await conn.execute(statement)

    async def close(self) -> None:
        await self._pool.close()

    async def accept(
        self,
        submission: Submission,
        claim: IdempotencyClaim,
        alert: Alert | None,
        lease_until: datetime,
    ) -> Accepted:
        async with self._pool.connection() as conn, conn.transaction():
            # The key first: a concurrent insert of the same key makes this one wait, then
            # insert nothing; the loser then reads the winner's submission.
            inserted = await conn.execute(
                f"INSERT INTO {self._keys} (caller, key, request_hash, submission_id)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (caller, key) DO NOTHING",
                (claim.caller, claim.key, claim.request_hash, submission.id),
            )
            if inserted.rowcount == 0:
                earlier = await self._find(conn, claim.caller, claim.key)
                if earlier is None:  # pragma: no cover - the key cannot vanish in between
                    raise RuntimeError("idempotency key conflict without a row")
                return earlier
            # The key's reference to the submission is checked at commit (DEFERRABLE).
            await conn.execute(
                f"INSERT INTO {self._submissions} (id, kind, person_id, payload, submitted_at,"
                " next_attempt_at) VALUES (%s, %s, %s, %s, %s, %s)",
                (
                    submission.id,
                    submission.kind.value,
                    submission.person_id,
                    Jsonb(submission.payload),
                    utc(submission.submitted_at),
                    utc(lease_until),
                ),
            )
            if alert is not None:
                await conn.execute(
                    f"INSERT INTO {self._alerts} (id, submission_id, person_id, district,"
                    " raised_at, warnings) VALUES (%s, %s, %s, %s, %s, %s)",
                    (
                        alert.id,
                        alert.submission_id,
                        alert.person_id,
                        alert.district,
                        utc(alert.raised_at),
                        list(alert.warnings),
                    ),
                )
        return Accepted(submission, alert, created=True, request_hash=claim.request_hash)

    async def find(self, caller: str, key: str) -> Accepted | None:
        async with self._pool.connection() as conn:
            return await self._find(conn, caller, key)

    async def _find(self, conn: AsyncConnection[DictRow], caller: str, key: str) -> Accepted | None:
        cursor = await conn.execute(
            f"SELECT s.*, k.request_hash FROM {self._keys} k"
            f" JOIN {self._submissions} s ON s.id = k.submission_id"
            " WHERE k.caller = %s AND k.key = %s",
            (caller, key),
        )
        row = await cursor.fetchone()
        if row is None:
            return None
        cursor = await conn.execute(
            f"SELECT * FROM {self._alerts} WHERE submission_id = %s", (row["id"],)
        )
        alert = await cursor.fetchone()
        return Accepted(
            _submission(row),
            _alert(alert) if alert is not None else None,
            created=False,
            request_hash=row["request_hash"],
        )

    async def submission(self, submission_id: str) -> Submission | None:
        row = await self._one(f"SELECT * FROM {self._submissions} WHERE id = %s", submission_id)
        return _submission(row) if row is not None else None

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Submission]:
        rows = await self._all(
            f"UPDATE {self._submissions} SET next_attempt_at = %s WHERE id IN ("
            f" SELECT id FROM {self._submissions}"
            " WHERE delivered_at IS NULL AND next_attempt_at <= %s"
            " ORDER BY next_attempt_at LIMIT %s FOR UPDATE SKIP LOCKED)"
            " RETURNING *",
            utc(lease_until),
            utc(now),
            limit,
        )
        return sorted((_submission(row) for row in rows), key=lambda s: s.submitted_at)

    async def mark_delivered(self, submission_id: str, at: datetime) -> None:
        await self._all(
            f"UPDATE {self._submissions} SET delivered_at = %s, attempts = attempts + 1,"
            " last_error = NULL WHERE id = %s AND delivered_at IS NULL RETURNING id",
            utc(at),
            submission_id,
        )

    async def mark_failed(self, submission_id: str, error: str, retry_at: datetime) -> None:
        await self._all(
            f"UPDATE {self._submissions} SET attempts = attempts + 1, last_error = %s,"
            " next_attempt_at = %s WHERE id = %s AND delivered_at IS NULL RETURNING id",
            error,
            utc(retry_at),
            submission_id,
        )

    async def submissions_of(
        self, kind: Kind, person_ids: Sequence[str]
    ) -> dict[str, list[Submission]]:
        found: dict[str, list[Submission]] = {pid: [] for pid in person_ids}
        rows = await self._all(
            f"SELECT * FROM {self._submissions} WHERE kind = %s AND person_id = ANY(%s)"
            " ORDER BY submitted_at",
            kind.value,
            list(person_ids),
        )
        for row in rows:
            found[row["person_id"]].append(_submission(row))
        return found

    async def latest_of(self, kind: Kind, person_ids: Sequence[str]) -> dict[str, Submission]:
        rows = await self._all(
            f"SELECT DISTINCT ON (person_id) * FROM {self._submissions}"
            " WHERE kind = %s AND person_id = ANY(%s) ORDER BY person_id, submitted_at DESC",
            kind.value,
            list(person_ids),
        )
        return {row["person_id"]: _submission(row) for row in rows}

    async def pending_count(self) -> int:
        row = await self._one(
            f"SELECT count(*) AS n FROM {self._submissions} WHERE delivered_at IS NULL"
        )
        assert row is not None
        count: int = row["n"]
        return count

    async def oldest_pending(self) -> datetime | None:
        row = await self._one(
            f"SELECT min(submitted_at) AS t FROM {self._submissions} WHERE delivered_at IS NULL"
        )
        return utc(row["t"]) if row is not None and row["t"] is not None else None

    async def purge(self, delivered_before: datetime) -> int:
        rows = await self._all(
            f"DELETE FROM {self._submissions} WHERE delivered_at < %s"
            f" AND id NOT IN (SELECT submission_id FROM {self._alerts}) RETURNING id",
            utc(delivered_before),
        )
        return len(rows)

    async def alerts(self, district: str, acknowledged: bool | None, limit: int) -> list[Alert]:
        rows = await self._all(
            f"SELECT * FROM {self._alerts} WHERE district = %s{_state_filter(acknowledged)}"
            " ORDER BY acknowledged_at IS NOT NULL, raised_at, id LIMIT %s",
            district,
            limit,
        )
        return [_alert(row) for row in rows]

    async def alert(self, alert_id: str) -> Alert | None:
        row = await self._one(f"SELECT * FROM {self._alerts} WHERE id = %s", alert_id)
        return _alert(row) if row is not None else None

    async def acknowledge(self, alert_id: str, by: str, at: datetime) -> Alert | None:
        await self._all(
            f"UPDATE {self._alerts} SET acknowledged_at = %s, acknowledged_by = %s"
            " WHERE id = %s AND acknowledged_at IS NULL RETURNING id",
            utc(at),
            by,
            alert_id,
        )
        return await self.alert(alert_id)

    async def _one(self, query: str, *params: Any) -> DictRow | None:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(query, params)
            return await cursor.fetchone()

    async def _all(self, query: str, *params: Any) -> list[DictRow]:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(query, params)
            return await cursor.fetchall()
