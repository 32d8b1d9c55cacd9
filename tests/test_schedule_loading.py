"""Starting the engine with many schedules: one read, shared triggers, catch-up of the due only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

import bot.scheduling as scheduling
from bot.scheduling import Due
from db.engine import SessionFactory, transaction
from db.models import Partnership, Schedule
from tests.test_scheduling import MONDAY_0930_BST, Channel, Clock, engine_for, make_schedule

MONDAY_1000 = MONDAY_0930_BST + timedelta(minutes=30)


def count_selects(sessions: SessionFactory) -> list[str]:
    """Every SELECT the factory's engine sends from now on."""
    bind: Any = sessions.kw["bind"]
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(bind.sync_engine, "before_cursor_execute", before)
    return seen


async def test_start_reads_every_active_schedule_in_one_query(sessions: SessionFactory):
    week_ago = MONDAY_1000 - timedelta(days=7)
    active = [await make_schedule(sessions, week_ago + timedelta(seconds=i)) for i in range(4)]
    paused = await make_schedule(sessions, week_ago + timedelta(seconds=10), state="paused")
    archived = await make_schedule(sessions, week_ago + timedelta(seconds=11))
    async with transaction(sessions) as session:
        schedule = await session.get(Schedule, archived)
        assert schedule is not None
        partnership = await session.get(Partnership, schedule.partnership_id)
        assert partnership is not None
        partnership.archived_at = MONDAY_1000
        session.add(partnership)
    engine, _ = engine_for(sessions, Clock(MONDAY_1000), Channel())
    selects = count_selects(sessions)
    await engine.start(catch_up=False)
    try:
        assert engine.aps is not None
        jobs = {job.id for job in engine.aps.get_jobs() if job.id.startswith("schedule:")}
        assert jobs == {f"schedule:{i}" for i in active}
        # One read of the schedules themselves; the change poll notes the newest change apart.
        loads = [s for s in selects if "FROM schedule" in s and "max(schedule.updated_at)" not in s]
        assert len(loads) == 1
        assert engine.aps.get_job(f"schedule:{paused}") is None
    finally:
        await engine.shutdown()


async def test_schedules_with_the_same_recurrence_share_one_trigger(sessions: SessionFactory):
    first = await make_schedule(sessions, MONDAY_1000 - timedelta(days=1))
    second = await make_schedule(sessions, MONDAY_1000 - timedelta(days=2))
    other = await make_schedule(sessions, MONDAY_1000 - timedelta(days=3), local_time="17:00")
    engine, _ = engine_for(sessions, Clock(MONDAY_1000), Channel())
    await engine.start(catch_up=False)
    try:
        assert engine.aps is not None
        jobs = {i: engine.aps.get_job(f"schedule:{i}") for i in (first, second, other)}
        assert jobs[first].trigger is jobs[second].trigger
        assert jobs[first].trigger is not jobs[other].trigger
        # Their next run, on APScheduler's clock: the next Monday at 09:30 London, and 17:00.
        london = ZoneInfo("Europe/London")
        first_run = jobs[first].next_run_time.astimezone(london)
        other_run = jobs[other].next_run_time.astimezone(london)
        assert jobs[second].next_run_time == jobs[first].next_run_time > datetime.now(UTC)
        assert (first_run.weekday(), first_run.hour, first_run.minute) == (0, 9, 30)
        assert (other_run.weekday(), other_run.hour, other_run.minute) == (0, 17, 0)
    finally:
        await engine.shutdown()


async def test_catch_up_looks_only_at_schedules_with_an_occurrence_due(sessions: SessionFactory):
    due = await make_schedule(sessions, MONDAY_0930_BST - timedelta(days=1))
    done = await make_schedule(sessions, MONDAY_0930_BST)  # handled this morning's already
    later = await make_schedule(
        sessions, MONDAY_0930_BST - timedelta(days=1, seconds=1), local_time="17:00"
    )
    channel = Channel()
    engine, _ = engine_for(sessions, Clock(MONDAY_1000), channel)
    looked_at: list[int] = []
    claim_many = engine._claim_many

    async def recording(schedule_ids: list[int], now: Any) -> Any:
        looked_at.extend(schedule_ids)
        return await claim_many(schedule_ids, now)

    engine._claim_many = recording  # type: ignore[method-assign]
    await engine.start(catch_up=True)
    try:
        assert looked_at == [due]
        assert [post.schedule_id for post in channel.posts] == [due]
        assert done not in looked_at and later not in looked_at
    finally:
        await engine.shutdown()


async def test_a_change_made_while_loading_is_not_undone_by_the_load(
    sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
):
    kept = await make_schedule(sessions, MONDAY_1000 - timedelta(days=1))
    paused = await make_schedule(sessions, MONDAY_1000 - timedelta(days=1, seconds=1))
    engine, _ = engine_for(sessions, Clock(MONDAY_1000), Channel())
    read_active = scheduling.read_active

    async def read_then_pause(*args: Any, **kwargs: Any) -> Any:
        rows = await read_active(*args, **kwargs)  # the rows say: active
        async with transaction(sessions) as session:
            schedule = await session.get(Schedule, paused)
            assert schedule is not None
            schedule.state = "paused"
            session.add(schedule)
        await engine.sync(paused)  # as the schedule service does after a change
        return rows

    monkeypatch.setattr(scheduling, "read_active", read_then_pause)
    await engine.start(catch_up=False)
    try:
        assert engine.aps is not None
        assert engine.aps.get_job(f"schedule:{kept}") is not None
        assert engine.aps.get_job(f"schedule:{paused}") is None
    finally:
        await engine.shutdown()


async def test_each_run_spends_the_requests_its_action_declares(sessions: SessionFactory):
    first = await make_schedule(sessions, MONDAY_0930_BST - timedelta(days=1))
    second = await make_schedule(sessions, MONDAY_0930_BST - timedelta(days=1, seconds=1))
    channel = Channel()
    engine, _ = engine_for(sessions, Clock(MONDAY_1000), channel)

    async def post(due: Due) -> dict[str, Any]:
        return await channel.post(due)

    engine.register("prompt", post, requests=2)
    await engine.start(catch_up=True)
    try:
        assert sorted(p.schedule_id for p in channel.posts) == sorted([first, second])
        assert engine.pacer.spent == 4
    finally:
        await engine.shutdown()
