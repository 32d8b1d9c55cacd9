"""The schedule engine: runs each occurrence of a schedule's action exactly once.

Our `schedule` and `occurrence` tables are the truth. APScheduler 3.x is only the trigger
engine: its in-memory jobs (one per active schedule, carrying the schedule's id) are rebuilt from
the tables at start and told about every change; a job only asks the engine to look at its
schedule now.

One rule for every kind of action (a reflective prompt now, check-in rounds later):

- **Claim, then act.** An occurrence is claimed by inserting a row unique per (schedule, due
  time), in the same transaction that reads the schedule (its row locked) and moves its
  `handled_until` past it. A second process, a restart or a retried job that reaches the same
  occurrence finds it handled, or fails the insert, and does nothing. The action gets the
  occurrence id to use as a nonce, so re-running a claimed occurrence whose outcome was never
  recorded (a crash between claim and post) cannot post twice. In a burst the jobs waiting
  their turn are claimed a few at a time, in one transaction (`bot.schedule_claims`).
- **Two transactions a run.** The claim's transaction also lets the action prepare its work
  (`prepare`: a prompt chooses and records its post), and the one that records the outcome
  takes the action's own writes with it (`Done`: the post's message, thread and log entry).
  Running the action and recording what happened are in `bot.schedule_outcomes`; in a burst
  the outcomes of runs finishing together share one transaction (`bot.schedule_records`).
- **Catch up once.** After downtime, the latest missed occurrence younger than the grace period
  runs once, marked late; older ones are recorded as missed. Never a flood, never silence.
- **Retry with backoff** when the action fails for a passing reason (`TransientError`: Discord
  5xx, a time-out); the occurrence shows `retrying` with its next attempt, then `done` or
  `failed`.
- **Pause when the target is gone** (`TargetGone`: the channel was deleted); the action's
  `on_gone` hook tells the conveners.
- **Only the servers this process holds** (`holds`, from `SHARD_COUNT` / `SHARD_IDS`, see
  `bot.shards`): schedules of other servers are neither triggered nor claimed here. The split
  shares the work; the claim is still what makes each occurrence run once.
- **Every process follows every change.** A change made through this process syncs its trigger
  at once; changes made through another process are found by their `updated_at` every
  `poll_interval` seconds (`poll_changes`).

Nothing here imports Discord: actions are registered by the cogs that know how to post.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.exc import IntegrityError

from bot.pacing import Pacer, Slot
from bot.schedule_actions import (
    ActionGone,
    ActionHandler,
    ActionPrepare,
    ActionRun,
    Done,
    Due,
    Outcome,
    TargetGone,
    TransientError,
)
from bot.schedule_changes import DEFAULT_POLL_SECONDS, ScheduleChanges
from bot.schedule_claims import LATE_AFTER, Claim, ScheduleClaims
from bot.schedule_loading import SpecCache, read_active
from bot.schedule_outcomes import ScheduleOutcomes
from bot.schedule_records import DoneRecords
from bot.services.clock import Clock, SystemClock
from bot.services.recurrence import (
    RecurrenceSpec,
)
from bot.services.schedules.spec import spec_of
from bot.shards import guild_filter
from db.engine import SessionFactory
from db.models import ScheduleState

__all__ = [
    "ActionGone",
    "ActionHandler",
    "ActionRun",
    "Done",
    "Due",
    "Outcome",
    "ScheduleEngine",
    "TargetGone",
    "TransientError",
]

logger = logging.getLogger(__name__)

DEFAULT_RETRY_DELAYS = (30.0, 120.0, 600.0, 1800.0)
# How long a stop waits for a run already under way to record its outcome.
SHUTDOWN_WAIT_SECONDS = 10.0
# Loading yields to the event loop after this many schedules.
LOAD_BATCH = 500


class ScheduleEngine(ScheduleClaims, ScheduleOutcomes, ScheduleChanges):
    def __init__(
        self,
        sessions: SessionFactory,
        *,
        clock: Clock | None = None,
        grace: timedelta = timedelta(hours=6),
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        shard_count: int | None = None,
        shard_ids: Sequence[int] | None = None,
        poll_interval: float = DEFAULT_POLL_SECONDS,
        pacer: Pacer | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock or SystemClock()
        self.grace = grace
        # How late an occurrence may still run: the grace period, but never less than an
        # on-time run's own slack, so a grace of 0 (no catch-up after downtime) still posts.
        self.window = max(grace, LATE_AFTER)
        self.retry_delays = tuple(retry_delays)
        self.actions: dict[str, ActionHandler] = {}
        self.aps: AsyncIOScheduler | None = None
        self._in_flight: set[asyncio.Task[Any]] = set()
        # When this process began scheduling: anything due before it was missed while down.
        self.started_at: datetime | None = None
        # The servers this process holds (all when unsharded).
        self.shard_count = shard_count
        self.shard_ids = None if shard_ids is None else tuple(shard_ids)
        self.holds = guild_filter(shard_count, shard_ids)
        self.poll_interval = poll_interval
        # Changes seen by `poll_changes`: the newest `updated_at`, and each recent row's.
        self._changes_seen: datetime | None = None
        self._versions: dict[int, datetime] = {}
        # Scheduled runs share Discord's rate limit and yield to commands (`bot.pacing`).
        self.pacer = pacer or Pacer.unpaced()
        # Triggers built from one shared spec each: identical schedules cost one computation.
        self._specs = SpecCache()
        # Schedules synced while `start` was loading: their rows as read are already stale.
        self._synced_while_loading: set[int] | None = None
        # Claims made a few at a time for the jobs waiting for a slot (`bot.schedule_claims`).
        self._init_claims()
        # Outcomes of posts finishing together, recorded in one transaction.
        self._done_records = DoneRecords(sessions)

    # ------------------------------------------------------------------ wiring

    def register(
        self,
        kind: str,
        run: ActionRun,
        on_gone: ActionGone | None = None,
        *,
        requests: int = 1,
        prepare: ActionPrepare | None = None,
    ) -> None:
        """`requests`: how many Discord requests to pace before each run (under the limit);
        `prepare`: run in the claim's transaction, its result given to `run` (`Due.prepared`)."""
        self.actions[kind] = ActionHandler(run, on_gone, requests, prepare)

    def unregister(self, kind: str) -> None:
        """Forget a kind's action (its extension was unloaded); its schedules then wait."""
        self.actions.pop(kind, None)

    async def start(self, *, catch_up: bool = True) -> None:
        """Start triggering (needs the running loop) with a job per active schedule, then,
        unless told not to, catch up. The bot starts the engine once the gateway is connected
        (`on_ready`, in the background) with `catch_up=False`, then catches up.

        Loading is one query and no session per schedule: schedules sharing a recurrence share
        its trigger and next run time, and the loop yields now and then so commands answered
        meanwhile are not held up.
        """
        self.started_at = self.clock.now()
        began = time.perf_counter()
        self.aps = AsyncIOScheduler(timezone=UTC)
        self.aps.start(paused=True)  # jobs are added without waking the scheduler each time
        self._synced_while_loading = set()
        loaded: dict[int, datetime] = {}
        try:
            count = await self._load_all(self.aps, loaded)
        finally:
            self._synced_while_loading = None
        if self.aps is None:
            return  # shut down while loading
        self.aps.resume()
        await self._start_polling(loaded)
        logger.info(
            "Schedule engine started with %d schedules in %.2f s",
            count,
            time.perf_counter() - began,
        )
        if catch_up:
            await self.catch_up()

    async def _load_all(self, aps: AsyncIOScheduler, loaded: dict[int, datetime]) -> int:
        """A job per active schedule; `loaded` gets each row's version as read, so the poll
        of changes does not sync again what the load has just read."""
        rows = await read_active(self.sessions, self._specs, where=self._held())
        now = datetime.now(UTC)  # APScheduler's own clock, which decides when a job fires
        count = 0
        for index, row in enumerate(rows):
            if index % LOAD_BATCH == LOAD_BATCH - 1:
                await asyncio.sleep(0)  # let commands and the gateway in
                if self.aps is not aps:
                    return count
            skip = self._synced_while_loading
            if (skip is not None and row.schedule_id in skip) or not self.holds(row.guild_id):
                continue  # synced meanwhile from a fresher read, or another process's server
            loaded[row.schedule_id] = row.updated_at
            if self._add_job(aps, row.schedule_id, row.spec, now):
                count += 1
        return count

    def _add_job(
        self, aps: AsyncIOScheduler, schedule_id: int, spec: RecurrenceSpec, now: datetime
    ) -> bool:
        next_run = self._specs.next_after(spec, now)
        if next_run is None:
            return False  # never fires again
        aps.add_job(
            self._job,
            trigger=self._specs.trigger(spec),
            args=[schedule_id],
            id=f"schedule:{schedule_id}",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=int(self.window.total_seconds()),
            next_run_time=next_run,
        )
        return True

    async def catch_up(self) -> None:
        """Recover occurrences a stop left unfinished, then run what fell due while down."""
        await self._tracked(self._catch_up())

    async def _catch_up(self) -> None:
        await self.recover()
        now = self.clock.now()
        rows = await read_active(self.sessions, self._specs, where=self._held())
        due = [row.schedule_id for row in self._specs.due(rows, now)]
        if due:
            logger.info("Catching up on %d schedules", len(due))
        # Paced like any burst: a few at a time, under the rate limit, behind commands.
        await asyncio.gather(*(self._paced_run(schedule_id) for schedule_id in due))

    async def shutdown(self) -> None:
        """Stop triggering, let a run already under way record its outcome, then stop."""
        if self.aps is not None and self.aps.running:
            self.aps.pause()
            if self._in_flight:
                await asyncio.wait(set(self._in_flight), timeout=SHUTDOWN_WAIT_SECONDS)
            self.aps.shutdown(wait=False)
        self.aps = None

    async def _job(self, schedule_id: int) -> None:
        """What a trigger runs: look at one schedule now (tracked, so a stop waits for it)."""
        await self._paced_run(schedule_id)

    async def _paced_run(self, schedule_id: int) -> None:
        self._waiting[schedule_id] = None
        try:
            async with self.pacer.slot() as slot:
                if self.aps is None and self.started_at is not None:
                    return  # stopped while waiting for a slot
                await self._tracked(self._run_in_turn(schedule_id, slot))
        finally:
            self._waiting.pop(schedule_id, None)

    async def _run_in_turn(self, schedule_id: int, slot: Slot) -> None:
        """A paced run: its claim made a few at a time with the jobs waiting behind it; its
        slot given back once it waits only for its outcome to be written."""
        try:
            claim, now = await self._claim_in_turn(schedule_id)
        except IntegrityError:
            return  # another process or job claimed it first
        await self._run_claimed(claim, now, slot)

    async def _tracked(self, work: Awaitable[Any]) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            await work
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def sync(self, schedule_id: int) -> None:
        """Make the trigger match the table after a schedule is made, changed or stopped."""
        if self._synced_while_loading is not None:
            self._synced_while_loading.add(schedule_id)
        if self.aps is None:
            return
        job_id = f"schedule:{schedule_id}"
        loaded = await self._load(schedule_id)
        aps = self.aps
        if aps is None:
            return
        if (
            loaded is None
            or loaded[0].state != ScheduleState.active
            or not self.holds(loaded[1].guild_id)
        ):
            if aps.get_job(job_id):
                aps.remove_job(job_id)
            return
        schedule, partnership = loaded
        spec = self._specs.intern(spec_of(schedule, partnership.timezone))
        if not self._add_job(aps, schedule_id, spec, datetime.now(UTC)) and aps.get_job(job_id):
            aps.remove_job(job_id)

    # ------------------------------------------------------------------ the rule

    async def run_schedule(self, schedule_id: int, now: datetime | None = None) -> Outcome:
        """Handle everything due for one schedule up to `now`: run, catch up once, or record."""
        now = now or self.clock.now()
        try:
            claim = (await self._claim_many([schedule_id], now))[schedule_id]
        except IntegrityError:
            return Outcome(skipped_claimed=1)  # another process or job claimed it first
        return await self._run_claimed(claim, now)

    async def _run_claimed(self, claim: Claim, now: datetime, slot: Slot | None = None) -> Outcome:
        outcome = Outcome(missed=claim.missed)
        occurrence, schedule, partnership = claim.occurrence, claim.schedule, claim.partnership
        if occurrence is not None and schedule is not None and partnership is not None:
            logger.debug(
                "Claimed occurrence %s of schedule %s in server %s, due %s",
                occurrence.id,
                schedule.id,
                schedule.guild_id,
                occurrence.due_at.isoformat(),
            )
            await self._attempt(
                occurrence,
                outcome,
                now,
                loaded=(schedule, partnership),
                prepared=claim.prepared,
                slot=slot,
            )
        return outcome
