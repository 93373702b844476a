"""PersonStatus: the colour a checkpoint shows, with the minimal fields around it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

import strawberry

from gateway.auth import Role, require_scope
from gateway.context import Context, Info
from gateway.dcc.hcert import Holder
from gateway.errors import NotFound
from gateway.loaders import each
from gateway.schema.declarations import declaration_valid_until as valid_until_of
from gateway.schema.identity import Person, mask_name
from gateway.schema.permissions import allow
from gateway.schema.selection import selected_paths
from gateway.sources.declarations import DeclarationRecord
from gateway.sources.identity import PersonRecord
from gateway.status import Color, Facts, Status, evaluate
from gateway.timezone import LOCAL

KnownDeclaration = tuple[DeclarationRecord | BaseException | None]

StatusColor = strawberry.enum(
    Color,
    name="StatusColor",
    description=(
        "GREEN: protected; YELLOW: partly protected; RED: must not pass; "
        "UNKNOWN: a policy source could not be read."
    ),
)


@strawberry.type(description="A person's status under the city's policy at one instant.")
class PersonStatus:
    color: StatusColor = strawberry.field(  # type: ignore[valid-type]
        description="The colour a checkpoint shows."
    )
    reasons: list[str] = strawberry.field(
        description="Reason codes of every rule of the winning colour that holds, alphabetical."
    )
    valid_until: datetime | None = strawberry.field(
        description="Until when the colour holds by itself; null for RED, UNKNOWN, or open-ended."
    )
    evaluated_at: datetime = strawberry.field(
        description="The instant the policy was evaluated at."
    )
    policy: str = strawberry.field(description="The policy's name, e.g. 'hcmc-2021-10'.")
    # None when no person record backs the status: a vaccine passport's, named by `holder`.
    person_id: strawberry.Private[str | None]
    holder: strawberry.Private[Holder | None] = None
    # The latest declaration, when fetched beforehand for a whole page (a 1-tuple: it may be None).
    known_declaration: strawberry.Private[KnownDeclaration | None] = None
    # The facts it was evaluated from, for one person's status (how long it holds: answer_memo).
    facts: strawberry.Private[Facts | None] = None

    @strawberry.field(description="The person's masked name: 'N*** V*** An'.")
    async def masked_name(self, info: Info) -> str | None:
        return await self.read_masked_name(info.context)

    @strawberry.field(description="The person's year of birth.")
    async def birth_year(self, info: Info) -> int | None:
        return await self.read_birth_year(info.context)

    @strawberry.field(
        description=(
            "Until when the person's latest health declaration is valid (submission + 24 h)."
        )
    )
    def declaration_valid_until(self, info: Info) -> datetime | None:
        # Synchronous when the page fetched it beforehand: a list of 1,000 workers then costs no
        # awaitable per worker (README, Performance). Otherwise graphql-core awaits the load.
        if self.known_declaration is not None or self.person_id is None:
            return self._known_declaration_valid_until()
        return self.read_declaration_valid_until(info.context)  # type: ignore[return-value]

    # The fields' values from a context: the compiled `Scan` (gateway/compiled_scan.py) reads
    # them too, so both paths answer the same.

    async def read_masked_name(self, context: Context) -> str | None:
        if self.holder is not None:
            return mask_name(self.holder.full_name)
        return mask_name((await self._person(context)).full_name)

    async def read_birth_year(self, context: Context) -> int | None:
        if self.holder is not None:
            return self.holder.birth_year
        return (await self._person(context)).date_of_birth.year

    async def read_declaration_valid_until(self, context: Context) -> datetime | None:
        if self.known_declaration is not None or self.person_id is None:
            return self._known_declaration_valid_until()
        latest = await context.loaders.latest_declaration(self.person_id)
        return valid_until_of(latest) if latest is not None else None

    def _known_declaration_valid_until(self) -> datetime | None:
        if self.known_declaration is None:
            return None
        latest = self.known_declaration[0]
        if isinstance(latest, BaseException):
            raise latest
        return valid_until_of(latest) if latest is not None else None

    @allow(Role.CITIZEN, Role.HEALTH_OFFICER, description="The person's record.")
    async def person(self, info: Info) -> Person | None:
        if self.person_id is None:
            return None
        record = await self._person(info.context)
        require_scope(info.context.principal, record)
        return Person.from_record(record)

    async def _person(self, context: Context) -> PersonRecord:
        if self.person_id is None:
            raise NotFound("No person record backs this status.")
        record = await context.loaders.person(self.person_id)
        if record is None:
            raise NotFound("No person has this id.")
        return record

    @classmethod
    def from_status(
        cls, status: Status, person_id: str | None, holder: Holder | None = None
    ) -> PersonStatus:
        return cls(
            color=status.color,
            reasons=list(status.reasons),
            valid_until=status.valid_until.astimezone(LOCAL) if status.valid_until else None,
            evaluated_at=status.evaluated_at.astimezone(LOCAL),
            policy=status.policy,
            person_id=person_id,
            holder=holder,
        )

    @classmethod
    async def evaluate(cls, info: Info, person_id: str) -> PersonStatus:
        """Evaluate the policy for one person now, from the three policy sources."""
        return await cls.evaluate_in(info.context, person_id, selected_paths(info))

    @classmethod
    async def evaluate_in(
        cls, context: Context, person_id: str, wanted: frozenset[str]
    ) -> PersonStatus:
        """`evaluate`, given the paths selected under the status.

        What the selection reads beside the colour (the name, the declaration) is loaded at
        the same time, so a cold status costs one upstream round trip, not two.
        """
        context.loaders.prefetch(
            person_id,
            person=not wanted.isdisjoint(_READS_PERSON),
            declaration="declarationValidUntil" in wanted,
        )
        facts = await context.loaders.facts(person_id)
        status = cls.from_status(evaluate(context.policy, facts, context.clock()), person_id)
        status.facts = facts
        return status

    @classmethod
    async def evaluate_many(
        cls, info: Info, person_ids: Sequence[str], *, with_declarations: bool = False
    ) -> list[PersonStatus]:
        """`evaluate` for many people at once (a page or a whole worker list)."""
        loaders = info.context.loaders
        facts_load = loaders.facts_many(person_ids)
        if with_declarations:
            facts, latest = await asyncio.gather(
                facts_load, each(loaders.latest_declaration_by_person, person_ids)
            )
        else:
            facts, latest = await facts_load, []
        now, policy = info.context.clock(), info.context.policy
        statuses = [
            cls.from_status(evaluate(policy, one, now), pid)
            for pid, one in zip(person_ids, facts, strict=True)
        ]
        for status, declaration in zip(statuses, latest, strict=False):
            status.known_declaration = (declaration,)
        return statuses


_READS_PERSON = frozenset({"maskedName", "birthYear", "person"})
