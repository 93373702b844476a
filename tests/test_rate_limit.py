"""Rate limits per token subject and per client address, in memory and in Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import httpx
import pytest

from gateway.rate_limit import MemoryRateLimiter, RateLimit, RedisRateLimiter
from gateway.settings import Settings
from tests.conftest import gateway_settings, open_gateway
from tests.support import gql

REDIS_URL = "redis://127.0.0.1:6379/0"
QUERY = '{ personStatus(personId: "P0000001") { color } }'


async def test_memory_limiter_counts_a_window_then_refuses_with_the_wait() -> None:
    limiter = MemoryRateLimiter()
    limit = RateLimit(requests=3, window=60.0)

    answers = [await limiter.hit("subject:a", limit) for _ in range(4)]

    assert answers[:3] == [None, None, None]
    assert answers[3] is not None and 59.0 < answers[3] <= 60.0
    assert await limiter.hit("subject:b", limit) is None, "another key has its own window"


async def test_memory_limiter_opens_a_new_window() -> None:
    limiter = MemoryRateLimiter()
    limit = RateLimit(requests=1, window=0.05)
    await limiter.hit("k", limit)

    refused = await limiter.hit("k", limit)
    await asyncio.sleep(0.06)
    admitted = await limiter.hit("k", limit)

    assert refused is not None and admitted is None


@pytest.mark.redis
async def test_redis_limiter_shares_one_count_between_instances() -> None:
    from redis.asyncio import Redis

    key = f"test:{uuid.uuid4()}"
    limit = RateLimit(requests=2, window=30.0)
    first = RedisRateLimiter(Redis.from_url(REDIS_URL))
    second = RedisRateLimiter(Redis.from_url(REDIS_URL))
    try:
        answers = [
            await first.hit(key, limit),
            await second.hit(key, limit),
            await first.hit(key, limit),
        ]
    finally:
        await first.aclose()
        await second.aclose()

    assert answers[:2] == [None, None]
    assert answers[2] is not None and 29.0 < answers[2] <= 30.0


def _settings(**changes: object) -> Settings:
    return replace(gateway_settings(), **changes)  # type: ignore[arg-type]


@pytest.fixture
async def strict_gateway(mocks_transport: httpx.ASGITransport) -> AsyncIterator[httpx.AsyncClient]:
    async with open_gateway(mocks_transport, _settings(rate_limit_per_subject=3)) as client:
        yield client


async def test_a_subject_over_its_limit_gets_429_with_retry_after(
    strict_gateway: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    officer = token("health_officer", district="778", sub="HO-778-rate")
    other = token("health_officer", district="778", sub="HO-778-other")

    answers = [await gql(strict_gateway, QUERY, token=officer) for _ in range(4)]
    response = await strict_gateway.post(
        "/graphql", json={"query": QUERY}, headers={"Authorization": f"Bearer {officer}"}
    )
    status_other, _ = await gql(strict_gateway, QUERY, token=other)

    assert [status for status, _ in answers] == [200, 200, 200, 429]
    assert answers[3][1]["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert response.status_code == 429 and 1 <= int(response.headers["retry-after"]) <= 60
    assert status_other == 200


async def test_an_address_over_its_limit_is_refused_before_its_token_is_checked(
    mocks_transport: httpx.ASGITransport,
) -> None:
    async with open_gateway(mocks_transport, _settings(rate_limit_per_address=2)) as client:
        statuses = [
            (await client.post("/graphql", json={"query": QUERY})).status_code for _ in range(3)
        ]

    assert statuses == [401, 401, 429]


@pytest.mark.redis
async def test_two_gateways_sharing_redis_share_a_subjects_limit(
    mocks_transport: httpx.ASGITransport, token: Callable[..., str]
) -> None:
    configured = _settings(redis_url=REDIS_URL, rate_limit_per_subject=2)
    officer = token("health_officer", district="778", sub=f"HO-778-{uuid.uuid4()}")
    async with (
        open_gateway(mocks_transport, configured) as first,
        open_gateway(mocks_transport, configured) as second,
    ):
        statuses = [
            (await gql(first, QUERY, token=officer))[0],
            (await gql(second, QUERY, token=officer))[0],
            (await gql(first, QUERY, token=officer))[0],
        ]

    assert statuses == [200, 200, 429]
