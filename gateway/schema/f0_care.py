"""GraphQL types of F0 home care."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gateway.sources.f0_care import F0CaseRecord
from gateway.timezone import LOCAL


@strawberry.type(description="A confirmed COVID-19 case (F0) under home care.")
class F0Case:
    id: strawberry.ID = strawberry.field(description="The F0 service's case id.")
    confirmed_at: datetime = strawberry.field(description="When the case was confirmed.")
    recovered_at: datetime | None = strawberry.field(
        description="When the person recovered, or null while the case is active."
    )
    recovery_proof: str | None = strawberry.field(
        description=(
            "The proof of recovery: DISCHARGE_PAPER, WARD_ISOLATION_COMPLETION or "
            "HOME_CARE_TEAM_CONFIRMATION; null when none was given."
        )
    )
    active: bool = strawberry.field(description="Whether the case is active now.")

    @classmethod
    def from_record(cls, record: F0CaseRecord, now: datetime) -> F0Case:
        active = record.confirmed_at <= now and (
            record.recovered_at is None or record.recovered_at > now
        )
        return cls(
            id=strawberry.ID(record.case_id),
            confirmed_at=record.confirmed_at.astimezone(LOCAL),
            recovered_at=record.recovered_at.astimezone(LOCAL) if record.recovered_at else None,
            recovery_proof=record.recovery_proof,
            active=active,
        )
