"""The shared machinery of batch-capable upstream sources.

A source answers `load_many(ids)` with one result (or one exception) per id, in order. It reads the
record cache first, joins loads already in flight for the same ids (single-flight across requests),
and fetches the rest in chunks of `batch_size`, concurrently, through the source's circuit breaker
with jittered retries. Cache entries carry the time they were fetched: fresh for the source's TTL,
then kept `stale_for` longer and served only when the upstream fails (stale-if-error); each stale
answer is noted in the request's `stale` set so the response can say so.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import httpx
import orjson
from aiocache.base import BaseCache

from gateway import metrics
from gateway.errors import NotFound, UpstreamUnavailable
from gateway.settings import Resilience, SourceSettings
from gateway.sources.resilience import CircuitBreaker, CircuitOpen, with_retries
from gateway.sources.rest import JSON

R = TypeVar("R")
# What a person id may look like. Ids come from clients and end up in upstream requests (a
# comma would split a FHIR OR-list): anything else cannot exist and is never sent upstream.
PERSON_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
log = logging.getLogger("gateway.sources")


class MalformedUpstreamAnswer(ValueError):
    """The upstream answered something that is not what its API promises."""


class BatchSource(ABC, Generic[R]):
    """A cached, batched, single-flight view of one upstream."""

    name: str

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: SourceSettings,
        cache: BaseCache,
        batch_size: int,
        resilience: Resilience | None = None,
    ) -> None:
        self.client = client
        self.settings = settings
        self._cache = cache
        # A cache that answers without waiting (memory) lets a warm read skip the event loop.
        self._peek_many = getattr(cache, "peek_many", None)
        self._peek = getattr(cache, "peek", None)
        self._put_many = getattr(cache, "put_many", None)
        self._batch_size = batch_size
        self.resilience = resilience or Resilience()
        self.breaker = CircuitBreaker(
            self.resilience.breaker_failures,
            self.resilience.breaker_cooldown,
            on_change=lambda state: metrics.circuit_changed(self.name, state),
        )
        metrics.circuit_changed(self.name, self.breaker.state)  # every source shows, closed
        self._inflight: dict[str, asyncio.Future[R]] = {}
        # Fetches run as tasks of their own so that a caller that goes away (a cancelled
        # request) does not strand the other requests waiting on the same ids.
        self._tasks: set[asyncio.Task[None]] = set()
        self._queued: list[str] = []
        self._urls: dict[str, httpx.URL] = {}

    @abstractmethod
    async def fetch_batch(self, ids: Sequence[str]) -> dict[str, R]:
        """Fetch the records of `ids` from the upstream; every id gets an entry."""

    def cache_key(self, person_id: str) -> str:
        return f"{self.name}:{person_id}"

    def peek_many(self, ids: Sequence[str]) -> list[R] | None:
        """The fresh cached records of `ids` at once, or None when one is not fresh in the
        cache, or the cache cannot answer without waiting (Redis): then `load_many`."""
        if self._peek_many is None:
            return None
        entries = self._peek_many([self.cache_key(pid) for pid in ids])
        now = time.time()
        if not all(self._fresh(entry, now) for entry in entries):
            return None
        metrics.count_cache(self.name, len(entries), 0)
        return [entry[0] for entry in entries]

    def peek(self, person_id: str) -> tuple[R] | None:
        """`peek_many` of one person, as a 1-tuple (the record itself may be None)."""
        if self._peek is None:
            return None
        entry = self._peek(self.cache_key(person_id))
        if not self._fresh(entry, time.time()):
            return None
        metrics.count_cache(self.name, 1, 0)
        return (entry[0],)

    def entry_reader(self, person_id: str) -> Callable[[], tuple[R, float] | None] | None:
        """A function reading the person's cache entry, (record, fetched at), as the cache
        holds it then: the very object, the same until the entry is written again (fresh or
        not, and not counted as a cache read). None when the cache cannot answer without
        waiting (Redis)."""
        reader = getattr(self._cache, "reader", None)
        return reader(self.cache_key(person_id)) if reader is not None else None

    def _fresh(self, entry: tuple[R, float] | None, now: float) -> bool:
        """Whether a cache entry (record, fetched at) is within the source's TTL."""
        return entry is not None and now < self.fresh_until(entry)

    def fresh_until(self, entry: tuple[R, float]) -> float:
        """The `time.time()` at which a cache entry (record, fetched at) goes past the TTL."""
        return entry[1] + self.settings.cache_ttl

    async def load_many(
        self, ids: Sequence[str], stale: set[tuple[str, str]] | None = None
    ) -> list[R | BaseException]:
        """One record or exception per id, from cache, an in-flight load or the upstream.

        Where the upstream fails and the cache still holds an expired answer, that answer is
        returned and `(source, id)` is added to `stale`.
        """
        results: dict[str, R | BaseException] = {
            pid: NotFound("No person has this id.") for pid in ids if not PERSON_ID.fullmatch(pid)
        }
        unique = [pid for pid in dict.fromkeys(ids) if pid not in results]
        keys = [self.cache_key(pid) for pid in unique]
        # A memory cache answers at once (no aiocache wrappers); Redis through aiocache.
        cached = self._peek_many(keys) if self._peek_many else await self._cache.multi_get(keys)
        expired: dict[str, R] = {}
        waiting: dict[str, asyncio.Future[R]] = {}
        now = time.time()
        for pid, entry in zip(unique, cached, strict=True):
            if self._fresh(entry, now):
                results[pid] = entry[0]
                continue
            if entry is not None:
                expired[pid] = entry[0]
            waiting[pid] = self._join_or_start(pid)
        metrics.count_cache(self.name, len(results), len(waiting))
        self._start_fetches()
        for pid, future in waiting.items():
            try:
                results[pid] = await asyncio.shield(future)
            except UpstreamUnavailable as error:
                results[pid] = expired.get(pid, error)
                if pid in expired and stale is not None:
                    stale.add((self.name, pid))
            except Exception as error:
                results[pid] = error
        return [results[pid] for pid in ids]

    def _join_or_start(self, pid: str) -> asyncio.Future[R]:
        """The in-flight load of `pid`, or a new one queued for `_start_fetches`."""
        if pid not in self._inflight:
            self._inflight[pid] = asyncio.get_running_loop().create_future()
            self._queued.append(pid)
        return self._inflight[pid]

    def _start_fetches(self) -> None:
        queued, self._queued = self._queued, []
        for start in range(0, len(queued), self._batch_size):
            task = asyncio.create_task(self._fetch_chunk(queued[start : start + self._batch_size]))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def invalidate(self, person_id: str) -> None:
        """Forget what the cache holds for one person (after a write)."""
        await self._cache.delete(self.cache_key(person_id))

    async def _fetch_chunk(self, chunk: list[str]) -> None:
        async def attempt() -> dict[str, R]:
            # The total time of one attempt is bounded here: httpx's timeouts are per phase.
            # `timeout`, not `wait_for`: no task of its own before the request goes out.
            async with asyncio.timeout(self.settings.timeout):
                return await self.fetch_batch(chunk)

        try:
            records = await with_retries(attempt, self.breaker, self.resilience)
            fetched_at = time.time()
            pairs = [(self.cache_key(pid), (records[pid], fetched_at)) for pid in chunk]
            ttl = self.settings.cache_ttl + self.resilience.stale_for
            if self._put_many is not None:
                await self._put_many(pairs, ttl)
            else:
                await self._cache.multi_set(pairs, ttl=ttl)
        except (
            httpx.HTTPError,
            TimeoutError,
            CircuitOpen,
            ValueError,
            KeyError,
            TypeError,
        ) as error:
            # Logged for operators; the client only hears UPSTREAM_UNAVAILABLE.
            log.warning("upstream %s failed: %s: %s", self.name, type(error).__name__, error)
            self._settle(chunk, UpstreamUnavailable(self.name))
        except BaseException as error:
            self._settle(chunk, error)
            raise
        else:
            for pid in chunk:
                self._inflight.pop(pid).set_result(records[pid])

    def _settle(self, chunk: list[str], error: BaseException) -> None:
        for pid in chunk:
            future = self._inflight.pop(pid)
            future.set_exception(error)
            future.exception()  # marks it retrieved: every waiter may have gone away

    def url(self, path: str) -> httpx.URL:
        """The absolute URL of one of the source's endpoints (a fixed path), made once: httpx
        parses a relative URL and joins it to `base_url` again on every request."""
        if (url := self._urls.get(path)) is None:
            base = self.client.base_url
            url = self._urls[path] = base.copy_with(
                raw_path=base.raw_path + path.lstrip("/").encode()
            )
        return url

    async def post_json(self, path: str, payload: object) -> object:
        """POST JSON and return the decoded answer; non-2xx raises."""
        response = await self.client.post(
            self.url(path), content=orjson.dumps(payload), headers=JSON
        )
        return _decoded(response)

    async def post_idempotent(
        self, path: str, key: str, payload: Mapping[str, Any], timeout: float | None
    ) -> None:
        """POST one submission with its Idempotency-Key; raises unless the upstream has it.

        The key makes a repeat (a retry after a lost answer) a no-op upstream.
        """
        response = await self.client.post(
            self.url(path),
            content=orjson.dumps(dict(payload)),
            headers={**JSON, "Idempotency-Key": key},
            timeout=timeout if timeout is not None else self.settings.timeout,
        )
        response.raise_for_status()

    async def post_form(self, path: str, form: dict[str, str]) -> object:
        """POST a form (FHIR `_search`) and return the decoded answer; non-2xx raises."""
        response = await self.client.post(self.url(path), data=form)
        return _decoded(response)


def _decoded(response: httpx.Response) -> object:
    response.raise_for_status()
    try:
        return orjson.loads(response.content)  # httpx's `json()` is the standard library's
    except ValueError as error:
        raise MalformedUpstreamAnswer("the answer is not JSON") from error


def expect(condition: bool, what: str) -> None:
    """Raise `MalformedUpstreamAnswer` unless the upstream's answer has the promised shape."""
    if not condition:
        raise MalformedUpstreamAnswer(what)
