"""GraphQL types of the vaccination registry."""

from __future__ import annotations

from datetime import date

import strawberry

from gateway.sources.vaccination import VaccinationRecord


@strawberry.type(description="One administered vaccine dose, as the national registry holds it.")
class Vaccination:
    id: strawberry.ID = strawberry.field(description="The registry's id of this dose.")
    date: date = strawberry.field(description="The date the dose was given (Asia/Ho_Chi_Minh).")
    product: str = strawberry.field(description="The product's name, e.g. 'Pfizer-BioNTech'.")
    product_code: str = strawberry.field(
        description="The status policy's product key, e.g. PFIZER, ABDALA, or UNKNOWN."
    )
    cvx: str | None = strawberry.field(description="The CVX vaccine code, when there is one.")
    lot_number: str | None = strawberry.field(description="The vaccine lot number.")
    performer: str | None = strawberry.field(description="Who gave the dose (vaccination site).")
    dose_number: int | None = strawberry.field(
        description="The dose number the registry recorded for this dose, if any."
    )

    @classmethod
    def from_record(cls, record: VaccinationRecord) -> Vaccination:
        return cls(
            id=strawberry.ID(record.id),
            date=record.date,
            product=record.product_name,
            product_code=record.product,
            cvx=record.cvx,
            lot_number=record.lot_number,
            performer=record.performer,
            dose_number=record.dose_number,
        )
