"""Start-up order: nothing scheduled before the gateway is ready; then triggers, then catch-up."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot import heap
from bot.app import PartnerBot
from bot.config import Settings
from bot.scheduling import ScheduleEngine
from db.engine import SessionFactory
from tests.test_scheduling import MONDAY_0930_BST, Channel, Clock, engine_for, make_schedule


async def test_starting_without_catch_up_posts_nothing_until_asked(sessions: SessionFactory):
    schedule_id = await make_schedule(sessions, MONDAY_0930_BST - timedelta(days=1))
    channel = Channel()
    engine, _ = engine_for(sessions, Clock(MONDAY_0930_BST + timedelta(minutes=30)), channel)
    await engine.start(catch_up=False)
    try:
        assert engine.aps is not None and engine.aps.get_job(f"schedule:{schedule_id}")
        assert channel.posts == []
        await engine.catch_up()
        assert len(channel.posts) == 1 and channel.posts[0].late
        await engine.catch_up()
        assert len(channel.posts) == 1
    finally:
        await engine.shutdown()


class RecordingScheduler(ScheduleEngine):
    def __init__(self, sessions: SessionFactory) -> None:
        super().__init__(sessions)
        self.calls: list[str] = []

    async def start(self, *, catch_up: bool = True) -> None:
        self.calls.append(f"start(catch_up={catch_up})")

    async def catch_up(self) -> None:
        self.calls.append("catch_up")

    async def shutdown(self) -> None:
        self.calls.append("shutdown")


async def background_bot(
    sessions: SessionFactory, tmp_path: Path
) -> tuple[PartnerBot, RecordingScheduler]:
    """A bot as `partnerbot run` makes it (background work on), set up, with its engine's calls
    recorded."""
    settings = Settings(
        discord_token="test-token",  # type: ignore[arg-type]
        data_dir=tmp_path,
        _env_file=None,  # type: ignore[call-arg]
    )
    scheduler = RecordingScheduler(sessions)
    bot = PartnerBot(
        settings=settings, sessions=sessions, scheduler=scheduler, start_background=True
    )
    await bot.setup_hook()
    return bot, scheduler


async def test_the_bot_catches_up_once_connected_and_only_once(
    sessions: SessionFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    bot, scheduler = await background_bot(sessions, tmp_path)
    assert scheduler.calls == []  # login is never held up by loading schedules
    repaired: list[list[int]] = []

    async def repair_all(guild_ids: list[int]) -> None:
        repaired.append(guild_ids)

    bot.channels.repair_all = repair_all  # type: ignore[method-assign]
    settled = heap.settle

    def settle() -> None:
        scheduler.calls.append("settle")
        settled()

    monkeypatch.setattr(heap, "settle", settle)
    await bot.on_ready()
    await bot.on_ready()  # READY again after a reconnect
    await asyncio.sleep(0)
    # The heap is settled before the schedules' jobs are built and once they are, before the
    # catch-up's burst.
    assert scheduler.calls == ["settle", "start(catch_up=False)", "settle", "catch_up"]
    assert repaired == [[]]  # then every channel of its servers (none here) is repaired, once
    # The timers started with the catch-up: stop them before the loop closes under their seed.
    await bot.timers.shutdown()


async def test_a_ready_after_closing_starts_nothing_and_raises_nothing(
    sessions: SessionFactory, tmp_path: Path
):
    """discord.py dispatches READY from a task that closing does not cancel (it waits about
    2 s for the guilds): a bot stopped sooner must neither start its background work nor
    schedule the event on a loop it no longer has."""
    bot, scheduler = await background_bot(sessions, tmp_path)
    await bot.close()
    assert bot.is_closed()
    bot.dispatch("ready")  # would raise: discord.py's client has no loop once closed
    await bot.on_ready()  # READY caught while draining: nothing starts
    await asyncio.sleep(0)
    assert scheduler.calls == ["shutdown"]
