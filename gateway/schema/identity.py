"""The Person type: a resident, as the population register and the health services know them."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry

from gateway.auth import Role
from gateway.context import Info
from gateway.errors import BadUserInput
from gateway.schema.declarations import HealthDeclaration
from gateway.schema.f0_care import F0Case, F0Report
from gateway.schema.lab_results import LabTest
from gateway.schema.permissions import allow
from gateway.schema.vaccination import Vaccination
from gateway.sources.identity import PersonRecord

if TYPE_CHECKING:
    from gateway.schema.checkpoint import CheckIn, OfflinePass, PersonalQr
    from gateway.schema.dcc import VaccinePassport
    from gateway.schema.status import PersonStatus

HEALTH_DETAIL = (Role.CITIZEN, Role.HEALTH_OFFICER)


MAX_HISTORY = 500


def _history(last: int) -> int:
    """How many of the newest entries a history field returns (`last`, 1 to 500)."""
    if not 1 <= last <= MAX_HISTORY:
        raise BadUserInput(f"last must be between 1 and {MAX_HISTORY}.", field="last")
    return last


def mask_name(full_name: str) -> str:
    """'Nguyễn Văn An' → 'N*** V*** An': initials of family and middle names, given name whole."""
    words = full_name.split()
    return " ".join([f"{word[0]}***" for word in words[:-1]] + words[-1:])


@strawberry.type(description="A resident. What a caller may read depends on their role and scope.")
class Person:
    id: strawberry.ID = strawberry.field(
        description="The person's opaque id (not the national id)."
    )
    full_name: str | None = allow(
        Role.CITIZEN,
        Role.EMPLOYER,
        Role.HEALTH_OFFICER,
        Role.DISTRICT_ADMIN,
        description="The full name, as the population register has it.",
    )
    masked_name: str | None = strawberry.field(
        description="The name with family and middle names reduced to initials: 'N*** V*** An'."
    )
    birth_year: int | None = strawberry.field(description="The year of birth.")
    date_of_birth: date | None = allow(*HEALTH_DETAIL, description="The date of birth.")
    national_id: str | None = allow(*HEALTH_DETAIL, description="The 12-digit citizen id number.")
    phone: str | None = allow(*HEALTH_DETAIL, description="The registered phone number.")
    district: str | None = strawberry.field(
        description="The national code of the district of residence, e.g. '778' (District 7)."
    )

    @allow(*HEALTH_DETAIL, description="Every vaccine dose, oldest first.")
    async def vaccinations(self, info: Info) -> list[Vaccination] | None:
        records = await info.context.loaders.vaccinations_by_person.load(str(self.id))
        return [Vaccination.from_record(record) for record in records]

    @allow(*HEALTH_DETAIL, description="Every SARS-CoV-2 test result, oldest sample first.")
    async def lab_tests(self, info: Info) -> list[LabTest] | None:
        records = await info.context.loaders.lab_tests_by_person.load(str(self.id))
        return [LabTest.from_record(record) for record in records]

    @allow(*HEALTH_DETAIL, description="The latest F0 case, if the person ever was one.")
    async def f0_case(self, info: Info) -> F0Case | None:
        records = await info.context.loaders.f0_cases_by_person.load(str(self.id))
        return F0Case.from_record(records[-1], info.context.clock()) if records else None

    @allow(*HEALTH_DETAIL, description="The person's health declarations, newest first.")
    async def declarations(self, info: Info, last: int = 30) -> list[HealthDeclaration] | None:
        records = await info.context.loaders.declarations_by_person.load(str(self.id))
        return [HealthDeclaration.from_record(r) for r in reversed(records[-_history(last) :])]

    @allow(*HEALTH_DETAIL, description="The person's F0 home-care reports, newest first.")
    async def f0_reports(self, info: Info, last: int = 60) -> list[F0Report] | None:
        records = await info.context.loaders.f0_reports_by_person.load(str(self.id))
        return [F0Report.from_record(r) for r in reversed(records[-_history(last) :])]

    @strawberry.field(description="The person's status under the city's policy, evaluated now.")
    async def status(
        self, info: Info
    ) -> Annotated[PersonStatus, strawberry.lazy("gateway.schema.status")]:
        from gateway.schema.status import PersonStatus

        return await PersonStatus.evaluate(info, str(self.id))

    @allow(*HEALTH_DETAIL, description="The person's one personal QR (issued on first read).")
    async def qr(
        self, info: Info
    ) -> Annotated[PersonalQr, strawberry.lazy("gateway.schema.checkpoint")] | None:
        from gateway.schema.checkpoint import PersonalQr

        return await PersonalQr.for_person(info, str(self.id))

    @allow(*HEALTH_DETAIL, description="A signed status for checkpoints without network (<= 24 h).")
    async def offline_pass(
        self, info: Info
    ) -> Annotated[OfflinePass, strawberry.lazy("gateway.schema.checkpoint")] | None:
        from gateway.schema.checkpoint import OfflinePass

        return await OfflinePass.for_person(info, self)

    @allow(
        *HEALTH_DETAIL,
        description=(
            "The person's vaccine passport (EU Digital COVID Certificate), signed now; null with "
            "NOT_FOUND when no vaccination series is complete."
        ),
    )
    async def vaccine_passport(
        self, info: Info
    ) -> Annotated[VaccinePassport, strawberry.lazy("gateway.schema.dcc")] | None:
        from gateway.schema.dcc import VaccinePassport

        return await VaccinePassport.for_person(info, str(self.id))

    @allow(Role.CITIZEN, description="Where the person's QR or SMS code was scanned, oldest first.")
    async def check_ins(
        self, info: Info
    ) -> list[Annotated[CheckIn, strawberry.lazy("gateway.schema.checkpoint")]] | None:
        from gateway.schema.checkpoint import CheckIn

        return await CheckIn.of_person(info, str(self.id))

    @classmethod
    def from_record(cls, record: PersonRecord) -> Person:
        return cls(
            id=strawberry.ID(record.id),
            full_name=record.full_name,
            masked_name=mask_name(record.full_name),
            birth_year=record.date_of_birth.year,
            date_of_birth=record.date_of_birth,
            national_id=record.national_id,
            phone=record.phone,
            district=record.district,
        )
