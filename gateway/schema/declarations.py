"""GraphQL types of health declarations: the input, the receipt and the history."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gateway.forms.declarations import (
    Address,
    Declaration,
    Exposure,
    PlaceVisited,
    Symptom,
    load_rules,
)
from gateway.schema.submissions import (
    IDEMPOTENCY_KEY_DESCRIPTION,
    PERSON_ID_DESCRIPTION,
    DeliveryState,
)
from gateway.sources.declarations import DeclarationRecord
from gateway.timezone import LOCAL

DeclarationSymptom = strawberry.enum(
    Symptom,
    name="DeclarationSymptom",
    description="A symptom of the last 14 days the declaration asks about.",
)
ExposureKind = strawberry.enum(
    Exposure,
    name="Exposure",
    description=(
        "A contact of the last 14 days: with a confirmed or suspected case, with someone from "
        "an area with cases, or with someone who has symptoms."
    ),
)


def declaration_valid_until(record: DeclarationRecord) -> datetime:
    """Until when a declaration makes the person's QR usable (submission + 24 h, as data)."""
    return (record.submitted_at + load_rules().validity).astimezone(LOCAL)


@strawberry.input(description="A province (and optionally a district) visited.")
class PlaceVisitedInput:
    province: str = strawberry.field(
        description="The national code of the province, e.g. '79' (Hồ Chí Minh), '01' (Hà Nội)."
    )
    district: str | None = strawberry.field(
        default=None,
        description="The national code of the district, e.g. '778' (District 7), if known.",
    )


@strawberry.input(description="Where the person lives now.")
class AddressInput:
    district: str = strawberry.field(
        description="The national code of a district of the city, e.g. '778'."
    )
    ward: str = strawberry.field(description="The ward (phường/xã), e.g. 'Phường Tân Phong'.")


@strawberry.input(
    description="A health declaration: the last 14 days, and how to reach the person."
)
class HealthDeclarationInput:
    places_visited: list[PlaceVisitedInput] = strawberry.field(
        description="Provinces and districts visited in the last 14 days (may be empty)."
    )
    symptoms: list[DeclarationSymptom] = strawberry.field(  # type: ignore[valid-type]
        description="Symptoms had in the last 14 days (empty: none)."
    )
    exposures: list[ExposureKind] = strawberry.field(  # type: ignore[valid-type]
        description="Contacts had in the last 14 days (empty: none)."
    )
    address: AddressInput = strawberry.field(description="The current address.")
    phone: str = strawberry.field(description="A phone number to reach the person.")
    person_id: strawberry.ID | None = strawberry.field(
        default=None, description=PERSON_ID_DESCRIPTION
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description=IDEMPOTENCY_KEY_DESCRIPTION
    )

    def to_form(self) -> Declaration:
        return Declaration(
            places_visited=tuple(PlaceVisited(p.province, p.district) for p in self.places_visited),
            symptoms=tuple(Symptom(str(s)) for s in self.symptoms),
            exposures=tuple(Exposure(str(e)) for e in self.exposures),
            address=Address(self.address.district, self.address.ward),
            phone=self.phone,
        )


@strawberry.type(description="A province (and district) visited.")
class VisitedPlace:
    province: str = strawberry.field(description="The national code of the province.")
    district: str | None = strawberry.field(description="The national code of the district.")


@strawberry.type(description="The address given in a declaration.")
class DeclaredAddress:
    district: str = strawberry.field(description="The national code of the district.")
    ward: str = strawberry.field(description="The ward.")


@strawberry.type(description="A health declaration as it was made.")
class HealthDeclaration:
    id: strawberry.ID = strawberry.field(description="The declaration's id (its receipt's id).")
    person_id: strawberry.ID = strawberry.field(description="Whom it is for.")
    submitted_at: datetime = strawberry.field(description="When the gateway accepted it.")
    valid_until: datetime = strawberry.field(
        description="Until when it makes the person's QR usable (submission + 24 h)."
    )
    places_visited: list[VisitedPlace] = strawberry.field(
        description="Provinces and districts visited in the last 14 days."
    )
    symptoms: list[DeclarationSymptom] = strawberry.field(  # type: ignore[valid-type]
        description="Symptoms declared."
    )
    exposures: list[ExposureKind] = strawberry.field(  # type: ignore[valid-type]
        description="Contacts declared."
    )
    address: DeclaredAddress = strawberry.field(description="The address declared.")
    phone: str = strawberry.field(description="The phone number declared.")
    declared_by_officer: bool = strawberry.field(
        description="Whether a health officer filed it on the person's behalf (at the ward)."
    )
    digest: str = strawberry.field(
        description=(
            "SHA-256 (hex) of the canonical JSON of the declaration with its person, "
            "submitter and submission time: what was declared, fixed."
        )
    )
    delivery: DeliveryState = strawberry.field(
        description="ACCEPTED once the national service has it; QUEUED until then."
    )

    @classmethod
    def from_record(cls, record: DeclarationRecord) -> HealthDeclaration:
        d = record.declaration
        return cls(
            id=strawberry.ID(record.id),
            person_id=strawberry.ID(record.person_id),
            submitted_at=record.submitted_at.astimezone(LOCAL),
            valid_until=declaration_valid_until(record),
            places_visited=[
                VisitedPlace(province=p.province, district=p.district) for p in d.places_visited
            ],
            symptoms=list(d.symptoms),
            exposures=list(d.exposures),
            address=DeclaredAddress(district=d.address.district, ward=d.address.ward),
            phone=d.phone,
            declared_by_officer=record.submitted_by_role == "health_officer",
            digest=record.digest,
            delivery=DeliveryState.of(record.delivered),
        )


@strawberry.type(
    description=(
        "The receipt of a health declaration. A retry with the same idempotency key returns "
        "the same receipt, its delivery state brought up to date."
    )
)
class HealthDeclarationReceipt:
    id: strawberry.ID = strawberry.field(description="The receipt's (and declaration's) id.")
    submitted_at: datetime = strawberry.field(description="When the gateway accepted it.")
    declaration_valid_until: datetime = strawberry.field(
        description="Until when the person's QR is usable thanks to it (submission + 24 h)."
    )
    delivery: DeliveryState = strawberry.field(
        description=(
            "ACCEPTED: the national service has it. QUEUED: stored durably, delivered as soon "
            "as the national service answers."
        )
    )
    digest: str = strawberry.field(
        description="SHA-256 (hex) of what was declared, by whom, for whom and when."
    )
    declaration: HealthDeclaration = strawberry.field(description="What was declared.")

    @classmethod
    def from_record(cls, record: DeclarationRecord) -> HealthDeclarationReceipt:
        declaration = HealthDeclaration.from_record(record)
        return cls(
            id=declaration.id,
            submitted_at=declaration.submitted_at,
            declaration_valid_until=declaration.valid_until,
            delivery=declaration.delivery,
            digest=declaration.digest,
            declaration=declaration,
        )
