"""Who `addWorkers` names: person ids, national ids and phones, resolved in the register.

Everything is resolved before anything is added: one identifier that names no one (or a phone
that several people share) refuses the whole call, naming the identifiers, so that a list is
never half-added. Two requests to the register at most (ids; national ids and phones).
"""

from __future__ import annotations

import asyncio

from gateway.context import Info
from gateway.errors import BadUserInput
from gateway.schema.workforce import AddWorkersInput
from gateway.sources.identity import PersonRecord

MOST = 1000  # identifiers per call (the registry's batch bound)
SHOWN = 10


def _named(values: list[str]) -> str:
    shown = ", ".join(values[:SHOWN])
    return shown + (f" and {len(values) - SHOWN} more" if len(values) > SHOWN else "")


async def resolve_people(info: Info, given: AddWorkersInput) -> list[str]:
    """The person ids `given` names, in order, each once; BAD_USER_INPUT naming what fails."""
    ids = [str(pid) for pid in given.person_ids]
    national_ids = [n.strip() for n in given.national_ids]
    phones = [p.strip() for p in given.phones]
    count = len(ids) + len(national_ids) + len(phones)
    if not 1 <= count <= MOST:
        raise BadUserInput(
            f"Give 1 to {MOST} people (person ids, national ids and phones together).",
            field="personIds",
        )
    by_id, looked_up = await asyncio.gather(
        info.context.loaders.person_by_id.load_many(ids),
        _look_up(info, national_ids, phones),
    )
    unknown = [pid for pid, record in zip(ids, by_id, strict=True) if record is None]
    if unknown:
        raise BadUserInput(f"No person has the id {_named(unknown)}.", field="personIds")
    found = {record.national_id: record.id for record in looked_up}
    missing = [n for n in national_ids if n not in found]
    if missing:
        raise BadUserInput(f"No person has the national id {_named(missing)}.", field="nationalIds")
    return list(
        dict.fromkeys([*ids, *(found[n] for n in national_ids), *_by_phone(phones, looked_up)])
    )


async def _look_up(info: Info, national_ids: list[str], phones: list[str]) -> list[PersonRecord]:
    if not national_ids and not phones:
        return []
    return await info.context.upstreams.identity.lookup(national_ids, phones)


def _by_phone(phones: list[str], records: list[PersonRecord]) -> list[str]:
    holders: dict[str, list[str]] = {}
    for record in records:
        holders.setdefault(record.phone, []).append(record.id)
    missing = [phone for phone in phones if phone not in holders]
    if missing:
        raise BadUserInput(f"No person has the phone {_named(missing)}.", field="phones")
    shared = [phone for phone in phones if len(set(holders[phone])) > 1]
    if shared:
        raise BadUserInput(
            f"Several people share the phone {_named(shared)}: add them by national id.",
            field="phones",
        )
    return [holders[phone][0] for phone in phones]
