"""A burst's claims made a few at a time, and its outcomes recorded together: each once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.pacing import Pacer
from bot.schedule_claims import CLAIM_AHEAD
from bot.scheduling import Done, Due, ScheduleEngine
from db.engine import SessionFactory
from tests.statements import statements_run
from tests.test_scheduling import MONDAY_0930_BST, Channel, Clock, make_schedule, occurrences


def paced_engine(sessions: SessionFactory, clock: Clock, run: Any) -> ScheduleEngine:
    pacer = Pacer(rate=None, concurrency=3, hold=0.0, max_yield=0.0)
    engine = ScheduleEngine(sessions, clock=clock, pacer=pacer)
    engine.register("prompt", run)
    return engine


def counting_claims(engine: ScheduleEngine) -> list[list[int]]:
    batches: list[list[int]] = []
    claim_many = engine._claim_many

    async def counted(schedule_ids: list[int], now: Any) -> Any:
        batches.append(list(schedule_ids))
        return await claim_many(schedule_ids, now)

    engine._claim_many = counted  # type: ignore[method-assign]
    return batches


async def test_a_burst_is_claimed_a_few_at_a_time_and_each_runs_once_in_two_processes(sessions):
    ids = [
        await make_schedule(sessions, MONDAY_0930_BST - timedelta(days=1, seconds=i))
        for i in range(CLAIM_AHEAD + 6)
    ]
    clock, channel = Clock(MONDAY_0930_BST), Channel()
    one = paced_engine(sessions, clock, channel.post)
    two = paced_engine(sessions, clock, channel.post)
    batches_one, batches_two = counting_claims(one), counting_claims(two)
    # Every job fires in both processes, as with two unsharded processes.
    await asyncio.gather(*(engine._paced_run(i) for i in ids for engine in (one, two)))
    assert sorted(due.schedule_id for due in channel.posts) == ids  # each exactly once
    for schedule_id in ids:
        [occurrence] = await occurrences(sessions, schedule_id)
        assert occurrence.state == "done" and not occurrence.late
    batches = batches_one + batches_two
    assert len(batches_one[0]) == 1  # the burst's first post waits for one claim only
    assert max(len(batch) for batch in batches) > 1  # claimed ahead, not one by one
    assert max(len(batch) for batch in batches) <= CLAIM_AHEAD
    assert not one._claimed_ahead and not two._claimed_ahead  # each claim made was run
    assert not one._waiting and not two._waiting


async def test_outcomes_recorded_together_fail_only_the_run_whose_writes_failed(sessions):
    ids = [
        await make_schedule(sessions, MONDAY_0930_BST - timedelta(days=1, seconds=i))
        for i in range(5)
    ]
    clock, channel = Clock(MONDAY_0930_BST), Channel()
    written: list[int] = []

    async def run(due: Due) -> Done:
        await channel.post(due)

        async def record(session: AsyncSession) -> None:
            if due.schedule_id == ids[2]:
                raise SQLAlchemyError("the post's row could not be written")
            written.append(due.schedule_id)

        return Done({"posted": due.schedule_id}, record)

    engine = paced_engine(sessions, clock, run)
    await asyncio.gather(*(engine._paced_run(i) for i in ids))
    states = {i: [o.state for o in await occurrences(sessions, i)] for i in ids}
    assert states == {i: ["failed" if i == ids[2] else "done"] for i in ids}
    assert sorted(set(written)) == sorted(i for i in ids if i != ids[2])


async def test_occurrences_claimed_together_are_prepared_in_one_call(sessions):
    ids = [
        await make_schedule(sessions, MONDAY_0930_BST - timedelta(days=1, seconds=i))
        for i in range(CLAIM_AHEAD + 3)
    ]
    clock, channel = Clock(MONDAY_0930_BST), Channel()
    calls: list[list[int]] = []
    given: dict[int, Any] = {}

    async def prepare(session: AsyncSession, claimed: Any) -> list[str]:
        calls.append([due.schedule_id for due, _ in claimed])
        if len(calls) == 2:
            raise ValueError("could not prepare")  # the claims stand, unprepared
        return [f"prepared {due.occurrence_id} of {p.id}" for due, p in claimed]

    async def run(due: Due) -> dict[str, Any]:
        given[due.schedule_id] = due.prepared
        return await channel.post(due)

    engine = paced_engine(sessions, clock, run)
    engine.register("prompt", run, prepare=prepare)
    batches = counting_claims(engine)
    await asyncio.gather(*(engine._paced_run(i) for i in ids))
    assert sorted(due.schedule_id for due in channel.posts) == ids  # each once, prepared or not
    assert sorted(map(sorted, calls)) == sorted(map(sorted, batches))  # one call per claim
    assert max(len(call) for call in calls) > 1
    for due in channel.posts:
        failed = due.schedule_id in calls[1]
        expected = None if failed else f"prepared {due.occurrence_id} of {due.partnership_id}"
        assert given[due.schedule_id] == expected


async def test_a_batch_inserts_its_occurrences_in_one_statement_each_id_its_own(sessions):
    ids = [
        await make_schedule(sessions, MONDAY_0930_BST - timedelta(days=1, seconds=i))
        for i in range(CLAIM_AHEAD)
    ]
    engine = paced_engine(sessions, Clock(MONDAY_0930_BST), Channel().post)
    with statements_run(sessions, starting="INSERT INTO OCCURRENCE") as inserts:
        claims = await engine._claim_many(list(reversed(ids)), MONDAY_0930_BST)
    assert len(inserts) == 1  # one statement for the batch, not one per occurrence
    for schedule_id in ids:
        [row] = await occurrences(sessions, schedule_id)
        claimed = claims[schedule_id].occurrence
        assert claimed is not None and claimed.id == row.id and claimed.due_at == row.due_at
