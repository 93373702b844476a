"""Fixtures for the mocks' tests: one data set per session, a fresh app (knobs, stats) per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from mocks.app import create_app
from mocks.settings import MockSettings
from tests.mocks.support import REFERENCE, service_token


@pytest.fixture(scope="session")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The IdP key file of this test session, never the repository's `.data/`."""
    return tmp_path_factory.mktemp("idp") / "dev-idp-signing-key.json"


@pytest.fixture(scope="session")
def settings(key_file: Path) -> MockSettings:
    """Default sizes, a fixed reference instant, a temporary key file."""
    return MockSettings(reference_time=REFERENCE, idp_key_file=key_file)


@pytest.fixture
async def client(settings: MockSettings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a fresh mocks app (the data set is shared, knobs and stats are not)."""
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://mocks") as c:
        yield c


@pytest.fixture
async def auth(client: httpx.AsyncClient) -> dict[str, str]:
    """Headers carrying a valid service token."""
    return {"Authorization": f"Bearer {await service_token(client)}"}
