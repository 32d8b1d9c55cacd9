"""Pacing scheduled work: the rate, the slots, and commands first. No real time passes."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import pytest

import bot.pacing as pacing
from bot.app import PartnerBot
from bot.config import Settings
from bot.pacing import Pacer
from db.engine import SessionFactory


class Monotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Sleeps the pacer asks for, recorded and skipped."""
    asked: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        asked.append(round(seconds, 6))
        await real_sleep(0)

    monkeypatch.setattr(pacing.asyncio, "sleep", sleep)
    return asked


async def test_spending_keeps_under_the_rate(slept: list[float]):
    clock = Monotonic()
    pacer = Pacer(rate=40.0, monotonic=clock)
    for _ in range(3):
        await pacer.spend(2)  # three prompts at once: a message and a thread each
    assert slept == [0.05, 0.1]  # 2 requests / 40 a second apart
    clock.now += 1.0  # a quiet second later: no waiting
    await pacer.spend(2)
    assert slept == [0.05, 0.1]
    assert pacer.spent == 8


async def test_an_unpaced_pacer_never_waits(slept: list[float]):
    pacer = Pacer.unpaced()
    for _ in range(100):
        await pacer.spend(2)
        async with pacer.slot():
            pass
    assert slept == []


async def test_no_more_runs_at_once_than_the_slots():
    pacer = Pacer(rate=None, concurrency=2, max_yield=0)
    inside = 0
    most = 0
    release = asyncio.Event()

    async def run() -> None:
        nonlocal inside, most
        async with pacer.slot():
            inside += 1
            most = max(most, inside)
            await release.wait()
            inside -= 1

    tasks = [asyncio.create_task(run()) for _ in range(5)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert inside == 2
    release.set()
    await asyncio.gather(*tasks)
    assert most == 2


async def test_a_slot_given_back_early_lets_the_next_run_in_once():
    pacer = Pacer(rate=None, concurrency=1, max_yield=0)
    started: list[int] = []
    finish = asyncio.Event()

    async def run(i: int) -> None:
        async with pacer.slot() as slot:
            started.append(i)
            slot.release()
            slot.release()  # once: a second release frees no other place
            await finish.wait()

    tasks = [asyncio.create_task(run(i)) for i in range(3)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert started == [0, 1, 2]  # each let the next in while it still waits
    finish.set()
    await asyncio.gather(*tasks)
    async with pacer.slot():  # the slot is whole again: one run at a time
        blocked = asyncio.create_task(run(3))
        for _ in range(5):
            await asyncio.sleep(0)
        assert started == [0, 1, 2]
    await blocked
    assert started == [0, 1, 2, 3]


async def test_a_slot_waits_while_a_command_is_handled():
    pacer = Pacer(rate=None, concurrency=4, hold=0, max_yield=60)
    pacer.interaction_started()
    entered = asyncio.Event()

    async def run() -> None:
        async with pacer.slot():
            entered.set()

    task = asyncio.create_task(run())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not entered.is_set()
    pacer.interaction_ended()
    await asyncio.wait_for(task, 5)
    assert entered.is_set()


async def test_an_interaction_arriving_holds_new_runs_a_moment(monkeypatch: pytest.MonkeyPatch):
    clock = Monotonic()
    slept: list[float] = []

    async def sleep(seconds: float) -> None:  # time passes as asked
        slept.append(seconds)
        clock.now += seconds

    monkeypatch.setattr(pacing.asyncio, "sleep", sleep)
    pacer = Pacer(rate=None, concurrency=4, hold=1.0, max_yield=3.0, monotonic=clock)
    pacer.interaction_arrived()
    assert pacer.busy
    clock.now += 1.0
    assert not pacer.busy
    pacer.interaction_arrived()
    async with pacer.slot():
        pass
    assert slept == [1.0]  # waited out the hold, no longer
    pacer.interaction_arrived()
    clock.now += 0.5
    pacer.interaction_started()  # a command that never ends: the wait is capped
    pacer.interaction_ended()
    pacer._quiet_after = clock.now + 100  # interactions keep arriving
    async with pacer.slot():
        pass
    assert slept[1:] == [3.0]


async def test_the_bot_marks_every_interaction_for_the_pacer(
    sessions: SessionFactory, tmp_path: Path
):
    settings = Settings(
        discord_token="test-token",  # type: ignore[arg-type]
        data_dir=tmp_path,
        _env_file=None,  # type: ignore[call-arg]
    )
    bot = PartnerBot(settings=settings, sessions=sessions)
    assert not bot.scheduler.pacer.busy
    bot.dispatch("interaction", object())
    assert bot.scheduler.pacer.busy
    assert bot.scheduler.pacer.rate == pacing.SCHEDULED_RATE < 50


async def test_waiters_a_held_up_event_loop_delayed_do_not_go_all_at_once(
    monkeypatch: pytest.MonkeyPatch,
):
    clock = Monotonic()
    stall = [0.5]  # the first sleep ends half a second late (a held-up loop, a busy machine)
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:  # every sleeper wakes at its time, or later
        wake = clock.now + seconds + (stall.pop() if stall else 0.0)
        await real_sleep(0)
        clock.now = max(clock.now, wake)

    monkeypatch.setattr(pacing.asyncio, "sleep", sleep)
    pacer = Pacer(rate=10.0, monotonic=clock)
    granted: list[float] = []

    async def spend_one() -> None:
        await pacer.spend(1)
        granted.append(clock.now)

    await asyncio.gather(*(spend_one() for _ in range(4)))
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(granted)]
    # The second woke well after its turn; the two after it still keep a tenth of a second
    # apart (bar the usual lateness made up), rather than going with it.
    assert gaps[0] >= 0.1 and min(gaps[1:]) >= 0.09, gaps
