"""GraphQL types of lab results."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from gateway.sources.lab_results import LabTestRecord
from gateway.timezone import LOCAL


@strawberry.enum(description="The kind of SARS-CoV-2 test.")
class LabTestKind(Enum):
    PCR = strawberry.enum_value("PCR", description="RNA by NAA/PCR (LOINC 94500-6).")
    ANTIGEN = strawberry.enum_value("ANTIGEN", description="Rapid antigen test (LOINC 94558-4).")


@strawberry.enum(description="A test's result.")
class LabTestResult(Enum):
    POSITIVE = strawberry.enum_value("POSITIVE", description="Detected (SNOMED 260373001).")
    NEGATIVE = strawberry.enum_value("NEGATIVE", description="Not detected (SNOMED 260415000).")


@strawberry.type(description="One SARS-CoV-2 test result from the national lab service.")
class LabTest:
    id: strawberry.ID = strawberry.field(description="The lab service's id of this result.")
    kind: LabTestKind = strawberry.field(description="PCR or rapid antigen.")
    sampled_at: datetime = strawberry.field(description="When the sample was taken.")
    result: LabTestResult = strawberry.field(description="Positive or negative.")
    loinc: str = strawberry.field(description="The LOINC code of the test.")

    @classmethod
    def from_record(cls, record: LabTestRecord) -> LabTest:
        return cls(
            id=strawberry.ID(record.id),
            kind=LabTestKind(record.kind.value),
            sampled_at=record.sampled_at.astimezone(LOCAL),
            result=LabTestResult.POSITIVE if record.positive else LabTestResult.NEGATIVE,
            loinc=record.loinc,
        )
