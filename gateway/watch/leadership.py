"""One follower of the change feeds per fleet: a lease that one process holds at a time.

Every instance runs the contest; the one holding the lease follows the feeds, the others wait
and try again. The holder renews its lease every third of its length while it follows; when a
renewal fails (or cannot be confirmed in time) it stops following at once, before the lease can
run out and pass to another instance, so two followers never overlap. A holder that dies stops
renewing and another instance takes over when the lease runs out; one that shuts down releases
it so the next takes over at once.

- `RedisLease` (with `REDIS_URL`): `SET key token NX PX`, renewed and released only by the
  holder of its token (Lua compare-and-set), so instances on different hosts agree.
- `FileLease` (without Redis): an exclusive `flock` on a file in `DATA_DIR`, held while the
  process lives; the kernel releases it when the process dies. It covers the worker processes of
  one host (`make run WORKERS=4`), which share DATA_DIR.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from redis.asyncio import Redis

from gateway import metrics, tasks

log = logging.getLogger("gateway.watch")
STOP_SECONDS = 2.0

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class Lease(Protocol):
    seconds: float

    async def acquire(self) -> bool:
        """Take the lease, or renew it when held; whether this process holds it now."""

    async def release(self) -> None:
        """Give the lease up (when held)."""


class RedisLease:
    """A lease in Redis, shared by every instance that uses the same key."""

    def __init__(self, redis: Redis, key: str, seconds: float) -> None:
        self.seconds = seconds
        self.key = key
        self.token = uuid.uuid4().hex
        self._redis = redis
        self._held = False
        self._renew: Any = redis.register_script(_RENEW)
        self._release: Any = redis.register_script(_RELEASE)

    async def acquire(self) -> bool:
        ms = max(int(self.seconds * 1000), 1)
        if self._held:
            self._held = bool(await self._renew(keys=[self.key], args=[self.token, ms]))
        else:
            self._held = bool(await self._redis.set(self.key, self.token, nx=True, px=ms))
        return self._held

    async def release(self) -> None:
        if self._held:
            self._held = False
            await self._release(keys=[self.key], args=[self.token])


class FileLease:
    """An exclusive lock on a file: one holder among the processes sharing the file."""

    def __init__(self, path: Path, seconds: float) -> None:
        self.path = path
        self.seconds = seconds
        self._fd: int | None = None

    async def acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


async def lead(lease: Lease, follow: Callable[[], Awaitable[None]]) -> None:
    """Contend for the lease forever; run `follow` while holding it, stop it when it is lost."""
    interval = lease.seconds / 3
    while True:
        if await _try(lease):
            log.info("this instance follows the change feeds")
            metrics.WATCH_LEADER.set(1)
            try:
                await _follow_while_held(lease, follow, interval)
            finally:
                metrics.WATCH_LEADER.set(0)
            log.warning("this instance lost the watch's lease; another one follows the feeds")
        await asyncio.sleep(interval)


async def _try(lease: Lease) -> bool:
    try:
        return await asyncio.wait_for(lease.acquire(), lease.seconds / 3)
    except asyncio.CancelledError:
        raise
    except Exception as error:
        log.warning("the watch's lease could not be renewed or taken (%s)", type(error).__name__)
        return False


async def _follow_while_held(
    lease: Lease, follow: Callable[[], Awaitable[None]], interval: float
) -> None:
    task = asyncio.ensure_future(follow())
    try:
        while not task.done():
            done, _ = await asyncio.wait({task}, timeout=interval)
            if not done and not await _try(lease):
                break
    finally:
        # A step stops at its next await; one stuck on an upstream must not hold this up.
        await tasks.stop(task, STOP_SECONDS)
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.error("the watch stopped", exc_info=task.exception())
