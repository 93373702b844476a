"""Alerts on approved workers: the watch follows the mocks' change feeds, employers hear of it.

These tests run their own mocks app (its records change: a worker tests positive) and a gateway
whose watch polls every 50 ms, served by a real uvicorn so that a graphql-transport-ws client
(the `websockets` package) subscribes as a browser or an employer portal would.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.types import ASGIApp
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from gateway import timezone
from gateway.app import create_app
from gateway.status import Color
from gateway.watch.alerts import AlertKind
from gateway.watch.follower import Snapshot, alert_kinds
from gateway.watch.store import WatchedWorker
from mocks.app import create_app as create_mocks
from mocks.settings import MockSettings
from tests.conftest import gateway_settings
from tests.support import MocksAdmin, error_summary, gql

WORKERS = ["P0000001", "P0000025"]  # GREEN personas of district 778, on E0001's demo list
PROTOCOL = "graphql-transport-ws"
ALERT_FIELDS = "id kind listId listName personId maskedName color reasons previousColor"
SUBSCRIBE = f"subscription {{ workerAlerts {{ {ALERT_FIELDS} }} }}"


@asynccontextmanager
async def serving(app: ASGIApp) -> AsyncIterator[str]:
    """`app` served by uvicorn on a free local port, in this event loop; yields its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="on", log_level="warning", ws="websockets-sansio"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
def own_mocks(mock_settings: MockSettings) -> ASGIApp:
    """Mocks of this test alone (same data set and IdP key as the session's)."""
    return create_mocks(mock_settings)


@pytest.fixture
async def private_mocks(own_mocks: ASGIApp) -> AsyncIterator[MocksAdmin]:
    transport = httpx.ASGITransport(app=own_mocks)
    async with httpx.AsyncClient(transport=transport, base_url="http://mocks") as client:
        yield MocksAdmin(client)


@pytest.fixture
async def gateway(own_mocks: ASGIApp, tmp_path: Path) -> AsyncIterator[str]:
    """A gateway with its watch on, over the private mocks, served on a local port."""
    async with serving(watching_gateway(own_mocks, tmp_path)) as address:
        yield address


def watching_gateway(
    mocks_app: ASGIApp,
    data_dir: Path,
    clock: Callable[[], datetime] = timezone.now,
    **settings: Any,
) -> ASGIApp:
    base = gateway_settings()
    watch = replace(base.workforce, poll_interval=0.05)
    changed = replace(base, data_dir=data_dir, workforce=watch, **settings)
    return create_app(changed, transport=httpx.ASGITransport(app=mocks_app), clock=clock)


class MovableClock:
    """The real time plus an offset a test moves forward: lapses happen when the test says."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return timezone.now() + self.offset


async def approved_list(address: str, token: Callable[..., str], workers: list[str]) -> str:
    """A list of E0001 holding `workers`, drawn up and approved through the gateway."""
    employer, admin = (
        token("employer", employer_id="E0001"),
        token("district_admin", district="778"),
    )
    async with httpx.AsyncClient(base_url=f"http://{address}") as client:
        _, created = await gql(
            client, 'mutation { createWorkerList(name: "Ca sáng") { id } }', token=employer
        )
        list_id = created["data"]["createWorkerList"]["id"]
        add = "mutation($i: AddWorkersInput!) { addWorkers(input: $i) { id } }"
        await gql(client, add, {"i": {"listId": list_id, "personIds": workers}}, token=employer)
        await gql(
            client, f'mutation {{ submitWorkerList(id: "{list_id}") {{ id }} }}', token=employer
        )
        _, approved = await gql(
            client, f'mutation {{ approveWorkerList(id: "{list_id}") {{ state }} }}', token=admin
        )
    assert approved["data"]["approveWorkerList"] == {"state": "APPROVED"}, approved
    return str(list_id)


async def subscribed(ws: ClientConnection, token: str, query: str = SUBSCRIBE) -> None:
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    )
    assert json.loads(await ws.recv()) == {"type": "connection_ack"}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))


async def next_alert(ws: ClientConnection, timeout: float = 20.0) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    assert (message["type"], message["id"]) == ("next", "1"), message
    alert: dict[str, Any] = message["payload"]["data"]["workerAlerts"]
    return alert


async def test_a_subscriber_hears_when_an_approved_worker_tests_positive(
    gateway: str, private_mocks: MocksAdmin, token: Callable[..., str]
) -> None:
    list_id = await approved_list(gateway, token, WORKERS)
    employer = token("employer", employer_id="E0001")
    async with connect(f"ws://{gateway}/graphql", subprotocols=[PROTOCOL]) as ws:
        await subscribed(ws, employer)
        await asyncio.sleep(0.2)  # the watch takes the new list in

        added = await private_mocks.client.post(
            "/lab/_admin/observations",
            json={"personId": WORKERS[0], "kind": "PCR", "positive": True},
        )
        added.raise_for_status()
        alert = await next_alert(ws)

    assert {k: v for k, v in alert.items() if k not in ("id", "maskedName")} == {
        "kind": "STATUS_RED",
        "listId": list_id,
        "listName": "Ca sáng",
        "personId": WORKERS[0],
        "color": "RED",
        "reasons": ["RECENT_POSITIVE_TEST"],
        "previousColor": "GREEN",
    }
    assert alert["maskedName"].endswith("***") is False and "***" in alert["maskedName"]
    async with httpx.AsyncClient(base_url=f"http://{gateway}") as client:
        _, listed = await gql(client, f"{{ workerAlerts {{ {ALERT_FIELDS} }} }}", token=employer)
        _, status = await gql(
            client,
            f'{{ personStatus(personId: "{WORKERS[0]}") {{ color reasons }} }}',
            token=employer,
        )
    assert listed["data"]["workerAlerts"] == [alert]
    # The change reached reads at once: the watch dropped the cached lab results.
    assert status["data"]["personStatus"] == {"color": "RED", "reasons": ["RECENT_POSITIVE_TEST"]}


async def test_a_worker_whose_status_cannot_be_read_after_a_change_is_unknown(
    own_mocks: ASGIApp, private_mocks: MocksAdmin, token: Callable[..., str], tmp_path: Path
) -> None:
    # Lab results kept for a millisecond (stale ones too): an outage shows at once.
    base = gateway_settings()
    lab = replace(base.sources["lab_results"], cache_ttl=0.001)
    sources = {**base.sources, "lab_results": lab}
    resilience = replace(base.resilience, stale_for=0.001)
    uncached = watching_gateway(own_mocks, tmp_path, sources=sources, resilience=resilience)
    async with serving(uncached) as address:
        list_id = await approved_list(address, token, WORKERS)
        async with connect(f"ws://{address}/graphql", subprotocols=[PROTOCOL]) as ws:
            await subscribed(ws, token("employer", employer_id="E0001"))
            await private_mocks.set_faults("lab", mode="down")

            dose = await private_mocks.client.post(
                "/vaccination/_admin/immunizations",
                json={"personId": WORKERS[1], "product": "Pfizer-BioNTech"},
            )
            dose.raise_for_status()
            alerts = [await next_alert(ws)]
            while alerts[-1]["personId"] != WORKERS[1]:  # WORKERS[0] may turn UNKNOWN first
                alerts.append(await next_alert(ws))

    assert {(a["kind"], a["listId"], a["color"], a["previousColor"]) for a in alerts} == {
        ("STATUS_UNKNOWN", list_id, "UNKNOWN", "GREEN")
    }
    assert alerts[-1]["reasons"] == ["DATA_UNAVAILABLE"]


async def test_a_lapsing_declaration_alerts_the_employer(
    own_mocks: ASGIApp, private_mocks: MocksAdmin, token: Callable[..., str], tmp_path: Path
) -> None:
    # A declaration submitted 23 h ago: valid when the list is approved (the watch's first
    # look), lapsed once the gateway's clock is moved two hours on.
    clock = MovableClock()
    submitted = datetime.now(UTC) - timedelta(hours=23)
    declared = await private_mocks.client.post(
        "/declarations/declarations",
        json={
            "submissionId": "HD-TEST-1",
            "personId": WORKERS[0],
            "submittedAt": submitted.isoformat(),
            "placesVisited": [],
            "symptoms": [],
            "exposures": [],
            "address": {"district": "778", "ward": "Phường Tân Phong"},
            "phone": "0901234567",
            "submittedBy": {"role": "citizen", "subject": WORKERS[0]},
            "digest": "0" * 64,
        },
        headers={
            "Idempotency-Key": "HD-TEST-1",
            "Authorization": f"Bearer {await private_mocks.service_token()}",
        },
    )
    declared.raise_for_status()
    async with serving(watching_gateway(own_mocks, tmp_path, clock)) as gateway:
        list_id = await approved_list(gateway, token, WORKERS)
        async with connect(f"ws://{gateway}/graphql", subprotocols=[PROTOCOL]) as ws:
            await subscribed(ws, token("employer", employer_id="E0001"))
            clock.offset = timedelta(hours=2)

            alert = await next_alert(ws)

    assert (alert["kind"], alert["listId"], alert["personId"], alert["color"]) == (
        "DECLARATION_LAPSED",
        list_id,
        WORKERS[0],
        "GREEN",
    )


async def test_a_reconnecting_subscriber_catches_up_and_a_restart_alerts_nothing_twice(
    own_mocks: ASGIApp, private_mocks: MocksAdmin, token: Callable[..., str], tmp_path: Path
) -> None:
    employer = token("employer", employer_id="E0001")
    async with serving(watching_gateway(own_mocks, tmp_path)) as address:
        list_id = await approved_list(address, token, WORKERS)
        await asyncio.sleep(0.3)
        await private_mocks.client.post("/f0/_admin/cases", json={"personId": WORKERS[1]})
        first = await _alerts_once_present(address, employer)
    async with serving(watching_gateway(own_mocks, tmp_path)) as address:  # same data dir
        await asyncio.sleep(0.5)  # a few steps: the stored cursors hold, nothing is re-read
        async with connect(f"ws://{address}/graphql", subprotocols=[PROTOCOL]) as ws:
            await subscribed(
                ws, employer, f'subscription {{ workerAlerts(after: "0") {{ {ALERT_FIELDS} }} }}'
            )
            replayed = await next_alert(ws)
            with pytest.raises(TimeoutError):
                await next_alert(ws, timeout=0.5)
        again = await _alerts_once_present(address, employer)

    assert [(a["kind"], a["listId"], a["personId"]) for a in first] == [
        ("STATUS_RED", list_id, WORKERS[1])
    ]
    assert replayed == first[0]
    assert again == first


async def _alerts_once_present(address: str, employer: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=f"http://{address}") as client:
        for _ in range(200):
            _, body = await gql(client, f"{{ workerAlerts {{ {ALERT_FIELDS} }} }}", token=employer)
            if body["data"]["workerAlerts"]:
                alerts: list[dict[str, Any]] = body["data"]["workerAlerts"]
                return alerts
            await asyncio.sleep(0.05)
    raise AssertionError("no alert was raised")


async def test_a_socket_without_a_valid_token_is_closed_before_any_operation(
    gateway: str, token: Callable[..., str]
) -> None:
    async with connect(f"ws://{gateway}/graphql", subprotocols=[PROTOCOL]) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer x"}})
        )
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()

    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_a_handshake_header_token_authenticates_the_socket(
    gateway: str, token: Callable[..., str]
) -> None:
    officer = token("health_officer", district="778")
    headers = {"Authorization": f"Bearer {officer}"}
    async with connect(
        f"ws://{gateway}/graphql", subprotocols=[PROTOCOL], additional_headers=headers
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv()) == {"type": "connection_ack"}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
        refused = json.loads(await asyncio.wait_for(ws.recv(), 5))

    # Only an employer has alerts: the subscription is refused, the socket stays usable.
    assert refused["type"] in ("next", "error")
    errors = refused["payload"]["errors"] if refused["type"] == "next" else refused["payload"]
    assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"]


async def test_a_bad_handshake_header_refuses_the_socket(gateway: str) -> None:
    with pytest.raises(Exception) as refused:
        async with connect(
            f"ws://{gateway}/graphql",
            subprotocols=[PROTOCOL],
            additional_headers={"Authorization": "Bearer nonsense"},
        ) as ws:
            await ws.recv()

    assert "403" in str(refused.value) or "4401" in str(refused.value)


# The alert decision, case by case (pure).
AT = datetime(2021, 10, 15, 9, 0, tzinfo=UTC)
LATER = AT + timedelta(hours=1)


def _row(color: Color | None, declared_until: datetime | None = None) -> WatchedWorker:
    return WatchedWorker("WL-1", "P1", "E1", "Ca", color, None, declared_until, AT)


def _now(color: Color, declared_until: datetime | None = None, read: bool = True) -> Snapshot:
    return Snapshot(color, (), None, declared_until, read)


@pytest.mark.parametrize(
    ("before", "after", "changed", "expected"),
    [
        (Color.GREEN, Color.RED, True, [AlertKind.STATUS_RED]),
        (Color.YELLOW, Color.RED, False, [AlertKind.STATUS_RED]),
        (Color.UNKNOWN, Color.RED, True, [AlertKind.STATUS_RED]),
        (Color.RED, Color.RED, True, []),
        (Color.GREEN, Color.UNKNOWN, True, [AlertKind.STATUS_UNKNOWN]),
        (Color.RED, Color.UNKNOWN, True, []),
        (Color.UNKNOWN, Color.UNKNOWN, False, []),
        (Color.RED, Color.GREEN, True, []),
        (Color.GREEN, Color.YELLOW, False, []),
        (None, Color.RED, True, [AlertKind.STATUS_RED]),  # approved, then a change: presumed fine
        (None, Color.RED, False, []),  # the baseline
        (None, Color.UNKNOWN, False, []),
    ],
)
def test_status_alerts(
    before: Color | None, after: Color, changed: bool, expected: list[AlertKind]
) -> None:
    assert alert_kinds(_row(before), _now(after), LATER, changed=changed) == expected


@pytest.mark.parametrize(
    ("before", "after", "read", "expected"),
    [
        (AT + timedelta(minutes=30), None, True, [AlertKind.DECLARATION_LAPSED]),
        (
            AT + timedelta(minutes=30),
            AT + timedelta(minutes=30),
            True,
            [AlertKind.DECLARATION_LAPSED],
        ),
        (AT + timedelta(minutes=30), LATER + timedelta(hours=20), True, []),  # declared again
        (AT + timedelta(minutes=30), None, False, []),  # declarations unreadable: nothing known
        (AT - timedelta(minutes=1), None, True, []),  # already lapsed at the last look
        (None, None, True, []),
    ],
)
def test_declaration_alerts(
    before: datetime | None, after: datetime | None, read: bool, expected: list[AlertKind]
) -> None:
    row = _row(Color.GREEN, before)
    assert alert_kinds(row, _now(Color.GREEN, after, read), LATER, changed=False) == expected


async def test_the_alerts_query_is_for_employers_only_and_checks_its_arguments(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    employer = token("employer", employer_id="E0001")

    _, bad_after = await gql(client, '{ workerAlerts(after: "x") { id } }', token=employer)
    _, too_many = await gql(client, "{ workerAlerts(first: 1001) { id } }", token=employer)

    assert error_summary(bad_after) == [("BAD_USER_INPUT", ["workerAlerts"])]
    assert error_summary(too_many) == [("BAD_USER_INPUT", ["workerAlerts"])]
    assert (
        bad_after["errors"][0]["extensions"]["field"],
        too_many["errors"][0]["extensions"]["field"],
    ) == ("after", "first")
