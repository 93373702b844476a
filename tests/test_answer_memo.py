"""Remembered answers (gateway/answer_memo.py): a repeated scan is answered without working the
status out again, and never once something it was made of has changed.

These tests run their own mocks (the data they add stays out of the other tests' way) and count
how often the status is worked out (`PersonStatus.evaluate_in`).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway import timezone
from gateway.answer_memo import Reads
from gateway.cache import redis_cache
from gateway.context import Context
from gateway.schema.status import PersonStatus
from mocks.app import create_app as create_mocks
from mocks.settings import MockSettings
from tests.checkpoint_support import MY_QR, residents
from tests.conftest import MOCKS_URL, gateway_settings, open_gateway
from tests.submissions import DECLARE, declaration
from tests.support import MocksAdmin, gql
from tests.test_cache import REDIS_URL

STATUS = """query Status($id: ID!) { personStatus(personId: $id) {
  color reasons validUntil maskedName birthYear declarationValidUntil } }"""
SCAN = """query Scan($qr: String, $smsCode: String) { personStatus(qr: $qr, smsCode: $smsCode) {
  color reasons validUntil maskedName birthYear declarationValidUntil } }"""
HISTORY = "{ me { checkIns { checkpointId } } }"


@pytest.fixture(scope="module")
async def own_mocks(mock_settings: MockSettings) -> AsyncIterator[httpx.ASGITransport]:
    """Mocks of this module alone (the same IdP key: the session's tokens hold)."""
    yield httpx.ASGITransport(app=create_mocks(mock_settings))


@pytest.fixture(scope="module")
async def admin(own_mocks: httpx.ASGITransport) -> AsyncIterator[MocksAdmin]:
    async with httpx.AsyncClient(transport=own_mocks, base_url=MOCKS_URL) as client:
        yield MocksAdmin(client)


@pytest.fixture
def evaluated(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The person ids whose status was worked out, in order."""
    seen: list[str] = []
    original = PersonStatus.evaluate_in.__func__  # type: ignore[attr-defined]

    async def counted(
        cls: type[PersonStatus], context: Context, person_id: str, wanted: frozenset[str]
    ) -> PersonStatus:
        seen.append(person_id)
        status: PersonStatus = await original(cls, context, person_id, wanted)
        return status

    monkeypatch.setattr(PersonStatus, "evaluate_in", classmethod(counted))
    return seen


def gateway(
    transport: httpx.ASGITransport,
    data_dir: Path,
    clock: Callable[[], datetime] = timezone.now,
    **changes: Any,
) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    """A gateway with its own data directory (its own outbox) and `changes` to its settings."""
    return open_gateway(
        transport, replace(gateway_settings(), data_dir=data_dir, **changes), clock=clock
    )


async def resident(admin: MocksAdmin, start: int) -> str:
    """A resident of district 778 (the first from `P<start>` on), by id."""
    (person,) = await residents(admin, "778", 1, start=start)
    pid: str = person["id"]
    return pid


@pytest.fixture
def officer(token: Callable[..., str]) -> str:
    """A health officer of district 778."""
    return token("health_officer", district="778")


async def status(client: httpx.AsyncClient, bearer: str, person_id: str) -> dict[str, Any]:
    _, body = await gql(client, STATUS, {"id": person_id}, token=bearer)
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]["personStatus"]
    return found


async def test_a_repeated_scan_is_answered_from_memory_and_still_recorded(
    own_mocks: httpx.ASGITransport,
    admin: MocksAdmin,
    token: Callable[..., str],
    tmp_path: Path,
    evaluated: list[str],
) -> None:
    pid = await resident(admin, start=11)
    checkpoint = token("checkpoint", district="778", sub="CP-778-MEMO")
    async with gateway(own_mocks, tmp_path) as client:
        _, mine = await gql(client, MY_QR, token=token("citizen", person_id=pid))
        payload = mine["data"]["me"]["qr"]["payload"]
        answers = [
            (
                await client.post(
                    "/graphql",
                    json={"query": SCAN, "variables": {"qr": payload}},
                    headers={"Authorization": f"Bearer {checkpoint}"},
                )
            ).content
            for _ in range(4)
        ]
        # The same bytes four times, worked out twice: the first, cold, from the upstreams
        # (not kept: what it was made of was not in the cache yet), the second kept.
        assert len(set(answers)) == 1
        assert b'"errors"' not in answers[0]
        assert evaluated == [pid, pid]
        # Every scan is in the check-in log all the same (recorded in the background).
        for _ in range(100):
            _, body = await gql(client, HISTORY, token=token("citizen", person_id=pid))
            visits = [c["checkpointId"] for c in body["data"]["me"]["checkIns"]]
            if len(visits) >= 4:
                break
            await asyncio.sleep(0.05)
        assert visits == ["CP-778-MEMO"] * 4


async def test_who_may_ask_is_checked_on_every_request(
    own_mocks: httpx.ASGITransport,
    token: Callable[..., str],
    officer: str,
    admin: MocksAdmin,
    tmp_path: Path,
    evaluated: list[str],
) -> None:
    pid = await resident(admin, start=21)
    async with gateway(own_mocks, tmp_path) as client:
        for _ in range(2):  # cold, then kept
            await status(client, officer, pid)
        for bearer in (
            token("health_officer", district="760"),  # another district
            token("citizen", person_id="P0000002"),  # someone else
        ):
            _, body = await gql(client, STATUS, {"id": pid}, token=bearer)
            assert body["data"] == {"personStatus": None}
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert await status(client, token("citizen", person_id=pid), pid)


@pytest.mark.parametrize("elsewhere", [False, True])
async def test_a_declaration_made_through_the_gateway_shows_at_once(
    own_mocks: httpx.ASGITransport,
    admin: MocksAdmin,
    officer: str,
    tmp_path: Path,
    evaluated: list[str],
    elsewhere: bool,
) -> None:
    pid = await resident(admin, start=31 if elsewhere else 36)
    # Two gateways on one outbox (the workers of one host): the one that takes a declaration
    # drops its cached declarations; the other's stay fresh, and its outbox's newest tells.
    async with gateway(own_mocks, tmp_path) as client, gateway(own_mocks, tmp_path) as other:
        before = await status(client, officer, pid)  # cold
        assert await status(client, officer, pid) == before  # kept
        assert await status(client, officer, pid) == before  # remembered
        assert evaluated == [pid, pid]
        _, receipt = await gql(
            other if elsewhere else client,
            DECLARE,
            {"input": declaration(personId=pid)},
            token=officer,
        )
        declared = receipt["data"]["submitHealthDeclaration"]

        after = await status(client, officer, pid)

    assert after["declarationValidUntil"] == declared["declarationValidUntil"]
    assert after["declarationValidUntil"] != before["declarationValidUntil"]
    assert evaluated == [pid, pid, pid]


async def test_a_changed_record_is_read_and_worked_out_again(
    own_mocks: httpx.ASGITransport,
    admin: MocksAdmin,
    officer: str,
    tmp_path: Path,
    evaluated: list[str],
) -> None:
    pid = await resident(admin, start=41)
    base = gateway_settings()
    short = {**base.sources, "lab_results": replace(base.sources["lab_results"], cache_ttl=0.5)}
    async with gateway(own_mocks, tmp_path, sources=short) as client:
        before = [await status(client, officer, pid) for _ in range(3)]  # cold, kept, remembered
        added = await admin.client.post(
            "/lab/_admin/observations", json={"personId": pid, "kind": "PCR", "positive": True}
        )
        added.raise_for_status()
        await asyncio.sleep(0.6)  # the cached lab answer, and the answer made of it, expire

        after = await status(client, officer, pid)

    assert before[0] == before[-1] and before[0]["color"] != "RED"
    assert after["color"] == "RED" and "RECENT_POSITIVE_TEST" in after["reasons"]
    assert evaluated[-1] == pid and len(evaluated) >= 3


async def test_a_remembered_answer_holds_only_while_the_status_does(
    own_mocks: httpx.ASGITransport,
    admin: MocksAdmin,
    officer: str,
    tmp_path: Path,
    evaluated: list[str],
) -> None:
    pid = await resident(admin, start=51)
    now = [datetime(2021, 11, 20, 22, 0, tzinfo=timezone.LOCAL)]
    async with gateway(own_mocks, tmp_path, clock=lambda: now[0]) as client:
        await status(client, officer, pid)  # cold
        await status(client, officer, pid)  # kept, from 22:00
        now[0] += timedelta(hours=1, minutes=59)  # 23:59: the same day, nothing changed
        await status(client, officer, pid)
        assert evaluated == [pid, pid]
        now[0] += timedelta(minutes=1)  # midnight: a new local day, worked out again
        await status(client, officer, pid)
        now[0] -= timedelta(microseconds=1)  # a clock set back: before what is kept
        await status(client, officer, pid)

    assert evaluated == [pid] * 4


async def test_answers_with_errors_are_not_remembered(
    own_mocks: httpx.ASGITransport,
    admin: MocksAdmin,
    officer: str,
    tmp_path: Path,
    evaluated: list[str],
) -> None:
    pid = await resident(admin, start=61)
    no_retries = replace(gateway_settings().resilience, retries=0)  # the breaker stays closed
    async with gateway(own_mocks, tmp_path, resilience=no_retries) as client:
        await admin.set_faults("declarations", mode="down")
        try:
            for _ in range(2):
                _, body = await gql(client, STATUS, {"id": pid}, token=officer)
                assert body["errors"][0]["path"] == ["personStatus", "declarationValidUntil"]
        finally:
            (await admin.client.delete("/declarations/_admin/faults")).raise_for_status()
        for _ in range(3):  # cold, kept, remembered
            await status(client, officer, pid)

    assert evaluated == [pid] * 4


@pytest.mark.parametrize(("entries", "worked_out"), [(0, 7), (1, 5), (100, 4)])
async def test_the_memo_is_bounded_and_can_be_turned_off(
    own_mocks: httpx.ASGITransport,
    admin: MocksAdmin,
    officer: str,
    tmp_path: Path,
    evaluated: list[str],
    entries: int,
    worked_out: int,
) -> None:
    first, second = (p["id"] for p in await residents(admin, "778", 2, start=71))
    async with gateway(own_mocks, tmp_path, answer_memo_entries=entries) as client:
        for pid in (first, second, first, first, second, second, first):
            await status(client, officer, pid)

    # After both cold reads: off, every request; one entry, each person's second request in
    # a row; enough, both people's first request only.
    assert len(evaluated) == worked_out


@pytest.mark.redis
async def test_nothing_is_remembered_over_a_redis_cache(
    own_mocks: httpx.ASGITransport,
    admin: MocksAdmin,
    officer: str,
    tmp_path: Path,
    evaluated: list[str],
) -> None:
    # A Redis cache's entries are not objects of this process: nothing to compare by identity.
    pid = await resident(admin, start=81)
    prefix = f"test-memo-{uuid.uuid4()}"
    try:
        async with gateway(
            own_mocks, tmp_path, redis_url=REDIS_URL, redis_key_prefix=prefix
        ) as client:
            for _ in range(3):
                await status(client, officer, pid)
    finally:
        cache = redis_cache(REDIS_URL, f"{prefix}:records:")
        await cache.clear(namespace=f"{prefix}:records")
        await cache.close()

    assert evaluated == [pid] * 3


def test_a_field_that_moves_with_the_clock_is_never_remembered() -> None:
    assert Reads.of(frozenset({"color", "evaluatedAt"})) is None
    assert Reads.of(frozenset({"color", "policy"})) is not None
