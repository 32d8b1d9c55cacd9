"""Action reminders and automatic goal nudges on the timer engine (`bot.timers`): logging an
action adds its two reminders at 09:00 local, proposing a goal with `respond_by` its nudge; each
fires once at its time (two engines included) under the same rules as before, a done action's
reminder and an agreed goal's nudge are skipped, and existing ones are added at start."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import col

from bot.services.goals.nudges import NUDGE_TIMER
from bot.services.goals.nudges import seed_timers as seed_nudges
from bot.services.notes import ActionReminders
from bot.services.notes.reminders import REMIND_TIMER
from bot.services.notes.reminders import seed_timers as seed_reminders
from bot.timers import Fire, TimerEngine, TimerSkipped
from db.engine import transaction
from db.models import Timer, TimerState
from tests.services.daily_world import GUILD, HUBS, World, bea, cy, dev, world

__all__ = ["world"]  # the fixture


class Sent:
    """The handlers as the log and goal cogs register them, recording instead of sending."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.reminders = ActionReminders(world.sessions, clock=world.clock)
        self.reminded: list[tuple[int, str]] = []
        self.nudged: list[int] = []

    async def remind(self, fire: Fire) -> dict[str, Any]:
        reminder = await self.reminders.remind_one(fire.subject_id, fire.options["which"])
        if reminder is None:
            raise TimerSkipped("no longer due")
        self.reminded.append((reminder.action_id, reminder.which))
        return {}

    async def nudge(self, fire: Fire) -> dict[str, Any]:
        nudge = await self.world.nudges.nudge_goal(fire.subject_id)
        if nudge is None:
            raise TimerSkipped("no longer due")
        self.nudged.append(nudge.goal_id)
        return {}


def engine_for(world: World, sent: Sent) -> TimerEngine:
    engine = TimerEngine(world.sessions, clock=world.clock)
    engine.register(REMIND_TIMER, sent.remind, seed_reminders)
    engine.register(NUDGE_TIMER, sent.nudge, seed_nudges)
    return engine


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)  # London is on GMT in March


async def run(world: World, sent: Sent, when: datetime) -> None:
    world.clock.at = when
    await asyncio.gather(engine_for(world, sent).run_due(), engine_for(world, sent).run_due())


async def test_an_actions_two_reminders_fire_once_each_at_nine(world: World):
    action = await world.action(cy, "2026-03-12")
    timers = sorted((t.due_at, t.options["which"]) for t in await world.rows(Timer))
    assert timers == [(at(11, 9), "day_before"), (at(12, 9), "due_day")]
    sent = Sent(world)
    await run(world, sent, at(11, 8, 59))
    assert sent.reminded == []
    await run(world, sent, at(11, 9))
    await run(world, sent, at(11, 10))
    assert sent.reminded == [(action, "day_before")]
    await run(world, sent, at(12, 9))
    await run(world, sent, at(12, 23))
    assert sent.reminded == [(action, "day_before"), (action, "due_day")]
    assert {t.state for t in await world.rows(Timer)} == {TimerState.done}


async def test_a_done_action_is_not_reminded_and_its_timer_is_skipped(world: World):
    action = await world.action(cy, "2026-03-12")
    await world.notes.close_action(cy, HUBS, str(action))
    sent = Sent(world)
    await run(world, sent, at(11, 9))
    assert sent.reminded == []
    states = sorted((t.due_at, t.state) for t in await world.rows(Timer))
    assert states == [(at(11, 9), TimerState.skipped), (at(12, 9), TimerState.pending)]


async def test_after_downtime_only_the_due_day_reminder_goes(world: World):
    action = await world.action(cy, "2026-03-12")
    sent = Sent(world)
    await run(world, sent, at(12, 15))  # down since before the day-before reminder
    assert sent.reminded == [(action, "due_day")]
    assert {t.options["which"]: t.state for t in await world.rows(Timer)} == {
        "day_before": TimerState.skipped,
        "due_day": TimerState.done,
    }


async def test_a_goals_automatic_nudge_fires_once_from_nine_two_days_before(world: World):
    card = await world.propose(respond_by="2026-03-20")
    await world.stance(bea, card)
    [timer] = await world.rows(Timer)
    assert (timer.kind, timer.subject_id, timer.due_at) == (NUDGE_TIMER, card.id, at(18, 9))
    sent = Sent(world)
    await run(world, sent, at(18, 8, 59))
    assert sent.nudged == []
    await run(world, sent, at(18, 9))
    await run(world, sent, at(19, 9))
    assert sent.nudged == [card.id]
    [timer] = await world.rows(Timer)
    assert timer.state == TimerState.done


async def test_an_agreed_goals_nudge_is_skipped(world: World):
    card = await world.propose(respond_by="2026-03-20")
    for person in (bea, dev, cy):
        await world.stance(person, card)
    sent = Sent(world)
    await run(world, sent, at(18, 9))
    assert sent.nudged == []
    [timer] = await world.rows(Timer)
    assert timer.state == TimerState.skipped


async def test_actions_and_goals_from_before_timers_get_them_at_start(world: World):
    action = await world.action(cy, "2026-03-12")
    card = await world.propose(respond_by="2026-03-20")
    past = await world.action(cy, "2026-03-10")  # its due day ends tonight: still reminded
    now = world.clock.at
    world.clock.at = now - timedelta(days=40)
    await world.action(cy, "2026-02-01")  # long past: not even read
    world.clock.at = now
    async with transaction(world.sessions) as session:
        await session.exec(delete(Timer).where(col(Timer.id) > 0))  # type: ignore[call-overload]
    async with transaction(world.sessions) as session:  # another process's servers: none
        assert await seed_reminders(session, world.clock.now(), lambda g: g != GUILD) == 0
        assert await seed_nudges(session, world.clock.now(), lambda g: g != GUILD) == 0
    engine = engine_for(world, Sent(world))
    assert await engine.seed() == 3
    assert await engine.seed() == 3  # idempotent
    subjects = sorted((t.kind, t.subject_id) for t in await world.rows(Timer))
    assert subjects == sorted(
        [
            (REMIND_TIMER, action),
            (REMIND_TIMER, action),
            (REMIND_TIMER, past),
            (REMIND_TIMER, past),
            (NUDGE_TIMER, card.id),
        ]
    )
