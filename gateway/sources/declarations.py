"""Electronic health declarations: the upstream's records, and what the outbox still holds.

A declaration's `id` is the gateway's submission id (the receipt id), which is also the
`Idempotency-Key` it is delivered with. Reads merge the upstream's records with the submissions
the outbox accepted, so a declaration shows at once, delivered or still queued.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from gateway.forms.declarations import Address, Declaration, Exposure, PlaceVisited, Symptom
from gateway.outbox.store import Kind, OutboxStore, Submission
from gateway.sources.base import BatchSource, expect


def _instant(value: object) -> datetime:
    expect(isinstance(value, str), "an ISO 8601 instant")
    assert isinstance(value, str)
    parsed = datetime.fromisoformat(value)
    expect(parsed.tzinfo is not None, "an instant with an offset")
    return parsed


def digest_of(body: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of a body without its digest: what was declared,
    by whom, for whom and when."""
    canonical = orjson.dumps(
        {k: v for k, v in body.items() if k != "digest"}, option=orjson.OPT_SORT_KEYS
    )
    return hashlib.sha256(canonical).hexdigest()


@dataclass(frozen=True, slots=True)
class DeclarationRecord:
    """One health declaration; `delivered` is False while it waits in the outbox."""

    id: str
    person_id: str
    submitted_at: datetime
    declaration: Declaration
    submitted_by_role: str
    submitted_by: str
    digest: str = ""
    delivered: bool = True

    def to_json(self) -> dict[str, Any]:
        """The upstream's request body, with its digest."""
        d = self.declaration
        body: dict[str, Any] = {
            "submissionId": self.id,
            "personId": self.person_id,
            "submittedAt": self.submitted_at.isoformat(),
            "placesVisited": [
                {"province": p.province, "district": p.district} for p in d.places_visited
            ],
            "symptoms": [s.value for s in d.symptoms],
            "exposures": [e.value for e in d.exposures],
            "address": {"district": d.address.district, "ward": d.address.ward},
            "phone": d.phone,
            "submittedBy": {"role": self.submitted_by_role, "subject": self.submitted_by},
        }
        body["digest"] = digest_of(body)
        return body

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, delivered: bool = True) -> DeclarationRecord:
        by = data["submittedBy"]
        return cls(
            id=str(data["submissionId"]),
            person_id=str(data["personId"]),
            submitted_at=_instant(data["submittedAt"]),
            declaration=Declaration(
                places_visited=tuple(
                    PlaceVisited(str(p["province"]), p.get("district"))
                    for p in data["placesVisited"]
                ),
                symptoms=tuple(Symptom(s) for s in data["symptoms"]),
                exposures=tuple(Exposure(e) for e in data["exposures"]),
                address=Address(str(data["address"]["district"]), str(data["address"]["ward"])),
                phone=str(data["phone"]),
            ),
            submitted_by_role=str(by["role"]),
            submitted_by=str(by["subject"]),
            digest=str(data["digest"]),
            delivered=delivered,
        )

    @classmethod
    def from_submission(cls, submission: Submission) -> DeclarationRecord:
        return cls.from_json(submission.payload, delivered=submission.delivered)


def _grouped(answer: object, ids: Sequence[str]) -> dict[str, list[DeclarationRecord]]:
    expect(
        isinstance(answer, dict) and isinstance(answer.get("declarations"), list),
        "declarations list",
    )
    assert isinstance(answer, dict)
    grouped: dict[str, list[DeclarationRecord]] = {pid: [] for pid in ids}
    for item in answer["declarations"]:
        record = DeclarationRecord.from_json(item)
        if record.person_id in grouped:
            grouped[record.person_id].append(record)
    return grouped


class DeclarationsSource(BatchSource[tuple[DeclarationRecord, ...]]):
    """Every declaration of many people (`POST /declarations/search`), oldest first."""

    name = "declarations"

    async def fetch_batch(self, ids: Sequence[str]) -> dict[str, tuple[DeclarationRecord, ...]]:
        grouped = _grouped(
            await self.post_json("/declarations/search", {"personIds": list(ids)}), ids
        )
        return {
            pid: tuple(sorted(records, key=lambda r: r.submitted_at))
            for pid, records in grouped.items()
        }

    async def deliver(self, key: str, payload: Mapping[str, Any], timeout: float | None) -> None:
        """POST one declaration with its Idempotency-Key; raises unless the upstream has it."""
        await self.post_idempotent("/declarations", key, payload, timeout)


class LatestDeclarationSource(BatchSource[DeclarationRecord | None]):
    """The latest declaration of many people (`POST /declarations/latest`): what checkpoints
    need, without each person's whole history."""

    name = "declarations_latest"

    async def fetch_batch(self, ids: Sequence[str]) -> dict[str, DeclarationRecord | None]:
        grouped = _grouped(
            await self.post_json("/declarations/latest", {"personIds": list(ids)}), ids
        )
        return {
            pid: max(records, key=lambda r: r.submitted_at) if records else None
            for pid, records in grouped.items()
        }


async def latest_with_outbox(
    upstream: Sequence[DeclarationRecord | BaseException | None],
    store: OutboxStore,
    ids: Sequence[str],
) -> list[DeclarationRecord | BaseException | None]:
    """Each person's latest declaration, upstream or in the outbox (delivered or not).

    With the upstream down, a declaration the outbox holds still counts: it is the newest the
    person made through this gateway, so `declarationValidUntil` reflects it at once.
    """
    accepted = await store.latest_of(Kind.DECLARATION, ids)
    latest: list[DeclarationRecord | BaseException | None] = []
    for pid, record in zip(ids, upstream, strict=True):
        candidates = [DeclarationRecord.from_submission(accepted[pid])] if pid in accepted else []
        if isinstance(record, BaseException) and not candidates:
            latest.append(record)
            continue
        if isinstance(record, DeclarationRecord):
            candidates.append(record)
        latest.append(max(candidates, key=lambda r: r.submitted_at) if candidates else None)
    return latest
