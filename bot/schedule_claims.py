"""Claiming occurrences (part of `bot.scheduling.ScheduleEngine`), several in one transaction.

A claim reads the schedule (its row locked), moves its `handled_until` past the occurrence,
records the missed and inserts the occurrence's row, unique per (schedule, due time): whoever
inserts it runs it, and a second process reaching the same occurrence finds it handled or fails
the insert. The action's `prepare` runs in the same transaction.

**Claimed a few ahead.** When many occurrences fall due together (a thousand prompts at 9:00),
each one's job waits for a pacer slot (`bot.pacing`). The first to get one claims, in one
transaction, its own schedule and those of up to `CLAIM_AHEAD - 1` jobs still waiting, in the
order they wait (1, 2, 4… at a burst's start, so its first post waits for one claim only): one
read of the schedules, one update of their `handled_until`, one insert of their occurrences,
then each action's `prepare`, once for its occurrences in the batch (the prompt action chooses
all their prompts with one query per step). The waiting jobs find their claim made when their
slot comes (within a second at Discord's rate) and run it. Each occurrence is still claimed by
exactly one insert in one process; if the batch loses a race on one of them (the
insert fails), each schedule is claimed again on its own. An occurrence claimed ahead whose job
never ran (the bot stopped meanwhile) is left `claimed` and run again at the next start
(`recover`), like one interrupted between claim and post.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.schedule_actions import ActionHandler, Due, plural
from bot.schedule_outcomes import as_loaded
from bot.services import log as partnership_log
from bot.services.occurrences import count_between, latest_due, latest_occurrences
from bot.services.recurrence import RecurrenceSpec
from bot.services.schedules.spec import spec_of
from db.engine import transaction
from db.models import Occurrence, OccurrenceState, Partnership, Schedule, ScheduleState

if TYPE_CHECKING:
    from collections.abc import Callable

    from bot.services.clock import Clock
    from db.engine import SessionFactory

logger = logging.getLogger("bot.scheduling")

# An occurrence run more than this after its time is marked late.
LATE_AFTER = timedelta(minutes=2)
# Missed occurrences recorded one by one after downtime; the rest are counted in the log.
MISSED_ROWS = 50
# Occurrences claimed in one transaction: about half a second of posts at Discord's rate.
# Not more: the claim holds SQLite's write turn, and runs waiting to record their outcome meanwhile
# hold their pacer slots (24 cost a burst about 4 % more time for no less CPU).
CLAIM_AHEAD = 12

_SCHEDULES = Schedule.__table__  # type: ignore[attr-defined]
_OCCURRENCES = Occurrence.__table__  # type: ignore[attr-defined]
# Built once, as the hot path's statements are (`bot.schedule_outcomes`).
_ADVANCE = (
    update(_SCHEDULES)
    .where(_SCHEDULES.c.id == bindparam("schedule_id"))
    .values(handled_until=bindparam("cutoff"))
)
_LOAD_MANY = (
    select(Schedule, Partnership)
    .join(Partnership, col(Partnership.id) == col(Schedule.partnership_id))
    .where(col(Schedule.id).in_(bindparam("schedule_ids", expanding=True)))
    .order_by(col(Schedule.id))  # two processes lock overlapping batches in the same order
    .with_for_update(of=Schedule)  # type: ignore[arg-type]
)
# A batch's occurrences in one INSERT, each id matched to its claim by its schedule (one
# occurrence per schedule in a batch): asked to return the rows in order, SQLAlchemy would insert
# them one at a time on SQLite.
_INSERT_OCCURRENCES = insert(_OCCURRENCES).returning(_OCCURRENCES.c.id, _OCCURRENCES.c.schedule_id)


@dataclass
class Claim:
    """What claiming one schedule gave: the occurrence to run (None: nothing to run here),
    with its schedule, partnership and what its action prepared; how many were missed."""

    occurrence: Occurrence | None = None
    schedule: Schedule | None = None
    partnership: Partnership | None = None
    prepared: Any = None
    missed: int = 0


class ScheduleClaims:
    """Part of `ScheduleEngine`: claims, alone or a few ahead."""

    sessions: SessionFactory
    clock: Clock
    window: timedelta
    actions: dict[str, ActionHandler]
    holds: Callable[[int], bool]
    started_at: datetime | None
    # Jobs waiting for their claim (for a pacer slot, then for their turn to claim), in the
    # order they fell due, and the claims made ahead for them.
    _waiting: dict[int, None]
    _claimed_ahead: dict[int, Claim]
    _claiming: asyncio.Lock
    _claim_ramp: int

    def _init_claims(self) -> None:
        self._waiting = {}
        self._claimed_ahead = {}
        self._claiming = asyncio.Lock()
        # The next batch's size: doubled from 1 while jobs keep waiting, up to `CLAIM_AHEAD`.
        self._claim_ramp = 1

    async def _claim_in_turn(self, schedule_id: int) -> tuple[Claim, datetime]:
        """This schedule's claim, with when it was made: made ahead by an earlier job, or now
        with those of the next few jobs waiting (`CLAIM_AHEAD`), in the order they wait."""
        ahead = self._claimed_ahead.pop(schedule_id, None)
        if ahead is None:
            async with self._claiming:
                ahead = self._claimed_ahead.pop(schedule_id, None)
                if ahead is None:
                    batch = [schedule_id]
                    limit = self._claim_ramp
                    for waiting in self._waiting:
                        if len(batch) == limit:
                            break
                        if waiting != schedule_id and waiting not in self._claimed_ahead:
                            batch.append(waiting)
                    # A burst's first post waits for one claim, not for a whole batch.
                    full = len(batch) == limit
                    self._claim_ramp = min(CLAIM_AHEAD, 2 * limit) if full else 1
                    now = self.clock.now()
                    claims = await self._claim_each(batch, now)
                    for other in batch[1:]:
                        self._claimed_ahead[other] = claims[other]
                    self._waiting.pop(schedule_id, None)
                    return claims[schedule_id], now
        self._waiting.pop(schedule_id, None)  # claimed: no later batch claims it again
        return ahead, self.clock.now()

    async def _claim_each(self, schedule_ids: Sequence[int], now: datetime) -> dict[int, Claim]:
        """Claim these schedules in one transaction; if that loses a race on one of them,
        each on its own (a schedule another process claimed first gets an empty claim)."""
        try:
            return await self._claim_many(schedule_ids, now)
        except IntegrityError:
            if len(schedule_ids) == 1:
                raise
        claims: dict[int, Claim] = {}
        for schedule_id in schedule_ids:
            try:
                claims.update(await self._claim_many([schedule_id], now))
            except IntegrityError:
                claims[schedule_id] = Claim()  # another process or job claimed it first
        return claims

    async def _claim_many(self, schedule_ids: Sequence[int], now: datetime) -> dict[int, Claim]:
        """One transaction: read the schedules (their rows locked), move each one's
        `handled_until`, record the missed, claim the latest of each and let its action prepare
        it (`ActionHandler.prepare`). Raises `IntegrityError` if another process claimed one."""
        claims = {schedule_id: Claim() for schedule_id in schedule_ids}
        async with transaction(self.sessions) as session:
            rows = (
                await session.exec(_LOAD_MANY, params={"schedule_ids": list(claims)})  # type: ignore[call-overload]
            ).all()
            advance: list[dict[str, Any]] = []
            to_run: list[tuple[Claim, ActionHandler]] = []
            for row in rows:
                schedule, partnership = as_loaded(*row)
                claim = claims[schedule.id]  # type: ignore[index]
                handler = self._claimable(schedule)
                if handler is None:
                    continue
                spec = spec_of(schedule, partnership.timezone)
                since = schedule.handled_until
                latest = latest_due(spec, now, since)
                if latest is None:
                    continue  # nothing due, or another process got here first
                run_latest = now - latest <= self.window
                advance.append(
                    {"schedule_id": schedule.id, "cutoff": latest if run_latest else now}
                )
                claim.missed = await self._record_missed(
                    session, spec, schedule, partnership, since, latest, run_latest, now
                )
                if run_latest:
                    claim.schedule, claim.partnership = schedule, partnership
                    claim.occurrence = self._new_occurrence(schedule, latest, now)
                    to_run.append((claim, handler))
            if advance:
                await session.exec(_ADVANCE, params=advance)
            if to_run:
                values = [claim.occurrence.model_dump(exclude={"id"}) for claim, _ in to_run]  # type: ignore[union-attr]
                inserted = await session.exec(_INSERT_OCCURRENCES, params=values)
                ids = {schedule_id: occurrence_id for occurrence_id, schedule_id in inserted}
                by_handler: dict[int, tuple[ActionHandler, list[Claim]]] = {}
                for claim, handler in to_run:
                    claim.occurrence.id = ids[claim.occurrence.schedule_id]  # type: ignore[union-attr]
                    by_handler.setdefault(id(handler), (handler, []))[1].append(claim)
                for handler, batch in by_handler.values():
                    await self._prepare(session, handler, batch)
        return claims

    def _claimable(self, schedule: Schedule) -> ActionHandler | None:
        """The action to claim an active schedule of this process's servers for, if any."""
        if schedule.state != ScheduleState.active or not self.holds(schedule.guild_id):
            return None  # stopped, or another process's server
        handler = self.actions.get(schedule.kind)
        if handler is None:
            logger.warning("No action registered for schedule %s (%s)", schedule.id, schedule.kind)
        return handler

    def _new_occurrence(self, schedule: Schedule, due: datetime, now: datetime) -> Occurrence:
        return Occurrence(
            schedule_id=schedule.id,  # type: ignore[arg-type]
            partnership_id=schedule.partnership_id,
            due_at=due,
            state=OccurrenceState.claimed,
            # Late: well after its time, or due while the bot was not running (an every-minute
            # occurrence caught up at start is seconds old, yet missed).
            late=now - due > LATE_AFTER or (self.started_at is not None and due < self.started_at),
            claimed_at=now,
        )

    async def _record_missed(
        self,
        session: AsyncSession,
        spec: RecurrenceSpec,
        schedule: Schedule,
        partnership: Partnership,
        since: datetime,
        latest: datetime,
        run_latest: bool,
        now: datetime,
    ) -> int:
        """Record the occurrences in (since, latest] that will not run (the latest too unless
        it runs); how many."""
        count, rows = self._missed(spec, since, latest, include_latest=not run_latest)
        for due in rows:
            session.add(
                Occurrence(
                    schedule_id=schedule.id,  # type: ignore[arg-type]
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
                f"{count} scheduled {plural(count, 'occurrence')} passed while the bot "
                "was offline and were not sent.",
                actor_id=None,
                payload={"schedule_id": schedule.id, "count": count, "kind": schedule.kind},
                at=now,
            )
        return count

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
        count = count_between(spec, since, end)
        if not count:  # the usual case: nothing between the last one handled and this one
            return 0, []
        return count, latest_occurrences(spec, since, end, MISSED_ROWS)

    async def _prepare(
        self, session: AsyncSession, handler: ActionHandler, claims: list[Claim]
    ) -> None:
        """The action's own preparation of its occurrences claimed together, in the claim's
        transaction, in one call. If it fails for anything but the database, the claims stand
        and the action prepares each again when it runs (and fails there, recorded like any
        failure)."""
        if handler.prepare is None:
            return
        claimed = []
        for claim in claims:
            assert claim.occurrence and claim.schedule and claim.partnership
            due = Due.of(claim.occurrence, claim.schedule, claim.partnership, attempt=1)
            claimed.append((due, claim.partnership))
        try:
            prepared = await handler.prepare(session, claimed)
        except SQLAlchemyError:
            raise
        except Exception:
            ids = ", ".join(str(claim.occurrence.id) for claim in claims)  # type: ignore[union-attr]
            logger.warning("Could not prepare occurrences %s", ids, exc_info=True)
            return
        for claim, made in zip(claims, prepared, strict=True):
            claim.prepared = made
