"""GraphQL types of the vaccine passport domain (EU Digital COVID Certificates)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

import strawberry

from gateway.context import Info
from gateway.dcc.issue import IssuedPassport, SeriesIncomplete, issue, qr_png_data_uri, qr_svg
from gateway.errors import NotFound, UpstreamUnavailable
from gateway.timezone import LOCAL


@strawberry.type(
    description=(
        "A vaccine passport: an EU Digital COVID Certificate of the person's completed "
        "vaccination series, signed by the gateway (COSE, verifiable offline against "
        "GET /dcc/trust-list) and valid for 12 months."
    )
)
class VaccinePassport:
    payload: str = strawberry.field(
        description="Exactly the text encoded in the QR image: 'HC1:' and base45."
    )
    uvci: str = strawberry.field(
        description="The certificate's unique identifier, URN:UVCI:01:VN:...#<check character>."
    )
    issued_at: datetime = strawberry.field(description="When the passport was signed.")
    expires_at: datetime = strawberry.field(description="When it expires: 12 months after issue.")
    dose_number: int = strawberry.field(
        description="The dose certified: the one that completed the series (or a booster)."
    )
    total_doses: int = strawberry.field(
        description="Doses of the series as certified (equal to doseNumber: complete)."
    )
    vaccination_date: date = strawberry.field(description="The date of the certified dose.")
    medicinal_product: str = strawberry.field(
        description="The EU code of the vaccine given, e.g. 'EU/1/20/1528' (Comirnaty)."
    )

    @strawberry.field(
        description="The QR image (alphanumeric mode, error correction Q) as an SVG document."
    )
    def svg(self) -> str:
        return qr_svg(self.payload)

    @strawberry.field(description="The QR image as a PNG data URI (data:image/png;base64,...).")
    def png_data_uri(self) -> str:
        return qr_png_data_uri(self.payload)

    @classmethod
    def from_issued(cls, issued: IssuedPassport) -> VaccinePassport:
        return cls(
            payload=issued.text,
            uvci=issued.uvci,
            issued_at=issued.issued_at.astimezone(LOCAL),
            expires_at=issued.expires_at.astimezone(LOCAL),
            dose_number=issued.dose_number,
            total_doses=issued.total_doses,
            vaccination_date=issued.vaccinated_on,
            medicinal_product=issued.medicinal_product,
        )

    @classmethod
    async def for_person(cls, info: Info, person_id: str) -> VaccinePassport:
        """The person's passport, signed now from the vaccination registry's records."""
        context = info.context
        signer = context.dcc.signer
        if signer is None:
            raise UpstreamUnavailable(
                "dcc", "This gateway has no passport signing key, so it issues no passports."
            )
        loaders = context.loaders
        record, doses = await asyncio.gather(
            loaders.person_by_id.load(person_id), loaders.vaccinations_by_person.load(person_id)
        )
        if record is None:
            raise NotFound("No person has this id.")
        try:
            issued = issue(
                record,
                doses,
                context.policy.required_doses,
                signer,
                context.dcc.config,
                context.clock(),
            )
        except SeriesIncomplete:
            raise NotFound(
                "The person has no completed vaccination series, so no vaccine passport "
                "can be issued."
            ) from None
        return cls.from_issued(issued)
