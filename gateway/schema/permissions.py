"""Field-level authorization, declared on the field (STYLE.md rule 1).

`allow(Role.CITIZEN, Role.HEALTH_OFFICER, description=...)` makes a field readable by those roles
only. The declaration prints into `schema.graphql` as `@allow(roles: [...])`, where
`tests/test_authorization_policy.py` compares it with the reviewed table of CONTRACT.md §5.
Any other role gets null and one FORBIDDEN error with the field's path. The check is one
frozenset lookup and runs only on restricted fields; unrestricted fields carry no wrapper.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.schema_directive import Location

from gateway.auth import Role
from gateway.errors import Forbidden

RoleEnum = strawberry.enum(
    Role,
    name="Role",
    description="A caller's role, from the `role` claim of their token.",
)


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    description="Only these roles may read the field; others get null and a FORBIDDEN error.",
)
class Allow:
    """The schema directive that carries a field's allowed roles."""

    roles: list[RoleEnum]  # type: ignore[valid-type]


class AllowExtension(FieldExtension):
    """Refuses the field for roles outside `roles`."""

    def __init__(self, roles: frozenset[Role]) -> None:
        self.roles = roles

    def _check(self, info: strawberry.Info) -> None:
        if info.context.principal.role not in self.roles:
            raise Forbidden(f"Your role may not read {info.python_name}.")

    def resolve(
        self, next_: Callable[..., Any], source: Any, info: strawberry.Info, **kwargs: Any
    ) -> Any:
        self._check(info)
        return next_(source, info, **kwargs)

    async def resolve_async(
        self,
        next_: Callable[..., Awaitable[Any]],
        source: Any,
        info: strawberry.Info,
        **kwargs: Any,
    ) -> Any:
        self._check(info)
        return await next_(source, info, **kwargs)


def allow(*roles: Role, description: str) -> Any:
    """A field (or a resolver decorator) readable only by `roles`."""
    ordered = sorted(roles, key=list(Role).index)
    return strawberry.field(
        description=description,
        directives=[Allow(roles=ordered)],
        extensions=[AllowExtension(frozenset(ordered))],
    )
