"""Timers share the schedule engine's pacing (`bot.pacing`): each request a handler makes is
counted against the one rate, a timer waits while a command is handled, and the bot gives both
engines the same pacer. And timers are seeded at start for the servers a process holds only."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

import bot.pacing as pacing
from bot import timers
from bot.app import PartnerBot
from bot.config import Settings
from bot.pacing import Pacer
from bot.timers import Fire, Held, TimerEngine
from db.engine import SessionFactory
from db.models import Partnership
from tests.test_timers import SHARD_0, SHARD_1, Clock, T, add, partnership, rows


class Monotonic:
    def __call__(self) -> float:
        return 100.0  # no time passes: every wait the bucket asks for is recorded


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the pacer asks for, recorded and skipped."""
    asked: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(seconds: float, *args: Any) -> None:
        if seconds > 0:
            asked.append(round(seconds, 6))
        await real_sleep(0)

    monkeypatch.setattr(pacing.asyncio, "sleep", sleep)
    return asked


class Spender:
    """A handler that makes `requests` requests, spending each before it."""

    def __init__(self, pacer: Pacer | None = None, requests: int = 2) -> None:
        self.pacer = pacer
        self.requests = requests
        self.fired: list[int] = []
        self.busy_when_fired: list[bool] = []

    async def __call__(self, fire: Fire) -> dict[str, Any]:
        if self.pacer is not None:
            self.busy_when_fired.append(self.pacer.busy)
        for _ in range(self.requests):
            await fire.spend(1)
        self.fired.append(fire.subject_id)
        return {}


async def test_a_burst_of_timers_is_spent_at_the_pacers_rate(
    sessions: SessionFactory, slept: list[float]
):
    pid = await partnership(sessions)
    for subject in range(5):
        await add(sessions, pid, subject, T)
    pacer = Pacer(rate=40.0, monotonic=Monotonic())
    engine = TimerEngine(sessions, clock=Clock(T), pacer=pacer)
    handler = Spender(requests=2)
    engine.register("test", handler)
    fired = await engine.run_due()
    assert handler.fired == [0, 1, 2, 3, 4] and len(fired.done) == 5
    assert pacer.spent == 10
    # Ten requests at 40 a second: each after the first waits its turn, 1/40 s apart.
    assert slept == [round(n / 40, 6) for n in range(1, 10)]


class WatchedPacer(Pacer):
    """A pacer that says when a scheduled run starts waiting for commands."""

    def __init__(self) -> None:
        super().__init__(rate=None, concurrency=4, hold=0.0, max_yield=600.0)
        self.yielding = asyncio.Event()

    async def _yield_to_interactions(self) -> None:
        if self.busy:
            self.yielding.set()
        await super()._yield_to_interactions()


async def test_a_timer_waits_while_a_command_is_handled(sessions: SessionFactory):
    pid = await partnership(sessions)
    await add(sessions, pid, 1, T)
    pacer = WatchedPacer()
    engine = TimerEngine(sessions, clock=Clock(T), pacer=pacer)
    handler = Spender(pacer)
    engine.register("test", handler)
    pacer.interaction_started()
    running = asyncio.create_task(engine.run_due())
    yielding = asyncio.create_task(pacer.yielding.wait())
    await asyncio.wait({running, yielding}, return_when=asyncio.FIRST_COMPLETED)
    assert yielding.done() and not running.done()
    assert handler.fired == []
    assert {r.state for r in await rows(sessions)} == {"pending"}  # not even claimed yet
    pacer.interaction_ended()
    fired = await running
    assert handler.fired == [1] and handler.busy_when_fired == [False]
    assert len(fired.done) == 1


async def test_the_bot_paces_timers_with_the_schedules(sessions: SessionFactory, tmp_path: Path):
    settings = Settings(
        discord_token="test-token",  # type: ignore[arg-type]
        data_dir=tmp_path,
        _env_file=None,  # type: ignore[call-arg]
    )
    bot = PartnerBot(settings=settings, sessions=sessions)
    assert bot.timers.pacer is bot.scheduler.pacer
    assert bot.timers.pacer.rate == pacing.SCHEDULED_RATE


async def test_the_seed_reads_only_the_servers_this_process_holds(sessions: SessionFactory):
    await partnership(sessions)  # guild 1
    read: list[list[int]] = []

    async def seed(session: AsyncSession, now: datetime, held: Held) -> int:
        guilds = (
            await session.exec(select(Partnership.guild_id).where(held(col(Partnership.guild_id))))
        ).all()
        read.append(sorted(guilds))
        for guild in guilds:
            partnership_id = (
                await session.exec(select(Partnership.id).where(Partnership.guild_id == guild))
            ).one()
            assert partnership_id is not None
            await timers.add(
                session, "test", guild, now, guild_id=guild, partnership_id=partnership_id
            )
        return len(guilds)

    async with sessions() as session:
        first = (await session.exec(select(Partnership))).one()
    for guild in (SHARD_0, SHARD_1):
        async with sessions() as session:
            copy = Partnership(
                **first.model_dump(exclude={"id", "guild_id", "channel_id", "name"}),
                guild_id=guild,
                name=f"Hubs {guild}",
            )
            session.add(copy)
            await session.commit()

    def engine(**shards: Any) -> TimerEngine:
        made = TimerEngine(sessions, clock=Clock(T), **shards)
        made.register("test", Spender(), seed)
        return made

    assert await engine(shard_count=2, shard_ids=[1]).seed() == 1
    assert await engine(shard_count=2, shard_ids=[0]).seed() == 2  # guild 1 is on shard 0
    assert await engine().seed() == 3
    assert read == [[SHARD_1], [1, SHARD_0], sorted([1, SHARD_0, SHARD_1])]
    assert {r.guild_id for r in await rows(sessions)} == {1, SHARD_0, SHARD_1}
