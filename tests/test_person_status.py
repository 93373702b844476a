"""personStatus end to end: personas, missing sources, concurrency and batching at the mocks."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support import MocksAdmin, error_summary, gql

STATUS = """query($id: ID!) { personStatus(personId: $id) {
  color reasons validUntil evaluatedAt policy maskedName birthYear } }"""


def personas() -> list[dict[str, Any]]:
    """What `python -m mocks personas` prints (the contract's command)."""
    printed = subprocess.run(
        [sys.executable, "-m", "mocks", "personas"], check=True, capture_output=True, text=True
    )
    result: list[dict[str, Any]] = json.loads(printed.stdout)
    return result


PERSONAS = personas()


@pytest.mark.parametrize("persona", PERSONAS, ids=[p["case"] for p in PERSONAS])
async def test_health_officer_sees_each_personas_colour_and_reasons(
    client: httpx.AsyncClient, token: Callable[..., str], persona: dict[str, Any]
) -> None:
    officer = token("health_officer", district=persona["district"])

    _, body = await gql(client, STATUS, {"id": persona["personId"]}, token=officer)

    assert "errors" not in body, body
    status = body["data"]["personStatus"]
    assert (status["color"], status["reasons"]) == (
        persona["expectedColor"],
        persona["expectedReasons"],
    )
    assert status["policy"] == "hcmc-2021-10"


async def test_a_policy_source_down_makes_the_colour_unknown(
    fresh_client: httpx.AsyncClient, token: Callable[..., str], mocks: MocksAdmin
) -> None:
    green = next(p for p in PERSONAS if p["expectedColor"] == "GREEN")
    await mocks.set_faults("lab", mode="down")

    _, body = await gql(
        fresh_client,
        STATUS,
        {"id": green["personId"]},
        token=token("health_officer", district=green["district"]),
    )

    status = body["data"]["personStatus"]
    assert (status["color"], status["reasons"], status["validUntil"]) == (
        "UNKNOWN",
        ["DATA_UNAVAILABLE"],
        None,
    )
    assert status["maskedName"] is not None
    assert "errors" not in body


async def test_a_red_rule_stands_while_another_source_is_down(
    fresh_client: httpx.AsyncClient, token: Callable[..., str], mocks: MocksAdmin
) -> None:
    positive = next(p for p in PERSONAS if p["expectedReasons"] == ["RECENT_POSITIVE_TEST"])
    await mocks.set_faults("f0", mode="down")
    await mocks.set_faults("vaccination", mode="error500")

    _, body = await gql(
        fresh_client,
        STATUS,
        {"id": positive["personId"]},
        token=token("health_officer", district=positive["district"]),
    )

    assert body["data"]["personStatus"]["color"] == "RED"
    assert body["data"]["personStatus"]["reasons"] == ["RECENT_POSITIVE_TEST"]


async def test_identity_down_keeps_the_colour_and_fails_only_the_name_fields(
    fresh_client: httpx.AsyncClient, token: Callable[..., str], mocks: MocksAdmin
) -> None:
    persona = PERSONAS[0]
    await mocks.set_faults("identity", mode="down")

    _, body = await gql(
        fresh_client,
        STATUS,
        {"id": persona["personId"]},
        token=token("citizen", person_id=persona["personId"]),
    )

    status = body["data"]["personStatus"]
    assert status["color"] == persona["expectedColor"]
    assert (status["maskedName"], status["birthYear"]) == (None, None)
    assert sorted(error_summary(body)) == [
        ("UPSTREAM_UNAVAILABLE", ["personStatus", "birthYear"]),
        ("UPSTREAM_UNAVAILABLE", ["personStatus", "maskedName"]),
    ]
    for error in body["errors"]:
        assert "http" not in error["message"] and "Traceback" not in error["message"]


async def test_sources_of_one_status_are_requested_concurrently(
    fresh_client: httpx.AsyncClient, token: Callable[..., str], mocks: MocksAdmin
) -> None:
    persona = PERSONAS[0]
    for service in MocksAdmin.SERVICES:
        await mocks.set_faults(service, latencyMs=100)

    _, body = await gql(
        fresh_client,
        STATUS,
        {"id": persona["personId"]},
        token=token("health_officer", district=persona["district"]),
    )

    assert "errors" not in body
    windows = {s: (await mocks.requests(s)) for s in MocksAdmin.SERVICES}
    assert {s: len(r) for s, r in windows.items()} == dict.fromkeys(MocksAdmin.SERVICES, 1)
    starts = [r[0]["start"] for r in windows.values()]
    ends = [r[0]["end"] for r in windows.values()]
    assert max(starts) < min(ends), "every source's request window overlaps every other's"


async def test_five_hundred_people_cost_a_handful_of_requests_per_source(
    fresh_client: httpx.AsyncClient, token: Callable[..., str], mocks: MocksAdmin
) -> None:
    ids = await _people_of_district(mocks, "778", 500)
    query = """query($ids: [ID!]!) { people(ids: $ids) {
      id maskedName status { color reasons validUntil } vaccinations { date } } }"""
    await mocks.reset()

    _, body = await gql(
        fresh_client, query, {"ids": ids}, token=token("health_officer", district="778")
    )

    assert "errors" not in body
    assert [p["id"] for p in body["data"]["people"]] == ids
    assert all(p["status"]["color"] in {"GREEN", "YELLOW", "RED"} for p in body["data"]["people"])
    requests = {s: await mocks.requests(s) for s in MocksAdmin.SERVICES}
    assert {s: len(r) for s, r in requests.items()} == dict.fromkeys(MocksAdmin.SERVICES, 2)
    assert {s: sum(x["ids"] for x in r) for s, r in requests.items()} == dict.fromkeys(
        MocksAdmin.SERVICES, 500
    )


async def _people_of_district(mocks: MocksAdmin, district: str, count: int) -> list[str]:
    chosen: list[str] = []
    for start in range(1, 20_000, 1000):
        answer = await mocks.client.post(
            "/identity/persons/batch",
            json={"ids": [f"P{i:07d}" for i in range(start, start + 1000)]},
            headers={"Authorization": f"Bearer {await mocks.service_token()}"},
        )
        chosen += [p["id"] for p in answer.json()["persons"] if p["district"] == district]
        if len(chosen) >= count:
            return chosen[:count]
    raise AssertionError(f"district {district} has fewer than {count} people")


async def test_concurrent_cold_requests_for_one_person_share_one_upstream_request(
    fresh_client: httpx.AsyncClient, token: Callable[..., str], mocks: MocksAdmin
) -> None:
    persona = PERSONAS[0]
    officer = token("health_officer", district=persona["district"])
    for service in MocksAdmin.SERVICES:
        await mocks.set_faults(service, latencyMs=50)

    answers = await asyncio.gather(
        *(gql(fresh_client, STATUS, {"id": persona["personId"]}, token=officer) for _ in range(50))
    )

    assert {body["data"]["personStatus"]["color"] for _, body in answers} == {
        persona["expectedColor"]
    }
    counts = {s: len(await mocks.requests(s)) for s in MocksAdmin.SERVICES}
    assert counts == dict.fromkeys(MocksAdmin.SERVICES, 1)


@pytest.mark.parametrize(
    "person_id",
    ["P0000001,P0000002", "../P0000001", "P0000001\u0000", "", "x" * 65],
    ids=["fhir or-list", "path", "control character", "empty", "too long"],
)
async def test_a_malformed_person_id_is_not_found_and_never_sent_upstream(
    fresh_client: httpx.AsyncClient, token: Callable[..., str], mocks: MocksAdmin, person_id: str
) -> None:
    _, body = await gql(
        fresh_client, STATUS, {"id": person_id}, token=token("health_officer", district="778")
    )

    assert body["data"] == {"personStatus": None}
    assert error_summary(body) == [("NOT_FOUND", ["personStatus"])]
    assert {s: len(await mocks.requests(s)) for s in MocksAdmin.SERVICES} == dict.fromkeys(
        MocksAdmin.SERVICES, 0
    )
