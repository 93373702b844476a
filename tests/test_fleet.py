"""Two gateway instances as a fleet, on this machine's real Redis and PostgreSQL.

Real processes on real sockets: the mocks (`python -m mocks serve`) and two gateways
(`python -m gateway serve`), each with its own DATA_DIR (nothing shared but Redis and
PostgreSQL: as on two hosts). Keys live under a Redis prefix and tables in a PostgreSQL schema of
this run alone, both removed afterwards. One test, one fleet (starting it is the slow part), four
facts:

1. a record cached through one instance is a hit through the other (no upstream call);
2. 1,000 submissions queued while the national service is down are drained by both instances
   and reach the upstream exactly once each (one write per key, as many writes as records);
3. an alert raised by the instance that follows the change feeds reaches a subscriber connected
   to the other one;
4. `/metrics` exposes requests, latencies, upstream latency and errors, cache hits and misses,
   circuit states, the outbox's depth and age, and the alerts raised.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from redis import Redis
from websockets.asyncio.client import connect

from mocks.idp import issue_user_token
from mocks.settings import MockSettings
from tests.submissions import DECLARE, declaration
from tests.support import free_port, metric_families, metric_value, wait_until_healthy
from tests.test_worker_alerts import PROTOCOL, WORKERS, approved_list, next_alert, subscribed

REDIS_URL = "redis://127.0.0.1:6379/0"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
SUBMISSIONS = 1000
CONCURRENCY = 16
# A resident on no approved list (no records at all): the watch never reads them on its own.
STATUS = '{ personStatus(personId: "P0000026") { color reasons } }'

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


@dataclass
class Fleet:
    mocks_url: str
    gateways: list[str]  # "127.0.0.1:port" of each instance
    mock_settings: MockSettings
    schema: str
    prefix: str
    logs: list[Path]

    def token(self, role: str, **claims: Any) -> str:
        return issue_user_token(role, settings=self.mock_settings, **claims)


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    run = uuid.uuid4().hex[:10]
    schema, prefix = f"fleet_{run}", f"healthpass-test-{run}"
    mocks_port = free_port()
    key_file = tmp_path / "idp-key.json"
    mocks_url = f"http://127.0.0.1:{mocks_port}"
    env = {
        **os.environ,
        "MOCKS_PORT": str(mocks_port),
        "MOCKS_URL": mocks_url,
        "MOCK_IDP_KEY_FILE": str(key_file),
        "MOCK_PEOPLE": "2000",
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": prefix,
        "DATABASE_URL": POSTGRES_URL,
        "OUTBOX_SCHEMA": schema,
        "OUTBOX_POLL_INTERVAL": "0.05",
        "OUTBOX_RETRY_MIN": "0.05",
        "OUTBOX_RETRY_MAX": "0.3",
        "CHANGE_FEED_POLL_SECONDS": "0.1",
        "WATCH_LEASE_SECONDS": "3",
        "RATE_LIMIT_PER_SUBJECT": "100000",
        "RATE_LIMIT_PER_ADDRESS": "100000",
        "LOG_LEVEL": "warning",
    }
    processes: list[subprocess.Popen[bytes]] = []
    logs = [tmp_path / "mocks.log", tmp_path / "gateway-a.log", tmp_path / "gateway-b.log"]
    try:
        with logs[0].open("wb") as out:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "mocks", "serve"],
                    cwd=tmp_path,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
        wait_until_healthy(f"{mocks_url}/", processes[0])
        gateways = []
        for name, log in zip("ab", logs[1:], strict=True):
            port = free_port()
            own = {**env, "PORT": str(port), "DATA_DIR": str(tmp_path / f"data-{name}")}
            with log.open("wb") as out:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "gateway", "serve"],
                        cwd=tmp_path,
                        env=own,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
            gateways.append(f"127.0.0.1:{port}")
        for address, process in zip(gateways, processes[1:], strict=True):
            wait_until_healthy(f"http://{address}/healthz", process)
        settings = MockSettings(port=mocks_port, idp_key_file=key_file)
        yield Fleet(mocks_url, gateways, settings, schema, prefix, logs[1:])
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=20)
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        redis = Redis.from_url(REDIS_URL)
        keys = list(redis.scan_iter(match=f"{prefix}:*"))
        if keys:
            redis.delete(*keys)
        redis.close()


async def _gql(
    http: httpx.AsyncClient, address: str, query: str, token: str, **variables: Any
) -> dict[str, Any]:
    response = await http.post(
        f"http://{address}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=20,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _delta(
    before: dict[str, list[Any]], after: dict[str, list[Any]], sample: str
) -> dict[str, float]:
    """How much each source's `sample` grew (sources that did not grow left out)."""
    family = sample.removesuffix("_total").removesuffix("_count")

    def by_source(families: dict[str, list[Any]]) -> dict[str, float]:
        return {
            labels["source"]: value
            for name, labels, value in families.get(family, [])
            if name == sample
        }

    old, new = by_source(before), by_source(after)
    grown = {source: value - old.get(source, 0.0) for source, value in new.items()}
    return {source: change for source, change in grown.items() if change}


async def _metrics(http: httpx.AsyncClient, address: str) -> dict[str, list[Any]]:
    """Metric families by name, each a list of (sample name, labels, value)."""
    return metric_families((await http.get(f"http://{address}/metrics")).text)


async def _delivered(http: httpx.AsyncClient, address: str) -> int:
    """Declarations this instance delivered."""
    families = await _metrics(http, address)
    delivered = {"kind": "declaration", "outcome": "delivered"}
    return int(metric_value(families, "gateway_outbox_attempts_total", **delivered))


@pytest.mark.timeout(240)
async def test_two_instances_share_cache_outbox_and_alerts_and_expose_metrics(
    fleet: Fleet,
) -> None:
    a, b = fleet.gateways
    officer = fleet.token("health_officer", district="760")
    async with httpx.AsyncClient(timeout=20) as http:
        # The instance following the change feeds reads upstreams on its own: the other one
        # (which only answers requests) is the one whose upstream calls are counted.
        leader, other = await _leader_and_other(http, fleet)
        ready = [(await http.get(f"http://{address}/readyz")).json() for address in (a, b)]

        # 1. The cache: a status read through the leader fills Redis; through the other: hits.
        warm = await _gql(http, leader, STATUS, officer)
        before = await _metrics(http, other)
        hit = await _gql(http, other, STATUS, officer)
        after = await _metrics(http, other)

        # 2. The outbox: 1,000 declarations while the service is down, then it comes back.
        await _set_declarations(http, fleet, {"mode": "down"})
        receipts = await _declare(http, fleet, SUBMISSIONS)
        await _set_declarations(http, fleet, {"latencyMs": 5})
        started = time.monotonic()
        records = await _records_once(http, fleet, SUBMISSIONS, seconds=120)
        drained_in = time.monotonic() - started
        delivered = [await _delivered(http, address) for address in (a, b)]
        pending = [await _metrics(http, address) for address in (a, b)]

        # 3. Alerts: raised by the instance leading the watch, heard on the other.
        list_id = await approved_list(other, _Tokens(fleet), WORKERS)
        employer = fleet.token("employer", employer_id="E0001")
        async with connect(f"ws://{other}/graphql", subprotocols=[PROTOCOL]) as ws:
            await subscribed(ws, employer)
            await asyncio.sleep(0.5)  # the leader takes the approved list in
            positive = await http.post(
                f"{fleet.mocks_url}/lab/_admin/observations",
                json={"personId": WORKERS[0], "kind": "PCR", "positive": True},
            )
            positive.raise_for_status()
            alert = await next_alert(ws, timeout=30)

        # 4. Metrics, once all of that happened.
        leader_metrics = await _metrics(http, leader)
        other_metrics = await _metrics(http, other)

    assert [r["status"] for r in ready] == ["ready", "ready"]
    assert {"redis", "outbox", "identity", "idp"} <= set(ready[0]["upstreams"])
    assert warm == hit and warm["data"]["personStatus"]["color"] == "RED"
    assert _delta(before, after, "gateway_upstream_request_seconds_count") == {}, "no upstream"
    assert _delta(before, after, "gateway_cache_misses_total") == {}
    assert _delta(before, after, "gateway_cache_hits_total") == {
        "identity": 1,
        "vaccination": 1,
        "lab_results": 1,
        "f0_care": 1,
    }

    assert {r["delivery"] for r in receipts} == {"QUEUED"}
    assert len({r["id"] for r in receipts}) == SUBMISSIONS
    assert records["count"] == SUBMISSIONS
    assert records["writes"] == SUBMISSIONS, "no submission was sent upstream twice"
    assert {r["writes"] for r in records["records"]} == {1}
    assert {r["idempotencyKey"] for r in records["records"]} == {r["id"] for r in receipts}
    assert sum(delivered) == SUBMISSIONS and min(delivered) > 0, delivered
    assert [metric_value(m, "gateway_outbox_pending") for m in pending] == [0, 0]
    print(f"\n1,000 queued declarations drained in {drained_in:.1f} s; per instance {delivered}")

    assert (alert["kind"], alert["listId"], alert["personId"], alert["color"]) == (
        "STATUS_RED",
        list_id,
        WORKERS[0],
        "RED",
    )
    assert metric_value(leader_metrics, "gateway_watch_leader") == 1
    assert metric_value(other_metrics, "gateway_watch_leader") == 0
    assert metric_value(leader_metrics, "gateway_alerts_raised_total", kind="STATUS_RED") == 1
    _assert_exposes_every_metric(other_metrics)
    _assert_logs_are_json_with_request_ids(fleet.logs)


def _assert_exposes_every_metric(families: dict[str, list[Any]]) -> None:
    declare = metric_value(
        families, "gateway_graphql_requests_total", operation="anonymous", outcome="ok"
    )
    assert declare > 0
    assert (
        metric_value(families, "gateway_graphql_request_seconds_count", operation="anonymous") > 0
    )
    assert metric_value(families, "gateway_http_requests_total", route="/graphql", status="200") > 0
    assert metric_value(families, "gateway_upstream_request_seconds_count", source="identity") >= 0
    assert metric_value(families, "gateway_upstream_errors_total", source="declarations") > 0
    assert metric_value(families, "gateway_cache_hits_total", source="identity") >= 0
    assert metric_value(families, "gateway_cache_misses_total", source="workforce") >= 0
    states = {s[1]["source"]: s[2] for s in families["gateway_circuit_state"]}
    assert states["declarations"] in (0, 1, 2) and states["identity"] == 0
    assert "gateway_outbox_pending" in families
    assert metric_value(families, "gateway_outbox_oldest_pending_seconds") == 0
    assert "gateway_alerts_raised" in families


def _assert_logs_are_json_with_request_ids(logs: list[Path]) -> None:
    lines = [line for log in logs for line in log.read_text().splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]
    assert all({"level", "logger", "message", "request_id"} <= set(p) for p in parsed)
    assert any(p["request_id"] for p in parsed), "a request's lines carry its id"
    assert not [p for p in parsed if "client has been closed" in p["message"]]


class _Tokens:
    """`token(role, **claims)` as the worker-alert helpers call it."""

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet

    def __call__(self, role: str, **claims: Any) -> str:
        return self.fleet.token(role, **claims)


async def _set_declarations(http: httpx.AsyncClient, fleet: Fleet, knobs: dict[str, Any]) -> None:
    (await http.delete(f"{fleet.mocks_url}/declarations/_admin/faults")).raise_for_status()
    url = f"{fleet.mocks_url}/declarations/_admin/faults"
    (await http.put(url, json=knobs)).raise_for_status()


async def _declare(http: httpx.AsyncClient, fleet: Fleet, total: int) -> list[dict[str, Any]]:
    """`total` declarations of one citizen, sent alternately to each instance, 16 at a time."""
    citizen = fleet.token("citizen", person_id="P0000030")  # on none of the lists below
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)
    receipts: list[dict[str, Any]] = []

    async def sender() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            address = fleet.gateways[i % 2]
            body = await _gql(
                http, address, DECLARE, citizen, input=declaration(idempotencyKey=f"fleet-{i}")
            )
            assert "errors" not in body, body
            receipts.append(body["data"]["submitHealthDeclaration"])

    await asyncio.gather(*(sender() for _ in range(CONCURRENCY)))
    return receipts


async def _records_once(
    http: httpx.AsyncClient, fleet: Fleet, expected: int, seconds: float
) -> dict[str, Any]:
    """The declarations service's records once it holds `expected` of them."""
    deadline = time.monotonic() + seconds
    while True:
        records: dict[str, Any] = (
            await http.get(f"{fleet.mocks_url}/declarations/_admin/records")
        ).json()
        if records["count"] >= expected or time.monotonic() > deadline:
            await asyncio.sleep(1.0)  # a second delivery of any of them would show by now
            final: dict[str, Any] = (
                await http.get(f"{fleet.mocks_url}/declarations/_admin/records")
            ).json()
            return final
        await asyncio.sleep(0.2)


async def _leader_and_other(http: httpx.AsyncClient, fleet: Fleet) -> tuple[str, str]:
    """(the instance following the change feeds, the other one)."""
    for _ in range(100):
        leads = [
            metric_value(await _metrics(http, address), "gateway_watch_leader")
            for address in fleet.gateways
        ]
        if sorted(leads) == [0, 1]:
            first, second = fleet.gateways
            return (first, second) if leads[0] == 1 else (second, first)
        await asyncio.sleep(0.1)
    raise AssertionError(f"not exactly one watch leader: {leads}")
