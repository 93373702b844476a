"""The typed per-request context (STYLE.md rule 3)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import strawberry
from starlette.datastructures import State

from gateway.attempts import AttemptLimiter
from gateway.auth import Principal
from gateway.dcc.service import Dcc
from gateway.keys import SigningKeys
from gateway.loaders import Loaders, RequestBudget
from gateway.outbox import Outbox
from gateway.persisted import PersistedQueryStore
from gateway.settings import Settings
from gateway.sources import Upstreams
from gateway.status import Policy
from gateway.status.worker_conditions import WorkerConditions
from gateway.watch import Alerts


@dataclass(slots=True)
class Context:
    """What every resolver may use: the caller, the loaders, the policy and the clock."""

    principal: Principal
    settings: Settings
    upstreams: Upstreams
    loaders: Loaders
    budget: RequestBudget
    policy: Policy
    clock: Callable[[], datetime]
    signing_keys: SigningKeys | None  # QR payloads and offline passes (None: not configured)
    sms_attempts: AttemptLimiter  # wrong SMS codes per caller
    persisted_queries: PersistedQueryStore
    outbox: Outbox  # submissions, their idempotency keys, F0 alerts
    worker_conditions: WorkerConditions  # what approval asks of workers, per district
    alerts: Alerts  # alerts on approved workers: the stored ones and the live fan-out
    dcc: Dcc  # vaccine passports: the signer, the trust list, revocations
    idempotency_key: str | None = None  # the request's Idempotency-Key header
    # A websocket's connection_init payload (Strawberry sets it): where its token may be.
    connection_params: dict[str, object] | None = None


@dataclass(frozen=True, slots=True)
class Shared:
    """What every request's context takes from the app, read once when the app has started
    (the lifespan sets `app.state.shared`): a scan then reads no attribute of `state`."""

    settings: Settings
    upstreams: Upstreams
    policy: Policy
    clock: Callable[[], datetime]
    signing_keys: SigningKeys | None
    sms_attempts: AttemptLimiter
    persisted_queries: PersistedQueryStore
    outbox: Outbox
    worker_conditions: WorkerConditions
    alerts: Alerts
    dcc: Dcc
    # The app's event loop: `asyncio.get_running_loop()` makes a system call (getpid) on every
    # call in Python 3.11, one per request here (found with strace; 4 % of S1's samples).
    loop: asyncio.AbstractEventLoop

    @classmethod
    def of(cls, state: State) -> Shared:
        taken = {name: getattr(state, name) for name in cls.__dataclass_fields__ if name != "loop"}
        return cls(**taken, loop=asyncio.get_running_loop())

    def context(self, principal: Principal, idempotency_key: str | None) -> Context:
        """One request's context."""
        budget = RequestBudget(
            deadline=self.loop.time() + self.settings.resilience.request_deadline
        )
        return Context(
            principal=principal,
            settings=self.settings,
            upstreams=self.upstreams,
            loaders=Loaders.for_request(self.upstreams, budget, self.outbox.store),
            budget=budget,
            policy=self.policy,
            clock=self.clock,
            signing_keys=self.signing_keys,
            sms_attempts=self.sms_attempts,
            persisted_queries=self.persisted_queries,
            outbox=self.outbox,
            worker_conditions=self.worker_conditions,
            alerts=self.alerts,
            dcc=self.dcc,
            idempotency_key=idempotency_key,
        )


def request_context(state: State, principal: Principal, idempotency_key: str | None) -> Context:
    """One request's context, from what the app's lifespan put in `state`."""
    shared: Shared = state.shared
    return shared.context(principal, idempotency_key)


Info = strawberry.Info[Context, None]
