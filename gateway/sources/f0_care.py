"""F0 home care: confirmed cases and their recoveries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.sources.base import BatchSource, expect
from gateway.status import F0Case


def _instant(value: object) -> datetime:
    expect(isinstance(value, str), "an ISO 8601 instant")
    assert isinstance(value, str)
    parsed = datetime.fromisoformat(value)
    expect(parsed.tzinfo is not None, "an instant with an offset")
    return parsed


@dataclass(frozen=True, slots=True)
class F0CaseRecord:
    """One confirmed case under home care."""

    case_id: str
    confirmed_at: datetime
    recovered_at: datetime | None
    recovery_proof: str | None
    district: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> F0CaseRecord:
        recovered = data.get("recoveredAt")
        return cls(
            case_id=str(data["caseId"]),
            confirmed_at=_instant(data["confirmedAt"]),
            recovered_at=_instant(recovered) if recovered is not None else None,
            recovery_proof=data.get("recoveryProof") or None,
            district=data.get("district"),
        )

    def as_fact(self) -> F0Case:
        return F0Case(
            confirmed_at=self.confirmed_at,
            recovered_at=self.recovered_at,
            recovery_proof=self.recovery_proof,
        )


class F0CareSource(BatchSource[tuple[F0CaseRecord, ...]]):
    """The F0 cases of many people in one request (`POST /cases/search`)."""

    name = "f0_care"

    async def fetch_batch(self, ids: Sequence[str]) -> dict[str, tuple[F0CaseRecord, ...]]:
        answer = await self.post_json("/cases/search", {"personIds": list(ids)})
        expect(isinstance(answer, dict) and isinstance(answer.get("cases"), list), "cases list")
        assert isinstance(answer, dict)
        grouped: dict[str, list[F0CaseRecord]] = {pid: [] for pid in ids}
        for item in answer["cases"]:
            pid = str(item["personId"])
            if pid in grouped:
                grouped[pid].append(F0CaseRecord.from_json(item))
        return {
            pid: tuple(sorted(cases, key=lambda c: c.confirmed_at))
            for pid, cases in grouped.items()
        }
