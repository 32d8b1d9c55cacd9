"""Reminders of open actions: a direct message to the owner the day before the due date and on
the day, at 09:00 in the partnership's time zone.

Logging an action adds its two timers (`bot.timers`, kind `action.remind`: the day before and
on the day, at 09:00); the timer engine runs each once, for the servers the process holds, and
its handler asks `ActionReminders.remind_one`, which applies the rules below and claims the
reminder by inserting an `ActionReminderClaim` row, unique per action and kind, before anything
is sent (a second guard: a reminder is claimed once even if its timer were added twice). A
reminder by direct message is sent at most once: what fails to reach Discord is not retried.

The rules:
- only open actions (no `note.action_done` names them) of partnerships that are not archived,
  whose owner is still a member;
- the day-before reminder is due from 09:00 the day before until 09:00 on the due day, when
  the due-day reminder replaces it; the due-day reminder until the due date ends. After
  downtime a reminder is sent once, late, if its window is still open, and otherwise skipped;
- an action logged after a reminder's time (even on its due day) is reminded at the next look.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import timers
from bot.services import redaction
from bot.services.clock import Clock, SystemClock
from bot.services.notes.vocab import ACTION_DONE, NoteKind, event_kind
from bot.services.timeutil import as_utc, zone
from db import queries
from db.engine import SessionFactory, transaction
from db.models import ActionReminderClaim, Event, Partnership

REMIND_AT = time(9, 0)  # local time, in the partnership's zone
REMIND_TIMER = "action.remind"


class Which(StrEnum):
    day_before = "day_before"
    due_day = "due_day"


@dataclass(frozen=True)
class ActionReminder:
    """One claimed reminder, for the cog to send."""

    action_id: int
    which: str
    text: str
    due: date
    owner_id: int
    partnership_id: int
    partnership: str
    guild_id: int
    channel_id: int | None
    message_link: str | None


def reminder_due(due: date, tz_name: str, now: datetime) -> Which | None:
    """Which reminder of an action due on `due` is to be sent at `now`, if any."""
    tz = zone(tz_name)
    moment = as_utc(now)
    day_before = datetime.combine(due - timedelta(days=1), REMIND_AT, tzinfo=tz)
    on_the_day = datetime.combine(due, REMIND_AT, tzinfo=tz)
    day_end = datetime.combine(due + timedelta(days=1), time(0), tzinfo=tz)
    if on_the_day <= moment < day_end:
        return Which.due_day
    if day_before <= moment < on_the_day:
        return Which.day_before
    return None


def reminder_times(due: date, tz_name: str) -> dict[Which, datetime]:
    """When each reminder of an action due on `due` goes: 09:00 local the day before and on
    the day (as UTC)."""
    tz = zone(tz_name)
    return {
        Which.day_before: as_utc(datetime.combine(due - timedelta(days=1), REMIND_AT, tzinfo=tz)),
        Which.due_day: as_utc(datetime.combine(due, REMIND_AT, tzinfo=tz)),
    }


async def add_timers(
    session: AsyncSession, p: Partnership, action_id: int, due: date, *, now: datetime
) -> None:
    """The action's two reminder timers, in the caller's transaction (harmless twice)."""
    assert p.id is not None
    for which, at in reminder_times(due, p.timezone).items():
        await timers.add(
            session,
            REMIND_TIMER,
            action_id,
            at,
            guild_id=p.guild_id,
            partnership_id=p.id,
            options={"which": which.value},
            now=now,
        )


async def seed_timers(
    session: AsyncSession, now: datetime, held: timers.Held = timers.holds_every_server
) -> int:
    """Timers for the open actions logged before timers existed whose due date has not passed,
    in the servers `held` keeps (idempotent): how many actions. Actions due two days ago or
    earlier are passed over in SQL (no time zone is that far from UTC), so a start does not
    read the whole log."""
    recent = (now.date() - timedelta(days=2)).isoformat()
    rows = (
        await session.exec(
            select(Event, Partnership)
            .join(Partnership, col(Partnership.id) == col(Event.partnership_id))
            .where(
                Event.kind == event_kind(NoteKind.action),
                col(Event.payload)["due"].as_string() >= recent,
                col(Partnership.archived_at).is_(None),
                held(col(Partnership.guild_id)),
            )
        )
    ).all()
    open_rows = []
    for event, p in rows:
        due = _date(event.payload.get("due"))
        if due is None or event.id is None:
            continue
        if now < as_utc(
            datetime.combine(due + timedelta(days=1), time(0), tzinfo=zone(p.timezone))
        ):
            open_rows.append((event.id, p, due))
    done = await _done_ids(session, [i for i, _p, _d in open_rows])
    count = 0
    for action_id, p, due in open_rows:
        if action_id not in done:
            await add_timers(session, p, action_id, due, now=now)
            count += 1
    return count


class ActionReminders:
    """Claims the reminders of open actions when their timers fire."""

    def __init__(self, sessions: SessionFactory, *, clock: Clock = SystemClock()) -> None:
        self.sessions = sessions
        self.clock = clock

    async def remind_one(self, action_id: int, which: str) -> ActionReminder | None:
        """One reminder of one action, claimed here, if the rules say it is due now; None when
        the action is done, its partnership archived, its owner gone, the reminder sent, or its
        window closed. A reminder whose window has not opened yet (the partnership's time zone
        changed) gets a timer at its new time."""
        now = self.clock.now()
        async with self.sessions() as session:
            event = await session.get(Event, action_id)
            if event is None or event.kind != event_kind(NoteKind.action):
                return None
            p = await session.get(Partnership, event.partnership_id)
            due = _date(event.payload.get("due"))
            owner = event.payload.get("owner_id")
            if p is None or p.is_archived or due is None or owner is None:
                return None
            if reminder_due(due, p.timezone, now) != which:
                early = now < reminder_times(due, p.timezone)[Which(which)]
                reminder = None
            elif action_id in await _done_ids(session, [action_id]):
                return None
            else:
                early = False
                reminder = await _reminder(session, event, p, Which(which), due, int(owner), now)
        if early:
            async with transaction(self.sessions) as writing:
                await add_timers(writing, p, action_id, due, now=now)
        if reminder is None or not await self._claim(reminder, now):
            return None
        return reminder

    async def _claim(self, reminder: ActionReminder, now: datetime) -> bool:
        try:
            async with transaction(self.sessions) as session:
                session.add(
                    ActionReminderClaim(
                        action_event_id=reminder.action_id, which=reminder.which, sent_at=now
                    )
                )
        except IntegrityError:
            return False  # another caller claimed it first
        return True


async def _reminder(
    session: AsyncSession,
    event: Event,
    p: Partnership,
    which: Which,
    due: date,
    owner: int,
    now: datetime,
) -> ActionReminder | None:
    """The reminder to send, if the owner is still a member."""
    assert event.id is not None and p.id is not None
    member = await queries.active_membership(session, partnership_id=p.id, user_id=owner)
    if member is None:
        return None
    removed = await redaction.load(session, p, now)
    return ActionReminder(
        action_id=event.id,
        which=which.value,
        # A text removed, or past the retention period, is not sent.
        text=str(removed.event(event)[1].get("text") or ""),
        due=due,
        owner_id=owner,
        partnership_id=p.id,
        partnership=p.name,
        guild_id=p.guild_id,
        channel_id=p.channel_id,
        message_link=event.message_link,
    )


async def _done_ids(session: AsyncSession, ids: list[int | None]) -> set[int]:
    rows = (await session.exec(select(Event.payload).where(Event.kind == ACTION_DONE))).all()
    wanted = set(ids)
    return {
        int(payload["action_id"])
        for payload in rows
        if payload.get("action_id") and int(payload["action_id"]) in wanted
    }


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
