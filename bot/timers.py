"""One-off timers on the schedule engine's exactly-once rule: a trust round's reminder and close,
an action's reminders, a goal's automatic nudge, an anonymous answer shown late.

- **Made with their subject.** A service adds a timer (`add`) in the same transaction that
  opens the round, logs the action or proposes the goal; the row is unique per (kind, subject,
  due time), so adding it twice (again at start, by `seed`) is harmless.
- **Claim, then act.** Every `poll_interval` seconds the engine reads the due timers of the
  servers this process holds (`holds`, from `SHARD_COUNT` / `SHARD_IDS`, see `bot.shards`) and
  claims each with a conditional update (pending or retrying → running): only the process whose
  update changed the row runs it. Two processes holding the same servers still run it once.
- **Record the outcome.** The handler returns what it did (`done`, with its outcome), raises
  `TimerSkipped` when there is nothing left to do (the round was closed early, the action is
  done: `skipped`), `TransientError` for a passing failure (`retrying` with the schedule
  engine's back-off, then `done` or `failed`), anything else: `failed`, logged.
- **At most once.** A timer left `running` by a process that died is marked failed after
  `STALE_AFTER`, never run again: a reminder half sent is not sent twice.
- **Paced.** Each timer runs in a slot of the schedule engine's `Pacer` (`bot.pacing`): it
  waits for commands under way, and the handler counts each request it makes to Discord
  (`await fire.spend(n)` before it), so a burst of timers and scheduled posts together stays
  under Discord's global rate limit.
- **Seeded for the held servers.** At start each kind's seed adds the timers of subjects made
  before timers existed, reading only the servers this process holds (the `held` condition it
  is given).

Handlers are registered by the cogs that know how to post (`register`); nothing here imports
Discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.pacing import Pacer, Spend, spend_nothing
from bot.scheduling import DEFAULT_RETRY_DELAYS, SHUTDOWN_WAIT_SECONDS, TransientError
from bot.services.clock import Clock, SystemClock
from bot.shards import guild_filter, held_clause
from db.engine import SessionFactory, transaction
from db.models import WAITING_STATES, Timer, TimerState, utcnow

logger = logging.getLogger(__name__)

DEFAULT_TIMER_POLL_SECONDS = 5.0
# A timer still `running` this long after its claim belonged to a process that stopped midway.
STALE_AFTER = timedelta(minutes=15)
# Timers claimed per poll: the rest wait for the next one.
BATCH = 200


class TimerSkipped(Exception):
    """Nothing left to do (the subject was closed, done or changed): the timer is `skipped`."""


@dataclass(frozen=True)
class Fire:
    """What a handler is given: one claimed timer."""

    timer_id: int
    kind: str
    subject_id: int
    guild_id: int
    partnership_id: int
    due_at: datetime
    attempt: int
    options: dict[str, Any]
    # Wait until `n` more requests to Discord fit under the rate (the engine's pacer); call it
    # before each request the handler makes.
    spend: Spend = field(default=spend_nothing, compare=False, repr=False)

    @property
    def nonce(self) -> str:
        """A stable nonce for Discord (≤ 25 characters): the same for every attempt."""
        return f"pb-tmr-{self.timer_id}"


TimerRun = Callable[[Fire], Awaitable[dict[str, Any]]]
# A guild id column → the SQL condition "this process holds the row's server".
Held = Callable[[Any], ColumnElement[bool]]
# Adds, in the given session, the timers of subjects made before timers existed (idempotent),
# for the servers `held` keeps.
TimerSeed = Callable[[AsyncSession, datetime, Held], Awaitable[int]]
# A seed written before seeds were told which servers are held: it reads every server.


def holds_every_server(_column: Any) -> ColumnElement[bool]:
    """The `held` condition of an unsharded process."""
    return true()


@dataclass
class Fired:
    """What one `run_due` did (for logs and tests): timer ids by outcome."""

    done: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    lost: int = 0  # claimed by another process first


async def add(
    session: AsyncSession,
    kind: str,
    subject_id: int,
    due_at: datetime,
    *,
    guild_id: int,
    partnership_id: int,
    options: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Add a timer in the caller's transaction; nothing happens if the same one exists."""
    values = {
        "kind": kind,
        "subject_id": subject_id,
        "due_at": due_at,
        "guild_id": guild_id,
        "partnership_id": partnership_id,
        "options": options or {},
        "state": TimerState.pending.value,
        "attempts": 0,
        "created_at": now or utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(Timer)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["kind", "subject_id", "due_at"])
    )
    await session.exec(statement)  # type: ignore[call-overload]


async def cancel(session: AsyncSession, kind: str, subject_id: int) -> int:
    """Cancel a subject's waiting timers of one kind (its due date changed); returns how many."""
    result = await session.exec(
        update(Timer)
        .where(
            col(Timer.kind) == kind,
            col(Timer.subject_id) == subject_id,
            col(Timer.state).in_(WAITING_STATES),
        )
        .values(state=TimerState.cancelled)
    )
    return int(result.rowcount or 0)


class TimerEngine:
    def __init__(
        self,
        sessions: SessionFactory,
        *,
        clock: Clock | None = None,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        shard_count: int | None = None,
        shard_ids: Sequence[int] | None = None,
        poll_interval: float = DEFAULT_TIMER_POLL_SECONDS,
        pacer: Pacer | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock or SystemClock()
        self.retry_delays = tuple(retry_delays)
        self.shard_count = shard_count
        self.shard_ids = None if shard_ids is None else tuple(shard_ids)
        self.holds = guild_filter(shard_count, shard_ids)
        self.poll_interval = poll_interval
        # Shared with the schedule engine in the bot: one rate, and commands first, for both.
        self.pacer = pacer or Pacer.unpaced()
        self.handlers: dict[str, TimerRun] = {}
        self.seeds: dict[str, TimerSeed] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    # ------------------------------------------------------------------ wiring

    def register(self, kind: str, run: TimerRun, seed: TimerSeed | None = None) -> None:
        """Run `run` for each due timer of `kind`; `seed` adds timers for existing subjects."""
        self.handlers[kind] = run
        if seed is not None:
            self.seeds[kind] = seed

    def unregister(self, kind: str) -> None:
        """Forget a kind (its extension was unloaded): its timers wait."""
        self.handlers.pop(kind, None)
        self.seeds.pop(kind, None)

    def start(self) -> None:
        """Seed, then poll every `poll_interval` seconds (needs the running loop). The bot starts
        it once connected, like the schedules' catch-up."""
        if self._task is None:
            self._stopping = asyncio.Event()
            self._task = asyncio.create_task(self._loop(), name="partnerbot: timers")

    async def shutdown(self) -> None:
        """Stop polling: a timer already under way records its outcome first (within
        `SHUTDOWN_WAIT_SECONDS`); the rest wait for the next start."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        done, _pending = await asyncio.wait({task}, timeout=SHUTDOWN_WAIT_SECONDS)
        if not done:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        try:
            await self.seed()
        except Exception:
            logger.exception("Could not add the timers of existing rounds, actions and goals")
        while not self._stopping.is_set():
            try:
                await self.run_due()
            except Exception:
                # A passing database problem: the next poll looks again.
                logger.warning("Could not run the due timers", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.poll_interval)

    async def seed(self, now: datetime | None = None) -> int:
        """Add the timers of subjects made before timers existed (idempotent)."""
        now = now or self.clock.now()
        added = 0
        for kind, seed in self.seeds.items():
            async with transaction(self.sessions) as session:
                added += await seed(session, now, self.held_guilds)
            logger.debug("Seeded timers of %s", kind)
        return added

    # ------------------------------------------------------------------ the rule

    def held_guilds(self, column: Any) -> ColumnElement[bool]:
        """The SQL condition: `column` (a guild id) is a server this process holds."""
        return held_clause(column, self.shard_count, self.shard_ids)

    def _held(self) -> Any:
        return self.held_guilds(col(Timer.guild_id))

    async def run_due(self, now: datetime | None = None) -> Fired:
        """Claim and run every due timer of the held servers whose kind is registered."""
        now = now or self.clock.now()
        fired = Fired()
        if not self.handlers:
            return fired
        await self._fail_stale(now, fired)
        async with self.sessions() as session:
            due = list(
                (
                    await session.exec(
                        select(Timer)
                        .where(
                            col(Timer.kind).in_(list(self.handlers)),
                            or_(
                                (col(Timer.state) == TimerState.pending)
                                & (col(Timer.due_at) <= now),
                                (col(Timer.state) == TimerState.retrying)
                                & (col(Timer.next_attempt_at) <= now),
                            ),
                            self._held(),
                        )
                        .order_by(col(Timer.due_at), col(Timer.id))
                        .limit(BATCH)
                    )
                ).all()
            )
        for timer in due:
            if not self.holds(timer.guild_id):
                continue  # another process's server
            async with self.pacer.slot():  # behind commands, and one slot of the shared few
                if self._stopping.is_set():
                    break  # stopping: the rest wait for the next start
                if timer.kind not in self.handlers:
                    continue  # its extension was just unloaded
                if not await self._claim(timer, now):
                    fired.lost += 1
                    continue
                await self._run(timer, now, fired)
        return fired

    async def _claim(self, timer: Timer, now: datetime) -> bool:
        async with transaction(self.sessions) as session:
            result = await session.exec(
                update(Timer)
                .where(
                    col(Timer.id) == timer.id,
                    col(Timer.state) == timer.state,
                    col(Timer.attempts) == timer.attempts,
                )
                .values(state=TimerState.running, claimed_at=now, attempts=timer.attempts + 1)
            )
            return bool(result.rowcount)

    async def _run(self, timer: Timer, now: datetime, fired: Fired) -> None:
        assert timer.id is not None
        fire = Fire(
            timer_id=timer.id,
            kind=timer.kind,
            subject_id=timer.subject_id,
            guild_id=timer.guild_id,
            partnership_id=timer.partnership_id,
            due_at=timer.due_at,
            attempt=timer.attempts + 1,
            options=dict(timer.options or {}),
            spend=self.pacer.spend,
        )
        started = self.clock.now()
        try:
            outcome = await self.handlers[timer.kind](fire)
        except TimerSkipped as exc:
            await self._finish(timer.id, TimerState.skipped, now, outcome={"skipped": str(exc)})
            fired.skipped.append(timer.id)
        except TransientError as exc:
            if fire.attempt > len(self.retry_delays):
                await self._finish(timer.id, TimerState.failed, now, error=str(exc))
                fired.failed.append(timer.id)
                logger.error(
                    "Timer %s (%s) failed after %d attempts", timer.id, timer.kind, fire.attempt
                )
                return
            # Back off from when the attempt failed, not when it began (as the schedule engine).
            failed_at = now + (self.clock.now() - started)
            retry_at = failed_at + timedelta(seconds=self.retry_delays[fire.attempt - 1])
            logger.warning(
                "Timer %s (%s) failed for now; retrying at %s: %s",
                timer.id,
                timer.kind,
                retry_at.isoformat(),
                exc,
            )
            await self._finish(
                timer.id, TimerState.retrying, None, error=str(exc), next_attempt_at=retry_at
            )
            fired.retrying.append(timer.id)
        except Exception as exc:
            logger.exception("Timer %s (%s) failed", timer.id, timer.kind)
            await self._finish(
                timer.id, TimerState.failed, now, error=f"{type(exc).__name__}: {exc}"
            )
            fired.failed.append(timer.id)
        else:
            await self._finish(timer.id, TimerState.done, now, outcome=outcome)
            fired.done.append(timer.id)

    async def _finish(
        self,
        timer_id: int,
        state: str,
        now: datetime | None,
        *,
        outcome: dict[str, Any] | None = None,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> None:
        async with transaction(self.sessions) as session:
            timer = await session.get(Timer, timer_id)
            if timer is None:
                return
            timer.state = state
            timer.finished_at = now
            timer.next_attempt_at = next_attempt_at
            if outcome is not None:
                timer.outcome = outcome
            if error is not None:
                timer.last_error = error[:1000]
            session.add(timer)

    async def _fail_stale(self, now: datetime, fired: Fired) -> None:
        """Timers left running by a process that stopped midway: failed, never run again."""
        async with transaction(self.sessions) as session:
            stale = list(
                (
                    await session.exec(
                        select(Timer.id).where(
                            col(Timer.state) == TimerState.running,
                            col(Timer.claimed_at) < now - STALE_AFTER,
                            self._held(),
                        )
                    )
                ).all()
            )
            if not stale:
                return
            await session.exec(
                update(Timer)
                .where(col(Timer.id).in_(stale), col(Timer.state) == TimerState.running)
                .values(
                    state=TimerState.failed,
                    finished_at=now,
                    last_error="interrupted: the process running it stopped before it finished",
                )
            )
        fired.failed += [i for i in stale if i is not None]
        logger.warning("Marked %d interrupted timers failed", len(stale))
