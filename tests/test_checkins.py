"""The check-in log: every scan by a checkpoint or employer is recorded upstream without
slowing the scan; citizens read their own history, health officers a checkpoint's visitors of
their district; nobody else."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from gateway.timezone import LOCAL
from tests.checkpoint_support import MY_QR, SCAN, reset, residents
from tests.support import MocksAdmin, error_summary, gql

HISTORY = "{ me { checkIns { id checkpointId scannedBy district scannedAt } } }"
VISITS = """query($cp: String!, $from: DateTime!, $to: DateTime!) {
  checkpointVisits(checkpointId: $cp, from: $from, to: $to) {
    checkpointId scannedAt person { id fullName } } }"""


@pytest.fixture(scope="module")
async def people(mocks: MocksAdmin) -> dict[str, dict[str, Any]]:
    home, other = await residents(mocks, "778", 2, start=121)
    away = (await residents(mocks, "783", 1, start=121))[0]
    return {"home": home, "other": other, "away": away}


async def payload_of(client: httpx.AsyncClient, token: Callable[..., str], pid: str) -> str:
    _, body = await gql(client, MY_QR, token=token("citizen", person_id=pid))
    payload: str = body["data"]["me"]["qr"]["payload"]
    return payload


async def history(
    client: httpx.AsyncClient, token: Callable[..., str], pid: str, count: int
) -> list[dict[str, Any]]:
    """The citizen's check-ins, once `count` of them have landed (recording is asynchronous)."""
    for _ in range(100):
        _, body = await gql(client, HISTORY, token=token("citizen", person_id=pid))
        check_ins: list[dict[str, Any]] = body["data"]["me"]["checkIns"]
        if len(check_ins) >= count:
            return check_ins
        await asyncio.sleep(0.05)
    raise AssertionError(f"{pid} has {len(check_ins)} check-ins, not {count}")


def window() -> dict[str, str]:
    now = datetime.now(LOCAL)
    return {
        "from": (now - timedelta(hours=1)).isoformat(),
        "to": (now + timedelta(hours=1)).isoformat(),
    }


async def test_checkpoint_and_employer_scans_are_recorded_in_the_citizens_history(
    client: httpx.AsyncClient,
    token: Callable[..., str],
    people: dict[str, Any],
    mocks: MocksAdmin,
) -> None:
    enterprise = await mocks.get("/workforce/enterprises/E0042")
    pid = people["home"]["id"]
    payload = await payload_of(client, token, pid)
    before = len(await history(client, token, pid, 0))  # other tests may have scanned them

    await gql(
        client, SCAN, {"qr": payload}, token=token("checkpoint", district="778", sub="CP-778-HIST")
    )
    await gql(client, SCAN, {"qr": payload}, token=token("employer", employer_id="E0042"))
    await gql(client, SCAN, {"qr": payload}, token=token("health_officer", district="778"))

    check_ins = (await history(client, token, pid, before + 2))[before:]
    assert [(c["checkpointId"], c["scannedBy"], c["district"]) for c in check_ins] == [
        ("CP-778-HIST", "CHECKPOINT", "778"),
        ("E0042-HR-01", "EMPLOYER", enterprise["district"]),
    ]
    assert check_ins[0]["scannedAt"] <= check_ins[1]["scannedAt"]


async def test_officer_lists_visitors_of_a_checkpoint_living_in_their_district(
    client: httpx.AsyncClient, token: Callable[..., str], people: dict[str, Any]
) -> None:
    scanner = token("checkpoint", district="760", sub="CP-760-MARKET")
    for who in ("other", "away"):
        await gql(
            client, SCAN, {"qr": await payload_of(client, token, people[who]["id"])}, token=scanner
        )
    variables = {"cp": "CP-760-MARKET", **window()}

    for _ in range(100):
        _, everyone = await gql(
            client, VISITS, variables, token=token("health_officer", district="783")
        )
        if everyone["data"]["checkpointVisits"]:
            break
        await asyncio.sleep(0.05)
    _, ours = await gql(client, VISITS, variables, token=token("health_officer", district="778"))

    assert "errors" not in ours
    assert [v["person"] for v in ours["data"]["checkpointVisits"]] == [
        {"id": people["other"]["id"], "fullName": people["other"]["fullName"]}
    ]
    assert [v["person"]["id"] for v in everyone["data"]["checkpointVisits"]] == [
        people["away"]["id"]
    ]


@pytest.mark.parametrize("role", ["citizen", "checkpoint", "employer", "district_admin"])
async def test_nobody_else_lists_checkpoint_visits(
    client: httpx.AsyncClient, token: Callable[..., str], people: dict[str, Any], role: str
) -> None:
    claims = {"citizen": {"person_id": people["home"]["id"]}, "employer": {"employer_id": "E0001"}}
    caller = token(role, **claims.get(role, {"district": "778"}))

    _, body = await gql(client, VISITS, {"cp": "CP-778-HIST", **window()}, token=caller)

    assert body["data"] == {"checkpointVisits": None}
    assert error_summary(body) == [("FORBIDDEN", ["checkpointVisits"])]


@pytest.mark.parametrize("role", ["health_officer", "district_admin"])
async def test_only_the_citizen_reads_their_own_history(
    client: httpx.AsyncClient, token: Callable[..., str], people: dict[str, Any], role: str
) -> None:
    _, body = await gql(
        client,
        "query($id: ID!) { person(id: $id) { id checkIns { id } } }",
        {"id": people["home"]["id"]},
        token=token(role, district="778"),
    )

    assert body["data"] == {"person": {"id": people["home"]["id"], "checkIns": None}}
    assert error_summary(body) == [("FORBIDDEN", ["person", "checkIns"])]


@pytest.mark.parametrize(
    ("start", "end"),
    [(0, -1), (0, 0), (-32 * 24, 0)],
    ids=["to before from", "empty window", "longer than 31 days"],
)
async def test_the_window_must_be_a_forward_span_of_at_most_31_days(
    client: httpx.AsyncClient, token: Callable[..., str], start: int, end: int
) -> None:
    now = datetime.now(LOCAL)
    variables = {
        "cp": "CP-778-HIST",
        "from": (now + timedelta(hours=start)).isoformat(),
        "to": (now + timedelta(hours=end)).isoformat(),
    }

    _, body = await gql(client, VISITS, variables, token=token("health_officer", district="778"))

    assert body["data"] == {"checkpointVisits": None}
    assert [e["extensions"] for e in body["errors"]] == [{"code": "BAD_USER_INPUT", "field": "to"}]


async def test_a_slow_check_in_log_does_not_slow_the_scan(
    client: httpx.AsyncClient, token: Callable[..., str], mocks: MocksAdmin, people: dict[str, Any]
) -> None:
    pid = people["other"]["id"]
    payload = await payload_of(client, token, pid)
    before = len(await history(client, token, pid, 0))
    await mocks.set_faults("checkins", latencyMs=1500)
    try:
        started = time.monotonic()
        _, body = await gql(
            client, SCAN, {"qr": payload}, token=token("checkpoint", district="778")
        )
        elapsed = time.monotonic() - started
    finally:
        await reset(mocks, "checkins")

    assert "errors" not in body
    assert elapsed < 1.0
    assert len(await history(client, token, pid, before + 1)) == before + 1


async def test_a_failing_check_in_log_is_logged_never_lost_silently(
    client: httpx.AsyncClient,
    token: Callable[..., str],
    mocks: MocksAdmin,
    people: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    payload = await payload_of(client, token, people["home"]["id"])
    await mocks.set_faults("checkins", mode="down")
    try:
        with caplog.at_level(logging.ERROR, logger="gateway.checkins"):
            _, body = await gql(
                client,
                SCAN,
                {"qr": payload},
                token=token("checkpoint", district="778", sub="CP-DOWN"),
            )
            for _ in range(100):
                if caplog.records:
                    break
                await asyncio.sleep(0.02)
    finally:
        await reset(mocks, "checkins")

    assert "errors" not in body
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["check-in not recorded"]
    assert "CP-DOWN" in caplog.records[0].getMessage()
    assert people["home"]["id"] in caplog.records[0].getMessage()
