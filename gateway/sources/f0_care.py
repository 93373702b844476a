"""F0 home care: confirmed cases and their recoveries; daily home-care reports.

Reports travel as LOINC-coded vital-sign observations (DOMAIN.md §6) in the service's own REST
shape. A report's `id` is the gateway's submission id, also its upstream `Idempotency-Key`;
reads merge the upstream's reports with those the outbox accepted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.forms.f0_care import F0Reading, F0Symptom, F0Warning, Severity
from gateway.outbox.store import Submission
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


# LOINC codes of the vital signs (DOMAIN.md §6) and their UCUM units.
RESPIRATORY_RATE, HEART_RATE, BODY_TEMPERATURE = "9279-1", "8867-4", "8310-5"
SPO2, BLOOD_PRESSURE, SYSTOLIC, DIASTOLIC = "59408-5", "85354-9", "8480-6", "8462-4"
_VITALS = (
    (RESPIRATORY_RATE, "Respiratory rate", "/min", "respiratory_rate"),
    (HEART_RATE, "Heart rate", "/min", "pulse"),
    (BODY_TEMPERATURE, "Body temperature", "Cel", "temperature"),
    (SPO2, "Oxygen saturation by pulse oximetry", "%", "spo2"),
)


@dataclass(frozen=True, slots=True)
class F0ReportRecord:
    """One F0 home-care report; `delivered` is False while it waits in the outbox."""

    id: str
    person_id: str
    submitted_at: datetime
    reading: F0Reading
    warnings: tuple[F0Warning, ...]
    severity: Severity
    submitted_by_role: str
    submitted_by: str
    delivered: bool = True

    def to_json(self) -> dict[str, Any]:
        """The upstream's request body."""
        r = self.reading
        observations: list[dict[str, Any]] = [
            {"code": code, "display": display, "value": getattr(r, attribute), "unit": unit}
            for code, display, unit, attribute in _VITALS
        ]
        if r.systolic is not None and r.diastolic is not None:
            observations.append(
                {
                    "code": BLOOD_PRESSURE,
                    "display": "Blood pressure panel",
                    "components": [
                        {"code": SYSTOLIC, "value": r.systolic, "unit": "mm[Hg]"},
                        {"code": DIASTOLIC, "value": r.diastolic, "unit": "mm[Hg]"},
                    ],
                }
            )
        return {
            "submissionId": self.id,
            "personId": self.person_id,
            "measuredAt": r.measured_at.isoformat(),
            "submittedAt": self.submitted_at.isoformat(),
            "observations": observations,
            "symptoms": [s.value for s in r.symptoms],
            "warnings": [w.value for w in self.warnings],
            "severity": self.severity.value,
            "submittedBy": {"role": self.submitted_by_role, "subject": self.submitted_by},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, delivered: bool = True) -> F0ReportRecord:
        observed = {o["code"]: o for o in data["observations"]}
        pressure = {
            c["code"]: c["value"] for c in observed.get(BLOOD_PRESSURE, {}).get("components", [])
        }
        by = data["submittedBy"]
        return cls(
            id=str(data["submissionId"]),
            person_id=str(data["personId"]),
            submitted_at=_instant(data["submittedAt"]),
            reading=F0Reading(
                measured_at=_instant(data["measuredAt"]),
                respiratory_rate=int(observed[RESPIRATORY_RATE]["value"]),
                pulse=int(observed[HEART_RATE]["value"]),
                temperature=float(observed[BODY_TEMPERATURE]["value"]),
                spo2=int(observed[SPO2]["value"]),
                systolic=pressure.get(SYSTOLIC),
                diastolic=pressure.get(DIASTOLIC),
                symptoms=tuple(F0Symptom(s) for s in data["symptoms"]),
            ),
            warnings=tuple(F0Warning(w) for w in data["warnings"]),
            severity=Severity(data["severity"]),
            submitted_by_role=str(by["role"]),
            submitted_by=str(by["subject"]),
            delivered=delivered,
        )

    @classmethod
    def from_submission(cls, submission: Submission) -> F0ReportRecord:
        return cls.from_json(submission.payload, delivered=submission.delivered)


class F0ReportsSource(BatchSource[tuple[F0ReportRecord, ...]]):
    """The reports of many people in one request (`POST /reports/search`), oldest first."""

    name = "f0_reports"

    async def fetch_batch(self, ids: Sequence[str]) -> dict[str, tuple[F0ReportRecord, ...]]:
        answer = await self.post_json("/reports/search", {"personIds": list(ids)})
        expect(isinstance(answer, dict) and isinstance(answer.get("reports"), list), "reports")
        assert isinstance(answer, dict)
        grouped: dict[str, list[F0ReportRecord]] = {pid: [] for pid in ids}
        for item in answer["reports"]:
            record = F0ReportRecord.from_json(item)
            if record.person_id in grouped:
                grouped[record.person_id].append(record)
        return {
            pid: tuple(sorted(records, key=lambda r: r.submitted_at))
            for pid, records in grouped.items()
        }

    async def deliver(self, key: str, payload: Mapping[str, Any], timeout: float | None) -> None:
        """POST one report with its Idempotency-Key; raises unless the upstream has it."""
        await self.post_idempotent("/reports", key, payload, timeout)
