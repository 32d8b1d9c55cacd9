"""`DigestService`: the weekly digest of a partnership, and its schedule following the setting.

- **The setting** (`Partnership.digest`, weekly or off, default off) is changed by
  `/partnership configure digest` and logged like every setting (`bot.services.register`).
  `follow_setting` then makes the partnership's one digest schedule (kind "digest", Mondays at
  09:00 in its time zone) or cancels it, through the schedule lifecycle, so the schedule's
  creation and cancelling are logged and the engine follows. It compares the setting with the
  schedules, so calling it again changes nothing, except that a digest paused because its
  channel was gone runs again.
- **The digest** (`digest`) covers the week up to the occurrence's time: new goals, goals
  agreed, what needs attention (the signals of `/partnership health`, read as any member reads
  them), reflection answers by organisation (counted, never quoted), prompts posted, and the
  open actions due in the coming week (number, owner, date; not their text). Check-in answers
  and the text of answers, notes and comments are never read. The schedule engine runs each
  occurrence once; the cog posts it with the occurrence's nonce.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import UserFacingError
from bot.services import log
from bot.services.access import Actor, PartnershipRef, resolve
from bot.services.clock import Clock, SystemClock
from bot.services.digest.kind import DIGEST_DAY, DIGEST_TIME, SCHEDULE_KIND
from bot.services.digest.views import (
    Digest,
    DigestAction,
    DigestGoal,
    DigestSetting,
    ReflectionCount,
)
from bot.services.goals.lookup import PUBLIC, visible_clause
from bot.services.health import HealthService
from bot.services.notes.vocab import NoteKind, event_kind
from bot.services.register.events import MEMBER_EVENTS
from bot.services.schedules import ScheduleService
from bot.services.schedules.lookup import live_schedules
from bot.services.schedules.views import schedule_view, upcoming_of
from bot.services.text import message_link
from bot.services.timeutil import as_utc, zone
from bot.services.vocab import SPEAKS_FOR_ORGANISATION
from bot.services.vocab import Digest as DigestEvery
from db import queries
from db.engine import SessionFactory
from db.models import Event, Goal, Partnership, ScheduleState

WEEK = timedelta(days=7)
ANSWERED = "prompt.answered"  # a reflection answer's log entry: its actor is the author
POSTED = "prompt.posted"


class DigestService:
    """`DigestService(sessions, *, clock, schedules, health)`."""

    def __init__(
        self,
        sessions: SessionFactory,
        *,
        clock: Clock | None = None,
        schedules: ScheduleService,
        health: HealthService,
    ) -> None:
        self.sessions = sessions
        self.clock = clock or SystemClock()
        self.schedules = schedules
        self.health = health

    # ---- the setting and its schedule

    async def follow_setting(self, actor: Actor, ref: PartnershipRef) -> DigestSetting:
        """Make or cancel the digest schedule so it matches the partnership's `digest` setting
        (conveners, after `/partnership configure digest`)."""
        async with self.sessions() as session:
            access = await resolve(session, actor, ref, convener=True)
            p = access.partnership
            live = await live_schedules(session, access.partnership_id, SCHEDULE_KIND)
            running = (
                schedule_view(live[0], p, upcoming_of(live[0], p, self.clock.now(), 1))
                if live
                else None
            )
        on = p.digest == DigestEvery.weekly
        named = PartnershipRef(name=p.name)
        if on and live and live[0].state == ScheduleState.paused:
            try:
                resumed = await self.schedules.resume(SCHEDULE_KIND, actor, str(live[0].id))
            except UserFacingError:
                return DigestSetting(p.name, on, running=running)  # resumed meanwhile
            return DigestSetting(p.name, on, resumed=resumed)
        if on and running is None:
            try:
                created = await self.schedules.create_schedule(
                    SCHEDULE_KIND,
                    actor,
                    named,
                    cadence="weekly",
                    local_time=f"{DIGEST_TIME:%H:%M}",
                    day=DIGEST_DAY,
                )
            except UserFacingError:
                # Made meanwhile by another convener's change (one digest schedule at most).
                return DigestSetting(p.name, on)
            return DigestSetting(p.name, on, created=created)
        if not on and live:
            cancelled = 0
            for schedule in live:
                try:
                    await self.schedules.cancel(SCHEDULE_KIND, actor, str(schedule.id))
                    cancelled += 1
                except (UserFacingError, IntegrityError):
                    continue  # cancelled meanwhile
            return DigestSetting(p.name, on, cancelled=cancelled)
        return DigestSetting(p.name, on, running=running)

    # ---- the digest

    async def digest(self, partnership_id: int, until: datetime) -> Digest | None:
        """The week of a partnership up to `until` (an occurrence's time); None when the
        partnership is gone, archived, or has turned its digest off meanwhile."""
        until = as_utc(until)
        since = until - WEEK
        async with self.sessions() as session:
            p = await session.get(Partnership, partnership_id)
            if p is None or p.is_archived or p.digest != DigestEvery.weekly:
                return None
            tz = zone(p.timezone)
            first_day = since.astimezone(tz).date()
            today = until.astimezone(tz).date()
            goals = list(
                (
                    await session.exec(
                        # The channel reads the digest: goals the whole partnership sees.
                        select(Goal).where(Goal.partnership_id == p.id, visible_clause(PUBLIC))
                    )
                ).all()
            )
            new_goals = [_goal(p, g) for g in goals if since < as_utc(g.proposed_at) <= until]
            agreed = [
                _goal(p, g)
                for g in goals
                if g.agreed_at is not None and since < as_utc(g.agreed_at) <= until
            ]
            reflections, posted = await _reflections(session, p, since, until)
            actions = await _actions_due(session, p, today, today + WEEK)
        attention = await self.health.channel_signals(partnership_id)
        assert p.id is not None
        return Digest(
            partnership_id=p.id,
            partnership=p.name,
            guild_id=p.guild_id,
            channel_id=p.channel_id,
            timezone=p.timezone,
            since=since,
            until=until,
            first_day=first_day,
            last_day=today - timedelta(days=1) if today > first_day else today,
            new_goals=sorted(new_goals, key=lambda g: g.id),
            agreed=sorted(agreed, key=lambda g: g.id),
            attention=attention,
            reflections=reflections,
            prompts_posted=posted,
            actions_due=actions,
        )


def _goal(p: Partnership, goal: Goal) -> DigestGoal:
    assert goal.id is not None
    return DigestGoal(
        goal.id,
        goal.title,
        goal.level,
        message_link(p.guild_id, goal.channel_id, goal.message_id),
    )


async def _reflections(
    session: AsyncSession, p: Partnership, since: datetime, until: datetime
) -> tuple[list[ReflectionCount], int]:
    """Reflection answers in the week, counted by the organisation their author spoke for when
    answering (rebuilt from the membership events, as partnership health counts them), and the
    prompts posted. Only the log's entries are read, never an answer's text."""
    timeline = await session.exec(
        select(Event)
        .where(
            Event.guild_id == p.guild_id,
            Event.partnership_id == p.id,
            Event.occurred_at <= until,
            col(Event.kind).in_([*MEMBER_EVENTS, ANSWERED, POSTED]),
        )
        .order_by(col(Event.occurred_at), col(Event.id))
    )
    speaking_for: dict[int, int | None] = {}
    counts: Counter[int | None] = Counter()
    posted = 0
    for event in timeline.all():
        if event.kind in (ANSWERED, POSTED):
            if as_utc(event.occurred_at) <= since:
                continue
            if event.kind == POSTED:
                posted += 1
            else:
                counts[speaking_for.get(event.actor_id or 0)] += 1
            continue
        snap = event.payload
        organisation = snap.get("organisation_id")
        speaks = bool(snap.get("active")) and snap.get("capacity") in SPEAKS_FOR_ORGANISATION
        speaking_for[int(snap["user_id"])] = (
            int(organisation) if speaks and organisation is not None else None
        )
    names = await queries.organisation_names(session, ids=[o for o in counts if o is not None])
    found = [
        ReflectionCount(names.get(org_id, "an organisation"), n)
        for org_id, n in counts.items()
        if org_id is not None
    ]
    found.sort(key=lambda c: (-c.answers, (c.organisation or "").casefold()))
    if counts.get(None):
        found.append(ReflectionCount(None, counts[None]))
    return found, posted


async def _actions_due(
    session: AsyncSession, p: Partnership, first: date, end: date
) -> list[DigestAction]:
    """Open actions due from `first` up to (not including) `end`, soonest first."""
    assert p.id is not None
    closed = await queries.closed_actions(session, guild_id=p.guild_id, partnership_id=p.id)
    found = []
    for event in await log.events(session, p, kinds=[event_kind(NoteKind.action)]):
        assert event.id is not None
        due = _date(event.payload.get("due"))
        if event.id in closed or due is None or not first <= due < end:
            continue
        owner = event.payload.get("owner_id")
        found.append(
            DigestAction(
                event.id, int(owner) if owner is not None else None, due, event.message_link
            )
        )
    return sorted(found, key=lambda a: (a.due, a.id))


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
