"""Lab results: FHIR R4 Observation resources (PCR and rapid antigen)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.sources.base import BatchSource, expect
from gateway.sources.fhir import coding, search_by_patients
from gateway.status import LabTest, TestKind

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
KIND_BY_LOINC = {"94500-6": TestKind.PCR, "94558-4": TestKind.ANTIGEN}
POSITIVE_BY_SNOMED = {"260373001": True, "260415000": False}


@dataclass(frozen=True, slots=True)
class LabTestRecord:
    """One SARS-CoV-2 test result."""

    id: str
    kind: TestKind
    sampled_at: datetime
    positive: bool
    loinc: str

    @classmethod
    def from_fhir(cls, resource: dict[str, Any]) -> LabTestRecord | None:
        """The record, or None for an observation that is not a SARS-CoV-2 test result."""
        loinc = (coding(resource.get("code"), LOINC) or {}).get("code")
        result = (coding(resource.get("valueCodeableConcept"), SNOMED) or {}).get("code")
        if loinc not in KIND_BY_LOINC or result not in POSITIVE_BY_SNOMED:
            return None
        sampled_at = datetime.fromisoformat(resource["effectiveDateTime"])
        expect(sampled_at.tzinfo is not None, "effectiveDateTime carries an offset")
        return cls(
            id=str(resource["id"]),
            kind=KIND_BY_LOINC[loinc],
            sampled_at=sampled_at,
            positive=POSITIVE_BY_SNOMED[result],
            loinc=loinc,
        )

    def as_fact(self) -> LabTest:
        return LabTest(kind=self.kind, sampled_at=self.sampled_at, positive=self.positive)


class LabResultsSource(BatchSource[tuple[LabTestRecord, ...]]):
    """Every final SARS-CoV-2 result of many people in one FHIR `_search`."""

    name = "lab_results"

    async def fetch_batch(self, ids: Sequence[str]) -> dict[str, tuple[LabTestRecord, ...]]:
        grouped = await search_by_patients(self, "Observation", ids)
        results: dict[str, tuple[LabTestRecord, ...]] = {}
        for pid, resources in grouped.items():
            records = (
                LabTestRecord.from_fhir(r)
                for r in resources
                if r.get("status") in ("final", "amended", "corrected")
            )
            results[pid] = tuple(
                sorted((r for r in records if r is not None), key=lambda r: r.sampled_at)
            )
        return results
