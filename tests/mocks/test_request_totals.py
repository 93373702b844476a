"""The mocks count every request they serve, beyond the 10,000 they keep (benchmarks read it)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mocks.app import create_app
from mocks.settings import MockSettings


@pytest.fixture
async def client(mock_settings: MockSettings) -> Any:
    transport = httpx.ASGITransport(app=create_app(mock_settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://mocks") as opened:
        yield opened


async def test_the_summary_counts_requests_until_cleared(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        await client.get("/identity/persons/P0000001")  # 401 without a token: still served

    full = (await client.get("/identity/_admin/stats")).json()
    summary = (await client.get("/identity/_admin/stats?summary=1")).json()
    cleared = await client.delete("/identity/_admin/stats")
    after = (await client.get("/identity/_admin/stats?summary=1")).json()

    assert (len(full["requests"]), full["total"]) == (3, 3)
    assert summary == {"total": 3}
    assert cleared.status_code == 204
    assert after == {"total": 0}
