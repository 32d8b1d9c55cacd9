"""The lifecycle of a schedule, for every kind of scheduled action: create, list, pause,
resume, cancel, skip a day, and re-time after a partnership's time zone changes.

The engine (`bot.scheduling`) decides when an occurrence runs and the kind's action does the
work; this service keeps the `schedule` rows and their log. Every change writes an event to the
partnership log in the same transaction and sets the schedule's `updated_at`; after it commits
the injected `on_change` listener is told the id of each schedule changed, so this process's
engine follows at once, and every other process finds the row by its `updated_at` at its next
poll (`ScheduleEngine.poll_changes`), without any cog carrying the news.

Decisions:

- **Conveners** manage schedules (through `access.authorize`); members may list them.
  Someone who may not see a schedule's partnership is told it does not exist.
- **Resume** does not catch up on what passed while paused: a pause is a decision, not downtime.
- **Skip** adds a holiday to the partnership's active and paused schedules of the kind (or to
  one of them).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import UserFacingError
from bot.services import log
from bot.services.access import Actor, PartnershipRef, Where, convened_partnerships, resolve
from bot.services.clock import Clock, SystemClock
from bot.services.occurrences import latest_due, next_occurrences, occurrences_between
from bot.services.recurrence import describe
from bot.services.schedules.kind import ScheduleKind, ScheduleListener
from bot.services.schedules.lookup import live_schedules, schedule_for
from bot.services.schedules.spec import (
    MAX_HOLIDAYS,
    build_spec,
    describe_schedule,
    local_midnight_utc,
    parse_holidays,
    spec_of,
)
from bot.services.schedules.views import (
    ScheduleSummary,
    ScheduleView,
    SkipResult,
    occurrence_view,
    schedule_view,
    upcoming_of,
)
from bot.services.text import name_of, one_line
from bot.services.timeutil import as_utc, parse_date, zone
from db.engine import SessionFactory, transaction
from db.models import (
    LIVE_STATES,
    Occurrence,
    OccurrenceState,
    Partnership,
    Schedule,
    ScheduleState,
)

# An occurrence this recent when a schedule is re-timed is one falling due right now: the
# engine runs it (the same two minutes it allows an on-time run).
JUST_DUE = timedelta(minutes=2)

UPCOMING = 3  # occurrences shown after a schedule is made or resumed
# Occurrence states worth showing in a list even when a later one went well.
PROBLEM_STATES = (OccurrenceState.retrying, OccurrenceState.failed, OccurrenceState.claimed)


class ScheduleService:
    def __init__(
        self,
        sessions: SessionFactory,
        *,
        clock: Clock | None = None,
        on_change: ScheduleListener,
    ) -> None:
        self.sessions = sessions
        self.clock = clock or SystemClock()
        self.on_change = on_change
        self.kinds: dict[str, ScheduleKind] = {}

    def register(self, kind: ScheduleKind) -> None:
        """Make a kind of schedule known (once, when the services are built)."""
        self.kinds[kind.key] = kind

    def kind(self, key: str) -> ScheduleKind:
        return self.kinds[key]

    async def _changed(self, schedule_ids: Iterable[int]) -> None:
        """Tell the listener about committed changes, one schedule at a time."""
        for schedule_id in schedule_ids:
            await self.on_change(schedule_id)

    # ---- create and list

    async def create_schedule(
        self,
        kind_key: str,
        actor: Actor,
        ref: PartnershipRef,
        *,
        cadence: str,
        local_time: str | None = None,
        day: str | None = None,
        cron: str | None = None,
        holidays: str | None = None,
        start: str | None = None,
        **options: str | None,
    ) -> ScheduleView:
        """A new active schedule of `kind_key`, made by a convener, with its next occurrences.

        `options` are the kind's own (a prompt schedule's `theme`), checked by the kind first.
        """
        kind = self.kind(kind_key)
        stored_options = kind.parse_options(options)
        holiday_list = parse_holidays(holidays)
        start_day = parse_date(start, option="start") if start and start.strip() else None
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, convener=True, writable=True)
            partnership = access.partnership
            spec = build_spec(
                cadence=cadence,
                timezone=partnership.timezone,
                now=now,
                time_text=local_time,
                day=day,
                cron=cron,
                holidays=holiday_list,
                start=start_day,
            )
            count = (
                await session.exec(
                    select(func.count())
                    .select_from(Schedule)
                    .where(
                        Schedule.partnership_id == partnership.id,
                        Schedule.kind == kind.key,
                        col(Schedule.state).in_(LIVE_STATES),
                    )
                )
            ).one()
            if count >= kind.max_live:
                raise UserFacingError(
                    f"{partnership.name} already has {count} {kind.short_noun}s, the most it "
                    f"can have. Cancel one with `{kind.command} cancel` first."
                )
            handled_until = now
            if start_day is not None:
                handled_until = max(now, local_midnight_utc(start_day, partnership.timezone))
            upcoming = next_occurrences(spec, handled_until, UPCOMING)
            if not upcoming:
                raise UserFacingError(
                    "That schedule would never post anything: check its days and holidays."
                )
            schedule = Schedule(
                guild_id=partnership.guild_id,
                partnership_id=access.partnership_id,
                kind=kind.key,
                cadence=spec.cadence,
                local_time=f"{spec.local_time:%H:%M}",
                weekdays=list(spec.weekdays),
                day_of_month=spec.day_of_month,
                cron=spec.cron,
                anchor=spec.anchor,
                holidays=holiday_list,
                options=stored_options,
                state=ScheduleState.active,
                created_by=actor.user_id,
                created_at=now,
                handled_until=handled_until,
                updated_at=now,
            )
            session.add(schedule)
            await session.flush()
            description = describe(spec)
            extra = kind.describe_options(stored_options)
            await log.record(
                session,
                partnership,
                "schedule.created",
                f"{name_of(actor.display_name)} {kind.created} (#{schedule.id}): {description}"
                + (f"; {extra}." if extra else "."),
                actor_id=actor.user_id,
                payload={
                    "schedule_id": schedule.id,
                    "kind": kind.key,
                    "description": description,
                    "cadence": str(spec.cadence),
                    "local_time": schedule.local_time,
                    "weekdays": schedule.weekdays,
                    "day_of_month": schedule.day_of_month,
                    "cron": schedule.cron,
                    "anchor": schedule.anchor.isoformat() if schedule.anchor else None,
                    "holidays": holiday_list,
                    **stored_options,
                    "timezone": partnership.timezone,
                },
                at=now,
            )
            view = schedule_view(schedule, partnership, upcoming=upcoming)
        await self._changed([view.id])
        return view

    async def list_schedules(
        self, kind_key: str, actor: Actor, ref: PartnershipRef
    ) -> tuple[Partnership, list[ScheduleSummary]]:
        """A partnership's live schedules of the kind, each with its latest occurrences."""
        kind = self.kind(kind_key)
        now = self.clock.now()
        async with self.sessions() as session:
            access = await resolve(session, actor, ref)
            partnership = access.partnership
            schedules = await live_schedules(session, partnership.id, kind.key)
            summaries = []
            for schedule in schedules:
                recent = (
                    await session.exec(
                        select(Occurrence)
                        .where(Occurrence.schedule_id == schedule.id)
                        .order_by(col(Occurrence.due_at).desc())
                        .limit(5)
                    )
                ).all()
                last = occurrence_view(recent[0]) if recent else None
                problem = next(
                    (occurrence_view(o) for o in recent[1:] if o.state in PROBLEM_STATES),
                    None,
                )
                upcoming = []
                if schedule.state == ScheduleState.active and not partnership.is_archived:
                    upcoming = upcoming_of(schedule, partnership, now, 1)
                summaries.append(
                    ScheduleSummary(schedule_view(schedule, partnership, upcoming), last, problem)
                )
            return partnership, summaries

    # ---- pause, resume, cancel

    async def pause(self, kind_key: str, actor: Actor, schedule_ref: str) -> ScheduleView:
        """Stop a schedule until a convener resumes it."""
        kind = self.kind(kind_key)
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            schedule, partnership = await schedule_for(session, kind, actor, schedule_ref)
            if schedule.state == ScheduleState.paused:
                raise UserFacingError(f"Schedule #{schedule.id} is already paused.")
            schedule.state = ScheduleState.paused
            schedule.paused_reason = f"Paused by {name_of(actor.display_name)}."
            schedule.updated_at = now
            session.add(schedule)
            view = schedule_view(schedule, partnership)
            await self._log_change(
                session, kind, actor, partnership, view, ScheduleState.paused, now
            )
        await self._changed([view.id])
        return view

    async def resume(self, kind_key: str, actor: Actor, schedule_ref: str) -> ScheduleView:
        """Run a paused schedule again, from now on (what passed while paused is not sent)."""
        kind = self.kind(kind_key)
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            schedule, partnership = await schedule_for(session, kind, actor, schedule_ref)
            if schedule.state == ScheduleState.active:
                raise UserFacingError(f"Schedule #{schedule.id} is already running.")
            schedule.state = ScheduleState.active
            schedule.paused_reason = None
            # What passed while paused is neither posted nor reported missed.
            schedule.handled_until = max(schedule.handled_until, now)
            schedule.updated_at = now
            session.add(schedule)
            view = schedule_view(
                schedule, partnership, upcoming_of(schedule, partnership, now, UPCOMING)
            )
            await self._log_change(session, kind, actor, partnership, view, "resumed", now)
        await self._changed([view.id])
        return view

    async def cancel(self, kind_key: str, actor: Actor, schedule_ref: str) -> ScheduleView:
        """Stop a schedule for good; what it did so far is kept."""
        kind = self.kind(kind_key)
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            schedule, partnership = await schedule_for(session, kind, actor, schedule_ref)
            schedule.state = ScheduleState.cancelled
            schedule.updated_at = now
            session.add(schedule)
            view = schedule_view(schedule, partnership)
            await self._log_change(
                session, kind, actor, partnership, view, ScheduleState.cancelled, now
            )
        await self._changed([view.id])
        return view

    async def _log_change(
        self,
        session: AsyncSession,
        kind: ScheduleKind,
        actor: Actor,
        partnership: Partnership,
        view: ScheduleView,
        verb: str,
        now: datetime,
    ) -> None:
        """Log a convener's pause, resume or cancel of a schedule (`schedule.<verb>`): `verb`
        is what the schedule became (paused, cancelled), or "resumed"."""
        await log.record(
            session,
            partnership,
            f"schedule.{verb}",
            f"{name_of(actor.display_name)} {verb} {kind.noun} #{view.id} ({view.description}).",
            actor_id=actor.user_id,
            payload={"schedule_id": view.id, "kind": kind.key},
            at=now,
        )

    # ---- skip a day

    async def skip(
        self,
        kind_key: str,
        actor: Actor,
        ref: PartnershipRef,
        day_text: str,
        schedule_ref: str | None = None,
    ) -> SkipResult:
        """Skip one local date in one schedule, or in all the partnership's live ones."""
        kind = self.kind(kind_key)
        day = parse_date(day_text, option="date")
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            if schedule_ref and schedule_ref.strip():
                schedule, partnership = await schedule_for(session, kind, actor, schedule_ref)
                schedules = [schedule]
            else:
                access = await resolve(session, actor, ref, convener=True, writable=True)
                partnership = access.partnership
                schedules = await live_schedules(session, partnership.id, kind.key)
                if not schedules:
                    raise UserFacingError(
                        f"{partnership.name} has no {kind.short_noun}s, so there is nothing "
                        "to skip."
                    )
            today = as_utc(now).astimezone(zone(partnership.timezone)).date()
            if day < today:
                raise UserFacingError(
                    f"{day.isoformat()} has already passed in {partnership.timezone}."
                )
            start = local_midnight_utc(day, partnership.timezone)
            end = local_midnight_utc(day + timedelta(days=1), partnership.timezone)
            skipped: list[tuple[ScheduleView, list[datetime]]] = []
            already: list[ScheduleView] = []
            iso = day.isoformat()
            for schedule in schedules:
                if iso in (schedule.holidays or []):
                    already.append(schedule_view(schedule, partnership))
                    continue
                if len(schedule.holidays or []) >= MAX_HOLIDAYS:
                    raise UserFacingError(
                        f"Schedule #{schedule.id} already skips {MAX_HOLIDAYS} dates, the most "
                        "it can."
                    )
                try:
                    lost = occurrences_between(
                        spec_of(schedule, partnership.timezone),
                        start - timedelta(microseconds=1),
                        end - timedelta(microseconds=1),
                        limit=2000,
                    )
                except ValueError:
                    lost = []
                schedule.holidays = sorted([*(schedule.holidays or []), iso])
                schedule.updated_at = now
                session.add(schedule)
                view = schedule_view(schedule, partnership)
                skipped.append((view, [t for t in lost if t > now]))
                await log.record(
                    session,
                    partnership,
                    "schedule.skipped",
                    f"{name_of(actor.display_name)} skipped {iso} for {kind.noun} "
                    f"#{schedule.id} ({view.description}).",
                    actor_id=actor.user_id,
                    payload={"schedule_id": schedule.id, "date": iso, "kind": kind.key},
                    at=now,
                )
            result = SkipResult(partnership.name, day, partnership.timezone, skipped, already)
        await self._changed(view.id for view, _ in result.skipped)
        return result

    # ---- re-timing and choices

    async def live_schedule_ids(
        self, partnership_id: int, kind_key: str | None = None
    ) -> list[int]:
        """The partnership's schedules (of one kind, or of all) that are not cancelled."""
        async with self.sessions() as session:
            return [s.id for s in await live_schedules(session, partnership_id, kind_key) if s.id]

    async def retime(self, partnership_id: int, kind_key: str | None = None) -> list[int]:
        """A new time zone (or an archive) changes when schedules fire: re-base them, then tell
        the listener about each of the partnership's live schedules (of one kind, or of all).
        Returns their ids.

        Re-basing: read in the new zone, a schedule may have an occurrence between the last one
        it handled and now that never existed in the old zone. It is not owed to anyone, so the
        schedule counts as handled up to now, and no late post and no "passed while the bot was
        offline" event follows. An occurrence due only moments ago (a change landing as it falls
        due) is left to run.
        """
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            partnership = await session.get(Partnership, partnership_id)
            schedules = await live_schedules(session, partnership_id, kind_key)
            for schedule in schedules:
                if partnership is None:
                    break
                latest = latest_due(
                    spec_of(schedule, partnership.timezone), now, schedule.handled_until
                )
                if latest is not None and now - latest > JUST_DUE:
                    schedule.handled_until = now
                # Its trigger may fire at other times now: every process re-reads it.
                schedule.updated_at = now
                session.add(schedule)
        ids = [s.id for s in schedules if s.id is not None]
        await self._changed(ids)
        return ids

    async def schedule_choices(
        self,
        kind_key: str,
        actor: Actor,
        current: str,
        *,
        where: Where = Where(),
        states: Iterable[str] = LIVE_STATES,
        limit: int = 25,
    ) -> list[tuple[str, str]]:
        """(name, value) pairs for a `schedule` option: schedules this person may manage, those
        of the partnership whose channel (or thread) the command is used in first."""
        kind = self.kind(kind_key)
        wanted = tuple(states)
        text = current.strip().lstrip("#").casefold()
        async with self.sessions() as session:
            partnerships = await convened_partnerships(session, actor)
            if not partnerships:
                return []
            schedules = (
                await session.exec(
                    select(Schedule)
                    .where(
                        Schedule.guild_id == actor.guild_id,
                        Schedule.kind == kind.key,
                        col(Schedule.state).in_(wanted),
                        col(Schedule.partnership_id).in_(list(partnerships)),
                    )
                    .order_by(col(Schedule.id))
                )
            ).all()
        here = set(where.channel_ids)
        found = []
        # Stable: oldest first within this partnership's schedules, then the others'.
        for schedule in sorted(
            schedules, key=lambda s: partnerships[s.partnership_id].channel_id not in here
        ):
            partnership = partnerships[schedule.partnership_id]
            state = "" if schedule.state == ScheduleState.active else f" ({schedule.state})"
            name = (
                f"#{schedule.id} {partnership.name}: "
                f"{describe_schedule(schedule, partnership.timezone)}{state}"
            )
            if text and text not in name.casefold():
                continue
            found.append((one_line(name, 100), str(schedule.id)))
        return found[:limit]
