"""Fault knobs and request statistics: how gateway tests simulate outages and count calls."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from mocks.app import create_app
from mocks.settings import Faults, MockSettings
from tests.mocks.support import service_token

PERSON = "/identity/persons/P0000001"


async def _set(client: httpx.AsyncClient, service: str, **knobs: object) -> dict[str, object]:
    response = await client.put(f"/{service}/_admin/faults", json=knobs)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def _stats(client: httpx.AsyncClient, service: str) -> list[dict[str, Any]]:
    requests: list[dict[str, Any]] = (await client.get(f"/{service}/_admin/stats")).json()[
        "requests"
    ]
    return requests


async def test_knobs_start_clean_and_update_partially(client: httpx.AsyncClient) -> None:
    assert (await client.get("/lab/_admin/faults")).json() == {
        "latencyMs": 0,
        "failureRate": 0.0,
        "mode": "ok",
    }
    await _set(client, "lab", latencyMs=5)
    body = await _set(client, "lab", mode="down")
    assert body == {"latencyMs": 5, "failureRate": 0.0, "mode": "down"}
    assert (await client.delete("/lab/_admin/faults")).json()["mode"] == "ok"


@pytest.mark.parametrize(
    "knobs",
    [
        {"latencyMs": -1},
        {"latencyMs": True},
        {"failureRate": 1.5},
        {"mode": "broken"},
        {"latency": 5},
    ],
)
async def test_invalid_knobs_are_400_and_change_nothing(
    client: httpx.AsyncClient, knobs: dict[str, object]
) -> None:
    response = await client.put("/identity/_admin/faults", json=knobs)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert (await client.get("/identity/_admin/faults")).json()["mode"] == "ok"


async def test_failure_rate_one_is_always_503(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await _set(client, "identity", failureRate=1.0)
    for _ in range(3):
        response = await client.get(PERSON, headers=auth)
        assert response.status_code == 503
        assert response.json()["error"] == "service_unavailable"
    assert (await client.get("/vaccination/healthz")).status_code == 200  # other services fine


async def test_down_answers_503_even_on_healthz(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await _set(client, "f0", mode="down")
    assert (await client.get("/f0/healthz")).status_code == 503
    assert (await client.get("/f0/cases?personId=P1", headers=auth)).status_code == 503
    assert (await client.get("/f0/openapi.json")).status_code == 200


async def test_error500_body_looks_internal(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await _set(client, "identity", mode="error500")
    response = await client.get(PERSON, headers=auth)
    assert response.status_code == 500
    assert "10.16.4.21" in response.text  # an internal URL the gateway must never forward
    assert "/srv/" in response.text


async def test_malformed_is_200_with_unparseable_json(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await _set(client, "vaccination", mode="malformed")
    response = await client.get(
        "/vaccination/fhir/Immunization", params={"patient": "Patient/P0000001"}, headers=auth
    )
    assert response.status_code == 200
    assert response.text.startswith('{"resourceType":"Bundle"')
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


async def test_latency_is_applied_and_recorded(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await _set(client, "identity", latencyMs=150)
    started = time.monotonic()
    assert (await client.get(PERSON, headers=auth)).status_code == 200
    assert time.monotonic() - started >= 0.15
    [stat] = await _stats(client, "identity")
    assert stat["method"] == "GET"
    assert stat["path"] == PERSON
    assert stat["ids"] == 1
    assert stat["end"] - stat["start"] >= 0.15


async def test_concurrent_requests_have_overlapping_windows(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await _set(client, "lab", latencyMs=100)
    await asyncio.gather(
        *(
            client.get("/lab/fhir/Observation", params={"patient": f"P000000{i}"}, headers=auth)
            for i in range(1, 4)
        )
    )
    stats = await _stats(client, "lab")
    assert len(stats) == 3
    assert max(s["start"] for s in stats) < min(s["end"] for s in stats)


async def test_stats_count_ids_and_skip_tooling(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await client.get("/identity/healthz")
    await client.get("/identity/openapi.json")
    ids = [f"P{i:07d}" for i in range(1, 251)]
    await client.post("/identity/persons/batch", json={"ids": ids}, headers=auth)
    await client.post("/f0/cases/search", json={"personIds": ids[:7]}, headers=auth)
    form = {"patient": ",".join(f"Patient/{i}" for i in ids[:40])}
    await client.post("/lab/fhir/Observation/_search", data=form, headers=auth)
    assert [(s["path"], s["ids"]) for s in await _stats(client, "identity")] == [
        ("/identity/persons/batch", 250)
    ]
    assert [s["ids"] for s in await _stats(client, "f0")] == [7]
    assert [s["ids"] for s in await _stats(client, "lab")] == [40]
    assert (await client.delete("/identity/_admin/stats")).status_code == 204
    assert await _stats(client, "identity") == []


async def test_each_app_has_its_own_knobs(
    client: httpx.AsyncClient, settings: MockSettings
) -> None:
    await _set(client, "identity", mode="down")
    other = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=other, base_url="http://mocks") as fresh:
        assert (await fresh.get("/identity/healthz")).status_code == 200


@pytest.fixture
async def tuned(settings: MockSettings) -> AsyncIterator[httpx.AsyncClient]:
    """An app started with knobs from settings (as from MOCK_* variables) and a short `slow`."""
    faults = {"lab": Faults(latency_ms=20, failure_rate=0.0, mode="ok")}
    app = create_app(dataclasses.replace(settings, faults=faults, slow_seconds=0.3))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mocks"
    ) as c:
        yield c


async def test_delete_restores_the_start_up_knobs(tuned: httpx.AsyncClient) -> None:
    await _set(tuned, "lab", latencyMs=0, mode="down")
    restored = (await tuned.delete("/lab/_admin/faults")).json()
    assert restored == {"latencyMs": 20, "failureRate": 0.0, "mode": "ok"}


async def test_slow_mode_delays_the_answer(tuned: httpx.AsyncClient) -> None:
    headers = {"Authorization": f"Bearer {await service_token(tuned)}"}
    await _set(tuned, "identity", mode="slow")
    started = time.monotonic()
    response = await tuned.get(PERSON, headers=headers)
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3
