"""Reading a person's submissions back at once: the upstream's history merged with the outbox's."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from gateway.outbox.store import Kind, OutboxStore, Submission


class Submitted(Protocol):
    """A record of a submission: its id (the receipt id, also the upstream's key) and time."""

    @property
    def id(self) -> str: ...

    @property
    def submitted_at(self) -> datetime: ...


S = TypeVar("S", bound=Submitted)


async def history_with_outbox(
    upstream: Sequence[tuple[S, ...] | BaseException],
    store: OutboxStore,
    kind: Kind,
    ids: Sequence[str],
    from_submission: Callable[[Submission], S],
) -> list[tuple[S, ...] | BaseException]:
    """Each person's submissions of `kind`, the upstream's merged with the outbox's, oldest first.

    The upstream's copy wins for a submission both hold. A failed upstream stays a failure: a
    history without it would look complete and not be.
    """
    accepted = await store.submissions_of(kind, ids)
    merged: list[tuple[S, ...] | BaseException] = []
    for pid, records in zip(ids, upstream, strict=True):
        if isinstance(records, BaseException):
            merged.append(records)
            continue
        by_id = {r.id: r for r in map(from_submission, accepted[pid])}
        by_id.update({r.id: r for r in records})
        merged.append(tuple(sorted(by_id.values(), key=lambda r: r.submitted_at)))
    return merged
