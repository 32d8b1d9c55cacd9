"""A trust round's reminder and close on the timer engine (`bot.timers`): made as the round
opens, each fired once at its time (two engines included), skipped when a convener closed the
round early, and added at start for rounds opened before timers existed."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import col

from bot.services.trust.rounds import CLOSE_TIMER, REMIND_TIMER, seed_timers
from bot.timers import Fire, TimerEngine, TimerSkipped
from db.engine import transaction
from db.models import Timer, TimerState, TrustRound
from tests.services.test_trust_world import GUILD, HUBS, World, clock, convener, world

__all__ = ["clock", "world"]  # fixtures


class Sent:
    """The handlers, as the trust cog's delivery registers them, recording instead of posting."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.reminded: list[set[int]] = []
        self.closed: list[int] = []

    async def remind(self, fire: Fire) -> dict[str, Any]:
        reminder = await self.world.trust.remind_round(fire.subject_id)
        if reminder is None:
            raise TimerSkipped("closed or reminded already")
        self.reminded.append(set(reminder.user_ids))
        return {"reminded": len(reminder.user_ids)}

    async def close(self, fire: Fire) -> dict[str, Any]:
        results = await self.world.trust.close_ended(fire.subject_id)
        if results is None:
            raise TimerSkipped("closed already")
        self.closed.append(results.round_id)
        return {"round_id": results.round_id, "shown": results.shown}


def engine_for(world: World, sent: Sent) -> TimerEngine:
    engine = TimerEngine(world.sessions, clock=world.clock)
    engine.register(REMIND_TIMER, sent.remind, seed_timers)
    engine.register(CLOSE_TIMER, sent.close)
    return engine


async def states(world: World) -> dict[str, str]:
    return {t.kind: t.state for t in await world.rows(Timer)}


async def test_opening_a_round_adds_its_reminder_and_close_each_fired_once(world: World):
    view = await world.trust.open_round(convener, HUBS, window="10m")
    timers = {t.kind: t for t in await world.rows(Timer)}
    assert timers[REMIND_TIMER].due_at == view.remind_at
    assert timers[CLOSE_TIMER].due_at == view.closes_at
    assert {t.subject_id for t in timers.values()} == {view.round_id}
    await world.answer("council1", fair_say=3)
    sent = Sent(world)
    one, two = engine_for(world, sent), engine_for(world, sent)
    world.clock.moment = view.remind_at - timedelta(seconds=1)
    await one.run_due()
    assert sent.reminded == []
    world.clock.moment = view.remind_at
    await asyncio.gather(one.run_due(), two.run_due())
    [waiting] = sent.reminded
    assert world["council1"].user_id not in waiting and world["charity"].user_id in waiting
    assert await states(world) == {REMIND_TIMER: TimerState.done, CLOSE_TIMER: TimerState.pending}
    world.clock.moment = view.closes_at
    await asyncio.gather(one.run_due(), two.run_due())
    await one.run_due()
    assert sent.closed == [view.round_id] and len(sent.reminded) == 1
    assert await states(world) == {REMIND_TIMER: TimerState.done, CLOSE_TIMER: TimerState.done}
    [closed] = await world.rows(TrustRound)
    assert closed.closed_at == view.closes_at and closed.closed_by is None


async def test_a_round_closed_early_makes_its_timers_skipped(world: World):
    view = await world.trust.open_round(convener, HUBS, window="1h")
    world.clock.moment += timedelta(minutes=10)
    await world.trust.close_round(convener, HUBS)
    sent = Sent(world)
    world.clock.moment = view.closes_at + timedelta(minutes=1)
    await engine_for(world, sent).run_due()
    assert sent.reminded == [] and sent.closed == []
    assert await states(world) == {
        REMIND_TIMER: TimerState.skipped,
        CLOSE_TIMER: TimerState.skipped,
    }


async def test_rounds_open_before_timers_existed_get_them_at_start(world: World):
    view = await world.trust.open_round(convener, HUBS, window="1h")
    async with transaction(world.sessions) as session:
        await session.exec(delete(Timer).where(col(Timer.id) > 0))  # type: ignore[call-overload]
    sent = Sent(world)
    engine = engine_for(world, sent)
    async with transaction(world.sessions) as session:  # another process's servers: none
        assert await seed_timers(session, world.clock.now(), lambda g: g != GUILD) == 0
    assert await world.rows(Timer) == []
    assert await engine.seed() == 1
    assert await engine.seed() == 1  # idempotent: still one reminder and one close
    assert len(await world.rows(Timer)) == 2
    world.clock.moment = view.closes_at
    await engine.run_due()
    # The reminder's time came while the window was still open, but the engine looked only
    # at the end: the close wins and the reminder is skipped.
    assert sent.closed == [view.round_id] and sent.reminded == []
