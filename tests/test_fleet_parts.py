"""The parts that make instances agree: alert fan-out over Redis, the watch's lease (Redis and
file lock), wrong-SMS-code limits in Redis, and stopping background tasks for sure."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from gateway import tasks
from gateway.attempts import MemoryAttemptLimiter, RedisAttemptLimiter
from gateway.errors import RateLimited
from gateway.settings import CheckpointSettings
from gateway.status import Color
from gateway.watch.alerts import AlertKind, WorkerAlertRecord
from gateway.watch.leadership import FileLease, RedisLease, lead
from gateway.watch.redis_bus import RedisAlertBus
from tests.checkpoint_support import SCAN
from tests.conftest import gateway_settings, open_gateway
from tests.support import error_summary, gql

REDIS_URL = "redis://127.0.0.1:6379/0"
ALERT = WorkerAlertRecord(
    id=7,
    enterprise_id="E0001",
    list_id="WL-1",
    list_name="Ca sáng",
    person_id="P0000001",
    masked_name="N*** V*** An",
    kind=AlertKind.STATUS_RED,
    color=Color.RED,
    reasons=("RECENT_POSITIVE_TEST",),
    previous_color=Color.GREEN,
    declaration_valid_until=datetime(2021, 10, 16, 9, 0, tzinfo=UTC),
    raised_at=datetime(2021, 10, 15, 9, 0, tzinfo=UTC),
)


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    """A Redis client, and a key prefix of this test alone (its keys removed afterwards)."""
    client = Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


@pytest.fixture
def prefix() -> str:
    return f"healthpass-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture(autouse=True)
async def _clean(prefix: str) -> AsyncIterator[None]:
    yield
    client = Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
    except Exception:  # tests without Redis leave nothing to clean
        pass
    finally:
        await client.aclose()


@pytest.mark.redis
async def test_an_alert_published_by_one_instance_reaches_a_subscriber_of_another(
    prefix: str,
) -> None:
    channel = f"{prefix}:worker-alerts"
    raising, listening = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
    bus_a, bus_b = RedisAlertBus(raising, channel), RedisAlertBus(listening, channel)
    await bus_a.start()
    await bus_b.start()
    try:
        async with (
            bus_b.subscribe("E0001") as employer,
            bus_b.subscribe("E0002") as other_employer,
        ):
            await bus_a.publish([ALERT])
            heard = await asyncio.wait_for(anext(employer), 5)
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(anext(other_employer), 0.3)
    finally:
        await bus_a.aclose()
        await bus_b.aclose()
        await raising.aclose()
        await listening.aclose()

    assert heard == ALERT


@pytest.mark.redis
async def test_one_redis_lease_holder_at_a_time_and_it_passes_on_release_or_expiry(
    redis: Redis, prefix: str
) -> None:
    key = f"{prefix}:watch:leader"
    first, second = RedisLease(redis, key, 0.3), RedisLease(redis, key, 0.3)

    taken = [await first.acquire(), await second.acquire(), await first.acquire()]
    await first.release()
    after_release = await second.acquire()
    await asyncio.sleep(0.4)  # `second` does not renew: its lease runs out
    after_expiry = [await first.acquire(), await second.acquire()]

    assert taken == [True, False, True], "the holder renews; the other is refused"
    assert after_release is True
    assert after_expiry == [True, False], "a lapsed holder learns it lost the lease"


async def test_one_file_lease_holder_per_data_dir(tmp_path: Path) -> None:
    path = tmp_path / "watch.lock"
    first, second = FileLease(path, 1.0), FileLease(path, 1.0)

    taken = [await first.acquire(), await second.acquire(), await first.acquire()]
    await first.release()
    after_release = await second.acquire()
    await second.release()

    assert taken == [True, False, True]
    assert after_release is True


@pytest.mark.redis
async def test_followers_never_overlap_and_a_successor_takes_over(
    redis: Redis, prefix: str
) -> None:
    key = f"{prefix}:watch:leader"
    following: list[str] = []
    spans: list[tuple[str, float, float]] = []

    def follower(name: str) -> Callable[[], object]:
        async def follow() -> None:
            started = asyncio.get_running_loop().time()
            following.append(name)
            try:
                await asyncio.sleep(3600)
            finally:
                following.remove(name)
                spans.append((name, started, asyncio.get_running_loop().time()))

        return follow

    one = asyncio.create_task(lead(RedisLease(redis, key, 0.3), follower("one")))
    await asyncio.sleep(0.2)
    two = asyncio.create_task(lead(RedisLease(redis, key, 0.3), follower("two")))
    await asyncio.sleep(0.5)
    first_leader = list(following)
    one.cancel()  # the leader dies without releasing: its lease must run out
    with pytest.raises(asyncio.CancelledError):
        await one
    await asyncio.sleep(0.8)
    second_leader = list(following)
    await tasks.stop(two, 2.0)

    assert first_leader == ["one"] and second_leader == ["two"]
    ((_, _, one_ended), (_, two_started, _)) = sorted(spans, key=lambda s: s[1])
    assert two_started >= one_ended, "two followers never ran at once"


@pytest.mark.redis
async def test_redis_attempt_limits_are_shared_and_hold_against_a_burst(
    redis: Redis, prefix: str
) -> None:
    other = Redis.from_url(REDIS_URL)
    a = RedisAttemptLimiter(redis, attempts=3, window=60, prefix=f"{prefix}:attempts:")
    b = RedisAttemptLimiter(other, attempts=3, window=60, prefix=f"{prefix}:attempts:")
    try:
        await a.begin("cp")
        right = await b.begin("cp")
        await b.forgive("cp", right)  # a right code costs nothing
        await a.begin("cp")
        await b.begin("cp")
        with pytest.raises(RateLimited) as limited:
            await a.begin("cp")
        burst = await asyncio.gather(*(b.begin("burst") for _ in range(20)), return_exceptions=True)
    finally:
        await other.aclose()

    assert limited.value.extensions == {"code": "RATE_LIMITED", "retryAfter": 60}
    assert sum(not isinstance(r, BaseException) for r in burst) == 3
    assert all(isinstance(r, RateLimited) for r in burst if isinstance(r, BaseException))


async def test_a_memory_attempt_limiter_holds_against_a_burst() -> None:
    limiter = MemoryAttemptLimiter(attempts=3, window=60)

    burst = await asyncio.gather(
        *(limiter.begin("burst") for _ in range(20)), return_exceptions=True
    )

    assert sum(not isinstance(r, BaseException) for r in burst) == 3


@pytest.mark.redis
async def test_two_gateways_share_a_callers_wrong_sms_codes(
    mocks_transport: httpx.ASGITransport, token: Callable[..., str], prefix: str
) -> None:
    base = gateway_settings()
    settings = replace(
        base,
        redis_url=REDIS_URL,
        redis_key_prefix=prefix,
        checkpoint=replace(CheckpointSettings(), sms_code_attempts=3),
    )
    checkpoint = token("checkpoint", district="778", sub=f"CP-{prefix}")
    guesses = [{"smsCode": f"{n:05d}-ZZZZZ"} for n in range(4)]
    async with (
        open_gateway(mocks_transport, settings) as first,
        open_gateway(mocks_transport, settings) as second,
    ):
        answers = [
            (await gql(gateway, SCAN, guess, token=checkpoint))[1]
            for gateway, guess in zip((first, second, first, second), guesses, strict=True)
        ]

    assert [error_summary(body) for body in answers] == [
        [("INVALID_QR", ["personStatus"])],
        [("INVALID_QR", ["personStatus"])],
        [("INVALID_QR", ["personStatus"])],
        [("RATE_LIMITED", ["personStatus"])],
    ]


async def test_stop_cancels_again_a_task_that_swallowed_its_cancellation() -> None:
    swallowed = asyncio.Event()

    async def stubborn() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            swallowed.set()  # what Python 3.11's wait_for can do to a cancellation
        await asyncio.sleep(3600)

    async def owner() -> None:
        child = asyncio.create_task(stubborn())
        await asyncio.sleep(0)
        try:
            await asyncio.sleep(3600)
        finally:
            await tasks.stop(child, 2.0)
            assert child.cancelled()

    task = asyncio.create_task(owner())
    await asyncio.sleep(0.01)

    stopped = await tasks.stop(task, 2.0)

    assert stopped and task.cancelled() and swallowed.is_set()
