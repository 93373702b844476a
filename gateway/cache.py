"""Caching of upstream records through aiocache: in memory by default, Redis for a fleet.

Keys name the source and the person, never the caller: authorization applies after the cache.
The memory backend is bounded (aiocache's is not). Both run without aiocache's per-call
5-second `asyncio.wait_for`, which costs more than a memory lookup itself. In Redis, entries are
pickled: the Redis of a gateway fleet must be private to it (never shared with other tenants).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any
from urllib.parse import urlparse

from aiocache import RedisCache, SimpleMemoryCache
from aiocache.base import BaseCache
from aiocache.serializers import NullSerializer, PickleSerializer

from gateway.settings import Settings

NAMESPACE = "healthpass:records:"  # aiocache puts keys right after it


class BoundedMemoryCache(SimpleMemoryCache):  # type: ignore[misc]
    """aiocache's memory cache with a maximum number of entries (oldest written evicted first)."""

    def __init__(self, max_entries: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_entries = max_entries

    async def _set(
        self, key: str, value: Any, ttl: Any = None, _cas_token: Any = None, _conn: Any = None
    ) -> Any:
        while len(self._cache) >= self.max_entries and key not in self._cache:
            await self._delete(next(iter(self._cache)))
        return await super()._set(key, value, ttl=ttl, _cas_token=_cas_token, _conn=_conn)

    def peek_many(self, keys: Sequence[str]) -> list[Any]:
        """`multi_get` without waiting: memory answers at once, so no coroutine and none of
        aiocache's per-call wrappers (its enable check reads the environment on every call);
        a warm scan's cache reads cost more through them than the reads (README, Performance)."""
        loads = self.serializer.loads
        return [loads(self._cache.get(self.build_key(key))) for key in keys]

    def peek(self, key: str) -> Any:
        """`peek_many` of one key."""
        return self.serializer.loads(self._cache.get(self.build_key(key)))

    def reader(self, key: str) -> Callable[[], Any]:
        """A function that reads `key` as `peek` does, its key worked out once (a remembered
        answer checks its entries on every request: `answer_memo.py`)."""
        get, built, loads = self._cache.get, self.build_key(key), self.serializer.loads
        if isinstance(self.serializer, NullSerializer):  # the default: values kept as they are
            return partial(get, built)
        return lambda: loads(get(built))

    async def put_many(self, pairs: Sequence[tuple[str, Any]], ttl: float) -> None:
        """`multi_set` without aiocache's per-call wrappers (see `peek_many`): a cold status's
        five loads spent a fifth of their upstream round trips' CPU in them."""
        dumps = self.serializer.dumps
        await self._multi_set([(self.build_key(key), dumps(value)) for key, value in pairs], ttl)


def redis_cache(url: str, namespace: str = NAMESPACE) -> BaseCache:
    """aiocache's Redis backend for `redis://[:password@]host[:port][/db]`."""
    parsed = urlparse(url)
    return RedisCache(
        endpoint=parsed.hostname or "127.0.0.1",
        port=parsed.port or 6379,
        db=int(parsed.path.lstrip("/") or 0),
        password=parsed.password,
        ssl=parsed.scheme == "rediss",
        serializer=PickleSerializer(),
        namespace=namespace,
        timeout=0,
    )


def create_cache(settings: Settings) -> BaseCache:
    """The record cache the settings ask for: Redis when `REDIS_URL` is set, else memory."""
    if settings.redis_url:
        return redis_cache(settings.redis_url, f"{settings.redis_key_prefix}:records:")
    return BoundedMemoryCache(max_entries=settings.cache_max_entries, timeout=0)
