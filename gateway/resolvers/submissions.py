"""What the submitting mutations share: idempotency, the submitter, and reading a retry back."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import uuid
from typing import Any

import orjson
import strawberry
from strawberry.dataloader import DataLoader

from gateway.auth import Principal, Role
from gateway.context import Info
from gateway.errors import BadUserInput, Forbidden
from gateway.forms import check_idempotency_key
from gateway.outbox import Accepted, IdempotencyClaim, Kind
from gateway.resolvers.identity import scoped_person
from gateway.sources.identity import PersonRecord

KEY_FIELD = "input.idempotencyKey"


def new_id(prefix: str) -> str:
    """A new opaque id, e.g. `HD-5f0c…` (random: ids say nothing about who or when)."""
    return f"{prefix}-{uuid.uuid4().hex}"


def caller_of(principal: Principal) -> str:
    """Whose idempotency keys these are: keys of different callers never collide."""
    return f"{principal.role.value}:{principal.subject}"


def claim_for(info: Info, input: object, field_key: str | None) -> IdempotencyClaim:
    """The caller's idempotency claim: the key from the input or the `Idempotency-Key` header
    (a new random key when neither is given), and a hash of the input without the key."""
    header_key = info.context.idempotency_key
    if field_key is not None and header_key is not None and field_key != header_key:
        raise BadUserInput(
            "The idempotencyKey field and the Idempotency-Key header differ; send one key.",
            field=KEY_FIELD,
        )
    given = field_key if field_key is not None else header_key
    key = check_idempotency_key(given, KEY_FIELD) if given is not None else new_id("auto")
    assert dataclasses.is_dataclass(input) and not isinstance(input, type)
    sent = {k: v for k, v in dataclasses.asdict(input).items() if k != "idempotency_key"}
    digest = hashlib.sha256(orjson.dumps(sent, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return IdempotencyClaim(caller_of(info.context.principal), key, digest)


def same_submission(accepted: Accepted, claim: IdempotencyClaim, kind: Kind) -> Accepted:
    """`accepted` when it answers this claim; BAD_USER_INPUT when the key was used for
    something else (another input, or another kind of submission)."""
    if accepted.request_hash != claim.request_hash or accepted.submission.kind is not kind:
        raise BadUserInput(
            "This idempotency key was already used for a different submission.",
            field=KEY_FIELD,
        )
    return accepted


async def earlier_submission(info: Info, claim: IdempotencyClaim, kind: Kind) -> Accepted | None:
    """The submission this claim's key was already used for (a retry), if any."""
    earlier = await info.context.outbox.store.find(claim.caller, claim.key)
    return same_submission(earlier, claim, kind) if earlier is not None else None


async def subject_of(info: Info, person_id: strawberry.ID | None) -> PersonRecord | str:
    """Whom a submission is for: a citizen themself (their id), or, for a health officer, a
    resident of their district (their record). FORBIDDEN / NOT_FOUND outside that scope."""
    principal = info.context.principal
    if principal.role is Role.CITIZEN:
        if person_id is not None and str(person_id) != principal.person_id:
            raise Forbidden("A citizen submits for themself only.")
        assert principal.person_id is not None
        return principal.person_id
    if person_id is None:
        raise BadUserInput("A health officer names the resident it is for.", field="input.personId")
    return await scoped_person(info, str(person_id))


def forget_loaded(loader: DataLoader[str, Any], person_id: str) -> None:
    """Drop what this request's loader already holds for a person (nothing is fine too)."""
    with contextlib.suppress(KeyError):
        loader.clear(person_id)
