"""The district workforce registry: enterprises, worker lists and the lists' approval.

The registry is the system of record of every list's state: the gateway validates, authorizes and
forwards; it caches nothing of it. A refusal of the registry (HTTP 409: a transition its state
does not allow, the quota, a concurrent change) comes back as `RegistryRefusal`, for the resolver
to word for the client; any other failure is UPSTREAM_UNAVAILABLE.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import httpx

from gateway.errors import UpstreamUnavailable
from gateway.sources.rest import RestSource, expect_dict, segment

log = logging.getLogger("gateway.sources")
PAGE = 5000  # workers per registry page (its maximum)


class ListState(StrEnum):
    """Where a worker list stands: DRAFT → SUBMITTED → APPROVED | REJECTED."""

    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


def _instant(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class EnterpriseRecord:
    """An employer as the district's registry knows it."""

    id: str
    name: str
    district: str
    headcount: int
    approved_quota: int
    conditions: tuple[str, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EnterpriseRecord:
        return cls(
            id=str(data["id"]),
            name=str(data["name"]),
            district=str(data["district"]),
            headcount=int(data["headcount"]),
            approved_quota=int(data["approvedQuota"]),
            conditions=tuple(str(c) for c in data["conditions"]),
        )


@dataclass(frozen=True, slots=True)
class WorkerListRecord:
    """A worker list, without its workers (they are read page by page)."""

    id: str
    enterprise_id: str
    district: str
    name: str
    state: ListState
    version: int
    worker_count: int
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    decided_by: str | None
    rejection_reason: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WorkerListRecord:
        created = _instant(data["createdAt"])
        updated = _instant(data["updatedAt"])
        if created is None or updated is None:
            raise ValueError("a worker list without its instants")
        return cls(
            id=str(data["id"]),
            enterprise_id=str(data["enterpriseId"]),
            district=str(data["district"]),
            name=str(data["name"]),
            state=ListState(data["state"]),
            version=int(data["version"]),
            worker_count=int(data["workerCount"]),
            created_at=created,
            updated_at=updated,
            submitted_at=_instant(data.get("submittedAt")),
            decided_at=_instant(data.get("decidedAt")),
            decided_by=data.get("decidedBy"),
            rejection_reason=data.get("rejectionReason"),
        )


@dataclass(frozen=True, slots=True)
class WorkerEntry:
    """One worker on a list: who, since when, and the entry's running number (for cursors)."""

    person_id: str
    added_at: datetime
    seq: int


@dataclass(frozen=True, slots=True)
class QuotaCheck:
    """How a list stands against its enterprise's quota if it were approved."""

    approved_quota: int
    approved_elsewhere: int
    over_quota: tuple[str, ...]


class RegistryRefusal(Exception):
    """The registry refused a change (409): `code` (invalid_transition, over_quota,
    version_conflict, empty_list), its state, and the workers over the quota."""

    def __init__(self, code: str, state: str | None, workers: Sequence[str]) -> None:
        super().__init__(code)
        self.code = code
        self.state = state
        self.workers = tuple(workers)


@contextmanager
def upstream_shape(source: str) -> Iterator[None]:
    """Reading an answer: a missing key or a bad value is the upstream's fault (logged)."""
    try:
        yield
    except (KeyError, ValueError, TypeError) as error:
        log.warning("upstream %s answered an unexpected shape: %r", source, error)
        raise UpstreamUnavailable(source) from error


class WorkforceSource(RestSource):
    """The workforce registry's REST API (answers read under `upstream_shape`)."""

    name = "workforce"

    async def enterprises(self, ids: Sequence[str]) -> dict[str, EnterpriseRecord]:
        """The enterprises of `ids` that exist, by id (one request)."""
        answer = expect_dict(
            await self.call("POST", "/enterprises/batch", json={"ids": list(ids)}),
            self.name,
            "enterprises",
        )
        with upstream_shape(self.name):
            records = [EnterpriseRecord.from_json(e) for e in answer["enterprises"]]
        return {record.id: record for record in records}

    async def worker_ids_of(self, enterprise_id: str) -> frozenset[str]:
        """Everyone on any list of the enterprise (any state); empty for an unknown one."""
        answer = await self.call(
            "GET", f"/enterprises/{segment(enterprise_id)}/workers", missing_ok=True
        )
        if answer is None:
            return frozenset()
        answer = expect_dict(answer, self.name, "personIds")
        with upstream_shape(self.name):
            return frozenset(str(pid) for pid in answer["personIds"])

    async def lists(
        self, *, enterprise_id: str | None = None, district: str | None = None
    ) -> list[WorkerListRecord]:
        """The lists of an enterprise, or of a district's enterprises."""
        params = {"enterpriseId": enterprise_id} if enterprise_id else {"district": district or ""}
        answer = expect_dict(await self.call("GET", "/lists", params=params), self.name, "lists")
        with upstream_shape(self.name):
            return [WorkerListRecord.from_json(item) for item in answer["lists"]]

    async def worker_list(self, list_id: str) -> WorkerListRecord | None:
        """One list, or None."""
        answer = await self.call("GET", f"/lists/{segment(list_id)}", missing_ok=True)
        if answer is None:
            return None
        with upstream_shape(self.name):
            return WorkerListRecord.from_json(answer)

    async def workers(self, list_id: str) -> tuple[WorkerEntry, ...]:
        """Every worker of the list, in the order they were added (page by page)."""
        entries: list[WorkerEntry] = []
        after: str | None = "0"
        while after is not None:
            params = {"after": after, "limit": str(PAGE)}
            answer = expect_dict(
                await self.call("GET", f"/lists/{segment(list_id)}/workers", params=params),
                self.name,
                "workers",
                "next",
            )
            with upstream_shape(self.name):
                entries += [
                    WorkerEntry(str(w["personId"]), datetime.fromisoformat(w["addedAt"]), w["seq"])
                    for w in answer["workers"]
                ]
                after = None if answer["next"] is None else str(answer["next"])
        return tuple(entries)

    async def quota(self, list_id: str) -> QuotaCheck:
        """The list against its enterprise's quota."""
        answer = expect_dict(
            await self.call("GET", f"/lists/{segment(list_id)}/quota"), self.name, "overQuota"
        )
        with upstream_shape(self.name):
            return QuotaCheck(
                approved_quota=int(answer["approvedQuota"]),
                approved_elsewhere=int(answer["approvedElsewhere"]),
                over_quota=tuple(str(pid) for pid in answer["overQuota"]),
            )

    async def create(self, enterprise_id: str, name: str, by: str) -> WorkerListRecord:
        """A new DRAFT list of the enterprise."""
        body: dict[str, object] = {"enterpriseId": enterprise_id, "name": name, "by": by}
        answer = await self._change("/lists", body)
        with upstream_shape(self.name):
            return WorkerListRecord.from_json(answer)

    async def change(self, list_id: str, action: str, body: dict[str, object]) -> WorkerListRecord:
        """One mutation of a list: workers, workers/remove, submit, approve or reject."""
        answer = await self._change(f"/lists/{segment(list_id)}/{action}", body)
        with upstream_shape(self.name):
            return WorkerListRecord.from_json(answer["list"])

    # Batch functions of the per-request loaders: one result or exception per key, in order.

    async def enterprises_many(self, ids: list[str]) -> list[EnterpriseRecord | Exception | None]:
        try:
            found = await self.enterprises(ids)
        except UpstreamUnavailable as error:
            return [error for _ in ids]
        return [found.get(i) for i in ids]

    async def worker_ids_many(self, ids: list[str]) -> list[frozenset[str] | BaseException]:
        return await asyncio.gather(*map(self.worker_ids_of, ids), return_exceptions=True)

    async def workers_many(self, ids: list[str]) -> list[tuple[WorkerEntry, ...] | BaseException]:
        return await asyncio.gather(*map(self.workers, ids), return_exceptions=True)

    async def _change(self, path: str, body: dict[str, object]) -> dict[str, Any]:
        try:
            response = await self.client.post(path, json=body)
            if response.status_code == 409:
                refusal = response.json()
                raise RegistryRefusal(
                    str(refusal.get("error")), refusal.get("state"), refusal.get("workers") or ()
                )
            response.raise_for_status()
            answer = response.json()
        except (httpx.HTTPError, ValueError) as error:
            log.warning("upstream %s failed: %s: %s", self.name, type(error).__name__, error)
            raise UpstreamUnavailable(self.name) from error
        return expect_dict(answer, self.name)
