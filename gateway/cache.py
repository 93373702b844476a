"""Caching of upstream records through aiocache.

Keys name the source and the person, never the caller: authorization applies after the cache.
The memory backend is bounded (aiocache's is not) and runs without aiocache's per-call
5-second `asyncio.wait_for`, which costs more than the lookup itself.
"""

from __future__ import annotations

from typing import Any

from aiocache import SimpleMemoryCache
from aiocache.base import BaseCache

from gateway.settings import Settings


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


def create_cache(settings: Settings) -> BaseCache:
    """The record cache the settings ask for (memory by default)."""
    return BoundedMemoryCache(max_entries=settings.cache_max_entries, timeout=0)
