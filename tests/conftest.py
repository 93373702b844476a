"""Fixtures: the mocks and the gateway in-process, wired by httpx's ASGITransport.

The gateway reaches the mocks through `httpx.ASGITransport` (no sockets, no patching); tests
reach the gateway the same way. Tests that need a cold cache build a fresh gateway.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from opentelemetry.sdk.trace import TracerProvider
from starlette.types import ASGIApp

from gateway import timezone
from gateway.app import create_app
from gateway.settings import Settings
from mocks.app import create_app as create_mocks
from mocks.idp import issue_user_token
from mocks.settings import MockSettings
from tests.support import MocksAdmin

MOCKS_URL = "http://127.0.0.1:8001"
# Files the gateway keeps (development QR signing keys, ...) go here, never into the repo's .data/.
TEST_DATA_DIR = Path(tempfile.mkdtemp(prefix="healthpass-tests-"))


def gateway_settings() -> Settings:
    """The gateway's settings in tests: every upstream at the mocks, data in TEST_DATA_DIR."""
    return replace(Settings().with_mocks_at(MOCKS_URL), data_dir=TEST_DATA_DIR)


@pytest.fixture(scope="session")
def mock_settings(tmp_path_factory: pytest.TempPathFactory) -> MockSettings:
    key_file = tmp_path_factory.mktemp("idp") / "dev-idp-signing-key.json"
    return MockSettings(idp_key_file=key_file)


@pytest.fixture(scope="session")
def mocks_app(mock_settings: MockSettings) -> ASGIApp:
    return create_mocks(mock_settings)


@pytest.fixture(scope="session")
def mocks_transport(mocks_app: ASGIApp) -> httpx.ASGITransport:
    return httpx.ASGITransport(app=mocks_app)


@pytest.fixture(scope="session")
async def mocks(mocks_transport: httpx.ASGITransport) -> AsyncIterator[MocksAdmin]:
    async with httpx.AsyncClient(transport=mocks_transport, base_url=MOCKS_URL) as client:
        yield MocksAdmin(client)


@pytest.fixture(scope="session")
def token(mock_settings: MockSettings) -> Callable[..., str]:
    """Mint a user token signed by the mock IdP: `token("citizen", person_id="P...")`."""

    def mint(role: str, **claims: Any) -> str:
        return issue_user_token(role, settings=mock_settings, **claims)

    return mint


@asynccontextmanager
async def open_gateway(
    transport: httpx.AsyncBaseTransport,
    settings: Settings | None = None,
    *,
    clock: Callable[[], datetime] = timezone.now,
    tracer_provider: TracerProvider | None = None,
) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway over the mocks at `transport`, started, and a client of it."""
    app = create_app(
        settings or gateway_settings(),
        transport=transport,
        clock=clock,
        tracer_provider=tracer_provider,
    )
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://gateway"
        ) as client,
    ):
        yield client


@pytest.fixture(scope="session")
async def client(mocks_transport: httpx.ASGITransport) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway shared by the session (its cache warms up as tests run)."""
    async with open_gateway(mocks_transport) as opened:
        yield opened


@pytest.fixture
async def fresh_client(
    mocks_transport: httpx.ASGITransport, mocks: MocksAdmin
) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway with a cold cache, and mocks with no faults and empty statistics."""
    await mocks.reset()
    async with open_gateway(mocks_transport) as opened:
        yield opened
    await mocks.reset()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """With REQUIRE_SERVICES=1 (CI), a skipped Redis or PostgreSQL test is a failure."""
    outcome = yield
    report = outcome.get_result()
    needs_service = item.get_closest_marker("redis") or item.get_closest_marker("postgres")
    if report.skipped and needs_service and os.environ.get("REQUIRE_SERVICES") == "1":
        report.outcome = "failed"
        report.longrepr = f"{item.nodeid} needs Redis/PostgreSQL and was skipped: {report.longrepr}"
