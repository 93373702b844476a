"""Fault injection: each upstream down, slow, answering 500 or malformed data, or flapping.

The gateway answers what it can: fields backed by a failing source are null with
UPSTREAM_UNAVAILABLE, the colour follows the policy's UNKNOWN rule (never GREEN without proof),
and nothing of the upstream's error (URLs, stacks, bodies) reaches the client.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp

from gateway.settings import Resilience, Settings, SourceSettings
from mocks.app import create_app as create_mocks
from mocks.settings import MockSettings
from tests.conftest import MOCKS_URL, gateway_settings, open_gateway
from tests.support import MocksAdmin, error_summary, gql

PERSONA = "P0000001"  # GREEN, fully vaccinated, district 778
QUERY = """query($id: ID!) { personStatus(personId: $id) {
  color reasons maskedName person { vaccinations { id } labTests { id } f0Case { id } } } }"""
FIELD_OF = {"vaccination": "vaccinations", "lab": "labTests", "f0": "f0Case"}
FAILURES = ["down", "error500", "malformed", "slow"]


def settings(**resilience: Any) -> Settings:
    base = gateway_settings()
    sources = {name: replace(s, timeout=0.3) for name, s in base.sources.items()}
    knobs = {"retries": 1, "backoff_base": 0.01, "backoff_max": 0.02, "request_deadline": 2.0}
    return replace(base, sources=sources, resilience=Resilience(**{**knobs, **resilience}))


@pytest.fixture(scope="module")
def faulty_mocks(mock_settings: MockSettings) -> ASGIApp:
    """Mocks of their own (knobs untouched elsewhere), whose `slow` mode sleeps 3 s."""
    return create_mocks(replace(mock_settings, slow_seconds=3.0))


@pytest.fixture
async def admin(faulty_mocks: ASGIApp) -> AsyncIterator[MocksAdmin]:
    transport = httpx.ASGITransport(app=faulty_mocks)
    async with httpx.AsyncClient(transport=transport, base_url=MOCKS_URL) as client:
        admin = MocksAdmin(client)
        await admin.reset()
        yield admin
        await admin.reset()


def gateway(faulty_mocks: ASGIApp, configured: Settings | None = None) -> Any:
    return open_gateway(httpx.ASGITransport(app=faulty_mocks), configured or settings())


def officer(token: Callable[..., str]) -> str:
    return token("health_officer", district="778")


@pytest.mark.parametrize("mode", FAILURES)
@pytest.mark.parametrize("service", list(FIELD_OF))
async def test_a_failing_policy_source_gives_unknown_and_nulls_only_its_fields(
    faulty_mocks: ASGIApp, admin: MocksAdmin, token: Callable[..., str], service: str, mode: str
) -> None:
    await admin.set_faults(service, mode=mode)
    async with gateway(faulty_mocks) as client:
        response = await client.post(
            "/graphql",
            json={"query": QUERY, "variables": {"id": PERSONA}},
            headers={"Authorization": f"Bearer {officer(token)}"},
        )

    body = response.json()
    status = body["data"]["personStatus"]
    assert (status["color"], status["reasons"]) == ("UNKNOWN", ["DATA_UNAVAILABLE"])
    assert status["maskedName"] is not None
    assert status["person"][FIELD_OF[service]] is None
    assert error_summary(body) == [
        ("UPSTREAM_UNAVAILABLE", ["personStatus", "person", FIELD_OF[service]])
    ]
    assert "10.16.4.21" not in response.text and "Traceback" not in response.text


@pytest.mark.parametrize("mode", FAILURES)
async def test_identity_failing_refuses_a_lookup_whose_scope_cannot_be_checked(
    faulty_mocks: ASGIApp, admin: MocksAdmin, token: Callable[..., str], mode: str
) -> None:
    await admin.set_faults("identity", mode=mode)
    async with gateway(faulty_mocks) as client:
        _, body = await gql(client, QUERY, {"id": PERSONA}, token=officer(token))

    assert body["data"] == {"personStatus": None}
    assert error_summary(body) == [("UPSTREAM_UNAVAILABLE", ["personStatus"])]


@pytest.mark.parametrize("service", ["identity", *FIELD_OF])
async def test_a_flapping_source_is_retried_to_a_full_answer(
    faulty_mocks: ASGIApp, admin: MocksAdmin, token: Callable[..., str], service: str
) -> None:
    await admin.set_faults(service, mode="flapping")
    async with gateway(faulty_mocks) as client:
        _, body = await gql(client, QUERY, {"id": PERSONA}, token=officer(token))

    assert "errors" not in body
    assert body["data"]["personStatus"]["color"] == "GREEN"
    assert len(await admin.requests(service)) == 2  # the first failed, the retry answered


async def test_an_open_circuit_stops_calling_a_sick_source_then_probes_it(
    faulty_mocks: ASGIApp, admin: MocksAdmin, token: Callable[..., str]
) -> None:
    configured = settings(retries=0, breaker_failures=3, breaker_cooldown=0.3)
    await admin.set_faults("lab", mode="down")
    async with gateway(faulty_mocks, configured) as client:
        for _ in range(6):
            await gql(client, QUERY, {"id": PERSONA}, token=officer(token))
        calls_while_open = len(await admin.requests("lab"))
        await admin.set_faults("lab", mode="ok")
        await asyncio.sleep(0.35)
        _, body = await gql(client, QUERY, {"id": PERSONA}, token=officer(token))

    assert calls_while_open == 3
    assert body["data"]["personStatus"]["color"] == "GREEN"
    assert len(await admin.requests("lab")) == 4  # the half-open probe, which closed it


async def test_a_stale_answer_stands_in_for_a_failing_source_and_says_so(
    faulty_mocks: ASGIApp, admin: MocksAdmin, token: Callable[..., str]
) -> None:
    configured = settings()
    short = {n: replace(s, cache_ttl=0.05) for n, s in configured.sources.items()}
    configured = replace(configured, sources=short)
    async with gateway(faulty_mocks, configured) as client:
        await gql(client, QUERY, {"id": PERSONA}, token=officer(token))
        await asyncio.sleep(0.1)
        await admin.set_faults("vaccination", mode="down")
        _, body = await gql(client, QUERY, {"id": PERSONA}, token=officer(token))

    assert "errors" not in body
    assert body["data"]["personStatus"]["color"] == "GREEN"
    assert body["extensions"]["stale"] == {"vaccination": [PERSONA]}


async def test_a_stale_answer_is_not_served_past_its_bound(
    faulty_mocks: ASGIApp, admin: MocksAdmin, token: Callable[..., str]
) -> None:
    configured = settings(stale_for=0.05)
    short = {n: replace(s, cache_ttl=0.05) for n, s in configured.sources.items()}
    configured = replace(configured, sources=short)
    async with gateway(faulty_mocks, configured) as client:
        await gql(client, QUERY, {"id": PERSONA}, token=officer(token))
        await asyncio.sleep(0.15)
        await admin.set_faults("vaccination", mode="down")
        _, body = await gql(client, QUERY, {"id": PERSONA}, token=officer(token))

    assert body["data"]["personStatus"]["color"] == "UNKNOWN"
    assert "extensions" not in body or "stale" not in body["extensions"]


def test_source_settings_are_per_source() -> None:
    configured = Settings.from_env({"LAB_RESULTS_TIMEOUT": "1.5", "UPSTREAM_RETRIES": "4"})

    assert configured.sources["lab_results"] == replace(
        Settings().sources["lab_results"], timeout=1.5
    )
    assert configured.resilience.retries == 4
    assert isinstance(configured.sources["identity"], SourceSettings)
