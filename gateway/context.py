"""The typed per-request context (STYLE.md rule 3)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import strawberry

from gateway.auth import Principal
from gateway.loaders import Loaders
from gateway.settings import Settings
from gateway.sources import Upstreams
from gateway.status import Policy


@dataclass(slots=True)
class Context:
    """What every resolver may use: the caller, the loaders, the policy and the clock."""

    principal: Principal
    settings: Settings
    upstreams: Upstreams
    loaders: Loaders
    policy: Policy
    clock: Callable[[], datetime]


Info = strawberry.Info[Context, None]
