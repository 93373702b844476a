"""The vaccination registry: FHIR R4 Immunization resources."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from gateway.sources.base import BatchSource, expect
from gateway.sources.fhir import coding, search_by_patients
from gateway.status import Dose
from gateway.timezone import LOCAL

CVX = "http://hl7.org/fhir/sid/cvx"
EU_PRODUCT = "https://ec.europa.eu/health/documents/community-register/html/"

# CVX code → the status policy's product key (DOMAIN.md §6).
PRODUCT_BY_CVX = {
    "210": "ASTRAZENECA",
    "208": "PFIZER",
    "207": "MODERNA",
    "510": "SINOPHARM",
    "505": "SPUTNIK_V",
    "212": "JANSSEN",
}
# Products without a CVX code of their own (CVX 500) are told apart by their EU product code.
PRODUCT_BY_EU_CODE = {
    "EU/1/21/1529": "ASTRAZENECA",
    "EU/1/20/1528": "PFIZER",
    "EU/1/20/1507": "MODERNA",
    "BBIBP-CorV": "SINOPHARM",
    "Sputnik-V": "SPUTNIK_V",
    "EU/1/20/1525": "JANSSEN",
    "Abdala": "ABDALA",
    "Hayat-Vax": "HAYAT_VAX",
}
UNKNOWN_PRODUCT = "UNKNOWN"


@dataclass(frozen=True, slots=True)
class VaccinationRecord:
    """One administered dose."""

    id: str
    date: date
    product: str
    product_name: str
    cvx: str | None
    lot_number: str | None
    performer: str | None
    dose_number: int | None

    @classmethod
    def from_fhir(cls, resource: dict[str, Any]) -> VaccinationRecord:
        concept = resource.get("vaccineCode") or {}
        cvx = (coding(concept, CVX) or {}).get("code")
        eu = (coding(concept, EU_PRODUCT) or {}).get("code")
        product = PRODUCT_BY_CVX.get(str(cvx)) or PRODUCT_BY_EU_CODE.get(str(eu), UNKNOWN_PRODUCT)
        performers = resource.get("performer") or [{}]
        protocol = (resource.get("protocolApplied") or [{}])[0]
        return cls(
            id=str(resource["id"]),
            date=_local_date(resource["occurrenceDateTime"]),
            product=product,
            product_name=str(concept.get("text") or product),
            cvx=str(cvx) if cvx is not None else None,
            lot_number=resource.get("lotNumber"),
            performer=(performers[0].get("actor") or {}).get("display"),
            dose_number=protocol.get("doseNumberPositiveInt"),
        )

    def as_dose(self) -> Dose:
        return Dose(date=self.date, product=self.product)


def _local_date(value: object) -> date:
    expect(isinstance(value, str), "occurrenceDateTime is a string")
    assert isinstance(value, str)
    if len(value) == 10:
        return date.fromisoformat(value)
    return datetime.fromisoformat(value).astimezone(LOCAL).date()


class VaccinationSource(BatchSource[tuple[VaccinationRecord, ...]]):
    """Every completed dose of many people in one FHIR `_search`."""

    name = "vaccination"

    async def fetch_batch(self, ids: Sequence[str]) -> dict[str, tuple[VaccinationRecord, ...]]:
        grouped = await search_by_patients(self, "Immunization", ids)
        return {
            pid: tuple(
                sorted(
                    (
                        VaccinationRecord.from_fhir(resource)
                        for resource in resources
                        if resource.get("status") == "completed"
                    ),
                    key=lambda record: record.date,
                )
            )
            for pid, resources in grouped.items()
        }
