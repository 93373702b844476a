"""Employers' worker lists (a shell: later issues add the endpoints)."""

from __future__ import annotations

from starlette.applications import Starlette

from mocks.service import ServiceContext, service_app
from mocks.specs.shells import WORKFORCE


def create_app(ctx: ServiceContext) -> Starlette:
    """The service's sub-app: `openapi.json`, `healthz` and the admin knobs."""
    return service_app(ctx, [], WORKFORCE)
