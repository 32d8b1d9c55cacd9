"""Reminders of open actions: a direct message to the owner the day before the due date and on
the day, at 09:00 in the partnership's time zone.

`ActionReminders.due_reminders()` hands out each reminder that is due exactly once, even
across restarts and with two processes: it claims the reminder by inserting an
`ActionReminderClaim` row, unique per action and kind, before anything is sent. What fails to
reach Discord afterwards is not retried.

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

from bot.services import redaction
from bot.services.clock import Clock, SystemClock
from bot.services.notes.vocab import ACTION_DONE, NoteKind, event_kind
from bot.services.timeutil import as_utc, zone
from db import queries
from db.engine import SessionFactory, transaction
from db.models import ActionReminderClaim, Event, Partnership

REMIND_AT = time(9, 0)  # local time, in the partnership's zone


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


class ActionReminders:
    """Finds and claims the reminders of open actions that are due."""

    def __init__(self, sessions: SessionFactory, *, clock: Clock = SystemClock()) -> None:
        self.sessions = sessions
        self.clock = clock

    async def due_reminders(self) -> list[ActionReminder]:
        """The reminders due now, each claimed here and returned to one caller only."""
        now = self.clock.now()
        async with self.sessions() as session:
            candidates = await self._candidates(session, now)
        claimed = []
        for reminder in candidates:
            if await self._claim(reminder, now):
                claimed.append(reminder)
        return claimed

    async def _candidates(self, session: AsyncSession, now: datetime) -> list[ActionReminder]:
        # Only actions due about now are read: a reminder is due on the day before the due
        # date or on it, in the partnership's zone, which is within a day of UTC's. Reading
        # every action ever logged, each minute, held the bot up for seconds on a long log.
        today = as_utc(now).date()
        due_text = col(Event.payload)["due"].as_string()
        rows = (
            await session.exec(
                select(Event, Partnership)
                .join(Partnership, col(Partnership.id) == col(Event.partnership_id))
                .where(
                    Event.kind == event_kind(NoteKind.action),
                    col(Partnership.archived_at).is_(None),
                    due_text >= (today - timedelta(days=1)).isoformat(),
                    due_text <= (today + timedelta(days=2)).isoformat(),
                )
                .order_by(col(Event.id))
            )
        ).all()
        due_now: list[tuple[Event, Partnership, Which, date, int]] = []
        for event, p in rows:
            due = _date(event.payload.get("due"))
            owner = event.payload.get("owner_id")
            if due is None or owner is None:
                continue
            which = reminder_due(due, p.timezone, now)
            if which is not None:
                due_now.append((event, p, which, due, int(owner)))
        if not due_now:
            return []
        ids = [event.id for event, *_ in due_now]
        done = await _done_ids(session, ids)
        sent = await _claimed(session, ids)
        found = []
        removed: dict[int, redaction.Redactions] = {}  # loaded once per partnership
        for event, p, which, due, owner in due_now:
            assert event.id is not None and p.id is not None
            if event.id in done or (event.id, which.value) in sent:
                continue
            if p.id not in removed:
                removed[p.id] = await redaction.load(session, p, now)
            member = await queries.active_membership(session, partnership_id=p.id, user_id=owner)
            if member is None:
                continue
            found.append(
                ActionReminder(
                    action_id=event.id,
                    which=which.value,
                    # A text removed, or past the retention period, is not sent.
                    text=str(removed[p.id].event(event)[1].get("text") or ""),
                    due=due,
                    owner_id=owner,
                    partnership_id=p.id,
                    partnership=p.name,
                    guild_id=p.guild_id,
                    channel_id=p.channel_id,
                    message_link=event.message_link,
                )
            )
        return found

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


async def _done_ids(session: AsyncSession, ids: list[int | None]) -> set[int]:
    rows = (await session.exec(select(Event.payload).where(Event.kind == ACTION_DONE))).all()
    wanted = set(ids)
    return {
        int(payload["action_id"])
        for payload in rows
        if payload.get("action_id") and int(payload["action_id"]) in wanted
    }


async def _claimed(session: AsyncSession, ids: list[int | None]) -> set[tuple[int, str]]:
    rows = (
        await session.exec(
            select(ActionReminderClaim.action_event_id, ActionReminderClaim.which).where(
                col(ActionReminderClaim.action_event_id).in_(ids)
            )
        )
    ).all()
    return {(action_id, which) for action_id, which in rows}


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
