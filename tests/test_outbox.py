"""The outbox store on SQLite and on the real PostgreSQL server, the retry schedule, and the
delivery worker (exactly once upstream, never given up)."""

from __future__ import annotations

import asyncio
import random
import sys
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from gateway.outbox import (
    Alert,
    Destination,
    IdempotencyClaim,
    Kind,
    Outbox,
    OutboxStore,
    Submission,
    commits,
)
from gateway.outbox.delivery import retry_delay
from gateway.outbox.postgres import PostgresStore
from gateway.outbox.sqlite import SQLiteStore
from gateway.outbox.worker import running
from gateway.settings import Outbox as OutboxSettings

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
T0 = datetime(2021, 10, 15, 2, 30, tzinfo=UTC)
LEASE = timedelta(seconds=30)


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    """A schema of this test alone, dropped afterwards (runs never see each other's rows)."""
    schema = f"outbox_test_{uuid.uuid4().hex[:12]}"
    yield schema
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[OutboxStore]:
    opened: OutboxStore
    if request.param == "sqlite":
        opened = SQLiteStore(tmp_path / "gateway.sqlite3")
    else:
        opened = PostgresStore(POSTGRES_URL, schema=request.getfixturevalue("postgres_schema"))
    await opened.open()
    yield opened
    await opened.close()


def submission(person: str = "P0000001", at: datetime = T0, **payload: Any) -> Submission:
    return Submission(
        id=f"HD-{uuid.uuid4().hex}",
        kind=Kind.DECLARATION,
        person_id=person,
        payload={"personId": person, **payload},
        submitted_at=at,
    )


def claim(key: str, request_hash: str = "h1", caller: str = "citizen:P0000001") -> IdempotencyClaim:
    return IdempotencyClaim(caller=caller, key=key, request_hash=request_hash)


def alert_for(sub: Submission, district: str = "778", at: datetime = T0) -> Alert:
    return Alert(f"F0A-{uuid.uuid4().hex}", sub.id, sub.person_id, district, at, ("LOW_SPO2",))


async def test_accept_stores_a_submission_once_per_callers_key(store: OutboxStore) -> None:
    first, second = submission(symptoms=["COUGH"]), submission()

    accepted = await store.accept(first, claim("k1"), None, T0 + LEASE)
    again = await store.accept(second, claim("k1", "h2"), None, T0 + LEASE)
    other_caller = await store.accept(second, claim("k1", caller="citizen:P2"), None, T0 + LEASE)

    assert (accepted.created, again.created, other_caller.created) == (True, False, True)
    assert again.submission == first and again.request_hash == "h1"
    assert await store.find("citizen:P0000001", "k1") == again
    assert await store.find("citizen:P0000001", "nope") is None
    assert await store.pending_count() == 2


async def test_a_leased_row_is_not_due_until_its_lease_ends(store: OutboxStore) -> None:
    sub = submission()
    await store.accept(sub, claim("k"), None, T0 + LEASE)

    early = await store.claim_due(T0 + LEASE - timedelta(seconds=1), T0 + 2 * LEASE, 10)
    late = await store.claim_due(T0 + LEASE, T0 + 2 * LEASE, 10)
    again = await store.claim_due(T0 + LEASE, T0 + 2 * LEASE, 10)

    assert (early, [s.id for s in late], again) == ([], [sub.id], [])


async def test_failures_are_counted_and_delivery_is_final(store: OutboxStore) -> None:
    sub = submission()
    await store.accept(sub, claim("k"), None, T0)

    await store.mark_failed(sub.id, "HTTP 503", T0 + timedelta(seconds=5))
    failed = await store.submission(sub.id)
    await store.mark_delivered(sub.id, T0 + timedelta(seconds=6))
    await store.mark_failed(sub.id, "late failure", T0 + timedelta(seconds=9))
    delivered = await store.submission(sub.id)

    assert failed is not None and (failed.attempts, failed.last_error, failed.delivered) == (
        1,
        "HTTP 503",
        False,
    )
    assert delivered is not None
    assert (delivered.attempts, delivered.last_error) == (2, None)
    assert delivered.delivered_at == T0 + timedelta(seconds=6)
    assert await store.pending_count() == 0
    assert await store.claim_due(T0 + timedelta(hours=1), T0 + timedelta(hours=2), 10) == []


async def test_submissions_of_people_come_back_oldest_first(store: OutboxStore) -> None:
    later, earlier = submission(at=T0 + timedelta(hours=1)), submission(at=T0)
    await store.accept(later, claim("a"), None, T0)
    await store.accept(earlier, claim("b"), None, T0)
    await store.accept(submission("P0000002"), claim("c"), None, T0)

    found = await store.submissions_of(Kind.DECLARATION, ["P0000001", "P0000009"])

    assert {pid: [s.id for s in subs] for pid, subs in found.items()} == {
        "P0000001": [earlier.id, later.id],
        "P0000009": [],
    }
    assert (await store.submissions_of(Kind.F0_REPORT, ["P0000001"])) == {"P0000001": []}
    newest = await store.latest_of(Kind.DECLARATION, ["P0000001", "P0000002", "P0000009"])
    assert {pid: sub.person_id for pid, sub in newest.items()} == {
        "P0000001": "P0000001",
        "P0000002": "P0000002",
    }
    assert newest["P0000001"].id == later.id


async def test_a_latest_submission_read_again_sees_every_commit_since(
    store: OutboxStore, tmp_path: Path
) -> None:
    """SQLite remembers a scan's latest-submission reads until the next commit: one made by
    this store, or by another process's store on the same file (another worker)."""
    other: OutboxStore = (
        SQLiteStore(tmp_path / "gateway.sqlite3") if isinstance(store, SQLiteStore) else store
    )
    if other is not store:
        await other.open()
    try:
        assert await store.latest_of(Kind.DECLARATION, ["P0000001"]) == {}
        first = submission(at=T0)
        await other.accept(first, claim("a"), None, T0)
        assert (await store.latest_of(Kind.DECLARATION, ["P0000001"]))["P0000001"].id == first.id
        newer = submission(at=T0 + timedelta(minutes=5))
        await store.accept(newer, claim("b"), None, T0)
        assert (await store.latest_of(Kind.DECLARATION, ["P0000001"]))["P0000001"].id == newer.id
    finally:
        if other is not store:
            await other.close()


async def test_a_commit_by_another_process_is_seen_at_once(tmp_path: Path) -> None:
    """The remembered reads end with a commit made by another process (another worker): the
    wal-index header both share changes (gateway/outbox/commits.py)."""
    store = SQLiteStore(tmp_path / "gateway.sqlite3")
    await store.open()
    try:
        assert store._commits is not None and store._commits.mapped
        assert await store.latest_of(Kind.DECLARATION, ["P0000001"]) == {}
        script = (
            "import asyncio\n"
            "from pathlib import Path\n"
            "from gateway.outbox.sqlite import SQLiteStore\n"
            "from tests.test_outbox import T0, claim, submission\n"
            "async def main():\n"
            f"    other = SQLiteStore(Path({str(store.path)!r}))\n"
            "    await other.open()\n"
            "    accepted = await other.accept(submission(at=T0), claim('p'), None, T0)\n"
            "    await other.close()\n"
            "    print(accepted.submission.id)\n"
            "asyncio.run(main())\n"
        )
        done = await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, cwd=ROOT, stdout=asyncio.subprocess.PIPE
        )
        written, _ = await done.communicate()
        assert done.returncode == 0

        latest = await store.latest_of(Kind.DECLARATION, ["P0000001"])

        assert latest["P0000001"].id == written.decode().strip()
    finally:
        await store.close()


async def test_without_the_mapped_header_commits_are_still_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the -shm file cannot be mapped, `PRAGMA data_version` tells of each commit."""
    monkeypatch.setattr(commits, "_mapped_header", lambda _: None)
    store, other = SQLiteStore(tmp_path / "g.sqlite3"), SQLiteStore(tmp_path / "g.sqlite3")
    await store.open()
    await other.open()
    try:
        assert store._commits is not None and not store._commits.mapped
        assert await store.latest_of(Kind.DECLARATION, ["P0000001"]) == {}
        first = submission(at=T0)
        await other.accept(first, claim("a"), None, T0)
        assert (await store.latest_of(Kind.DECLARATION, ["P0000001"]))["P0000001"].id == first.id
    finally:
        await other.close()
        await store.close()


async def test_alerts_are_written_with_their_report_and_listed_open_first(
    store: OutboxStore,
) -> None:
    subs = [submission(at=T0 + timedelta(minutes=i)) for i in range(3)]
    alerts = [alert_for(s, at=s.submitted_at) for s in subs]
    for i, (sub, alert) in enumerate(zip(subs, alerts, strict=True)):
        await store.accept(sub, claim(f"k{i}"), alert, T0)
    elsewhere = submission()
    await store.accept(elsewhere, claim("x"), alert_for(elsewhere, "760"), T0)

    acknowledged = await store.acknowledge(alerts[0].id, "HO-778-001", T0 + timedelta(hours=1))
    twice = await store.acknowledge(alerts[0].id, "HO-778-002", T0 + timedelta(hours=2))
    retried = await store.accept(submission(), claim("k1"), alert_for(subs[1]), T0)

    assert acknowledged == twice
    assert acknowledged is not None and acknowledged.acknowledged_by == "HO-778-001"
    assert retried.alert == alerts[1]
    assert [a.id for a in await store.alerts("778", None, 10)] == [
        alerts[1].id,
        alerts[2].id,
        alerts[0].id,
    ]
    assert [a.id for a in await store.alerts("778", False, 1)] == [alerts[1].id]
    assert [a.id for a in await store.alerts("778", True, 10)] == [alerts[0].id]
    assert await store.acknowledge("F0A-missing", "HO", T0) is None


async def test_purge_forgets_old_delivered_rows_and_their_keys_but_not_alerts(
    store: OutboxStore,
) -> None:
    old, alerted, pending = submission(), submission(), submission()
    await store.accept(old, claim("old"), None, T0)
    await store.accept(alerted, claim("alerted"), alert_for(alerted), T0)
    await store.accept(pending, claim("pending"), None, T0)
    await store.mark_delivered(old.id, T0)
    await store.mark_delivered(alerted.id, T0)

    purged = await store.purge(T0 + timedelta(days=1))

    assert purged == 1
    assert await store.submission(old.id) is None
    assert await store.find("citizen:P0000001", "old") is None
    assert await store.submission(alerted.id) is not None
    assert await store.submission(pending.id) is not None


@pytest.mark.postgres
async def test_two_postgres_instances_never_claim_the_same_row(postgres_schema: str) -> None:
    stores = [PostgresStore(POSTGRES_URL, schema=postgres_schema) for _ in range(2)]
    for each in stores:
        await each.open()
    try:
        subs = [submission() for _ in range(200)]
        for i, sub in enumerate(subs):
            await stores[i % 2].accept(sub, claim(f"k{i}"), None, T0)

        claimed = await asyncio.gather(
            *(stores[i % 2].claim_due(T0, T0 + LEASE, 7) for i in range(40))
        )

        ids = [s.id for batch in claimed for s in batch]
        assert len(ids) == len(set(ids)) == 200
    finally:
        for each in stores:
            await each.close()


@pytest.mark.postgres
async def test_racing_retries_on_postgres_store_one_submission(postgres_schema: str) -> None:
    stores = [PostgresStore(POSTGRES_URL, schema=postgres_schema) for _ in range(2)]
    for each in stores:
        await each.open()
    try:
        outcomes = await asyncio.gather(
            *(stores[i % 2].accept(submission(), claim("same"), None, T0) for i in range(10))
        )

        assert sum(o.created for o in outcomes) == 1
        assert len({o.submission.id for o in outcomes}) == 1
        assert await stores[0].pending_count() == 1
    finally:
        for each in stores:
            await each.close()


def test_retry_delays_grow_exponentially_with_jitter_up_to_the_cap() -> None:
    settings = OutboxSettings(retry_min=1.0, retry_max=60.0)
    rng = random.Random(7)

    delays = {
        attempt: [retry_delay(attempt, settings, rng) for _ in range(200)]
        for attempt in (1, 3, 10, 99)
    }

    assert all(0.5 <= d <= 1.0 for d in delays[1])
    assert all(2.0 <= d <= 4.0 for d in delays[3])
    assert all(30.0 <= d <= 60.0 for d in delays[10] + delays[99])
    assert len({round(d, 6) for d in delays[3]}) > 100, "jittered"


class FlakyUpstream:
    """An upstream that stores each key once, and fails while `down` (before or after storing)."""

    def __init__(self) -> None:
        self.stored: dict[str, int] = {}
        self.down = True
        self.lose_answers = False

    async def deliver(self, key: str, payload: Mapping[str, Any], timeout: float | None) -> None:
        if self.down and not self.lose_answers:
            raise httpx.ConnectError("refused")
        self.stored[key] = self.stored.get(key, 0) + 1
        if self.down:
            raise httpx.ReadTimeout("answer lost")

    async def forget(self, person_id: str) -> None:
        return None


@pytest.mark.parametrize("lose_answers", [False, True], ids=["fails before", "answer lost"])
async def test_the_worker_delivers_queued_submissions_after_recovery(
    store: OutboxStore, lose_answers: bool
) -> None:
    upstream = FlakyUpstream()
    upstream.lose_answers = lose_answers
    settings = OutboxSettings(poll_interval=0.02, retry_min=0.02, retry_max=0.1, lease=5.0)
    outbox = Outbox(
        store, {Kind.DECLARATION: Destination(upstream.deliver, upstream.forget)}, settings
    )

    async with running(outbox):
        accepted = [await outbox.submit(submission(), claim(f"k{i}")) for i in range(20)]
        for _ in range(500):  # retries fail while it is down (waited for, not timed)
            attempts_while_down = [s.attempts for s in await _rows(store, accepted)]
            if min(attempts_while_down) >= 2:
                break
            await asyncio.sleep(0.02)
        upstream.down = False
        for _ in range(200):
            if not await store.pending_count():
                break
            await asyncio.sleep(0.02)

    assert {a.submission.delivered for a in accepted} == {False}
    assert min(attempts_while_down) >= 2
    assert await store.pending_count() == 0
    assert set(upstream.stored) == {a.submission.id for a in accepted}
    if lose_answers:
        assert all(count >= 2 for count in upstream.stored.values())  # the key made it safe
    else:
        assert set(upstream.stored.values()) == {1}


async def _rows(store: OutboxStore, accepted: list[Any]) -> list[Submission]:
    rows = [await store.submission(a.submission.id) for a in accepted]
    return [row for row in rows if row is not None]


async def test_an_accepted_submission_is_delivered_at_once_when_the_upstream_answers(
    store: OutboxStore,
) -> None:
    upstream = FlakyUpstream()
    upstream.down = False
    outbox = Outbox(
        store, {Kind.DECLARATION: Destination(upstream.deliver, upstream.forget)}, OutboxSettings()
    )

    accepted = await outbox.submit(submission(), claim("k"))
    retried = await outbox.submit(submission(), claim("k"))

    assert accepted.submission.delivered and not retried.created
    assert retried.submission.id == accepted.submission.id and retried.submission.delivered
    assert upstream.stored == {accepted.submission.id: 1}
