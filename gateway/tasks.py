"""Stopping background tasks for sure.

Python 3.11's `asyncio.wait_for` drops a cancellation that arrives just as the awaited thing
finishes (it returns the result instead: CPython gh-86296, fixed in 3.12). Libraries under the
gateway use it on every Redis command with a socket timeout, so a background loop (the watch, the
outbox worker) cancelled once could swallow its only cancellation and go on running after
shutdown had closed its clients. `stop` cancels again until the task is done.
"""

from __future__ import annotations

import asyncio
import time

RETRY_SECONDS = 0.05


async def stop(task: asyncio.Task[object], seconds: float) -> bool:
    """Cancel `task` (again and again) until it is done, for at most `seconds`; whether it is.

    Meant for `finally` blocks: a cancellation of the caller meanwhile (its own owner stopping
    it) does not cut the stop short; it is raised once the task is stopped, so nested stops
    (a task stopping the task it started) finish from the inside out.
    """
    deadline = time.monotonic() + seconds
    interrupted = False
    while not task.done():
        task.cancel()
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            await asyncio.wait({task}, timeout=min(RETRY_SECONDS, left))
        except asyncio.CancelledError:
            interrupted = True
    if interrupted:
        raise asyncio.CancelledError()
    return task.done()
