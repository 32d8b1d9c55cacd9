"""The schedule engine: runs each occurrence of a schedule's action exactly once.

Our `schedule` and `occurrence` tables are the truth. APScheduler 3.x is only the trigger
engine: its in-memory jobs (one per active schedule, carrying the schedule's id) are rebuilt from
the tables at start and told about every change; a job only asks the engine to look at its
schedule now.

One rule for every kind of action (a reflective prompt now, check-in rounds later):

- **Claim, then act.** An occurrence is claimed by inserting a row unique per (schedule, due
  time), in the same transaction that moves the schedule's `handled_until` past it. A second
  process, a restart or a retried job that reaches the same occurrence fails the insert and does
  nothing. The action gets the occurrence id to use as a nonce, so re-running a claimed
  occurrence whose outcome was never recorded (a crash between claim and post) cannot post twice.
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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.pacing import Pacer
from bot.schedule_changes import DEFAULT_POLL_SECONDS, ScheduleChanges
from bot.schedule_loading import SpecCache, read_active
from bot.services import log as partnership_log
from bot.services.clock import Clock, SystemClock
from bot.services.recurrence import (
    RecurrenceSpec,
    count_between,
    latest_due,
    latest_occurrences,
)
from bot.services.schedules.spec import spec_of
from bot.shards import guild_filter
from db.engine import SessionFactory, transaction
from db.models import Occurrence, OccurrenceState, Partnership, Schedule, ScheduleState

logger = logging.getLogger(__name__)

# An occurrence run more than this after its time is marked late.
LATE_AFTER = timedelta(minutes=2)
# Missed occurrences recorded one by one after downtime; the rest are counted in the log.
MISSED_ROWS = 50
DEFAULT_RETRY_DELAYS = (30.0, 120.0, 600.0, 1800.0)
# How long a stop waits for a run already under way to record its outcome.
SHUTDOWN_WAIT_SECONDS = 10.0
# Loading yields to the event loop after this many schedules.
LOAD_BATCH = 500


class TransientError(Exception):
    """The action failed for a passing reason: try again later."""


class TargetGone(Exception):
    """The action's target (a channel) no longer exists: pause the schedule."""


@dataclass(frozen=True)
class Due:
    """What an action is given: one occurrence of one schedule."""

    occurrence_id: int
    schedule_id: int
    partnership_id: int
    guild_id: int
    kind: str
    due_at: datetime
    late: bool
    attempt: int
    options: dict[str, Any]

    @property
    def nonce(self) -> str:
        """A stable nonce for Discord (≤ 25 characters): the same for every attempt."""
        return f"pb-occ-{self.occurrence_id}"


ActionRun = Callable[[Due], Awaitable[dict[str, Any]]]
ActionGone = Callable[[Due, str], Awaitable[None]]


@dataclass
class ActionHandler:
    run: ActionRun
    on_gone: ActionGone | None = None
    # Discord requests one run makes (a prompt: its message and its thread), for pacing.
    requests: int = 1


@dataclass
class Outcome:
    """What one call to `run_schedule`, `retry_due` or `recover` did (for logs and tests)."""

    ran: list[int] = field(default_factory=list)
    missed: int = 0
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped_claimed: int = 0


class ScheduleEngine(ScheduleChanges):
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

    # ------------------------------------------------------------------ wiring

    def register(
        self,
        kind: str,
        run: ActionRun,
        on_gone: ActionGone | None = None,
        *,
        requests: int = 1,
    ) -> None:
        """`requests`: how many Discord requests one run makes, for pacing under the limit."""
        self.actions[kind] = ActionHandler(run, on_gone, requests)

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
        try:
            count = await self._load_all(self.aps)
        finally:
            self._synced_while_loading = None
        if self.aps is None:
            return  # shut down while loading
        self.aps.resume()
        await self._start_polling()
        logger.info(
            "Schedule engine started with %d schedules in %.2f s",
            count,
            time.perf_counter() - began,
        )
        if catch_up:
            await self.catch_up()

    async def _load_all(self, aps: AsyncIOScheduler) -> int:
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
        async with self.pacer.slot():
            if self.aps is None and self.started_at is not None:
                return  # stopped while waiting for a slot
            await self._tracked(self.run_schedule(schedule_id))

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
        outcome = Outcome()
        loaded = await self._load(schedule_id)
        if loaded is None or loaded[0].state != ScheduleState.active:
            return outcome
        schedule, partnership = loaded
        if not self.holds(schedule.guild_id):
            return outcome  # another process's server
        if schedule.kind not in self.actions:
            logger.warning("No action registered for schedule %s (%s)", schedule_id, schedule.kind)
            return outcome
        spec = spec_of(schedule, partnership.timezone)
        since = schedule.handled_until
        latest = latest_due(spec, now, since)
        if latest is None:
            return outcome
        run_latest = now - latest <= self.window
        cutoff = latest if run_latest else now
        missed = self._missed(spec, since, latest, include_latest=not run_latest)
        advanced, claimed = await self._claim(
            schedule, partnership, latest, now, missed, cutoff, run_latest
        )
        if not advanced:
            outcome.skipped_claimed += 1  # another process or job handled it first
            return outcome
        outcome.missed = missed[0]
        if claimed is not None:
            logger.debug(
                "Claimed occurrence %s of schedule %s in server %s, due %s",
                claimed.id,
                schedule_id,
                schedule.guild_id,
                latest.isoformat(),
            )
            await self._attempt(claimed, outcome, now, loaded=(schedule, partnership))
        return outcome

    def _missed(
        self, spec: RecurrenceSpec, since: datetime, latest: datetime, *, include_latest: bool
    ) -> tuple[int, list[datetime]]:
        """How many occurrences in (since, latest] were missed, and the newest few of them.

        Counted, not listed: after long downtime an every-minute schedule has missed more
        occurrences than are worth listing, and all of them are still counted in the log.
        """
        end = latest if include_latest else latest - timedelta(microseconds=1)
        if end <= since:
            return 0, []
        return count_between(spec, since, end), latest_occurrences(spec, since, end, MISSED_ROWS)

    async def _claim(
        self,
        schedule: Schedule,
        partnership: Partnership,
        latest: datetime,
        now: datetime,
        missed: tuple[int, list[datetime]],
        cutoff: datetime,
        run_latest: bool,
    ) -> tuple[bool, Occurrence | None]:
        """One transaction: move `handled_until`, record the missed, claim the latest.

        Returns whether this call advanced the schedule, and the claimed occurrence to run.
        """
        count, rows = missed
        try:
            async with transaction(self.sessions) as session:
                fresh = await session.get(Schedule, schedule.id, with_for_update=True)
                if fresh is None or fresh.handled_until >= cutoff:
                    return False, None  # another process got here first
                fresh.handled_until = cutoff
                session.add(fresh)
                for due in rows:
                    session.add(
                        Occurrence(
                            schedule_id=fresh.id,  # type: ignore[arg-type]
                            partnership_id=partnership.id,  # type: ignore[arg-type]
                            due_at=due,
                            state=OccurrenceState.missed,
                            claimed_at=now,
                            finished_at=now,
                        )
                    )
                if count:
                    await partnership_log.record(
                        session,
                        partnership,
                        "schedule.missed",
                        f"{count} scheduled {_plural(count, 'occurrence')} passed while the bot "
                        "was offline and were not sent.",
                        actor_id=None,
                        payload={"schedule_id": fresh.id, "count": count, "kind": fresh.kind},
                        at=now,
                    )
                if not run_latest:
                    return True, None
                occurrence = Occurrence(
                    schedule_id=fresh.id,  # type: ignore[arg-type]
                    partnership_id=partnership.id,  # type: ignore[arg-type]
                    due_at=latest,
                    state=OccurrenceState.claimed,
                    # Late: well after its time, or due while the bot was not running (an
                    # every-minute occurrence caught up at start is seconds old, yet missed).
                    late=now - latest > LATE_AFTER
                    or (self.started_at is not None and latest < self.started_at),
                    claimed_at=now,
                )
                session.add(occurrence)
                await session.flush()
                return True, occurrence
        except IntegrityError:
            return False, None

    async def _attempt(
        self,
        occurrence: Occurrence,
        outcome: Outcome,
        now: datetime,
        *,
        loaded: tuple[Schedule, Partnership] | None = None,
    ) -> None:
        """Run the action for a claimed (or retrying) occurrence and record what happened.

        `loaded`: the schedule and partnership as just read by the caller, if it has them.
        """
        loaded = loaded or await self._load(occurrence.schedule_id)
        if loaded is None:
            return
        schedule, partnership = loaded
        handler = self.actions.get(schedule.kind)
        if handler is None:
            return
        if schedule.state != ScheduleState.active:
            # Paused, cancelled or archived while a retry (or a crashed attempt) was pending.
            await self._finish(
                occurrence.id,
                OccurrenceState.failed,
                error=f"Not sent: the schedule was {schedule.state} before it could be.",
                now=now,
            )
            outcome.failed.append(occurrence.id)  # type: ignore[arg-type]
            return
        due = Due(
            occurrence_id=occurrence.id,  # type: ignore[arg-type]
            schedule_id=schedule.id,  # type: ignore[arg-type]
            partnership_id=partnership.id,  # type: ignore[arg-type]
            guild_id=partnership.guild_id,
            kind=schedule.kind,
            due_at=occurrence.due_at,
            late=occurrence.late,
            attempt=occurrence.attempts + 1,
            options=dict(schedule.options or {}),
        )
        await self.pacer.spend(handler.requests)
        started = self.clock.now()
        try:
            result = await handler.run(due)
        except TargetGone as exc:
            await self._finish(
                occurrence.id, OccurrenceState.failed, error=str(exc) or "target gone", now=now
            )
            await self._pause_gone(schedule.id, str(exc))  # type: ignore[arg-type]
            if handler.on_gone is not None:
                try:
                    await handler.on_gone(due, str(exc))
                except Exception:
                    logger.exception("Could not report a missing target for %s", due)
            outcome.failed.append(due.occurrence_id)
            return
        except TransientError as exc:
            # Back off from when the attempt failed, not when it began: discord.py itself
            # retries a 5xx for about 25 seconds before giving up.
            failed_at = now + (self.clock.now() - started)
            if due.attempt > len(self.retry_delays):
                await self._finish(
                    occurrence.id, OccurrenceState.failed, error=str(exc), now=failed_at
                )
                await self._log_failure(partnership, schedule, due, str(exc))
                outcome.failed.append(due.occurrence_id)
                return
            retry_at = failed_at + timedelta(seconds=self.retry_delays[due.attempt - 1])
            # Retried, so a warning: an error is for what nobody will try again.
            logger.warning(
                "Action %s for occurrence %s failed for now; retrying at %s: %s",
                schedule.kind,
                due.occurrence_id,
                retry_at.isoformat(),
                exc,
            )
            await self._mark_retry(occurrence.id, due.attempt, retry_at, str(exc))  # type: ignore[arg-type]
            self._schedule_retry(occurrence.id, retry_at)  # type: ignore[arg-type]
            outcome.retrying.append(due.occurrence_id)
            return
        except Exception as exc:
            logger.exception("Action %s failed for occurrence %s", schedule.kind, due.occurrence_id)
            await self._finish(
                occurrence.id, OccurrenceState.failed, error=f"{type(exc).__name__}: {exc}", now=now
            )
            await self._log_failure(partnership, schedule, due, str(exc))
            outcome.failed.append(due.occurrence_id)
            return
        await self._finish(
            occurrence.id, OccurrenceState.done, result=result, attempts=due.attempt, now=now
        )
        outcome.ran.append(due.occurrence_id)

    # ------------------------------------------------------------------ recovery and retries

    async def recover(self, now: datetime | None = None) -> Outcome:
        """At start: finish what a crash or a stop interrupted.

        Claimed occurrences (their outcome never recorded) and retrying ones run again with the
        same nonce, if still within the grace period; older ones are marked failed.
        """
        now = now or self.clock.now()
        outcome = Outcome()
        async with self.sessions() as session:
            pending = list(
                (
                    await session.exec(
                        select(Occurrence)
                        .join(Schedule, col(Schedule.id) == col(Occurrence.schedule_id))
                        .where(
                            col(Occurrence.state).in_(
                                [OccurrenceState.claimed, OccurrenceState.retrying]
                            ),
                            self._held(),
                        )
                    )
                ).all()
            )
        for occurrence in pending:
            if now - occurrence.due_at > self.window:
                await self._finish(
                    occurrence.id,
                    OccurrenceState.failed,
                    error="not sent before the grace period ended",
                    now=now,
                )
                outcome.failed.append(occurrence.id)  # type: ignore[arg-type]
                continue
            if (
                occurrence.state == OccurrenceState.retrying
                and occurrence.next_attempt_at
                and (occurrence.next_attempt_at > now)
            ):
                self._schedule_retry(occurrence.id, occurrence.next_attempt_at)  # type: ignore[arg-type]
                continue
            await self._attempt(occurrence, outcome, now)
        return outcome

    async def retry_due(self, now: datetime | None = None) -> Outcome:
        """Run every retrying occurrence whose next attempt has come."""
        now = now or self.clock.now()
        outcome = Outcome()
        async with self.sessions() as session:
            due = list(
                (
                    await session.exec(
                        select(Occurrence)
                        .join(Schedule, col(Schedule.id) == col(Occurrence.schedule_id))
                        .where(
                            Occurrence.state == OccurrenceState.retrying,
                            col(Occurrence.next_attempt_at) <= now,
                            self._held(),
                        )
                    )
                ).all()
            )
        for occurrence in due:
            await self._attempt(occurrence, outcome, now)
        return outcome

    async def _retry_one(self, occurrence_id: int) -> None:
        async with self.pacer.slot():
            await self._tracked(self._retry_now(occurrence_id))

    async def _retry_now(self, occurrence_id: int) -> None:
        async with self.sessions() as session:
            occurrence = await session.get(Occurrence, occurrence_id)
        if occurrence is not None and occurrence.state == OccurrenceState.retrying:
            await self._attempt(occurrence, Outcome(), self.clock.now())

    def _schedule_retry(self, occurrence_id: int, at: datetime) -> None:
        if self.aps is None:
            return
        self.aps.add_job(
            self._retry_one,
            trigger=DateTrigger(run_date=at, timezone=UTC),
            args=[occurrence_id],
            id=f"retry:{occurrence_id}",
            replace_existing=True,
            misfire_grace_time=int(self.window.total_seconds()),
        )

    # ------------------------------------------------------------------ bookkeeping

    async def _active_ids(self) -> list[int]:
        async with self.sessions() as session:
            rows = await session.exec(
                select(Schedule.id).where(Schedule.state == ScheduleState.active, self._held())
            )
            return [r for r in rows.all() if r is not None]

    async def _load(self, schedule_id: int) -> tuple[Schedule, Partnership] | None:
        async with self.sessions() as session:
            row = (
                await session.exec(
                    select(Schedule, Partnership)
                    .join(Partnership, col(Partnership.id) == col(Schedule.partnership_id))
                    .where(Schedule.id == schedule_id)
                )
            ).first()
            if row is None:
                return None
            schedule, partnership = row
            if partnership.is_archived and schedule.state == ScheduleState.active:
                return schedule.model_copy(update={"state": ScheduleState.paused}), partnership
            return schedule, partnership

    async def _finish(
        self,
        occurrence_id: int | None,
        state: str,
        *,
        now: datetime,
        error: str | None = None,
        result: dict[str, Any] | None = None,
        attempts: int | None = None,
    ) -> None:
        # One UPDATE by id, no read first: this runs once per post, in every burst.
        values: dict[str, Any] = {"state": state, "finished_at": now, "next_attempt_at": None}
        if error is not None:
            values["last_error"] = error[:1000]
        if result is not None:
            values["result"] = result
        if attempts is not None:
            values["attempts"] = attempts
        async with transaction(self.sessions) as session:
            await session.execute(
                update(Occurrence).where(col(Occurrence.id) == occurrence_id).values(**values)
            )

    async def _mark_retry(
        self, occurrence_id: int, attempts: int, at: datetime, error: str
    ) -> None:
        async with transaction(self.sessions) as session:
            occurrence = await session.get(Occurrence, occurrence_id)
            if occurrence is None:
                return
            occurrence.state = OccurrenceState.retrying
            occurrence.attempts = attempts
            occurrence.next_attempt_at = at
            occurrence.last_error = error[:1000]
            session.add(occurrence)

    async def _pause_gone(self, schedule_id: int, reason: str) -> None:
        async with transaction(self.sessions) as session:
            schedule = await session.get(Schedule, schedule_id)
            if schedule is None or schedule.state != ScheduleState.active:
                return
            partnership = await session.get(Partnership, schedule.partnership_id)
            schedule.state = ScheduleState.paused
            schedule.paused_reason = reason or "Its channel no longer exists."
            schedule.updated_at = self.clock.now()
            session.add(schedule)
            if partnership is not None:
                await partnership_log.record(
                    session,
                    partnership,
                    "schedule.paused",
                    f"Schedule {schedule_id} was paused: {schedule.paused_reason}",
                    actor_id=None,
                    payload={"schedule_id": schedule_id, "reason": schedule.paused_reason},
                    at=self.clock.now(),
                )
        await self.sync(schedule_id)

    async def _log_failure(
        self, partnership: Partnership, schedule: Schedule, due: Due, error: str
    ) -> None:
        async with transaction(self.sessions) as session:
            fresh = await session.get(Partnership, partnership.id)
            if fresh is None:
                return
            await partnership_log.record(
                session,
                fresh,
                "schedule.failed",
                f"A scheduled {schedule.kind} could not be sent after {due.attempt} "
                f"{_plural(due.attempt, 'attempt')}.",
                actor_id=None,
                payload={
                    "schedule_id": schedule.id,
                    "occurrence_id": due.occurrence_id,
                    "due_at": due.due_at.isoformat(),
                    "error": error[:300],
                },
                at=self.clock.now(),
            )


def _plural(n: int, word: str) -> str:
    return word if n == 1 else f"{word}s"
