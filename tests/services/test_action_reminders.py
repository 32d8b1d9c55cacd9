"""Reminders of open actions on a real database, with a clock the tests move, run by their
timers as the bot runs them: the day before and on the day at 09:00 in the partnership's zone,
each handed out once (several processes at once included), none for a closed action, an owner
who left or an archived partnership, and the late rule after downtime."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.services.access import Actor, PartnershipRef
from bot.services.notes import ActionReminder, ActionReminders, NoteService
from bot.services.notes.reminders import REMIND_TIMER, reminder_due
from bot.services.register import RegisterService
from bot.timers import Fire
from db.engine import SessionFactory
from db.models import ActionReminderClaim
from tests.services.timer_runs import TimerRuns

GUILD = 1000
CHANNEL = 5555
convener = Actor(GUILD, 2, "Ada", manage_channels=True)
bea = Actor(GUILD, 10, "Bea")
cy = Actor(GUILD, 11, "Cy")
HERE = PartnershipRef(name="Family Hubs")
# Europe/London is on GMT until 29 March 2026, so 09:00 there is 09:00 UTC.
LOGGED = datetime(2026, 3, 10, 12, tzinfo=UTC)
DUE = "2026-03-12"


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


@dataclass
class World:
    notes: NoteService
    register: RegisterService
    reminders: ActionReminders
    sessions: SessionFactory
    clock: Clock

    def __post_init__(self) -> None:
        self.timers = self.runs_of(self.reminders)

    def runs_of(self, reminders: ActionReminders, engines: int = 1) -> TimerRuns[ActionReminder]:
        """The `action.remind` timers, handled as the log cog does, without sending."""

        async def remind(fire: Fire) -> ActionReminder | None:
            return await reminders.remind_one(fire.subject_id, str(fire.options["which"]))

        return TimerRuns(self.sessions, self.clock, REMIND_TIMER, remind, engines=engines)

    async def handed(self, at: datetime) -> list[ActionReminder]:
        self.clock.at = at
        return await self.timers.due()

    async def due(self, at: datetime) -> list[tuple[int, str]]:
        return [(r.action_id, r.which) for r in await self.handed(at)]


@pytest.fixture
async def world(sessions: SessionFactory) -> World:
    clock = Clock(LOGGED - timedelta(minutes=5))
    register = RegisterService(
        sessions, default_timezone="Europe/London", admin_role_name="x", clock=clock
    )
    draft = await register.prepare_create(convener, "Family Hubs", "Joined-up early help")
    await register.create(convener, draft, CHANNEL)
    for actor in (bea, cy):
        await register.add_member(
            convener, HERE, user_id=actor.user_id, display_name=actor.display_name
        )
    clock.at = LOGGED
    notes = NoteService(sessions, clock=clock)
    return World(notes, register, ActionReminders(sessions, clock=clock), sessions, clock)


async def action(w: World, due: str = DUE, owner: Actor = cy, text: str = "Book the room") -> int:
    draft = await w.notes.prepare(
        bea, HERE, text=text, kind="action", owner_id=owner.user_id, due=due
    )
    result = await w.notes.record(bea, draft, channel_id=CHANNEL, message_id=777)
    return result.event_id


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


async def test_the_day_before_and_on_the_day_at_nine_each_once(world: World):
    number = await action(world)
    assert await world.due(at(10, 23)) == []
    assert await world.due(at(11, 8, 59)) == []
    [reminder] = await world.handed(at(11, 9))
    assert (reminder.action_id, reminder.which) == (number, "day_before")
    assert reminder.owner_id == cy.user_id and reminder.due == date(2026, 3, 12)
    assert reminder.text == "Book the room" and reminder.partnership == "Family Hubs"
    assert reminder.channel_id == CHANNEL and reminder.guild_id == GUILD
    assert reminder.message_link == f"https://discord.com/channels/{GUILD}/{CHANNEL}/777"
    assert await world.due(at(11, 9, 1)) == []
    assert await world.due(at(12, 8, 59)) == []
    assert await world.due(at(12, 9)) == [(number, "due_day")]
    assert await world.due(at(12, 18)) == []
    assert await world.due(at(13, 9)) == []
    async with world.sessions() as session:
        claims = (await session.exec(select(ActionReminderClaim))).all()
    assert sorted((c.which, c.sent_at) for c in claims) == [
        ("day_before", at(11, 9)),
        ("due_day", at(12, 9)),
    ]


async def test_the_partnerships_time_zone_sets_nine_oclock(world: World):
    await world.register.configure(convener, HERE, timezone="America/New_York")
    number = await action(world)
    # 09:00 in New York (EDT from 8 March) is 13:00 UTC.
    assert await world.due(at(11, 12, 59)) == []
    assert await world.due(at(11, 13)) == [(number, "day_before")]
    assert reminder_due(date(2026, 3, 12), "America/New_York", at(13, 3, 59)) is not None
    assert reminder_due(date(2026, 3, 12), "America/New_York", at(13, 4)) is None


async def test_four_processes_at_once_hand_a_reminder_out_once(world: World):
    await action(world)
    await action(world, text="Write the minutes")
    runs = world.runs_of(world.reminders, engines=4)
    for moment in (at(11, 9), at(12, 9)):
        world.clock.at = moment
        handed = [(r.action_id, r.which) for r in await runs.due()]
        assert len(handed) == 2 and len(set(handed)) == 2


async def test_a_reminder_is_claimed_once_even_when_asked_twice(world: World):
    number = await action(world)
    world.clock.at = at(11, 9)
    results = await asyncio.gather(
        *(world.reminders.remind_one(number, "day_before") for _ in range(3))
    )
    assert [r.action_id for r in results if r is not None] == [number]


async def test_a_closed_action_an_owner_who_left_and_an_archived_partnership_get_none(
    world: World,
):
    closed = await action(world, text="Closed")
    await action(world, owner=bea, text="Owner leaves")
    kept = await action(world, text="Kept")
    await world.notes.close_action(cy, HERE, str(closed))
    await world.register.remove_member(convener, HERE, user_id=bea.user_id)
    assert await world.due(at(11, 9)) == [(kept, "day_before")]
    await world.register.archive(convener, HERE)
    assert await world.due(at(12, 9)) == []


async def test_late_after_downtime_once_if_the_due_date_has_not_ended(world: World):
    first = await action(world)
    second = await action(world, due="2026-03-11", text="Due earlier")
    # Down from before the first reminder of either until the evening of the 11th.
    assert await world.due(at(11, 22)) == [(first, "day_before"), (second, "due_day")]
    # Down again until after the 12th ended: the due-day reminder is skipped, not sent late.
    assert await world.due(at(13, 0, 1)) == []
    assert await world.due(at(13, 9)) == []


async def test_the_day_before_is_replaced_by_the_due_day_after_downtime(world: World):
    number = await action(world)
    assert await world.due(at(12, 15)) == [(number, "due_day")]
    assert await world.due(at(12, 16)) == []


async def test_an_action_logged_after_nine_on_its_due_day_is_reminded_at_once(world: World):
    number = await action(world, due="2026-03-10")
    assert await world.due(LOGGED + timedelta(minutes=1)) == [(number, "due_day")]
    tomorrow = await action(world, due="2026-03-11", text="Tomorrow")
    assert await world.due(LOGGED + timedelta(minutes=2)) == [(tomorrow, "day_before")]
