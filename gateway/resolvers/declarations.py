"""`submitHealthDeclaration`: validated, idempotent, durably queued, read back at once."""

from __future__ import annotations

import strawberry

from gateway.auth import Role
from gateway.context import Info
from gateway.forms.declarations import load_rules, validate
from gateway.outbox import Kind, Submission
from gateway.resolvers.submissions import (
    claim_for,
    earlier_submission,
    forget_loaded,
    new_id,
    same_submission,
    subject_of,
)
from gateway.schema.declarations import HealthDeclarationInput, HealthDeclarationReceipt
from gateway.schema.permissions import allow
from gateway.sources.declarations import DeclarationRecord


async def submit_health_declaration(
    info: Info, input: HealthDeclarationInput
) -> HealthDeclarationReceipt:
    """Accept a declaration into the outbox (delivered at once when the upstream answers).

    A retry with a used idempotency key answers the stored receipt before anything else, so a
    retry never fails where the first attempt succeeded.
    """
    context = info.context
    claim = claim_for(info, input, input.idempotency_key)
    earlier = await earlier_submission(info, claim, Kind.DECLARATION)
    if earlier is not None:
        return HealthDeclarationReceipt.from_record(
            DeclarationRecord.from_submission(earlier.submission)
        )
    declaration = validate(input.to_form(), load_rules())
    subject = await subject_of(info, input.person_id)
    person_id = subject if isinstance(subject, str) else subject.id
    record = DeclarationRecord(
        id=new_id("HD"),
        person_id=person_id,
        submitted_at=context.clock(),
        declaration=declaration,
        submitted_by_role=context.principal.role.value,
        submitted_by=context.principal.subject,
    )
    submission = Submission(
        record.id, Kind.DECLARATION, person_id, record.to_json(), record.submitted_at
    )
    accepted = same_submission(
        await context.outbox.submit(submission, claim), claim, Kind.DECLARATION
    )
    # Reads in this request (and, through the shared cache, in later ones) see it at once.
    await context.upstreams.declarations.invalidate(person_id)
    await context.upstreams.latest_declarations.invalidate(person_id)
    forget_loaded(context.loaders.declarations_by_person, person_id)
    forget_loaded(context.loaders.latest_declaration_by_person, person_id)
    return HealthDeclarationReceipt.from_record(
        DeclarationRecord.from_submission(accepted.submission)
    )


@strawberry.type(description="Filing health declarations.")
class DeclarationsMutation:
    @allow(
        Role.CITIZEN,
        Role.HEALTH_OFFICER,
        description=(
            "File a health declaration: a citizen for themself, a health officer for a resident "
            "of their district. Answers a receipt; the person's QR is usable for 24 hours."
        ),
    )
    async def submit_health_declaration(
        self, info: Info, input: HealthDeclarationInput
    ) -> HealthDeclarationReceipt | None:
        return await submit_health_declaration(info, input)
