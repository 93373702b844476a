"""The record cache: bounded in memory; shared through Redis between gateway instances."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest

from gateway.cache import BoundedMemoryCache, redis_cache
from tests.conftest import gateway_settings, open_gateway
from tests.support import MocksAdmin, gql

REDIS_URL = "redis://127.0.0.1:6379/0"
STATUS = '{ personStatus(personId: "P0000001") { color reasons } }'


async def test_the_memory_cache_evicts_the_oldest_entry_beyond_its_bound() -> None:
    cache = BoundedMemoryCache(max_entries=2, timeout=0)
    for key in ("a", "b", "c"):
        await cache.set(key, key.upper())

    assert await cache.multi_get(["a", "b", "c"]) == [None, "B", "C"]


@pytest.mark.redis
async def test_redis_cache_round_trips_records_with_their_types() -> None:
    from gateway.sources.identity import PersonRecord

    cache = redis_cache(REDIS_URL)
    record = PersonRecord.from_json(
        {
            "id": "P1",
            "fullName": "Nguyễn Văn An",
            "dateOfBirth": "1990-01-02",
            "nationalId": "079090000001",
            "phone": "0900000001",
            "district": "778",
        }
    )
    key = f"test:{uuid.uuid4()}"
    try:
        await cache.multi_set([(key, (record, 1.5))], ttl=30)
        assert await cache.multi_get([key]) == [(record, 1.5)]
    finally:
        await cache.delete(key)
        await cache.close()


@pytest.mark.redis
async def test_an_entry_cached_through_one_instance_is_a_hit_through_another(
    fresh_client: httpx.AsyncClient,
    mocks_transport: httpx.ASGITransport,
    mocks: MocksAdmin,
    token: Callable[..., str],
) -> None:
    cleared = redis_cache(REDIS_URL)
    await cleared.clear(namespace="healthpass:records")
    await cleared.close()
    configured = replace(gateway_settings(), redis_url=REDIS_URL)
    officer = token("health_officer", district="778")

    async with open_gateway(mocks_transport, configured) as first:
        _, warm = await gql(first, STATUS, token=officer)
    calls_after_first = {s: len(await mocks.requests(s)) for s in MocksAdmin.SERVICES}
    async with open_gateway(mocks_transport, configured) as second:
        _, hit = await gql(second, STATUS, token=officer)
    calls_after_second = {s: len(await mocks.requests(s)) for s in MocksAdmin.SERVICES}

    assert hit == warm and warm["data"]["personStatus"]["color"] == "GREEN"
    assert calls_after_first == dict.fromkeys(MocksAdmin.SERVICES, 1)
    assert calls_after_second == calls_after_first, "the second instance asked no upstream"
