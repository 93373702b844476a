"""GraphQL types of F0 home care: cases, daily reports (input, receipt, history) and alerts."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from gateway.context import Info
from gateway.forms.f0_care import F0Reading, F0Symptom, F0Warning, Severity
from gateway.outbox.store import Alert
from gateway.schema.submissions import (
    IDEMPOTENCY_KEY_DESCRIPTION,
    PERSON_ID_DESCRIPTION,
    DeliveryState,
)
from gateway.sources.f0_care import F0CaseRecord, F0ReportRecord
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


F0SymptomKind = strawberry.enum(
    F0Symptom, name="F0Symptom", description="A symptom of the F0 home-care checklist."
)
F0WarningKind = strawberry.enum(
    F0Warning,
    name="F0Warning",
    description=(
        "A warning worked out from a report: LOW_SPO2 (SpO2 < 96 %), FAST_BREATHING "
        "(> 20/min), FAST_PULSE (> 120), SLOW_PULSE (< 50), LOW_SYSTOLIC (< 90 mmHg), "
        "LOW_DIASTOLIC (< 60 mmHg), a danger symptom (CHEST_PAIN, CONFUSION, "
        "SHORTNESS_OF_BREATH, COUGHING_BLOOD), all of which escalate; FEVER (>= 38.5 °C) does "
        "not. The thresholds are data (gateway/forms/f0_care.json)."
    ),
)
F0Severity = strawberry.enum(
    Severity,
    name="F0Severity",
    description="ROUTINE, or URGENT: an escalating warning holds; the district is alerted.",
)


@strawberry.input(description="A blood pressure measurement, both values in mmHg.")
class BloodPressureInput:
    systolic: int = strawberry.field(description="Systolic pressure, mmHg (50 to 250).")
    diastolic: int = strawberry.field(description="Diastolic pressure, mmHg (30 to 150).")


@strawberry.input(description="A daily F0 home-care report (MOH Decision 4038/QĐ-BYT).")
class F0ReportInput:
    respiratory_rate: int = strawberry.field(description="Breaths per minute (5 to 70).")
    pulse: int = strawberry.field(description="Heart beats per minute (30 to 220).")
    temperature: float = strawberry.field(description="Body temperature, °C (34 to 43).")
    spo2: int = strawberry.field(description="Oxygen saturation, % (50 to 100).")
    symptoms: list[F0SymptomKind] = strawberry.field(  # type: ignore[valid-type]
        description="Symptoms now (empty: none)."
    )
    blood_pressure: BloodPressureInput | None = strawberry.field(
        default=None, description="Blood pressure, if it could be measured."
    )
    measured_at: datetime | None = strawberry.field(
        default=None,
        description="When it was measured (within the last 24 hours); default: now.",
    )
    person_id: strawberry.ID | None = strawberry.field(
        default=None, description=PERSON_ID_DESCRIPTION
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description=IDEMPOTENCY_KEY_DESCRIPTION
    )

    def to_reading(self, now: datetime) -> F0Reading:
        pressure = self.blood_pressure
        return F0Reading(
            measured_at=self.measured_at or now,
            respiratory_rate=self.respiratory_rate,
            pulse=self.pulse,
            temperature=self.temperature,
            spo2=self.spo2,
            systolic=pressure.systolic if pressure else None,
            diastolic=pressure.diastolic if pressure else None,
            symptoms=tuple(F0Symptom(str(s)) for s in self.symptoms),
        )


@strawberry.type(description="A blood pressure measurement.")
class BloodPressure:
    systolic: int = strawberry.field(description="Systolic pressure, mmHg.")
    diastolic: int = strawberry.field(description="Diastolic pressure, mmHg.")


@strawberry.type(description="A daily F0 home-care report, with what the gateway made of it.")
class F0Report:
    id: strawberry.ID = strawberry.field(description="The report's id (its receipt's id).")
    person_id: strawberry.ID = strawberry.field(description="Whom it is about.")
    measured_at: datetime = strawberry.field(description="When it was measured.")
    submitted_at: datetime = strawberry.field(description="When the gateway accepted it.")
    respiratory_rate: int = strawberry.field(description="Breaths per minute.")
    pulse: int = strawberry.field(description="Heart beats per minute.")
    temperature: float = strawberry.field(description="Body temperature, °C.")
    spo2: int = strawberry.field(description="Oxygen saturation, %.")
    blood_pressure: BloodPressure | None = strawberry.field(
        description="Blood pressure, when it was measured."
    )
    symptoms: list[F0SymptomKind] = strawberry.field(  # type: ignore[valid-type]
        description="Symptoms reported."
    )
    warnings: list[F0WarningKind] = strawberry.field(  # type: ignore[valid-type]
        description="Warnings worked out from it, in the order of the rules."
    )
    severity: F0Severity = strawberry.field(  # type: ignore[valid-type]
        description="URGENT when an escalating warning holds."
    )
    reported_by_officer: bool = strawberry.field(
        description="Whether a health officer filed it on the person's behalf."
    )
    delivery: DeliveryState = strawberry.field(
        description="ACCEPTED once the F0 service has it; QUEUED until then."
    )

    @classmethod
    def from_record(cls, record: F0ReportRecord) -> F0Report:
        r = record.reading
        pressure = (
            BloodPressure(systolic=r.systolic, diastolic=r.diastolic)
            if r.systolic is not None and r.diastolic is not None
            else None
        )
        return cls(
            id=strawberry.ID(record.id),
            person_id=strawberry.ID(record.person_id),
            measured_at=r.measured_at.astimezone(LOCAL),
            submitted_at=record.submitted_at.astimezone(LOCAL),
            respiratory_rate=r.respiratory_rate,
            pulse=r.pulse,
            temperature=r.temperature,
            spo2=r.spo2,
            blood_pressure=pressure,
            symptoms=list(r.symptoms),
            warnings=list(record.warnings),
            severity=record.severity,
            reported_by_officer=record.submitted_by_role == "health_officer",
            delivery=DeliveryState.of(record.delivered),
        )


@strawberry.enum(description="Whether a health officer has taken an alert in hand.")
class F0AlertState(Enum):
    OPEN = strawberry.enum_value("OPEN", description="Nobody has acknowledged it yet.")
    ACKNOWLEDGED = strawberry.enum_value(
        "ACKNOWLEDGED", description="A health officer of the district acknowledged it."
    )


@strawberry.type(
    description=(
        "An alert raised by an URGENT F0 report, for the health officers of the person's district."
    )
)
class F0Alert:
    id: strawberry.ID = strawberry.field(description="The alert's id.")
    person_id: strawberry.ID = strawberry.field(description="Whom the report was about.")
    district: str = strawberry.field(description="The district whose officers it is for.")
    raised_at: datetime = strawberry.field(description="When the report came in.")
    warnings: list[F0WarningKind] = strawberry.field(  # type: ignore[valid-type]
        description="The report's warnings."
    )
    report_id: strawberry.ID = strawberry.field(description="The report that raised it.")
    state: F0AlertState = strawberry.field(description="OPEN or ACKNOWLEDGED.")
    acknowledged_at: datetime | None = strawberry.field(
        description="When it was acknowledged; null while open."
    )
    acknowledged_by: str | None = strawberry.field(
        description="The subject (officer id) of who acknowledged it; null while open."
    )

    @strawberry.field(description="The report that raised it.")
    async def report(self, info: Info) -> F0Report | None:
        submission = await info.context.outbox.store.submission(str(self.report_id))
        return (
            F0Report.from_record(F0ReportRecord.from_submission(submission)) if submission else None
        )

    @classmethod
    def from_alert(cls, alert: Alert) -> F0Alert:
        return cls(
            id=strawberry.ID(alert.id),
            person_id=strawberry.ID(alert.person_id),
            district=alert.district,
            raised_at=alert.raised_at.astimezone(LOCAL),
            warnings=[F0Warning(w) for w in alert.warnings],
            report_id=strawberry.ID(alert.submission_id),
            state=F0AlertState.OPEN if alert.acknowledged_at is None else F0AlertState.ACKNOWLEDGED,
            acknowledged_at=alert.acknowledged_at.astimezone(LOCAL)
            if alert.acknowledged_at
            else None,
            acknowledged_by=alert.acknowledged_by,
        )


@strawberry.type(
    description=(
        "The receipt of an F0 report. A retry with the same idempotency key returns the same "
        "receipt (and raises no second alert), its delivery state brought up to date."
    )
)
class F0ReportReceipt:
    id: strawberry.ID = strawberry.field(description="The receipt's (and report's) id.")
    submitted_at: datetime = strawberry.field(description="When the gateway accepted it.")
    delivery: DeliveryState = strawberry.field(
        description=(
            "ACCEPTED: the F0 service has it. QUEUED: stored durably, delivered as soon as the "
            "F0 service answers."
        )
    )
    warnings: list[F0WarningKind] = strawberry.field(  # type: ignore[valid-type]
        description="Warnings worked out from the report."
    )
    severity: F0Severity = strawberry.field(  # type: ignore[valid-type]
        description="URGENT when an escalating warning holds."
    )
    alert: F0Alert | None = strawberry.field(
        description="The alert raised for the district's health officers, when URGENT."
    )
    report: F0Report = strawberry.field(description="The report as it was accepted.")

    @classmethod
    def from_record(cls, record: F0ReportRecord, alert: Alert | None) -> F0ReportReceipt:
        report = F0Report.from_record(record)
        return cls(
            id=report.id,
            submitted_at=report.submitted_at,
            delivery=report.delivery,
            warnings=report.warnings,
            severity=report.severity,
            alert=F0Alert.from_alert(alert) if alert else None,
            report=report,
        )
