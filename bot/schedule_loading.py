"""Reading every active schedule at once, for the engine's start and catch-up.

One query reads what the engine needs of every active schedule of a live partnership (its id,
server, recurrence, `handled_until` and `updated_at`), as plain rows, not ORM objects: ten
thousand schedules load in a fraction of a second. The guild filter of a sharded process belongs
in that one query (`read_active`'s `where`).

Schedules are mostly alike (daily at 09:30 in Europe/London), so `SpecCache` builds each distinct
recurrence, its trigger and its next run time once, and shares them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from sqlalchemy import ColumnElement, select

from bot.errors import UserFacingError
from bot.services.occurrences import latest_due
from bot.services.recurrence import RecurrenceSpec, build_trigger
from bot.services.timeutil import as_utc
from db.engine import SessionFactory
from db.models import Partnership, Schedule, ScheduleState

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ActiveSchedule:
    schedule_id: int
    guild_id: int
    spec: RecurrenceSpec
    handled_until: datetime
    # The row's version as read (for the engine's poll of changes: `ScheduleChanges`).
    updated_at: datetime


SpecKey = tuple[Any, ...]


class SpecCache:
    """Recurrences, triggers and next run times, built once per distinct recurrence."""

    def __init__(self) -> None:
        self._specs: dict[SpecKey, RecurrenceSpec] = {}
        self._interned: dict[RecurrenceSpec, RecurrenceSpec] = {}
        self._triggers: dict[RecurrenceSpec, BaseTrigger] = {}
        self._next: dict[RecurrenceSpec, tuple[datetime, datetime | None]] = {}

    def spec_for(self, key: SpecKey) -> RecurrenceSpec:
        """The spec for a row's recurrence columns (see `_KEY_COLUMNS`), built once."""
        spec = self._specs.get(key)
        if spec is None:
            cadence, local_time, weekdays, day_of_month, cron, anchor, holidays, zone = key
            hour, minute = (int(x) for x in local_time.split(":"))
            spec = self.intern(
                RecurrenceSpec(
                    cadence=cadence,
                    local_time=time(hour, minute),
                    timezone=zone,
                    weekdays=tuple(weekdays),
                    day_of_month=day_of_month,
                    cron=cron,
                    anchor=anchor,
                    holidays=frozenset(date.fromisoformat(d) for d in holidays),
                )
            )
            self._specs[key] = spec
        return spec

    def intern(self, spec: RecurrenceSpec) -> RecurrenceSpec:
        return self._interned.setdefault(spec, spec)

    def trigger(self, spec: RecurrenceSpec) -> BaseTrigger:
        """The spec's trigger; triggers keep no state, so one serves every schedule."""
        trigger = self._triggers.get(spec)
        if trigger is None:
            trigger = self._triggers[spec] = build_trigger(spec)
        return trigger

    def next_after(self, spec: RecurrenceSpec, now: datetime) -> datetime | None:
        """The spec's first run time after `now`, computed once for the same `now`."""
        cached = self._next.get(spec)
        if cached is not None and cached[0] == now:
            return cached[1]
        fire = self.trigger(spec).get_next_fire_time(None, now)
        self._next[spec] = (now, fire)
        return fire

    def due(self, rows: Iterable[ActiveSchedule], now: datetime) -> Iterator[ActiveSchedule]:
        """The schedules with an occurrence in (handled_until, now]: the ones to catch up.

        One search per distinct recurrence: its latest occurrence up to `now` after the oldest
        `handled_until` among its schedules; a schedule is due when it has not handled that one.
        """
        groups: dict[RecurrenceSpec, list[ActiveSchedule]] = defaultdict(list)
        for row in rows:
            groups[row.spec].append(row)
        for spec, members in groups.items():
            since = min(as_utc(row.handled_until) for row in members)
            latest = latest_due(spec, now, since)
            if latest is None:
                continue
            for row in members:
                if as_utc(row.handled_until) < latest:
                    yield row


_KEY_COLUMNS = (
    Schedule.cadence,
    Schedule.local_time,
    Schedule.weekdays,
    Schedule.day_of_month,
    Schedule.cron,
    Schedule.anchor,
    Schedule.holidays,
    Partnership.timezone,
)


async def read_active(
    sessions: SessionFactory,
    cache: SpecCache,
    *,
    where: ColumnElement[bool] | None = None,
) -> list[ActiveSchedule]:
    """Every active schedule of a partnership that is not archived, in one query.

    `where`: a further condition on the same query (a sharded process's servers).
    """
    query = (
        select(  # type: ignore[call-overload]
            Schedule.id,
            Schedule.guild_id,
            Schedule.handled_until,
            Schedule.updated_at,
            *_KEY_COLUMNS,
        )
        .join(Partnership, Partnership.id == Schedule.partnership_id)
        .where(Schedule.state == ScheduleState.active, Partnership.archived_at.is_(None))  # type: ignore[union-attr]
        .order_by(Schedule.id)
    )
    if where is not None:
        query = query.where(where)
    async with sessions() as session:
        rows = (await session.exec(query)).all()
    loaded: list[ActiveSchedule] = []
    for schedule_id, guild_id, handled_until, updated_at, *columns in rows:
        weekdays, holidays = columns[2], columns[6]
        key = (
            *columns[:2],
            tuple(weekdays or ()),
            *columns[3:6],
            tuple(holidays or ()),
            columns[7],
        )
        try:
            spec = cache.spec_for(key)
        except (UserFacingError, ValueError) as exc:
            log.warning("Schedule %s cannot be read and will not run: %s", schedule_id, exc)
            continue
        loaded.append(ActiveSchedule(schedule_id, guild_id, spec, handled_until, updated_at))
    return loaded
