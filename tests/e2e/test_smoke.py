"""The bot starts against the fake Discord, logs in, identifies, registers and answers."""

from __future__ import annotations

import pytest

from .conftest import World
from .fake_discord import FakeDiscord, Intent
from .harness import BotProcess, measure_round_trip

pytestmark = pytest.mark.e2e


async def test_bot_logs_in_identifies_registers_and_answers(
    fake: FakeDiscord, world: World, bot: BotProcess
) -> None:
    # Logged in over REST with the bot token, then asked where the gateway is.
    assert fake.calls("GET /users/@me")[0].status == 200
    assert fake.calls("GET /oauth2/applications/@me")[0].status == 200
    assert fake.calls("GET /gateway/bot")

    # Identified once, with the guilds intent only, over a zlib-stream connection.
    assert len(fake.identifies) == 1
    assert fake.identifies[0]["intents"] == int(Intent.GUILDS) == 1
    assert fake.gateway.connections[0].compression == "zlib-stream"
    assert bot.session is not None and bot.session.ready

    # Synced its commands to the development server only.
    names = {c["name"] for c in fake.commands(world.guild)}
    assert {"partnership", "partner", "member"} <= names
    assert fake.commands() == []
    partnership = next(c for c in fake.commands(world.guild) if c["name"] == "partnership")
    assert "list" in {o["name"] for o in partnership["options"] if o["type"] == 1}

    # And answers a command, privately.
    reply = await fake.run(world.alice, world.guild, world.general, "partnership list")
    assert reply.ephemeral
    assert "don't belong to any partnership" in reply.text

    seconds = await measure_round_trip(
        fake, world.alice, world.guild, world.general, "partnership list"
    )
    assert 0 < seconds < 3


async def test_bot_resumes_when_the_gateway_connection_drops(
    fake: FakeDiscord, world: World, bot: BotProcess
) -> None:
    session = await fake.gateway_drop(4000)
    await fake.wait_for_resume(session)
    assert len(fake.identifies) == 1  # resumed the same session, did not identify again
    assert fake.gateway.connections[-1].path == "/gateway-resume"  # READY's resume_gateway_url
    reply = await fake.run(world.alice, world.guild, world.general, "partnership list")
    assert reply.ephemeral

    session = await fake.gateway_reconnect()  # op 7: Discord asks the client to reconnect
    await fake.wait_for_resume(session, resumes=2)
    reply = await fake.run(world.bob, world.guild, world.general, "partnership list")
    assert reply.ephemeral


async def test_sigterm_closes_the_gateway_and_exits_cleanly(
    fake: FakeDiscord, world: World, bot: BotProcess
) -> None:
    assert await bot.stop() == 0
