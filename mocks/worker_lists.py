"""The workforce registry's state: worker lists and their state machine (no HTTP here).

    DRAFT ──submit──▶ SUBMITTED ──approve──▶ APPROVED
      ▲                   │                     │
      │                   └──reject──▶ REJECTED │
      └──────── an edit (add or remove workers) ┘

An edit of a DRAFT list keeps it DRAFT; an edit that changes an APPROVED or REJECTED list takes it
back to DRAFT. A SUBMITTED list cannot be edited: the district is reviewing it. The registry is the
system of record: it enforces the transitions and the enterprise's quota (the distinct workers of
its APPROVED lists) whatever its clients checked before. Every change is announced on the
registry's change feed; the seed is announced first, so a follower reading from the start learns
every approved list.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mocks.enterprises import Enterprise, ListState, WorkforceSeed
from mocks.live import ChangeLog, now


class Refusal(Exception):
    """The registry refuses a change (HTTP 409): `code`, a sentence, and details."""

    def __init__(self, code: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


@dataclass(frozen=True, slots=True)
class Entry:
    """A worker on a list: who, since when, and the list's running number for paging."""

    person_id: str
    added_at: datetime
    seq: int


@dataclass(slots=True)
class WorkerList:
    """One list of an enterprise's workers."""

    id: str
    enterprise: Enterprise
    name: str
    state: ListState
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    rejection_reason: str | None = None
    version: int = 1
    workers: dict[str, Entry] = field(default_factory=dict)
    next_seq: int = 1

    def add(self, person_ids: Iterable[str], at: datetime) -> list[str]:
        added = []
        for pid in person_ids:
            if pid not in self.workers:
                self.workers[pid] = Entry(pid, at, self.next_seq)
                self.next_seq += 1
                added.append(pid)
        return added


class Registry:
    """Enterprises and their lists, for one app."""

    def __init__(self, seed: WorkforceSeed, log: ChangeLog) -> None:
        self.enterprises = {e.id: e for e in seed.enterprises}
        self.lists: dict[str, WorkerList] = {}
        self.log = log
        for seeded in seed.lists:
            enterprise = self.enterprises[seeded.enterprise_id]
            updated = seeded.decided_at or seeded.submitted_at or seeded.created_at
            worker_list = WorkerList(
                seeded.id,
                enterprise,
                seeded.name,
                seeded.state,
                seeded.created_at,
                updated,
                seeded.submitted_at,
                seeded.decided_at,
                f"DA-{enterprise.district}-001" if seeded.decided_at else None,
                seeded.rejection_reason,
            )
            worker_list.add(seeded.workers, seeded.created_at)
            self.lists[seeded.id] = worker_list
            self._announce(worker_list, "SEEDED", updated)
        self._numbers = len(self.lists)

    def lists_of(
        self, enterprise_id: str | None, district: str | None, state: str | None
    ) -> list[WorkerList]:
        """The lists of an enterprise or of a district's enterprises, optionally in one state."""
        return [
            wl
            for wl in self.lists.values()
            if (enterprise_id is None or wl.enterprise.id == enterprise_id)
            and (district is None or wl.enterprise.district == district)
            and (state is None or wl.state == state)
        ]

    def worker_ids_of(self, enterprise_id: str) -> list[str]:
        """The distinct people on any list of the enterprise, in list order."""
        ids: dict[str, None] = {}
        for wl in self.lists_of(enterprise_id, None, None):
            ids.update(dict.fromkeys(wl.workers))
        return list(ids)

    def create(self, enterprise: Enterprise, name: str) -> WorkerList:
        """A new, empty DRAFT list."""
        self._numbers += 1
        at = now()
        worker_list = WorkerList(f"WL-{self._numbers:04d}", enterprise, name, "DRAFT", at, at)
        self.lists[worker_list.id] = worker_list
        self._announce(worker_list, "CREATED", at)
        return worker_list

    def add(self, worker_list: WorkerList, person_ids: Sequence[str]) -> list[str]:
        """Add people (those already listed are left as they are); returns who was added."""
        self._require_editable(worker_list)
        at = now()
        added = worker_list.add(person_ids, at)
        if added:
            self._edited(worker_list, "WORKERS_ADDED", at)
        return added

    def remove(self, worker_list: WorkerList, person_ids: Sequence[str]) -> list[str]:
        """Remove people; returns who was on the list and is not any more."""
        self._require_editable(worker_list)
        removed = [pid for pid in dict.fromkeys(person_ids) if pid in worker_list.workers]
        for pid in removed:
            del worker_list.workers[pid]
        if removed:
            self._edited(worker_list, "WORKERS_REMOVED", now())
        return removed

    def submit(self, worker_list: WorkerList, version: int | None) -> None:
        """DRAFT → SUBMITTED (a list needs at least one worker)."""
        self._require(worker_list, "DRAFT", "submitted", version)
        if not worker_list.workers:
            raise Refusal("empty_list", f"Worker list {worker_list.id} has no workers to submit.")
        at = now()
        worker_list.submitted_at = at
        self._move(worker_list, "SUBMITTED", "SUBMITTED", at)

    def approve(self, worker_list: WorkerList, by: str, version: int | None) -> None:
        """SUBMITTED → APPROVED, within the enterprise's quota."""
        self._require(worker_list, "SUBMITTED", "approved", version)
        over = self.over_quota(worker_list)
        if over:
            raise Refusal(
                "over_quota",
                f"Approving worker list {worker_list.id} would exceed the quota of "
                f"{worker_list.enterprise.approved_quota} workers by {len(over)}.",
                workers=over,
            )
        self._decide(worker_list, "APPROVED", by, None)

    def reject(self, worker_list: WorkerList, by: str, reason: str, version: int | None) -> None:
        """SUBMITTED → REJECTED, with the district's reason."""
        self._require(worker_list, "SUBMITTED", "rejected", version)
        self._decide(worker_list, "REJECTED", by, reason)

    def quota(self, worker_list: WorkerList) -> dict[str, object]:
        """How the list stands against the enterprise's quota if it were approved.

        The quota bounds the distinct workers of the enterprise's APPROVED lists. Workers already
        approved on another list take no new room; the newest additions are the ones over it.
        """
        elsewhere = self._approved_elsewhere(worker_list)
        return {
            "listId": worker_list.id,
            "approvedQuota": worker_list.enterprise.approved_quota,
            "approvedElsewhere": len(elsewhere),
            "listed": len(worker_list.workers),
            "room": self._room(worker_list, elsewhere),
            "overQuota": self.over_quota(worker_list),
        }

    def over_quota(self, worker_list: WorkerList) -> list[str]:
        """The workers that would not fit in the quota: the newest additions."""
        elsewhere = self._approved_elsewhere(worker_list)
        new = [pid for pid in worker_list.workers if pid not in elsewhere]
        return new[self._room(worker_list, elsewhere) :]

    def _approved_elsewhere(self, worker_list: WorkerList) -> set[str]:
        elsewhere: set[str] = set()
        for other in self.lists_of(worker_list.enterprise.id, None, "APPROVED"):
            if other.id != worker_list.id:
                elsewhere.update(other.workers)
        return elsewhere

    @staticmethod
    def _room(worker_list: WorkerList, elsewhere: set[str]) -> int:
        return max(worker_list.enterprise.approved_quota - len(elsewhere), 0)

    def _require_editable(self, worker_list: WorkerList) -> None:
        if worker_list.state == "SUBMITTED":
            raise Refusal(
                "invalid_transition",
                f"Worker list {worker_list.id} is SUBMITTED: the district is reviewing it, so it "
                "cannot be edited until it is approved or rejected.",
                state=worker_list.state,
            )

    def _require(
        self, worker_list: WorkerList, state: ListState, verb: str, version: int | None
    ) -> None:
        if version is not None and version != worker_list.version:
            raise Refusal(
                "version_conflict",
                f"Worker list {worker_list.id} changed (version {worker_list.version}, not "
                f"{version}); read it again.",
                state=worker_list.state,
            )
        if worker_list.state != state:
            raise Refusal(
                "invalid_transition",
                f"Worker list {worker_list.id} is {worker_list.state}: only a {state} list can "
                f"be {verb}.",
                state=worker_list.state,
            )

    def _edited(self, worker_list: WorkerList, event: str, at: datetime) -> None:
        if worker_list.state in ("APPROVED", "REJECTED"):
            worker_list.submitted_at = worker_list.decided_at = worker_list.decided_by = None
            worker_list.rejection_reason = None
        self._move(worker_list, "DRAFT", event, at)

    def _decide(
        self, worker_list: WorkerList, state: ListState, by: str, reason: str | None
    ) -> None:
        at = now()
        worker_list.decided_at, worker_list.decided_by = at, by
        worker_list.rejection_reason = reason
        self._move(worker_list, state, state, at)

    def _move(self, worker_list: WorkerList, state: ListState, event: str, at: datetime) -> None:
        worker_list.state = state
        worker_list.version += 1
        worker_list.updated_at = at
        self._announce(worker_list, event, at)

    def _announce(self, worker_list: WorkerList, event: str, at: datetime) -> None:
        self.log.append(
            {
                "listId": worker_list.id,
                "enterpriseId": worker_list.enterprise.id,
                "district": worker_list.enterprise.district,
                "event": event,
                "state": worker_list.state,
                "version": worker_list.version,
                "at": at.isoformat(),
            }
        )
