"""The hot paths that the benchmarks (README, Performance) made fast keep doing what they did.

Behaviour only, never timing: caches that must hit are counted, concurrency is shown by
overlapping request windows at the mocks, and a prefetched page answers exactly what the
per-field path answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from strawberry.extensions.parser_cache import _get_parse_cache
from strawberry.extensions.validation_cache import _get_validate_cache

from gateway.app import create_app
from gateway.qr_payload import signature_checks
from tests.checkpoint_support import MY_QR, SCAN, reset, residents
from tests.conftest import gateway_settings
from tests.support import MocksAdmin, gql

SCANNED = """query($id: ID!) { personStatus(personId: $id) {
  color maskedName declarationValidUntil } }"""
HEALTH = ("identity", "vaccination", "lab", "f0", "declarations")


async def test_a_cold_status_asks_every_source_at_once_name_and_declaration_included(
    fresh_client: httpx.AsyncClient, token: Callable[..., str], mocks: MocksAdmin
) -> None:
    person = (await residents(mocks, "778", 1, start=181))[0]
    await reset(mocks, *HEALTH)
    for service in HEALTH:
        await mocks.set_faults(service, latencyMs=100)
    try:
        _, body = await gql(
            fresh_client,
            SCANNED,
            {"id": person["id"]},
            token=token("health_officer", district="778"),
        )
        windows = {s: await mocks.requests(s) for s in HEALTH}
    finally:
        await reset(mocks, *HEALTH)

    assert "errors" not in body, body
    assert {s: len(r) for s, r in windows.items()} == dict.fromkeys(HEALTH, 1)
    starts = [r[0]["start"] for r in windows.values()]
    ends = [r[0]["end"] for r in windows.values()]
    assert max(starts) < min(ends), "the name and the declaration wait for no policy source"


async def test_a_status_that_reads_neither_name_nor_declaration_asks_neither(
    fresh_client: httpx.AsyncClient, token: Callable[..., str], mocks: MocksAdmin
) -> None:
    person = (await residents(mocks, "760", 1, start=181))[0]
    await reset(mocks, "declarations")

    _, body = await gql(
        fresh_client,
        "query($id: ID!) { personStatus(personId: $id) { color } }",
        {"id": person["id"]},
        token=token("health_officer", district="760"),
    )

    assert "errors" not in body, body
    assert await mocks.requests("declarations") == []


async def test_scanning_one_payload_again_verifies_its_signature_once(
    mocks_transport: httpx.ASGITransport, token: Callable[..., str], mocks: MocksAdmin
) -> None:
    person = (await residents(mocks, "778", 1, start=191))[0]
    app = create_app(gateway_settings(), transport=mocks_transport)
    checkpoint = token("checkpoint", district="778")
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://gateway"
        ) as client,
    ):
        _, mine = await gql(client, MY_QR, token=token("citizen", person_id=person["id"]))
        payload = mine["data"]["me"]["qr"]["payload"]
        before = signature_checks(app.state.signing_keys)

        answers = [await gql(client, SCAN, {"qr": payload}, token=checkpoint) for _ in range(3)]
        tampered = payload[:-2] + ("AA" if not payload.endswith("AA") else "BB")
        _, refused = await gql(client, SCAN, {"qr": tampered}, token=checkpoint)
        checks = signature_checks(app.state.signing_keys) - before

    assert [body["data"]["personStatus"]["maskedName"] for _, body in answers] == [
        answers[0][1]["data"]["personStatus"]["maskedName"]
    ] * 3
    assert refused["errors"][0]["extensions"]["code"] == "INVALID_QR"
    assert checks == 2  # the payload once, the forgery once


async def test_a_prefetched_page_answers_what_each_worker_answers_alone(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    employer = token("employer", employer_id="E0006")
    page = """{ workerList(id: "WL-0006") { workers(first: 25) { edges { node {
      id fullName maskedName birthYear
      status { color reasons validUntil declarationValidUntil maskedName } } } } } }"""
    alone = """query($id: ID!) { personStatus(personId: $id) {
      color reasons validUntil declarationValidUntil maskedName } person(id: $id) {
      fullName birthYear } }"""

    _, body = await gql(client, page, token=employer)
    nodes: list[dict[str, Any]] = [
        e["node"] for e in body["data"]["workerList"]["workers"]["edges"]
    ]
    expected = []
    for node in nodes:
        _, one = await gql(client, alone, {"id": node["id"]}, token=employer)
        expected.append(
            {
                "id": node["id"],
                "fullName": one["data"]["person"]["fullName"],
                "maskedName": one["data"]["personStatus"]["maskedName"],
                "birthYear": one["data"]["person"]["birthYear"],
                "status": one["data"]["personStatus"],
            }
        )

    assert "errors" not in body, body
    assert len(nodes) == 25
    assert nodes == expected


async def test_parsing_and_validation_are_cached_across_requests(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    parse = _get_parse_cache(1024)
    validate = _get_validate_cache(1024)
    officer = token("health_officer", district="778")
    # `person` is guarded (an `allow`): Strawberry answers it (a bare status is a compiled plan's)
    query = "query($id: ID!) { personStatus(personId: $id) { color person { id } } }"
    await gql(client, query, {"id": "P0000001"}, token=officer)  # parsed and validated once
    parsed, validated = parse.cache_info(), validate.cache_info()

    for pid in ("P0000001", "P0000007", "P0000009"):
        await gql(client, query, {"id": pid}, token=officer)

    assert parse.cache_info().hits - parsed.hits == 3
    assert parse.cache_info().misses == parsed.misses
    assert validate.cache_info().hits - validated.hits == 3
    assert validate.cache_info().misses == validated.misses
