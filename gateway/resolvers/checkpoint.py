"""Resolvers of the checkpoint domain: scans by QR or SMS code, QR issuance, SMS codes, printed
cards and the check-in history.

A scan answers a PersonStatus; what the scanner may read of it is declared on its fields (a
checkpoint or an employer gets the minimal fields, never `person`). Every scan by a checkpoint or
an employer is recorded in the check-in log in the background, so a slow log never slows a scan.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Annotated, TypeVar

import strawberry

from gateway.auth import Role, in_scope
from gateway.cards import Card, render_cards
from gateway.context import Context, Info
from gateway.errors import BadUserInput, Forbidden, InvalidQr, NotFound, UpstreamUnavailable
from gateway.keys import required
from gateway.qr_payload import read_payload
from gateway.resolvers.identity import scoped_person
from gateway.resolvers.workforce import scoped_list
from gateway.schema.checkpoint import CheckIn, PersonalQr, PrintedCards, SmsCodeReceipt
from gateway.schema.identity import mask_name
from gateway.schema.permissions import allow
from gateway.schema.selection import selected_paths
from gateway.schema.status import PersonStatus
from gateway.sources.checkins import CheckInRecord
from gateway.sources.identity import PersonRecord
from gateway.sources.qr_registry import SMS_CODE_ALPHABET, SMS_CODE_LENGTH, QrRecord
from gateway.sources.workforce import ListState
from gateway.timezone import LOCAL

T = TypeVar("T")
# What a scan's status is, once the person is known: the resolvers' PersonStatus, or a plan's.
Evaluate = Callable[[Context, str], Awaitable[T]]
SCANNERS = (Role.CHECKPOINT, Role.EMPLOYER)
# Letters people confuse with digits, read as Crockford's base32 reads them.
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})
MAX_VISIT_WINDOW = timedelta(days=31)


def normalize_sms_code(text: str) -> str:
    """The code as the registry stores it ('abcde-fghjk' → 'ABCDEFGHJK'); BAD_USER_INPUT if
    it cannot be a code at all."""
    code = text.upper().translate(_CONFUSABLE)
    if len(code) != SMS_CODE_LENGTH or any(c not in SMS_CODE_ALPHABET for c in code):
        raise BadUserInput(
            f"An SMS code has {SMS_CODE_LENGTH} letters and digits, e.g. 7K3QX-M9P2D.",
            field="smsCode",
        )
    return code


async def _person_of_qr(context: Context, payload: str) -> str:
    claims = read_payload(
        required(context.signing_keys), context.settings.checkpoint.issuer, payload, context.clock()
    )
    record = await context.upstreams.qr_registry.lookup(claims.qr_id)
    if record is None or not record.active:
        raise InvalidQr()
    return record.person_id


async def _person_of_sms_code(context: Context, text: str) -> str:
    caller = f"{context.principal.role.value}:{context.principal.subject}"
    attempt = await context.sms_attempts.begin(caller)  # a wrong code unless forgiven below
    try:
        code = normalize_sms_code(text)
        record = await context.upstreams.qr_registry.resolve_sms_code(code)
    except BaseException:
        await context.sms_attempts.forgive(caller, attempt)  # nothing was learnt of the code
        raise
    if record is None or not record.active or record.expires_at <= context.clock():
        raise InvalidQr("The SMS code is not valid.")
    await context.sms_attempts.forgive(caller, attempt)
    return record.person_id


async def resolve_scan(info: Info, qr: str | None, sms_code: str | None) -> PersonStatus:
    """The status of the person whose QR (or SMS code) was scanned; records the check-in."""
    return await scan(info.context, qr, sms_code, evaluating(selected_paths(info)))


def evaluating(wanted: frozenset[str]) -> Evaluate[PersonStatus]:
    """`PersonStatus.evaluate_in` for the paths selected under the status."""

    async def evaluate(context: Context, person_id: str) -> PersonStatus:
        return await PersonStatus.evaluate_in(context, person_id, wanted)

    return evaluate


async def scan(context: Context, qr: str | None, sms_code: str | None, evaluate: Evaluate[T]) -> T:
    """`resolve_scan` from a context, with `evaluate` answering for the person found (the
    compiled plans pass their own: the status's fields, or an answer they remember)."""
    if qr is not None:
        person_id = await _person_of_qr(context, qr)
    else:
        person_id = await _person_of_sms_code(context, sms_code or "")
    principal = context.principal
    if principal.role is Role.CITIZEN and person_id != principal.person_id:
        raise Forbidden("A citizen may look up only their own code.")
    if principal.role not in SCANNERS:
        return await evaluate(context, person_id)
    scanned_at = context.clock()
    if principal.role is Role.EMPLOYER and principal.employer_id is not None:
        status, district = await asyncio.gather(
            evaluate(context, person_id), _employer_district(context, principal.employer_id)
        )
    else:  # a checkpoint's district is in its token: nothing to wait for beside the status
        status = await evaluate(context, person_id)
        district = principal.district
    context.upstreams.checkins.record_later(
        CheckInRecord(
            person_id=person_id,
            checkpoint_id=principal.subject,
            role=principal.role.value,
            district=district,
            scanned_at=scanned_at,
        )
    )
    return status


async def _employer_district(context: Context, employer_id: str) -> str | None:
    """Where an employer's scan happened: its enterprise's district."""
    try:
        enterprise = await context.loaders.enterprise_by_id.load(employer_id)
    except UpstreamUnavailable:
        return None  # the scan must not fail for want of the registry; the log says unknown
    return enterprise.district if enterprise is not None else None


async def print_cards(info: Info, people: Sequence[PersonRecord], issuer: str) -> PrintedCards:
    """A PDF with one card per person (their active QR, issued where missing), in order.

    The hook for every printing path: the caller has already checked who may print for whom
    (a ward's residents now; an employer's approved workers once worker lists exist).
    """
    if not people:
        raise BadUserInput("Give at least one person.", field="personIds")
    most = info.context.settings.checkpoint.max_cards
    if len(people) > most:
        raise BadUserInput(f"Print at most {most} cards at once.", field="personIds")
    codes = await info.context.loaders.qr_by_person.load_many([p.id for p in people])
    cards = [_card(info, person, code, issuer) for person, code in zip(people, codes, strict=True)]
    pdf = await asyncio.to_thread(
        render_cards, cards, info.context.settings.checkpoint.card_font_file
    )
    return PrintedCards(
        filename=f"qr-cards-{info.context.clock():%Y%m%d-%H%M}.pdf",
        content_type="application/pdf",
        cards=len(cards),
        pdf_base64=base64.b64encode(pdf).decode(),
    )


def _card(info: Info, person: PersonRecord, code: QrRecord | None, issuer: str) -> Card:
    if code is None:
        raise NotFound(f"No person has the id {person.id}.")
    return Card(
        payload=PersonalQr.signed(info, code).payload,
        masked_name=mask_name(person.full_name),
        birth_year=person.date_of_birth.year,
        issuer=issuer,
        issued_on=code.issued_at.astimezone(LOCAL).date(),
    )


def _masked_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-3:]}"


def _sms_text(code: str, expires_at: datetime) -> str:
    # Vietnamese without diacritics: one GSM-7 segment on every phone.
    return (
        f"Healthpass: ma cua ban la {code[:5]}-{code[5:]}, hieu luc den "
        f"{expires_at.astimezone(LOCAL):%d/%m/%Y}. Xuat trinh ma nay tai chot kiem soat "
        "thay cho ma QR."
    )


PersonId = Annotated[strawberry.ID, strawberry.argument(description="The person's id.")]


@strawberry.type(description="Check-in history for contact tracing.")
class CheckpointQuery:
    @allow(
        Role.HEALTH_OFFICER,
        description=(
            "Who passed a checkpoint in a time window (at most 31 days), oldest first: only "
            "residents of the officer's district are listed."
        ),
    )
    async def checkpoint_visits(
        self,
        info: Info,
        checkpoint_id: Annotated[str, strawberry.argument(description="The checkpoint's id.")],
        start: Annotated[
            datetime, strawberry.argument(name="from", description="Window start, inclusive.")
        ],
        end: Annotated[
            datetime, strawberry.argument(name="to", description="Window end, exclusive.")
        ],
    ) -> list[CheckIn] | None:
        if start.tzinfo is None or end.tzinfo is None or not start < end:
            raise BadUserInput("'from' must be before 'to', both with an offset.", field="to")
        if end - start > MAX_VISIT_WINDOW:
            raise BadUserInput("The window may span at most 31 days.", field="to")
        records = await info.context.upstreams.checkins.at_checkpoint(checkpoint_id, start, end)
        people = await info.context.loaders.person_by_id.load_many([r.person_id for r in records])
        principal = info.context.principal
        return [
            CheckIn.from_record(record)
            for record, person in zip(records, people, strict=True)
            if person is not None and in_scope(principal, person)
        ]


@strawberry.type(description="Personal QR codes, SMS codes and printed cards.")
class CheckpointMutation:
    @allow(
        Role.CITIZEN,
        Role.HEALTH_OFFICER,
        description="The person's active QR, issued now if they have none (nothing is revoked).",
    )
    async def issue_qr(self, info: Info, person_id: PersonId) -> PersonalQr | None:
        record = await scoped_person(info, str(person_id))
        return await PersonalQr.for_person(info, record.id)

    @allow(
        Role.CITIZEN,
        Role.HEALTH_OFFICER,
        description="A new QR for the person; the previous one is revoked at once.",
    )
    async def reissue_qr(self, info: Info, person_id: PersonId) -> PersonalQr | None:
        record = await scoped_person(info, str(person_id))
        return PersonalQr.signed(info, await info.context.upstreams.qr_registry.reissue(record.id))

    @allow(
        Role.HEALTH_OFFICER,
        Role.DISTRICT_ADMIN,
        description=(
            "Send the person a code by SMS, to show at checkpoints instead of a QR; the "
            "previous code stops working."
        ),
    )
    async def send_qr_sms(self, info: Info, person_id: PersonId) -> SmsCodeReceipt | None:
        record = await scoped_person(info, str(person_id))
        upstreams = info.context.upstreams
        code = await upstreams.qr_registry.issue_sms_code(record.id)
        message_id = await upstreams.sms.send(record.phone, _sms_text(code.code, code.expires_at))
        return SmsCodeReceipt(
            message_id=message_id,
            sent_to=_masked_phone(record.phone),
            expires_at=code.expires_at.astimezone(LOCAL),
        )

    @allow(
        Role.HEALTH_OFFICER,
        description=(
            "A PDF of QR cards for residents of the officer's district (one card per person: "
            "QR, masked name, birth year, issuer), in the order given."
        ),
    )
    async def print_ward_cards(
        self,
        info: Info,
        person_ids: Annotated[
            list[strawberry.ID], strawberry.argument(description="The residents, in print order.")
        ],
    ) -> PrintedCards | None:
        most = info.context.settings.checkpoint.max_cards
        if len(person_ids) > most:
            raise BadUserInput(f"Print at most {most} cards at once.", field="personIds")
        ids = [str(pid) for pid in dict.fromkeys(person_ids)]
        records = await info.context.loaders.person_by_id.load_many(ids)
        principal = info.context.principal
        people: list[PersonRecord] = []
        for pid, record in zip(ids, records, strict=True):
            if record is None:
                raise NotFound(f"No person has the id {pid}.")
            if not in_scope(principal, record):
                raise Forbidden(f"{pid} does not live in your district.")
            people.append(record)
        return await print_cards(info, people, f"Health station, district {principal.district}")

    @allow(
        Role.EMPLOYER,
        description=(
            "A PDF of QR cards for workers of one of the employer's APPROVED lists (one card per "
            "worker: QR, masked name, birth year, issuer): the workers named, in that order, or "
            "the whole list when it fits in one print."
        ),
    )
    async def print_worker_cards(
        self,
        info: Info,
        list_id: Annotated[strawberry.ID, strawberry.argument(description="The list's id.")],
        person_ids: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(description="Workers of the list, in print order; all if null."),
        ] = None,
    ) -> PrintedCards | None:
        worker_list = await scoped_list(info, str(list_id))
        if worker_list.state is not ListState.APPROVED:
            raise BadUserInput(
                f"Worker list {worker_list.id} is {worker_list.state.value}: cards are printed "
                "for APPROVED lists only.",
                field="listId",
            )
        on_list = [
            e.person_id for e in await info.context.loaders.workers_by_list.load(worker_list.id)
        ]
        ids = on_list if person_ids is None else [str(pid) for pid in dict.fromkeys(person_ids)]
        strangers = sorted(set(ids) - set(on_list))
        if strangers:
            raise BadUserInput(
                f"Not on worker list {worker_list.id}: {', '.join(strangers[:10])}.",
                field="personIds",
            )
        most = info.context.settings.checkpoint.max_cards
        if len(ids) > most:
            raise BadUserInput(
                f"Print at most {most} cards at once; name the workers to print.", field="personIds"
            )
        records = await info.context.loaders.person_by_id.load_many(ids)
        people = [record for record in records if record is not None]
        enterprise = await info.context.loaders.enterprise_by_id.load(worker_list.enterprise_id)
        issuer = enterprise.name if enterprise is not None else worker_list.enterprise_id
        return await print_cards(info, people, issuer)
