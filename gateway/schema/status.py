"""PersonStatus: the colour a checkpoint shows, with the minimal fields around it."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gateway.auth import Role, require_scope
from gateway.context import Info
from gateway.dcc.hcert import Holder
from gateway.errors import NotFound
from gateway.schema.declarations import declaration_valid_until as valid_until_of
from gateway.schema.identity import Person, mask_name
from gateway.schema.permissions import allow
from gateway.sources.identity import PersonRecord
from gateway.status import Color, Status, evaluate
from gateway.timezone import LOCAL

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

    @strawberry.field(description="The person's masked name: 'N*** V*** An'.")
    async def masked_name(self, info: Info) -> str | None:
        if self.holder is not None:
            return mask_name(self.holder.full_name)
        return mask_name((await self._person(info)).full_name)

    @strawberry.field(description="The person's year of birth.")
    async def birth_year(self, info: Info) -> int | None:
        if self.holder is not None:
            return self.holder.birth_year
        return (await self._person(info)).date_of_birth.year

    @strawberry.field(
        description=(
            "Until when the person's latest health declaration is valid (submission + 24 h)."
        )
    )
    async def declaration_valid_until(self, info: Info) -> datetime | None:
        if self.person_id is None:
            return None
        latest = await info.context.loaders.latest_declaration_by_person.load(self.person_id)
        return valid_until_of(latest) if latest is not None else None

    @allow(Role.CITIZEN, Role.HEALTH_OFFICER, description="The person's record.")
    async def person(self, info: Info) -> Person | None:
        if self.person_id is None:
            return None
        record = await self._person(info)
        require_scope(info.context.principal, record)
        return Person.from_record(record)

    async def _person(self, info: Info) -> PersonRecord:
        if self.person_id is None:
            raise NotFound("No person record backs this status.")
        record = await info.context.loaders.person_by_id.load(self.person_id)
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
        context = info.context
        facts = await context.loaders.facts(person_id)
        return cls.from_status(evaluate(context.policy, facts, context.clock()), person_id)
