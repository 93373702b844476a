"""F0 home care: cases by person, and many people's cases at once."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from tests.mocks.support import REFERENCE


async def test_active_case(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.get("/f0/cases", params={"personId": "P0000017"}, headers=auth)
    [case] = response.json()["cases"]
    assert case["personId"] == "P0000017"
    assert case["district"] == "778"
    assert datetime.fromisoformat(case["confirmedAt"]) == REFERENCE - timedelta(days=3)
    assert (case["recoveredAt"], case["recoveryProof"]) == (None, None)
    assert case["caseId"].startswith("F0-778-")


async def test_recovered_case_with_proof(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.get("/f0/cases", params={"personId": "P0000020"}, headers=auth)
    [case] = response.json()["cases"]
    assert datetime.fromisoformat(case["recoveredAt"]) == REFERENCE - timedelta(days=2)
    assert case["recoveryProof"] == "WARD_ISOLATION_COMPLETION"


async def test_no_case(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.get("/f0/cases", params={"personId": "P0000001"}, headers=auth)
    assert response.json() == {"cases": []}
    response = await client.get("/f0/cases", headers=auth)
    assert response.status_code == 400


async def test_search_groups_cases(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    ids = ["P0000013", "P0000001", "P0000016", "P0000017"]
    response = await client.post("/f0/cases/search", json={"personIds": ids}, headers=auth)
    assert [c["personId"] for c in response.json()["cases"]] == ["P0000013", "P0000016", "P0000017"]


async def test_search_over_1000_is_400(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    ids = [f"P{i:07d}" for i in range(1001)]
    response = await client.post("/f0/cases/search", json={"personIds": ids}, headers=auth)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
