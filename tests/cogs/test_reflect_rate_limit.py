"""A prompt refused with a 429 that discord.py stopped waiting out is retried, not failed."""

from __future__ import annotations

import discord

from tests.cogs.conftest import World
from tests.cogs.test_reflect_routing import occurrences, prompts, schedule, setup_partnership
from tests.helpers import _Response


async def test_a_429_is_retried_later(world: World):
    channel_id = await setup_partnership(world)
    schedule_id, [first, *_] = await schedule(world, channel_id, cadence="daily")
    limited = discord.HTTPException(
        _Response(429), {"message": "You are being rate limited.", "code": 0, "global": True}
    )
    world.discord.fail_next("POST", "/channels/{channel_id}/messages", limited)
    outcome = await world.bot.scheduler.run_schedule(schedule_id, now=first)
    assert outcome.retrying and not outcome.failed
    assert prompts(world, channel_id) == []
    [occurrence] = await occurrences(world, schedule_id)
    assert occurrence.state == "retrying" and "429" in (occurrence.last_error or "")
