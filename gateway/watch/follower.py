"""The workforce watch: follows the upstreams' change feeds and alerts employers.

Why a change feed and not webhooks: the national services already keep an ordered history of
their records, a feed only exposes it (`GET <service>/changes?after=<cursor>`), and the follower
owns its position. A gateway that was down, restarted or deployed anew resumes from its stored
cursor and misses nothing; nothing has to reach the gateway from outside (the national platforms
sit behind NGSP/LGSP, which pull); a slow gateway does not make the upstream queue or drop
deliveries; and a replay is one cursor reset. Webhooks would need the upstreams to know every
subscriber, retry and sign their calls, and still need a catch-up read after an outage.

One step (`step()`), every `poll_interval` seconds, or at once while a feed has more:

1. The workforce registry's feed: a list that became APPROVED is watched (its workers stored,
   due for a baseline); a list that left APPROVED (an edit took it back to DRAFT) is not.
2. The health feeds (vaccination, lab results, F0 care): the cache of each changed person is
   dropped (reads see the change at once), and the approved workers among them are evaluated.
3. What fell due: baselines of newly watched workers, colours whose validUntil passed,
   declarations that ran out, UNKNOWN colours to look at again.

Evaluations go through the same path as `personStatus`: the per-request loaders and the status
engine. An approved worker who turns RED (from any other colour) or UNKNOWN (from GREEN or
YELLOW) after a change, or whose declaration was valid at the last look and is not now, raises
an alert for the employer; a baseline raises none. Cursors, rows and alerts are stored in one
transaction, then the alerts are published to the live subscriptions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis.asyncio import Redis

from gateway import metrics, tasks
from gateway.errors import UpstreamUnavailable
from gateway.loaders import Loaders
from gateway.schema.declarations import declaration_valid_until
from gateway.schema.identity import mask_name
from gateway.settings import Settings, WorkforceSettings
from gateway.sources import Upstreams
from gateway.sources.base import BatchSource
from gateway.sources.workforce import ListState
from gateway.status import Color, Policy, evaluate
from gateway.watch import Alerts
from gateway.watch.alerts import AlertBus, AlertKind, MemoryAlertBus
from gateway.watch.leadership import FileLease, Lease, RedisLease, lead
from gateway.watch.redis_bus import RedisAlertBus
from gateway.watch.store import FILE, Evaluated, NewAlert, WatchedWorker, WatchStore

log = logging.getLogger("gateway.watch")
WORKFORCE_FEED = "workforce"
_BAD = (Color.RED, Color.UNKNOWN)
STOP_SECONDS = 2.0
LOCK_FILE = "workforce-watch.lock"  # held by the one process per DATA_DIR that follows the feeds


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What an evaluation found for one person."""

    color: Color
    reasons: tuple[str, ...]
    valid_until: datetime | None
    declaration_valid_until: datetime | None
    declarations_read: bool  # False: the declarations could not be read, nothing is known


def alert_kinds(
    row: WatchedWorker, now: Snapshot, at: datetime, *, changed: bool
) -> list[AlertKind]:
    """The alerts an evaluation raises for one watched row (pure).

    `changed`: the evaluation follows a change of the person's records. A row without a colour
    was never evaluated: after a change it is presumed to have met the district's condition (its
    list was approved), otherwise the evaluation is its silent baseline.
    """
    kinds: list[AlertKind] = []
    if row.color is not None or changed:
        if now.color is Color.RED and row.color is not Color.RED:
            kinds.append(AlertKind.STATUS_RED)
        elif now.color is Color.UNKNOWN and row.color not in _BAD:
            kinds.append(AlertKind.STATUS_UNKNOWN)
    was_valid = (
        row.declaration_valid_until is not None
        and row.checked_at is not None
        and row.declaration_valid_until > row.checked_at
    )
    still_valid = now.declaration_valid_until is not None and now.declaration_valid_until > at
    if was_valid and now.declarations_read and not still_valid:
        kinds.append(AlertKind.DECLARATION_LAPSED)
    return kinds


def due_at(now: Snapshot, at: datetime, unknown_recheck: float) -> datetime | None:
    """When a row must be evaluated again without any change (pure)."""
    times = []
    if now.color in (Color.GREEN, Color.YELLOW) and now.valid_until is not None:
        times.append(now.valid_until)
    if now.color is Color.UNKNOWN:
        times.append(at + timedelta(seconds=unknown_recheck))
    if now.declaration_valid_until is not None and now.declaration_valid_until > at:
        times.append(now.declaration_valid_until)
    return min(times) if times else None


class WorkforceWatch:
    """The follower; `run()` is the background task, `step()` one round of it."""

    def __init__(
        self,
        settings: WorkforceSettings,
        upstreams: Upstreams,
        loaders: Callable[[], Loaders],
        store: WatchStore,
        bus: AlertBus,
        policy: Policy,
        clock: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.upstreams = upstreams
        self.loaders = loaders
        self.store = store
        self.bus = bus
        self.policy = policy
        self.clock = clock
        # The caches a feed's changes make stale.
        self.caches: dict[str, tuple[BatchSource[object], ...]] = {
            "vaccination": (upstreams.vaccination,),  # type: ignore[dict-item]
            "lab_results": (upstreams.lab_results,),  # type: ignore[dict-item]
            "f0_care": (upstreams.f0_care,),  # type: ignore[dict-item]
            "declarations": (upstreams.declarations, upstreams.latest_declarations),  # type: ignore[dict-item]
        }

    async def run(self) -> None:
        """Step forever; a failed step is logged and tried again after the interval."""
        while True:
            busy = False
            try:
                busy = await self.step()
            except Exception:
                log.exception("the workforce watch step failed")
            if not busy:
                await asyncio.sleep(self.settings.poll_interval)

    async def step(self) -> bool:
        """One round; True when a feed has more waiting (step again at once)."""
        cursors: dict[str, str] = {}
        more = await self._follow_lists(cursors)
        changed: set[str] = set()
        for feed in self.settings.feeds:
            if feed != WORKFORCE_FEED:
                more |= await self._follow_records(feed, cursors, changed)
        at = self.clock()
        loaders = self.loaders()
        rows = self.store.watched_people(changed)
        evaluated, alerts = await self._evaluate(loaders, rows, at, changed=True)
        seen = {(row.list_id, row.person_id) for row in rows}
        due = [
            r
            for r in self.store.due(at, self.settings.sweep_batch)
            if (r.list_id, r.person_id) not in seen
        ]
        for row in due:
            for source in self.caches["declarations"]:
                await source.invalidate(row.person_id)  # a newer declaration may have come
        more_evaluated, more_alerts = await self._evaluate(loaders, due, at, changed=False)
        stored = self.store.record(cursors, evaluated + more_evaluated, alerts + more_alerts)
        for alert in stored:
            metrics.alerts_raised(alert.kind.value)
        if stored:
            await self.bus.publish(stored)
        return more or len(due) == self.settings.sweep_batch

    async def _follow_lists(self, cursors: dict[str, str]) -> bool:
        url = self.settings.feeds.get(WORKFORCE_FEED)
        if url is None:
            return False
        try:
            page = await self.upstreams.change_feeds.list_changes(
                url, self.store.cursor(WORKFORCE_FEED)
            )
            if page.reset:
                self.store.unwatch_all()
            for list_id in dict.fromkeys(change.list_id for change in page.changes):
                await self._follow_list(list_id)
        except UpstreamUnavailable:
            log.warning("the workforce feed is unavailable; trying again later")
            return False
        cursors[WORKFORCE_FEED] = page.cursor
        return page.more

    async def _follow_list(self, list_id: str) -> None:
        record = await self.upstreams.workforce.worker_list(list_id)
        if record is None or record.state is not ListState.APPROVED:
            self.store.unwatch_list(list_id)
            return
        entries = await self.upstreams.workforce.workers(list_id)
        self.store.watch_list(
            list_id, record.enterprise_id, record.name, (e.person_id for e in entries)
        )

    async def _follow_records(self, feed: str, cursors: dict[str, str], changed: set[str]) -> bool:
        try:
            page = await self.upstreams.change_feeds.person_changes(
                self.settings.feeds[feed], self.store.cursor(feed)
            )
        except UpstreamUnavailable:
            log.warning("the %s feed is unavailable; trying again later", feed)
            return False
        for person_id in set(page.changes):
            for source in self.caches.get(feed, ()):
                await source.invalidate(person_id)
        changed.update(page.changes)
        cursors[feed] = page.cursor
        return page.more

    async def _evaluate(
        self, loaders: Loaders, rows: Sequence[WatchedWorker], at: datetime, *, changed: bool
    ) -> tuple[list[Evaluated], list[NewAlert]]:
        people = list(dict.fromkeys(row.person_id for row in rows))
        snapshots = dict(
            zip(
                people,
                await asyncio.gather(*(self._snapshot(loaders, p, at) for p in people)),
                strict=True,
            )
        )
        evaluated, alerts = [], []
        for row in rows:
            now = snapshots[row.person_id]
            evaluated.append(
                Evaluated(
                    row.list_id,
                    row.person_id,
                    now.color,
                    now.valid_until,
                    now.declaration_valid_until
                    if now.declarations_read
                    else row.declaration_valid_until,
                    at,
                    due_at(now, at, self.settings.unknown_recheck),
                )
            )
            for kind in alert_kinds(row, now, at, changed=changed):
                alerts.append(await self._alert(loaders, row, now, kind, at))
        return evaluated, alerts

    async def _snapshot(self, loaders: Loaders, person_id: str, at: datetime) -> Snapshot:
        facts, latest = await asyncio.gather(
            loaders.facts(person_id),
            loaders.latest_declaration_by_person.load(person_id),
            return_exceptions=True,
        )
        if isinstance(facts, BaseException):
            raise facts
        status = evaluate(self.policy, facts, at)
        read = not isinstance(latest, BaseException)
        valid = declaration_valid_until(latest) if read and latest is not None else None  # type: ignore[arg-type]
        return Snapshot(status.color, status.reasons, status.valid_until, valid, read)

    async def _alert(
        self, loaders: Loaders, row: WatchedWorker, now: Snapshot, kind: AlertKind, at: datetime
    ) -> NewAlert:
        masked = None
        with contextlib.suppress(Exception):  # the identity register being down costs the name only
            record = await loaders.person_by_id.load(row.person_id)
            masked = mask_name(record.full_name) if record is not None else None
        return NewAlert(
            enterprise_id=row.enterprise_id,
            list_id=row.list_id,
            list_name=row.list_name,
            person_id=row.person_id,
            masked_name=masked,
            kind=kind,
            color=now.color,
            reasons=now.reasons,
            previous_color=row.color,
            declaration_valid_until=now.declaration_valid_until,
            raised_at=at,
        )


@contextlib.asynccontextmanager
async def running(watch: WorkforceWatch | None, lease: Lease | None = None) -> AsyncIterator[None]:
    """Run the watch in the background while the context is open (None: not at all); with a
    lease, only while this process holds it (one follower per fleet)."""
    if watch is None:
        yield
        return
    follow = watch.run() if lease is None else lead(lease, watch.run)
    task = asyncio.create_task(follow, name="workforce-watch")
    try:
        yield
    finally:
        # A step stops at its next await; one stuck on an upstream must not hold the shutdown.
        if not await tasks.stop(task, STOP_SECONDS):
            log.warning("the workforce watch did not stop within %s s", STOP_SECONDS)
        if lease is not None:
            try:
                await lease.release()  # the next instance takes over at once
            except Exception as error:
                log.warning("the watch's lease was not released (%s)", type(error).__name__)


@contextlib.asynccontextmanager
async def open_watch(
    settings: Settings,
    upstreams: Upstreams,
    loaders: Callable[[], Loaders],
    policy: Policy,
    clock: Callable[[], datetime],
    redis: Redis | None = None,
) -> AsyncIterator[Alerts]:
    """The alerts' store and bus, and the follower running while open (when it polls at all).

    With `redis` (REDIS_URL), alerts fan out to every instance and one instance of the fleet
    follows the feeds; without it, alerts stay in the process and one process per DATA_DIR
    follows them.
    """
    store = WatchStore(settings.data_dir / FILE)
    bus: AlertBus
    lease: Lease
    if redis is not None:
        prefix = settings.redis_key_prefix
        bus = RedisAlertBus(redis, f"{prefix}:worker-alerts")
        lease = RedisLease(redis, f"{prefix}:watch:leader", settings.workforce.lease)
    else:
        bus = MemoryAlertBus()
        lease = FileLease(settings.data_dir / LOCK_FILE, settings.workforce.lease)
    watch = None
    if settings.workforce.poll_interval > 0:
        watch = WorkforceWatch(settings.workforce, upstreams, loaders, store, bus, policy, clock)
    try:
        if isinstance(bus, RedisAlertBus):
            await bus.start()
        async with running(watch, lease):
            yield Alerts(store, bus)
    finally:
        if isinstance(bus, RedisAlertBus):
            await bus.aclose()
        store.close()
