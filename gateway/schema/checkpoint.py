"""GraphQL types of the checkpoint domain: personal QR codes, offline passes, check-ins, SMS
receipts and printed cards."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from gateway import keys, qr_image
from gateway.auth import require_scope
from gateway.context import Info
from gateway.errors import NotFound, UpstreamUnavailable
from gateway.offline_pass import PassClaims, pass_expiry, sign_pass
from gateway.qr_payload import sign_payload
from gateway.schema.identity import Person
from gateway.sources.checkins import CheckInRecord
from gateway.sources.qr_registry import QrRecord
from gateway.status import Color
from gateway.timezone import LOCAL


@strawberry.type(
    description=(
        "A person's one personal QR code, shared by every app. The payload is a compact JWS "
        "(ES256) naming an opaque QR id; it verifies with the keys at /.well-known/jwks.json."
    )
)
class PersonalQr:
    payload: str = strawberry.field(description="Exactly the text encoded in the QR image.")
    issued_at: datetime = strawberry.field(
        description="When this QR was issued (a re-issue revokes the previous QR)."
    )

    @strawberry.field(description="The QR image as a standalone SVG document.")
    def svg(self) -> str:
        return qr_image.svg(self.payload)

    @strawberry.field(description="The QR image as a PNG data URI (data:image/png;base64,...).")
    def png_data_uri(self) -> str:
        return qr_image.png_data_uri(self.payload)

    @classmethod
    def signed(cls, info: Info, record: QrRecord) -> PersonalQr:
        """The QR of `record`, its payload signed now with the active key."""
        context = info.context
        config = context.settings.checkpoint
        payload = sign_payload(
            keys.required(context.signing_keys),
            config.issuer,
            record.qr_id,
            record.issued_at,
            context.clock(),
            config.payload_ttl,
        )
        return cls(payload=payload, issued_at=record.issued_at.astimezone(LOCAL))

    @classmethod
    async def for_person(cls, info: Info, person_id: str) -> PersonalQr:
        """The person's active QR, issued now if they have none yet."""
        record = await info.context.loaders.qr_by_person.load(person_id)
        if record is None:
            raise NotFound("No person has this id.")
        return cls.signed(info, record)


@strawberry.type(
    description=(
        "A signed, short-lived status (at most 24 h) a checkpoint verifies without network, "
        "with the keys of /.well-known/jwks.json alone."
    )
)
class OfflinePass:
    token: str = strawberry.field(description="The pass: a compact JWS, the text of its QR code.")
    color: str = strawberry.field(description="The status colour when the pass was signed.")
    valid_until: datetime | None = strawberry.field(
        description="Until when the colour holds by itself; null when open-ended."
    )
    masked_name: str = strawberry.field(description="The masked name: 'N*** V*** An'.")
    birth_year: int = strawberry.field(description="The year of birth.")
    expires_at: datetime = strawberry.field(
        description="When the pass expires: 24 h after signing, or sooner with the status."
    )

    @strawberry.field(description="The pass as a QR image, a standalone SVG document.")
    def svg(self) -> str:
        return qr_image.svg(self.token)

    @strawberry.field(description="The pass as a QR image, a PNG data URI.")
    def png_data_uri(self) -> str:
        return qr_image.png_data_uri(self.token)

    @classmethod
    async def for_person(cls, info: Info, person: Person) -> OfflinePass:
        """A pass signed now from the person's current status."""
        from gateway.schema.status import PersonStatus

        context = info.context
        status = await PersonStatus.evaluate(info, str(person.id))
        if status.color is Color.UNKNOWN:
            raise UpstreamUnavailable(
                "status", "The status cannot be evaluated now, so no offline pass is issued."
            )
        if person.masked_name is None or person.birth_year is None:
            raise NotFound("No person has this id.")
        now = context.clock()
        ttl = context.settings.checkpoint.offline_pass_ttl
        claims = PassClaims(
            issuer=context.settings.checkpoint.issuer,
            color=status.color.value,
            valid_until=status.valid_until,
            masked_name=person.masked_name,
            birth_year=person.birth_year,
            issued_at=now,
            expires_at=pass_expiry(now, ttl, status.valid_until),
        )
        return cls(
            token=sign_pass(keys.required(context.signing_keys), claims),
            color=claims.color,
            valid_until=status.valid_until,
            masked_name=claims.masked_name,
            birth_year=claims.birth_year,
            expires_at=claims.expires_at.astimezone(LOCAL),
        )


@strawberry.enum(description="Who scanned a person.")
class ScannerRole(Enum):
    CHECKPOINT = strawberry.enum_value("checkpoint", description="A checkpoint.")
    EMPLOYER = strawberry.enum_value("employer", description="An employer at its gate.")


@strawberry.type(description="One scan of a person's QR or SMS code: who, where and when.")
class CheckIn:
    id: strawberry.ID = strawberry.field(description="The check-in log's id of this scan.")
    checkpoint_id: str = strawberry.field(
        description="Where: the scanner's id (a checkpoint id, or an employer's desk)."
    )
    scanned_by: ScannerRole = strawberry.field(description="Who scanned.")
    district: str | None = strawberry.field(
        description="The scanner's district code, when it has one."
    )
    scanned_at: datetime = strawberry.field(description="When the person was scanned.")
    person_id: strawberry.Private[str]

    @strawberry.field(description="The person scanned (within the caller's scope).")
    async def person(self, info: Info) -> Person | None:
        record = await info.context.loaders.person_by_id.load(self.person_id)
        if record is None:
            raise NotFound("No person has this id.")
        require_scope(info.context.principal, record)
        return Person.from_record(record)

    @classmethod
    async def of_person(cls, info: Info, person_id: str) -> list[CheckIn]:
        """The person's check-ins, oldest first (the field declares who may ask)."""
        records = await info.context.upstreams.checkins.of_person(person_id)
        return [cls.from_record(record) for record in records]

    @classmethod
    def from_record(cls, record: CheckInRecord) -> CheckIn:
        return cls(
            id=strawberry.ID(record.id),
            checkpoint_id=record.checkpoint_id,
            scanned_by=ScannerRole(record.role),
            district=record.district,
            scanned_at=record.scanned_at.astimezone(LOCAL),
            person_id=record.person_id,
        )


@strawberry.type(description="An SMS code sent to a person's registered phone.")
class SmsCodeReceipt:
    message_id: str = strawberry.field(description="The SMS gateway's id of the message.")
    sent_to: str = strawberry.field(description="The phone number, masked: '090****567'.")
    expires_at: datetime = strawberry.field(description="When the code stops working.")


@strawberry.type(description="A PDF of printed QR cards, one card per person.")
class PrintedCards:
    filename: str = strawberry.field(description="A file name for the PDF.")
    content_type: str = strawberry.field(description="Always 'application/pdf'.")
    cards: int = strawberry.field(description="How many cards the PDF holds.")
    pdf_base64: str = strawberry.field(description="The PDF document, base64-encoded.")
