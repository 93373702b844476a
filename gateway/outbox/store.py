"""What the gateway keeps durably, and the protocol every store implements.

Three tables: `submissions` (the outbox: every accepted submission with its upstream body and
its delivery state), `idempotency_keys` (caller + key → submission, so a retry gets the same
receipt) and `f0_alerts` (raised by URGENT F0 reports, acknowledged by health officers).
`accept` writes a submission, its idempotency key and its alert in ONE transaction.

Instants are timezone-aware (UTC) in and out. Implementations: `sqlite.SQLiteStore` (one
process) and `postgres.PostgresStore` (many gateway instances; rows are claimed with
`FOR UPDATE SKIP LOCKED`, so no two instances deliver the same row at once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol


class Kind(StrEnum):
    """What a submission is, which also says where it goes."""

    DECLARATION = "declaration"
    F0_REPORT = "f0_report"


@dataclass(frozen=True, slots=True)
class Submission:
    """One accepted submission. `id` is the receipt id and the upstream's Idempotency-Key."""

    id: str
    kind: Kind
    person_id: str
    payload: dict[str, Any]  # the upstream request body, opaque to the store
    submitted_at: datetime
    delivered_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.delivered_at is not None


@dataclass(frozen=True, slots=True)
class IdempotencyClaim:
    """A caller's idempotency key and a hash of what they sent with it."""

    caller: str
    key: str
    request_hash: str


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert raised by an URGENT F0 report, for the health officers of `district`."""

    id: str
    submission_id: str
    person_id: str
    district: str
    raised_at: datetime
    warnings: tuple[str, ...]
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None


@dataclass(frozen=True, slots=True)
class Accepted:
    """The outcome of `accept`: the stored submission (new, or the one the key was used for)."""

    submission: Submission
    alert: Alert | None
    created: bool
    request_hash: str


class OutboxStore(Protocol):
    """The durable store behind the outbox, the idempotency keys and the F0 alerts."""

    async def open(self) -> None:
        """Connect and create the tables if they are missing."""

    async def close(self) -> None: ...

    async def accept(
        self,
        submission: Submission,
        claim: IdempotencyClaim,
        alert: Alert | None,
        lease_until: datetime,
    ) -> Accepted:
        """Store all three in one transaction, the row leased to its submitter until
        `lease_until`; if the caller used the key before, store nothing and return that one."""

    async def find(self, caller: str, key: str) -> Accepted | None:
        """The submission a caller's idempotency key was used for, if any."""

    async def submission(self, submission_id: str) -> Submission | None: ...

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Submission]:
        """Undelivered rows due at `now`, leased to the caller until `lease_until`."""

    async def mark_delivered(self, submission_id: str, at: datetime) -> None: ...

    async def mark_failed(self, submission_id: str, error: str, retry_at: datetime) -> None:
        """Count a failed attempt, remember its error, and make the row due at `retry_at`."""

    async def submissions_of(
        self, kind: Kind, person_ids: Sequence[str]
    ) -> dict[str, list[Submission]]:
        """Every stored submission of `kind` of each person, oldest first."""

    async def latest_of(self, kind: Kind, person_ids: Sequence[str]) -> dict[str, Submission]:
        """The newest stored submission of `kind` of each person who has one."""

    async def pending_count(self) -> int:
        """How many submissions wait for delivery."""

    async def oldest_pending(self) -> datetime | None:
        """When the oldest submission still waiting for delivery was submitted (None: none)."""

    async def purge(self, delivered_before: datetime) -> int:
        """Forget delivered submissions (and their keys) older than that; alerts stay."""

    async def alerts(self, district: str, acknowledged: bool | None, limit: int) -> list[Alert]:
        """The district's alerts (only open or acknowledged ones, or all when None): open ones
        first, oldest first."""

    async def alert(self, alert_id: str) -> Alert | None: ...

    async def acknowledge(self, alert_id: str, by: str, at: datetime) -> Alert | None:
        """Acknowledge an open alert (a second acknowledgement changes nothing)."""


def utc(value: datetime) -> datetime:
    """`value` in UTC (naive values are refused: every instant here carries an offset)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.astimezone(UTC)
