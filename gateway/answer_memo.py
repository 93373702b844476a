"""Whole answers of the compiled `personStatus` plans, remembered per person while what they were
made of stands.

A checkpoint scans the same people again and again (a worker passes several checkpoints a day, a
queue rescans a QR that did not read). With warm caches, working the answer out again (the
policy's facts, the policy, the masked name, the declaration, the JSON) was over half of a warm
scan in process (README, Performance). So a plan (`compiled_scan.py`) keeps the body it answered
for a person with what the body was made of, and answers it as is to a request that finds all
of it unchanged:

- the record cache's entries it read (vaccination, lab, F0; identity and the latest declaration
  when selected), each the very object the cache holds: a refresh or an invalidation writes
  another one, and an entry past its TTL is not read at all;
- the outbox's newest declaration of the person (one made through the gateway counts at once);
- the policy, and the instants between which the status holds with those facts
  (`gateway.status.stable_until`: at most until the next local midnight).

Only an answer without errors or stale data is kept, and only from a memory record cache (a Redis
cache's entries are not objects of this process). Who may ask, the QR's signature and registry
entry, the scope, the check-in and the metrics still run on every request: the memo stands only
for the status and its fields, which are the same for every caller. `ANSWER_MEMO_ENTRIES` bounds
it (the oldest written is dropped first); 0 turns it off.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from operator import attrgetter
from typing import Any

from gateway import metrics
from gateway.context import Context
from gateway.outbox import Kind, Submission
from gateway.status import Policy

FACT_SOURCES = ("vaccination", "lab_results", "f0_care")
NAME_FIELDS = frozenset({"maskedName", "birthYear"})
DECLARATION_FIELD = "declarationValidUntil"
# A field whose value moves with the clock even while the status holds: never remembered.
MOVING_FIELDS = frozenset({"evaluatedAt"})


@dataclass(frozen=True, slots=True)
class Reads:
    """Which sources one plan's answer is made of, from its selected fields."""

    sources: Callable[[Any], tuple[Any, ...]]  # Upstreams → the sources
    declaration: bool  # and the outbox's newest declaration

    @classmethod
    def of(cls, wanted: frozenset[str]) -> Reads | None:
        """The reads of a plan selecting `wanted`, or None when its answer cannot be kept."""
        if not wanted.isdisjoint(MOVING_FIELDS):
            return None
        names = list(FACT_SOURCES)
        if not wanted.isdisjoint(NAME_FIELDS):
            names.append("identity")
        if declaration := DECLARATION_FIELD in wanted:
            names.append("latest_declarations")
        return cls(attrgetter(*names), declaration)  # several names: a tuple


@dataclass(frozen=True, slots=True)
class MadeOf:
    """What one answer was made of: cache entries, compared by identity, and the outbox's
    newest declaration, compared by value (each read of a database makes new objects)."""

    entries: tuple[tuple[Callable[[], object], object], ...]  # (its reader, the entry read)
    sources: tuple[str, ...]  # the entries' sources, by name
    fresh_until: float  # the `time.time()` at which the first entry goes past its TTL
    reads_declaration: bool
    declaration: Submission | None = None

    def stands(self) -> bool:
        """Whether every entry is still the one read, and fresh (the declaration aside)."""
        if time.time() >= self.fresh_until:
            return False
        return all(read() is entry for read, entry in self.entries)


@dataclass(frozen=True, slots=True)
class Remembered:
    made_of: MadeOf
    policy: Policy
    since: datetime  # the status holds from the instant it was evaluated at ...
    until: datetime  # ... to this one, exclusive
    body: bytes


class AnswerMemo:
    """The remembered answers of every plan, by (plan digest, person id)."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._answers: dict[tuple[str, str], Remembered] = {}

    async def answer(self, key: tuple[str, str], context: Context) -> bytes | None:
        """The body remembered under `key` (plan digest, person id), if it still holds."""
        found = self._answers.get(key)
        if found is None or found.policy is not context.policy:
            return None
        made_of = found.made_of
        if not found.since <= context.clock() < found.until or not made_of.stands():
            return None
        if made_of.declaration != await _declaration(context, key[1], made_of):
            return None
        metrics.count_cache_hits(made_of.sources)  # the entries were read, as a scan counts
        return found.body

    async def made_of(self, context: Context, person_id: str, reads: Reads) -> MadeOf | None:
        """What an answer for `person_id` is made of now; None when an entry is not fresh in a
        memory cache (the answer is then worked out as usual, and not kept)."""
        sources: Sequence[Any] = reads.sources(context.upstreams)
        entries, fresh_until, now = [], math.inf, time.time()
        for source in sources:
            read = source.entry_reader(person_id)
            entry = read() if read is not None else None
            if entry is None or now >= (until := source.fresh_until(entry)):
                return None
            entries.append((read, entry))
            fresh_until = min(fresh_until, until)
        names = tuple(source.name for source in sources)
        made_of = MadeOf(tuple(entries), names, fresh_until, reads.declaration)
        if not reads.declaration:
            return made_of
        return replace(made_of, declaration=await _declaration(context, person_id, made_of))

    async def still(self, made_of: MadeOf, context: Context, person_id: str) -> bool:
        """Whether what an answer was made of stands (read again after working it out)."""
        if not made_of.stands():
            return False
        return made_of.declaration == await _declaration(context, person_id, made_of)

    def remember(self, key: tuple[str, str], remembered: Remembered) -> None:
        answers = self._answers
        if key not in answers and len(answers) >= self.max_entries:
            del answers[next(iter(answers))]
        answers[key] = remembered


async def _declaration(context: Context, person_id: str, made_of: MadeOf) -> Submission | None:
    """The outbox's newest declaration of the person, when the answer reads declarations."""
    if not made_of.reads_declaration:
        return None
    newest = await context.outbox.store.latest_of(Kind.DECLARATION, [person_id])
    return newest.get(person_id)
