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


class CheckInsSource(RestSource):
    """`POST /checkins` and `GET /checkins`."""

    name = "checkins"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending: set[asyncio.Task[None]] = set()

    def record_later(self, check_in: CheckInRecord) -> None:
        """Record a scan in the background: the scan's answer does not wait for the log.

        A failure is logged (at ERROR, with who/where/when, so it can be replayed); pending
        records are awaited when the gateway shuts down (`drain`).
        """
        task = asyncio.create_task(self._record(check_in))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _record(self, check_in: CheckInRecord) -> None:
        try:
            await self.call("POST", "/checkins", json=check_in.as_json())
        except Exception:
            log.error("check-in not recorded: %s", check_in.as_json(), exc_info=True)

    async def drain(self) -> None:
        """Wait for the check-ins still being recorded."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

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
