"""The outbox survives SIGKILL: every acknowledged declaration reaches the upstream exactly once.

Real processes on real sockets: the mocks (`python -m mocks serve`) with the declarations
service failing about half of its requests, some before storing (503) and some after (the record
is stored, the answer lost), and the gateway (`python -m gateway serve`) on SQLite. 500
declarations with distinct idempotency keys; the gateway is killed with SIGKILL midway and
restarted on the same data dir; clients retry what was not acknowledged. Then the upstream holds
exactly one record per submission, and every acknowledged receipt is among them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from mocks.idp import issue_user_token
from mocks.settings import MockSettings
from tests.submissions import DECLARE, declaration
from tests.support import free_port, wait_until_healthy

TOTAL = 500
KILL_AFTER = 250  # acknowledged submissions before the SIGKILL
CONCURRENCY = 16
# About half of the upstream's answers fail: 35 % before storing, then 25 % of the rest after.
FAILURE_RATE, LOST_ANSWER_RATE = "0.35", "0.25"


@dataclass
class Rig:
    """The two processes and how to (re)start the gateway."""

    workdir: Path
    env: dict[str, str]
    mocks_url: str
    gateway_url: str
    gateway_port: int
    mock_settings: MockSettings
    gateway: subprocess.Popen[bytes] | None = None
    logs: list[Path] = field(default_factory=list)

    def start_gateway(self) -> None:
        log = self.workdir / f"gateway-{len(self.logs)}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            self.gateway = subprocess.Popen(
                [sys.executable, "-m", "gateway", "serve", "--port", str(self.gateway_port)],
                cwd=self.workdir,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_until_healthy(f"{self.gateway_url}/healthz", self.gateway)

    def kill_gateway(self) -> None:
        assert self.gateway is not None
        os.kill(self.gateway.pid, signal.SIGKILL)
        self.gateway.wait(timeout=10)

    def pending(self) -> int:
        """Undelivered rows, read straight from the gateway's SQLite file."""
        with sqlite3.connect(
            f"file:{self.workdir / 'data' / 'gateway.sqlite3'}?mode=ro", uri=True
        ) as db:
            count: int = db.execute(
                "SELECT count(*) FROM submissions WHERE delivered_at IS NULL"
            ).fetchone()[0]
            return count


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    mocks_port, gateway_port = free_port(), free_port()
    key_file = tmp_path / "idp-key.json"
    mocks_url = f"http://127.0.0.1:{mocks_port}"
    env = {
        **os.environ,
        "MOCKS_PORT": str(mocks_port),
        "MOCKS_URL": mocks_url,
        "MOCK_IDP_KEY_FILE": str(key_file),
        "MOCK_PEOPLE": "2000",
        "MOCK_DECLARATIONS_FAILURE_RATE": FAILURE_RATE,
        "MOCK_DECLARATIONS_LOST_ANSWER_RATE": LOST_ANSWER_RATE,
        "DATA_DIR": str(tmp_path / "data"),
        "OUTBOX_POLL_INTERVAL": "0.1",
        "OUTBOX_RETRY_MIN": "0.05",
        "OUTBOX_RETRY_MAX": "0.5",
        "OUTBOX_LEASE": "3",
        "OUTBOX_DELIVER_TIMEOUT": "2",
        "DECLARATIONS_TIMEOUT": "2",
    }
    with (tmp_path / "mocks.log").open("wb") as out:
        mocks = subprocess.Popen(
            [sys.executable, "-m", "mocks", "serve"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    rig = Rig(
        workdir=tmp_path,
        env=env,
        mocks_url=mocks_url,
        gateway_url=f"http://127.0.0.1:{gateway_port}",
        gateway_port=gateway_port,
        mock_settings=MockSettings(port=mocks_port, idp_key_file=key_file),
    )
    try:
        wait_until_healthy(f"{mocks_url}/", mocks)
        yield rig
    finally:
        for process in (rig.gateway, mocks):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=20)


@dataclass
class Client:
    """500 citizens declaring once each, retrying until acknowledged."""

    rig: Rig
    tokens: list[str]
    receipts: dict[int, dict[str, Any]] = field(default_factory=dict)

    async def declare(self, http: httpx.AsyncClient, i: int) -> dict[str, Any] | None:
        """The receipt, or None when the gateway did not acknowledge (down, killed, error)."""
        try:
            response = await http.post(
                f"{self.rig.gateway_url}/graphql",
                json={
                    "query": DECLARE,
                    "variables": {"input": declaration(idempotencyKey=f"crash-{i:03d}")},
                },
                headers={"Authorization": f"Bearer {self.tokens[i]}"},
                timeout=10,
            )
        except httpx.HTTPError:
            return None
        data = response.json().get("data") if response.status_code == 200 else None
        receipt: dict[str, Any] | None = (data or {}).get("submitHealthDeclaration")
        return receipt

    async def send(self, indexes: list[int], kill_after: int | None = None) -> list[int]:
        """Send each once; SIGKILL the gateway after `kill_after` acknowledgements. Returns
        the indexes left unacknowledged."""
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in indexes:
            queue.put_nowait(i)
        missed: list[int] = []
        killed = asyncio.Event()

        async def worker(http: httpx.AsyncClient) -> None:
            while not queue.empty():
                i = queue.get_nowait()
                receipt = await self.declare(http, i)
                if receipt is None:
                    missed.append(i)
                    continue
                self.receipts[i] = receipt
                if (
                    kill_after is not None
                    and len(self.receipts) >= kill_after
                    and not killed.is_set()
                ):
                    killed.set()
                    self.rig.kill_gateway()

        async with httpx.AsyncClient() as http:
            await asyncio.gather(*(worker(http) for _ in range(CONCURRENCY)))
        return sorted(missed)


async def _records(rig: Rig) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{rig.mocks_url}/declarations/_admin/records")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body


@pytest.mark.timeout(120)
async def test_every_acknowledged_declaration_reaches_the_upstream_exactly_once(rig: Rig) -> None:
    started = time.monotonic()
    tokens = [
        issue_user_token("citizen", person_id=f"P{i + 1:07d}", settings=rig.mock_settings)
        for i in range(TOTAL)
    ]
    client = Client(rig, tokens)
    rig.start_gateway()

    # Given half the upstream's answers fail, when the gateway is killed midway...
    missed = await client.send(list(range(TOTAL)), kill_after=KILL_AFTER)
    acknowledged_before_kill = dict(client.receipts)
    rig.start_gateway()
    # ...and clients retry what was not acknowledged (and a few that were), with the same keys,
    for _ in range(5):
        missed = await client.send(missed)
        if not missed:
            break
    replayed = {i: await _replay(client, i) for i in list(acknowledged_before_kill)[:20]}
    deadline = time.monotonic() + 45
    while rig.pending() or (await _records(rig))["count"] < TOTAL:
        assert time.monotonic() < deadline, f"not drained: {rig.pending()} pending"
        await asyncio.sleep(0.2)

    # ...then every acknowledged receipt is upstream exactly once, and nothing else is.
    records = await _records(rig)
    receipt_ids = {i: r["id"] for i, r in client.receipts.items()}
    upstream_keys = [r["idempotencyKey"] for r in records["records"]]
    assert missed == []
    assert len(receipt_ids) == TOTAL
    assert records["count"] == TOTAL
    assert sorted(upstream_keys) == sorted(receipt_ids.values())
    assert {i: r["id"] for i, r in replayed.items()} == {
        i: acknowledged_before_kill[i]["id"] for i in replayed
    }
    # The hard cases happened: answers lost after storing, rows re-sent under the same key,
    # and acknowledgements answered QUEUED, delivered later by the restarted worker.
    assert records["lostAnswers"] > 0
    assert any(r["writes"] > 1 for r in records["records"])
    assert records["writes"] > TOTAL
    assert any(r["delivery"] == "QUEUED" for r in client.receipts.values())
    assert len(acknowledged_before_kill) >= KILL_AFTER
    print(
        f"\n{TOTAL} declarations, {len(acknowledged_before_kill)} acknowledged before SIGKILL; "
        f"upstream writes {records['writes']}, lost answers {records['lostAnswers']}, "
        f"records {records['count']}; {time.monotonic() - started:.1f} s"
    )


async def _replay(client: Client, i: int) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        for _ in range(20):
            receipt = await client.declare(http, i)
            if receipt is not None:
                return receipt
            await asyncio.sleep(0.1)
    raise AssertionError(f"the retry of declaration {i} was never answered")
