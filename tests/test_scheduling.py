"""The schedule engine with a controllable clock: exactly once, catch-up, retries, DST."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.scheduling import Due, ScheduleEngine, TargetGone, TransientError
from bot.services.access import Actor
from bot.services.register import RegisterService
from db.engine import SessionFactory, transaction
from db.models import Event, Occurrence, Schedule

convener = Actor(1, 10, "Ada", manage_channels=True)
MONDAY_0930_BST = datetime(2026, 6, 1, 8, 30, tzinfo=UTC)  # Monday 1 June 2026, 09:30 London


class Clock:
    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment


class Channel:
    """Posts like Discord with enforce_nonce: the same nonce twice returns the first message."""

    def __init__(self) -> None:
        self.posts: list[Due] = []
        self.by_nonce: dict[str, int] = {}
        self.failures: list[BaseException] = []

    async def post(self, due: Due) -> dict[str, Any]:
        if self.failures:
            raise self.failures.pop(0)
        if due.nonce in self.by_nonce:
            return {"message_id": self.by_nonce[due.nonce], "deduplicated": True}
        self.posts.append(due)
        self.by_nonce[due.nonce] = len(self.posts)
        return {"message_id": len(self.posts)}


async def make_schedule(sessions: SessionFactory, handled_until: datetime, **fields: Any) -> int:
    register = RegisterService(sessions, default_timezone="Europe/London", admin_role_name="x")
    draft = await register.prepare_create(convener, f"P{handled_until.timestamp()}", "purpose")
    partnership = await register.create(convener, draft, 42)
    values = dict(cadence="weekly", local_time="09:30", weekdays=[0])
    values.update(fields)
    async with transaction(sessions) as session:
        schedule = Schedule(
            guild_id=1,
            partnership_id=partnership.id,
            kind="prompt",
            created_by=convener.user_id,
            handled_until=handled_until,
            **values,
        )
        session.add(schedule)
        await session.flush()
        return schedule.id  # type: ignore[return-value]


def engine_for(sessions: SessionFactory, clock: Clock, channel: Channel, **kwargs: Any):
    engine = ScheduleEngine(sessions, clock=clock, **kwargs)
    gone: list[str] = []

    async def on_gone(due: Due, reason: str) -> None:
        gone.append(reason)

    engine.register("prompt", channel.post, on_gone)
    return engine, gone


async def occurrences(sessions: SessionFactory, schedule_id: int) -> list[Occurrence]:
    async with sessions() as session:
        rows = await session.exec(
            select(Occurrence)
            .where(Occurrence.schedule_id == schedule_id)
            .order_by(Occurrence.due_at)
        )
        return list(rows.all())


async def test_an_occurrence_runs_once_on_time(sessions):
    sid = await make_schedule(sessions, MONDAY_0930_BST - timedelta(days=1))
    clock, channel = Clock(MONDAY_0930_BST), Channel()
    engine, _ = engine_for(sessions, clock, channel)
    first = await engine.run_schedule(sid)
    again = await engine.run_schedule(sid)
    assert len(first.ran) == 1 and again.ran == []
    [post] = channel.posts
    assert post.due_at == MONDAY_0930_BST and not post.late
    [occ] = await occurrences(sessions, sid)
    assert (occ.state, occ.attempts, occ.result) == ("done", 1, {"message_id": 1})


async def test_weekly_0930_london_stays_0930_across_the_clock_changes(sessions):
    start = datetime(2026, 3, 20, tzinfo=UTC)
    sid = await make_schedule(sessions, start)
    clock, channel = Clock(start), Channel()
    engine, _ = engine_for(sessions, clock, channel)
    # Walk the clock minute by minute through the key mornings (as the trigger would wake us).
    for day in (date(2026, 3, 23), date(2026, 3, 30), date(2026, 10, 19), date(2026, 10, 26)):
        for hour in (8, 9):
            clock.moment = datetime(day.year, day.month, day.day, hour, 30, tzinfo=UTC)
            await engine.run_schedule(sid)
    times = [p.due_at for p in channel.posts]
    assert times == [
        datetime(2026, 3, 23, 9, 30, tzinfo=UTC),  # GMT
        datetime(2026, 3, 30, 8, 30, tzinfo=UTC),  # BST, after the March change
        datetime(2026, 10, 19, 8, 30, tzinfo=UTC),  # BST
        datetime(2026, 10, 26, 9, 30, tzinfo=UTC),  # GMT, after the October change
    ]
    assert [p.late for p in channel.posts] == [False] * 4
    # The walk jumped from March to October: the Mondays between were recorded as missed.
    states = [o.state for o in await occurrences(sessions, sid)]
    assert states.count("done") == 4 and states.count("missed") == 28


async def test_after_downtime_the_latest_runs_once_late_and_older_ones_are_missed(sessions):
    sid = await make_schedule(
        sessions, MONDAY_0930_BST - timedelta(days=1), cadence="daily", weekdays=[]
    )
    clock, channel = Clock(MONDAY_0930_BST + timedelta(days=3, hours=2)), Channel()
    engine, _ = engine_for(sessions, clock, channel)
    outcome = await engine.run_schedule(sid)
    assert len(outcome.ran) == 1 and outcome.missed == 3
    [post] = channel.posts
    assert post.late and post.due_at == MONDAY_0930_BST + timedelta(days=3)
    states = [o.state for o in await occurrences(sessions, sid)]
    assert states == ["missed", "missed", "missed", "done"]
    async with sessions() as session:
        [event] = (await session.exec(select(Event).where(Event.kind == "schedule.missed"))).all()
    assert event.payload["count"] == 3
    assert (await engine.run_schedule(sid)).ran == []


async def test_beyond_the_grace_period_nothing_is_posted(sessions):
    sid = await make_schedule(
        sessions, MONDAY_0930_BST - timedelta(days=1), cadence="daily", weekdays=[]
    )
    clock, channel = Clock(MONDAY_0930_BST + timedelta(hours=7)), Channel()
    engine, _ = engine_for(sessions, clock, channel, grace=timedelta(hours=6))
    outcome = await engine.run_schedule(sid)
    assert outcome.ran == [] and outcome.missed == 1 and channel.posts == []
    assert [o.state for o in await occurrences(sessions, sid)] == ["missed"]


async def test_a_crash_between_claim_and_post_does_not_duplicate(sessions):
    sid = await make_schedule(sessions, MONDAY_0930_BST - timedelta(days=1))
    clock, channel = Clock(MONDAY_0930_BST), Channel()

    class Crash(BaseException):
        pass

    async def post_then_die(due: Due) -> dict[str, Any]:
        await channel.post(due)  # Discord got it …
        raise Crash  # … and the process died before recording it

    crashing = ScheduleEngine(sessions, clock=clock)
    crashing.register("prompt", post_then_die)
    with pytest.raises(Crash):
        await crashing.run_schedule(sid)
    [occ] = await occurrences(sessions, sid)
    assert occ.state == "claimed"
    # The restarted process recovers the claimed occurrence with the same nonce.
    clock.moment += timedelta(minutes=1)
    restarted, _ = engine_for(sessions, clock, channel)
    outcome = await restarted.recover()
    assert len(outcome.ran) == 1
    assert len(channel.posts) == 1
    [occ] = await occurrences(sessions, sid)
    assert occ.state == "done" and occ.result["deduplicated"] is True
    assert (await restarted.run_schedule(sid)).ran == []


async def test_two_processes_never_both_run_an_occurrence(sessions):
    sid = await make_schedule(sessions, MONDAY_0930_BST - timedelta(days=1))
    clock, channel = Clock(MONDAY_0930_BST), Channel()
    one, _ = engine_for(sessions, clock, channel)
    two, _ = engine_for(sessions, clock, channel)
    results = await asyncio.gather(one.run_schedule(sid), two.run_schedule(sid))
    assert sum(len(r.ran) for r in results) == 1
    assert len(channel.posts) == 1 and len(await occurrences(sessions, sid)) == 1


async def test_a_5xx_is_retried_with_backoff(sessions):
    sid = await make_schedule(sessions, MONDAY_0930_BST - timedelta(days=1))
    clock, channel = Clock(MONDAY_0930_BST), Channel()
    channel.failures = [TransientError("503 Service Unavailable")]
    engine, _ = engine_for(sessions, clock, channel, retry_delays=(30, 120))
    outcome = await engine.run_schedule(sid)
    assert outcome.retrying and channel.posts == []
    [occ] = await occurrences(sessions, sid)
    assert occ.state == "retrying" and occ.next_attempt_at == MONDAY_0930_BST + timedelta(
        seconds=30
    )
    assert "503" in (occ.last_error or "")
    assert (await engine.retry_due(MONDAY_0930_BST + timedelta(seconds=10))).ran == []
    done = await engine.retry_due(MONDAY_0930_BST + timedelta(seconds=31))
    assert len(done.ran) == 1 and len(channel.posts) == 1
    [occ] = await occurrences(sessions, sid)
    assert (occ.state, occ.attempts) == ("done", 2)


async def test_retries_give_up_visibly(sessions):
    sid = await make_schedule(sessions, MONDAY_0930_BST - timedelta(days=1))
    clock, channel = Clock(MONDAY_0930_BST), Channel()
    channel.failures = [TransientError("502"), TransientError("502")]
    engine, _ = engine_for(sessions, clock, channel, retry_delays=(30,))
    await engine.run_schedule(sid)
    final = await engine.retry_due(MONDAY_0930_BST + timedelta(minutes=1))
    assert final.failed and channel.posts == []
    [occ] = await occurrences(sessions, sid)
    assert occ.state == "failed"
    async with sessions() as session:
        kinds = [e.kind for e in (await session.exec(select(Event))).all()]
    assert "schedule.failed" in kinds


async def test_a_missing_channel_pauses_the_schedule_and_tells_the_convener(sessions):
    sid = await make_schedule(sessions, MONDAY_0930_BST - timedelta(days=1))
    clock, channel = Clock(MONDAY_0930_BST), Channel()
    channel.failures = [TargetGone("The partnership's channel no longer exists.")]
    engine, gone = engine_for(sessions, clock, channel)
    outcome = await engine.run_schedule(sid)
    assert outcome.failed and gone == ["The partnership's channel no longer exists."]
    async with sessions() as session:
        schedule = await session.get(Schedule, sid)
    assert schedule is not None and schedule.state == "paused"
    clock.moment += timedelta(days=7)
    assert (await engine.run_schedule(sid)).ran == []


async def test_paused_schedules_and_holidays_do_not_run(sessions):
    sid = await make_schedule(
        sessions, MONDAY_0930_BST - timedelta(days=1), holidays=["2026-06-01"]
    )
    clock, channel = Clock(MONDAY_0930_BST), Channel()
    engine, _ = engine_for(sessions, clock, channel)
    assert (await engine.run_schedule(sid)).ran == []  # a holiday
    async with transaction(sessions) as session:
        schedule = await session.get(Schedule, sid)
        assert schedule is not None
        schedule.state = "paused"
        session.add(schedule)
    clock.moment += timedelta(days=7)
    assert (await engine.run_schedule(sid)).ran == [] and channel.posts == []


async def test_the_trigger_engine_is_rebuilt_from_the_tables(sessions):
    now = datetime.now(UTC)
    sid = await make_schedule(sessions, now, cadence="daily", local_time="09:30", weekdays=[])
    channel = Channel()
    engine, _ = engine_for(sessions, Clock(now), channel)
    await engine.start()
    try:
        assert engine.aps is not None
        job = engine.aps.get_job(f"schedule:{sid}")
        assert job is not None and job.next_run_time > now
        assert job.next_run_time.astimezone(UTC) - now <= timedelta(days=1, hours=1)
        async with transaction(sessions) as session:
            schedule = await session.get(Schedule, sid)
            assert schedule is not None
            schedule.state = "paused"
            session.add(schedule)
        await engine.sync(sid)
        assert engine.aps.get_job(f"schedule:{sid}") is None
    finally:
        await engine.shutdown()


async def test_a_stop_lets_a_run_under_way_record_its_outcome(sessions):
    now = datetime.now(UTC)
    sid = await make_schedule(sessions, now - timedelta(days=2), cadence="daily", weekdays=[])
    release, started = asyncio.Event(), asyncio.Event()

    async def slow_post(due: Due) -> dict[str, Any]:
        started.set()
        await release.wait()
        return {"message_id": 1}

    clock = Clock(now)
    engine = ScheduleEngine(sessions, clock=clock, grace=timedelta(days=3))
    engine.register("prompt", slow_post)
    release.set()
    await engine.start()  # the catch-up run finishes at once
    release.clear()
    started.clear()
    clock.moment = now + timedelta(days=1)  # a trigger fires a day later, as the bot stops
    job = asyncio.create_task(engine._job(sid))
    await asyncio.wait_for(started.wait(), 10)
    stopping = asyncio.create_task(engine.shutdown())
    await asyncio.sleep(0.05)
    assert not stopping.done()  # waiting for the run under way
    release.set()
    await asyncio.wait_for(stopping, 10)
    assert job.done()
    states = [o.state for o in await occurrences(sessions, sid)]
    assert states.count("claimed") == 0 and states.count("done") == 2


async def test_backoff_counts_from_when_the_attempt_failed(sessions):
    sid = await make_schedule(sessions, MONDAY_0930_BST - timedelta(days=1))
    clock = Clock(MONDAY_0930_BST)

    async def slow_failure(due: Due) -> dict[str, Any]:
        clock.moment += timedelta(seconds=25)  # discord.py retrying a 5xx by itself
        raise TransientError("500 Internal Server Error")

    engine = ScheduleEngine(sessions, clock=clock, retry_delays=(30,))
    engine.register("prompt", slow_failure)
    await engine.run_schedule(sid, now=MONDAY_0930_BST)
    [occ] = await occurrences(sessions, sid)
    assert occ.next_attempt_at == MONDAY_0930_BST + timedelta(seconds=55)
