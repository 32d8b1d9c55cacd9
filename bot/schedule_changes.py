"""The schedule engine's view of other processes: which servers it holds, and the schedule
changes made through other processes, found by their `updated_at` (see `bot.scheduling`)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import col, func, select

from bot.shards import held_clause
from db.models import Schedule

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from db.engine import SessionFactory

logger = logging.getLogger("bot.scheduling")

# How often each process re-reads schedules changed through another process (well under the
# minute within which a change must reach every process).
DEFAULT_POLL_SECONDS = 15.0
# Each poll looks this far behind the newest change it has seen: a change committed late, or
# stamped by a process whose clock runs a little behind, is still found.
CHANGE_OVERLAP = timedelta(minutes=2)
POLL_JOB = "schedule changes"


class QuietPoll(logging.Filter):
    """APScheduler logs every run of every job at INFO; the poll runs every few seconds, so its
    runs stay out of the log (what it changed, and any failure, the poll logs itself)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return f'"{POLL_JOB} (' not in record.getMessage()


logging.getLogger("apscheduler.executors.default").addFilter(QuietPoll())


class ScheduleChanges:
    """Part of `ScheduleEngine`: the held servers' SQL filter, and the poll for changes."""

    sessions: SessionFactory
    aps: AsyncIOScheduler | None
    shard_count: int | None
    shard_ids: tuple[int, ...] | None
    poll_interval: float
    _changes_seen: datetime | None
    _versions: dict[int, datetime]

    if TYPE_CHECKING:  # the engine's own

        async def sync(self, schedule_id: int) -> None: ...

    def _held(self) -> Any:
        """SQL: the schedule's server is one this process holds."""
        return held_clause(col(Schedule.guild_id), self.shard_count, self.shard_ids)

    async def _start_polling(self, loaded: dict[int, datetime]) -> None:
        """Note the newest change already loaded, then look for newer ones on an interval.

        `loaded`: the version (`updated_at`) of each schedule the engine has just loaded, as
        read. The first poll looks `CHANGE_OVERLAP` behind the newest change, so without them it
        would sync again every schedule changed in those minutes (after a bulk change, all of
        them, each with a read of its own); a row changed since the load has a newer version
        and is still synced."""
        async with self.sessions() as session:
            newest = (
                await session.exec(select(func.max(Schedule.updated_at)).where(self._held()))
            ).one()
        self._changes_seen = newest
        horizon = None if newest is None else newest - CHANGE_OVERLAP
        self._versions = {i: at for i, at in loaded.items() if horizon is None or at > horizon}
        if self.aps is not None:
            self.aps.add_job(
                self._poll_job,
                trigger=IntervalTrigger(seconds=self.poll_interval, timezone=UTC),
                id="schedule-changes",
                name=POLL_JOB,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
            )

    async def _poll_job(self) -> None:
        try:
            await self.poll_changes()
        except Exception:
            # A passing database problem: the next poll looks again from the same point.
            logger.warning("Could not read schedule changes", exc_info=True)

    async def poll_changes(self) -> list[int]:
        """Sync the trigger of every held schedule changed since the last look (by this process
        or another): made, paused, resumed, cancelled, skipped or re-timed. Returns their ids.

        A row is synced once per change (its `updated_at`), so the overlap that catches late
        commits re-reads rows without re-syncing them."""
        query = select(Schedule.id, Schedule.updated_at).where(self._held())
        if self._changes_seen is not None:
            query = query.where(col(Schedule.updated_at) > self._changes_seen - CHANGE_OVERLAP)
        async with self.sessions() as session:
            rows = list((await session.exec(query)).all())
        changed: list[int] = []
        for schedule_id, updated_at in rows:
            if schedule_id is None or self._versions.get(schedule_id) == updated_at:
                continue
            await self.sync(schedule_id)
            self._versions[schedule_id] = updated_at
            changed.append(schedule_id)
            if self._changes_seen is None or updated_at > self._changes_seen:
                self._changes_seen = updated_at
        if self._changes_seen is not None:
            horizon = self._changes_seen - CHANGE_OVERLAP
            self._versions = {i: at for i, at in self._versions.items() if at > horizon}
        if changed:
            logger.info("Synced %d changed schedules", len(changed))
        return changed
