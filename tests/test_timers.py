"""The timer engine with a controllable clock: each timer once at its time, two engines on one
database, only the servers a process holds, retries, failures, interrupted runs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from bot import timers
from bot.scheduling import TransientError
from bot.services.access import Actor
from bot.services.register import RegisterService
from bot.timers import Fire, TimerEngine, TimerSkipped
from db.engine import SessionFactory, transaction
from db.models import Timer, TimerState

convener = Actor(1, 10, "Ada", manage_channels=True)
T = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
SHARD_1 = 1 << 22  # a server on shard 1 of 2
SHARD_0 = 2 << 22  # a server on shard 0 of 2


class Clock:
    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment


class Handler:
    """Records each fire; fails with the exceptions queued in `failures` first."""

    def __init__(self) -> None:
        self.fired: list[Fire] = []
        self.failures: list[BaseException] = []

    async def __call__(self, fire: Fire) -> dict[str, Any]:
        await asyncio.sleep(0)  # let another engine interleave
        if self.failures:
            raise self.failures.pop(0)
        self.fired.append(fire)
        return {"subject": fire.subject_id}


async def partnership(sessions: SessionFactory) -> int:
    register = RegisterService(sessions, default_timezone="Europe/London", admin_role_name="x")
    draft = await register.prepare_create(convener, "Family Hubs", "purpose")
    created = await register.create(convener, draft, 42)
    assert created.id is not None
    return created.id


async def add(
    sessions: SessionFactory, pid: int, subject: int, due: datetime, guild: int = 1
) -> None:
    async with transaction(sessions) as session:
        await timers.add(session, "test", subject, due, guild_id=guild, partnership_id=pid)


async def rows(sessions: SessionFactory) -> list[Timer]:
    async with sessions() as session:
        return list((await session.exec(select(Timer).order_by(col(Timer.id)))).all())


def engine(sessions: SessionFactory, clock: Clock, handler: Handler, **kwargs: Any) -> TimerEngine:
    made = TimerEngine(sessions, clock=clock, retry_delays=(30.0, 120.0), **kwargs)
    made.register("test", handler)
    return made


async def test_a_timer_fires_once_at_its_time_and_adding_it_twice_is_harmless(sessions):
    pid = await partnership(sessions)
    await add(sessions, pid, 7, T)
    await add(sessions, pid, 7, T)  # the same timer: nothing happens
    handler, clock = Handler(), Clock(T - timedelta(seconds=1))
    timer_engine = engine(sessions, clock, handler)
    assert (await timer_engine.run_due()).done == []
    clock.moment = T
    fired = await timer_engine.run_due()
    assert [f.subject_id for f in handler.fired] == [7] and len(fired.done) == 1
    assert (await timer_engine.run_due()).done == []
    [row] = await rows(sessions)
    assert row.state == TimerState.done and row.outcome == {"subject": 7}
    assert row.attempts == 1 and row.finished_at == T


async def test_two_engines_on_one_database_fire_each_timer_once(sessions):
    pid = await partnership(sessions)
    for subject in range(12):
        await add(sessions, pid, subject, T + timedelta(seconds=subject))
    first, second = Handler(), Handler()
    clock = Clock(T + timedelta(minutes=1))
    one, two = engine(sessions, clock, first), engine(sessions, clock, second)
    a, b = await asyncio.gather(one.run_due(), two.run_due())
    subjects = sorted(f.subject_id for f in first.fired + second.fired)
    assert subjects == list(range(12))
    assert len(a.done) + len(b.done) == 12 and set(a.done).isdisjoint(b.done)
    assert {r.state for r in await rows(sessions)} == {TimerState.done}


async def test_a_server_not_held_is_not_fired_here(sessions):
    pid = await partnership(sessions)
    await add(sessions, pid, 1, T, guild=SHARD_1)
    await add(sessions, pid, 2, T, guild=SHARD_0)
    handler, clock = Handler(), Clock(T)
    shard_0 = engine(sessions, clock, handler, shard_count=2, shard_ids=[0])
    await shard_0.run_due()
    assert [f.subject_id for f in handler.fired] == [2]
    states = {r.subject_id: r.state for r in await rows(sessions)}
    assert states == {1: TimerState.pending, 2: TimerState.done}
    other = Handler()
    await engine(sessions, clock, other, shard_count=2, shard_ids=[1]).run_due()
    assert [f.subject_id for f in other.fired] == [1]


async def test_a_passing_failure_is_retried_with_back_off_then_done(sessions):
    pid = await partnership(sessions)
    await add(sessions, pid, 3, T)
    handler, clock = Handler(), Clock(T)
    handler.failures.append(TransientError("Discord 503"))
    timer_engine = engine(sessions, clock, handler)
    assert len((await timer_engine.run_due()).retrying) == 1
    [row] = await rows(sessions)
    assert row.state == TimerState.retrying and row.next_attempt_at == T + timedelta(seconds=30)
    assert row.last_error == "Discord 503"
    clock.moment = T + timedelta(seconds=29)
    assert (await timer_engine.run_due()).done == []
    clock.moment = T + timedelta(seconds=30)
    assert len((await timer_engine.run_due()).done) == 1
    [row] = await rows(sessions)
    assert row.state == TimerState.done and row.attempts == 2
    assert [f.attempt for f in handler.fired] == [2] and handler.fired[
        0
    ].nonce == f"pb-tmr-{row.id}"


async def test_failures_past_the_retries_and_other_errors_fail_and_skips_are_recorded(sessions):
    pid = await partnership(sessions)
    await add(sessions, pid, 1, T)
    handler, clock = Handler(), Clock(T)
    handler.failures += [TransientError("503"), TransientError("503"), TransientError("503")]
    timer_engine = engine(sessions, clock, handler)
    for seconds in (0, 30, 150):
        clock.moment = T + timedelta(seconds=seconds)
        await timer_engine.run_due()
    [row] = await rows(sessions)
    assert row.state == TimerState.failed and row.attempts == 3 and handler.fired == []

    await add(sessions, pid, 2, T)
    handler.failures.append(ValueError("a bug"))
    assert len((await timer_engine.run_due()).failed) == 1
    await add(sessions, pid, 3, T)
    handler.failures.append(TimerSkipped("closed already"))
    assert len((await timer_engine.run_due()).skipped) == 1
    states = {r.subject_id: (r.state, r.last_error, r.outcome) for r in await rows(sessions)}
    assert states[2] == (TimerState.failed, "ValueError: a bug", None)
    assert states[3] == (TimerState.skipped, None, {"skipped": "closed already"})
    assert handler.fired == []


async def test_a_timer_left_running_by_a_stopped_process_fails_and_never_runs_again(sessions):
    pid = await partnership(sessions)
    await add(sessions, pid, 1, T)
    async with transaction(sessions) as session:
        await session.exec(
            update(Timer).values(state=TimerState.running, claimed_at=T, attempts=1)  # type: ignore[call-overload]
        )
    handler, clock = Handler(), Clock(T + timedelta(minutes=5))
    timer_engine = engine(sessions, clock, handler)
    await timer_engine.run_due()
    assert (await rows(sessions))[0].state == TimerState.running  # maybe still sending
    clock.moment = T + timedelta(minutes=16)
    assert len((await timer_engine.run_due()).failed) == 1
    await timer_engine.run_due()
    [row] = await rows(sessions)
    assert row.state == TimerState.failed and "interrupted" in (row.last_error or "")
    assert handler.fired == []


async def test_cancelled_timers_never_fire(sessions):
    pid = await partnership(sessions)
    await add(sessions, pid, 1, T)
    async with transaction(sessions) as session:
        assert await timers.cancel(session, "test", 1) == 1
    handler = Handler()
    await engine(sessions, Clock(T), handler).run_due()
    assert handler.fired == [] and (await rows(sessions))[0].state == TimerState.cancelled
