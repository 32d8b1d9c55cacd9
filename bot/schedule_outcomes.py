"""The schedule engine's runs and their outcomes (part of `bot.scheduling.ScheduleEngine`):
running the action for a claimed occurrence and recording what happened, retries with backoff,
recovery at start, and pausing a schedule whose target is gone."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.triggers.date import DateTrigger
from sqlalchemy import bindparam, insert
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.schedule_actions import (
    ActionHandler,
    Done,
    Due,
    Outcome,
    TargetGone,
    TransientError,
    plural,
)
from bot.schedule_records import UPDATE_OCCURRENCE, DoneRecords, Record
from bot.services import log as partnership_log
from db.engine import transaction
from db.models import Occurrence, OccurrenceState, Partnership, Schedule, ScheduleState

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.pacing import Pacer, Slot
    from bot.services.clock import Clock
    from db.engine import SessionFactory

logger = logging.getLogger("bot.scheduling")


class ScheduleOutcomes:
    """Part of `ScheduleEngine`: attempts, their outcomes, retries and recovery."""

    sessions: SessionFactory
    clock: Clock
    window: timedelta
    retry_delays: tuple[float, ...]
    actions: dict[str, ActionHandler]
    aps: AsyncIOScheduler | None
    pacer: Pacer
    _done_records: DoneRecords
    _in_flight: set[asyncio.Task[Any]]

    if TYPE_CHECKING:  # the engine's own

        def _held(self) -> Any: ...

        async def _tracked(self, work: Awaitable[Any]) -> None: ...

        async def sync(self, schedule_id: int) -> None: ...

    async def _attempt(
        self,
        occurrence: Occurrence,
        outcome: Outcome,
        now: datetime,
        *,
        loaded: tuple[Schedule, Partnership] | None = None,
        prepared: Any = None,
        slot: Slot | None = None,
    ) -> None:
        """Run the action for a claimed (or retrying) occurrence and record what happened.

        `loaded`: the schedule and partnership as just read by the caller, if it has them;
        `prepared`: what the action's `prepare` made with the claim; `slot`: the run's pacer
        slot, given back once the action is done and its outcome waits to be written (with
        those of other runs finishing about then, `DoneRecords`).
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
        due = Due.of(
            occurrence, schedule, partnership, attempt=occurrence.attempts + 1, prepared=prepared
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
            await self._failed(occurrence, partnership, schedule, due, exc, now)
            outcome.failed.append(due.occurrence_id)
            return
        record: Record | None = None
        if isinstance(result, Done):
            values, record = result.result, result.record
        else:
            values = result
        if slot is not None:
            slot.release()
        try:
            await self._done_records.done(
                occurrence.id,  # type: ignore[arg-type]
                result=values,
                attempts=due.attempt,
                now=now,
                record=record,
                gather=len(self._in_flight) > 1,  # others under way: record it with theirs
            )
        except SQLAlchemyError as exc:
            if record is None:
                raise
            await self._failed(occurrence, partnership, schedule, due, exc, now)
            outcome.failed.append(due.occurrence_id)
            return
        outcome.ran.append(due.occurrence_id)

    async def _failed(
        self,
        occurrence: Occurrence,
        partnership: Partnership,
        schedule: Schedule,
        due: Due,
        exc: Exception,
        now: datetime,
    ) -> None:
        logger.exception(
            "Action %s failed for occurrence %s", schedule.kind, due.occurrence_id, exc_info=exc
        )
        await self._finish(
            occurrence.id, OccurrenceState.failed, error=f"{type(exc).__name__}: {exc}", now=now
        )
        await self._log_failure(partnership, schedule, due, str(exc))

    # ------------------------------------------------------------------ recovery and retries

    async def recover(self, now: datetime | None = None) -> Outcome:
        """At start: finish what a crash or a stop interrupted.

        Claimed occurrences (their outcome never recorded) and retrying ones run again with the
        same nonce, if still within the grace period; older ones are marked failed.
        """
        now = now or self.clock.now()
        outcome = Outcome()
        pending = await self._occurrences(
            col(Occurrence.state).in_([OccurrenceState.claimed, OccurrenceState.retrying])
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
        due = await self._occurrences(
            Occurrence.state == OccurrenceState.retrying,
            col(Occurrence.next_attempt_at) <= now,
        )
        for occurrence in due:
            await self._attempt(occurrence, outcome, now)
        return outcome

    async def _occurrences(self, *conditions: Any) -> list[Occurrence]:
        """The occurrences meeting `conditions` among this process's servers' schedules."""
        async with self.sessions() as session:
            query = (
                select(Occurrence)
                .join(Schedule, col(Schedule.id) == col(Occurrence.schedule_id))
                .where(*conditions, self._held())
            )
            return list((await session.exec(query)).all())

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
            return await load_schedule(session, schedule_id)

    async def _finish(
        self,
        occurrence_id: int | None,
        state: str,
        *,
        now: datetime,
        error: str | None = None,
        result: dict[str, Any] | None = None,
        attempts: int | None = None,
        record: Record | None = None,
    ) -> None:
        """One UPDATE by id, no read first (this runs once per post, in every burst), after
        the action's own writes (`record`) in the same transaction."""
        values: dict[str, Any] = {"state": state, "finished_at": now, "next_attempt_at": None}
        if error is not None:
            values["last_error"] = error[:1000]
        if result is not None:
            values["result"] = result
        if attempts is not None:
            values["attempts"] = attempts
        async with transaction(self.sessions) as session:
            if record is not None:
                await record(session)
            await session.exec(UPDATE_OCCURRENCE, params={"occurrence_id": occurrence_id, **values})

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
                f"{plural(due.attempt, 'attempt')}.",
                actor_id=None,
                payload={
                    "schedule_id": schedule.id,
                    "occurrence_id": due.occurrence_id,
                    "due_at": due.due_at.isoformat(),
                    "error": error[:300],
                },
                at=self.clock.now(),
            )


# The hot path's statements, built once (building and keying a statement costs more CPU than
# SQLite running it): the schedule with its partnership, as read and as read for the claim.
_LOAD = (
    select(Schedule, Partnership)
    .join(Partnership, col(Partnership.id) == col(Schedule.partnership_id))
    .where(col(Schedule.id) == bindparam("schedule_id"))
)
_LOAD_LOCKED = _LOAD.with_for_update(of=Schedule)  # type: ignore[arg-type]
_OCCURRENCES = Occurrence.__table__  # type: ignore[attr-defined]
_INSERT_OCCURRENCE = insert(_OCCURRENCES).returning(_OCCURRENCES.c.id)


async def insert_occurrence(session: AsyncSession, occurrence: Occurrence) -> int:
    """Insert an occurrence row (Core, no unit of work) and return its id; the object itself
    stays out of the session."""
    result = await session.exec(_INSERT_OCCURRENCE, params=occurrence.model_dump(exclude={"id"}))
    return int(result.scalar_one())


async def load_schedule(
    session: AsyncSession, schedule_id: int, *, lock: bool = False
) -> tuple[Schedule, Partnership] | None:
    """A schedule and its partnership; active but archived reads as paused. `lock`: the
    schedule's row is locked until the transaction ends (PostgreSQL; SQLite's writer holds
    the whole database)."""
    query = _LOAD_LOCKED if lock else _LOAD
    row = (await session.exec(query, params={"schedule_id": schedule_id})).first()
    if row is None:
        return None
    return as_loaded(*row)


def as_loaded(schedule: Schedule, partnership: Partnership) -> tuple[Schedule, Partnership]:
    """A schedule as the engine sees it: active but archived reads as paused."""
    if partnership.is_archived and schedule.state == ScheduleState.active:
        return schedule.model_copy(update={"state": ScheduleState.paused}), partnership
    return schedule, partnership
