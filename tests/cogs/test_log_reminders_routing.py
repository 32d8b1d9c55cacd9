"""Action reminders through the real bot: the action's timers send the owner a direct message,
and where that fails, one channel message that mentions the owner alone. Which reminders are due
and that each goes once are tested with the service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord

from tests.cogs._goal_hubs import hubs
from tests.cogs.conftest import World
from tests.helpers import _Response

LOGGED = datetime(2026, 3, 10, 12, tzinfo=UTC)  # Family Hubs is in Europe/London (GMT)


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


async def test_the_timers_send_the_owner_a_dm_or_mention_them_in_the_channel(world: World):
    h = await hubs(world)
    clock = FixedClock(LOGGED)
    world.bot.services.notes.clock = clock
    world.bot.services.reminders.clock = clock
    for text, owner in (("Book the room **now** @everyone", h.foodbank), ("Minutes", h.forum)):
        await world.run(
            h.council,
            "log note",
            channel_id=h.channel,
            text=text,
            kind="action",
            owner=owner,
            due="2026-03-12",
        )
    before = len(world.discord.channel_messages(h.channel))
    await world.bot.timers.run_due(clock.at)
    assert world.discord.dm_messages(h.foodbank.id) == []  # not yet the day before
    clock.at = datetime(2026, 3, 11, 9, tzinfo=UTC)
    forbidden = discord.Forbidden(_Response(403), {"message": "Cannot send", "code": 50007})
    world.discord.fail_next("POST", "/users/@me/channels", forbidden)  # the first DM fails
    await world.bot.timers.run_due(clock.at)
    # The first action's owner is reached in the channel; the second's by direct message.
    [dm] = world.discord.dm_messages(h.forum.id)
    assert "is due tomorrow, 2026-03-12" in dm["content"] and "Family Hubs" in dm["content"]
    assert "/log done action:" in dm["content"] and "“Minutes”" in dm["content"]
    assert f"https://discord.com/channels/{world.guild}/{h.channel}/" in dm["content"]
    assert world.discord.dm_messages(h.foodbank.id) == []
    [fallback] = world.discord.channel_messages(h.channel)[before:]
    assert fallback["content"].startswith(f"<@{h.foodbank.id}>")
    assert "\\*\\*now\\*\\*" in fallback["content"] and "@\u200beveryone" in fallback["content"]
    assert fallback["allowed_mentions"]["users"] == [h.foodbank.id]
    assert fallback["allowed_mentions"]["parse"] == []
    await world.bot.timers.run_due(clock.at)  # each reminder once
    assert len(world.discord.dm_messages(h.forum.id)) == 1
    assert len(world.discord.channel_messages(h.channel)) == before + 1
    clock.at += timedelta(days=1)
    await world.bot.timers.run_due(clock.at)
    [_, on_the_day] = world.discord.dm_messages(h.forum.id)
    assert "is due today, 2026-03-12" in on_the_day["content"]
    [dm] = world.discord.dm_messages(h.foodbank.id)
    assert "is due today" in dm["content"]


async def test_timers_run_only_with_background_work(world: World):
    assert world.bot.timers._task is None
    assert "action.remind" in world.bot.timers.handlers
