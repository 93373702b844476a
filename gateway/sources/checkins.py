"""The check-in log: record scans (without making the scanner wait) and read them back."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.sources.rest import RestSource, expect_dict

log = logging.getLogger("gateway.checkins")


@dataclass(frozen=True, slots=True)
class CheckInRecord:
    """One scan: who, where (the scanner's subject), by which role, in which district, when."""

    person_id: str
    checkpoint_id: str
    role: str
    district: str | None
    scanned_at: datetime
    id: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CheckInRecord:
        return cls(
            id=str(data["id"]),
            person_id=str(data["personId"]),
            checkpoint_id=str(data["checkpointId"]),
            role=str(data["role"]),
            district=data.get("district"),
            scanned_at=datetime.fromisoformat(data["scannedAt"]),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "personId": self.person_id,
            "checkpointId": self.checkpoint_id,
            "role": self.role,
            "district": self.district,
            "scannedAt": self.scanned_at.isoformat(),
        }


# Check-ins waiting while a batch is on its way leave together in the next one: one upstream
# request per batch, not per scan (per-scan requests cost a scanner gateway more CPU than the
# scans themselves: README, Performance).
MAX_BATCH = 500
MAX_IN_FLIGHT = 2
MAX_QUEUED = 100_000  # beyond it (the log down for long), the oldest are logged and dropped


class CheckInsSource(RestSource):
    """`POST /checkins/batch` and `GET /checkins`."""

    name = "checkins"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._queued: list[CheckInRecord] = []
        self._senders: set[asyncio.Task[None]] = set()

    def record_later(self, check_in: CheckInRecord) -> None:
        """Record a scan in the background: the scan's answer does not wait for the log.

        Scans queue up while earlier batches are on their way (at most `MAX_IN_FLIGHT`
        requests at once). A failure is logged (at ERROR, with who/where/when, so it can be
        replayed); queued records are sent when the gateway shuts down (`drain`).
        """
        self._queued.append(check_in)
        if len(self._queued) > MAX_QUEUED:
            dropped = self._queued[: len(self._queued) - MAX_QUEUED]
            del self._queued[: len(dropped)]
            log.error("check-in not recorded (queue full): %s", [c.as_json() for c in dropped])
        if len(self._senders) < MAX_IN_FLIGHT:
            task = asyncio.create_task(self._send_queued())
            self._senders.add(task)
            task.add_done_callback(self._senders.discard)

    async def _send_queued(self) -> None:
        while self._queued:
            batch = self._queued[:MAX_BATCH]
            del self._queued[:MAX_BATCH]
            await self._record(batch)

    async def _record(self, batch: list[CheckInRecord]) -> None:
        try:
            await self.call(
                "POST", "/checkins/batch", json={"checkIns": [c.as_json() for c in batch]}
            )
        except Exception:
            log.error("check-in not recorded: %s", [c.as_json() for c in batch], exc_info=True)

    async def drain(self) -> None:
        """Send the check-ins still queued or on their way."""
        while self._senders:
            await asyncio.gather(*self._senders, return_exceptions=True)

    async def of_person(self, person_id: str) -> list[CheckInRecord]:
        """The person's check-ins, oldest first."""
        return await self._list({"personId": person_id})

    async def at_checkpoint(
        self, checkpoint_id: str, start: datetime, end: datetime
    ) -> list[CheckInRecord]:
        """The check-ins at a checkpoint in [start, end), oldest first."""
        return await self._list(
            {"checkpointId": checkpoint_id, "from": start.isoformat(), "to": end.isoformat()}
        )

    async def _list(self, params: dict[str, str]) -> list[CheckInRecord]:
        answer = expect_dict(
            await self.call("GET", "/checkins", params=params), self.name, "checkIns"
        )
        return [CheckInRecord.from_json(item) for item in answer["checkIns"]]
