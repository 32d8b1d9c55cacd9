"""A trust check-in round from opening to posted results, against the real bot process.

Riverside Trust Hub has three partner organisations, one representative each, and its convener
in her own capacity. The convener opens a one-minute round; Alice, Bob and the convener answer
with `/trust checkin`. Carol has closed her direct messages. At 80 % of the window the bot
reminds only Carol, and because her DMs are closed it mentions her, and only her, in the channel.
At the end of the window it closes the round and posts the results: four groups answered, the
threshold of three is met, and the means are per organisation, one decimal.

The only waits are for the wall clock (the round's window and the bot's timer poll).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from .conftest import World, partnership_of, user_id
from .fake_discord import FakeDiscord
from .harness import BotProcess

pytestmark = [pytest.mark.e2e]

JSON = dict[str, Any]
ORGANISATIONS = ("Council", "Health Trust", "Food Bank")
ROUND_WAIT = 120.0  # the window (60 s) plus the bot's job interval, with room to spare


async def trust_hub(fake: FakeDiscord, world: World) -> JSON:
    partners = list(zip(ORGANISATIONS, (world.alice, world.bob, world.carol), strict=True))
    return await partnership_of(
        fake, world, "Riverside Trust Hub", "See whether trust between us is growing.", partners
    )


async def test_a_round_from_opening_to_posted_results(
    fake: FakeDiscord, world: World, bot: BotProcess
) -> None:
    channel = await trust_hub(fake, world)
    fake.close_dms(world.carol)

    opened = await fake.run(world.convener, world.guild, channel, "trust open", window="1m")
    assert opened.ephemeral and "Opened trust check-in round #" in opened.content, opened
    started = time.monotonic()
    invitation = await fake.wait_for_message(
        channel, lambda m: "Trust check-in for" in (m.get("content") or "")
    )
    assert "/trust checkin" in invitation["content"] and "<@" not in invitation["content"]

    answers = (
        (world.alice, {"expectations": "4", "follow_through": "4", "reliance": "3"}),
        (world.bob, {"expectations": "2", "follow_through": "3", "reliance": "3"}),
        (world.convener, {"expectations": "3", "follow_through": "2", "reliance": "3"}),
    )
    for person, options in answers:
        reply = await fake.run(
            person, world.guild, channel, "trust checkin", small_win="yes", **options
        )
        assert reply.ephemeral and "Thank you" in reply.content, reply
    early = await fake.run(world.alice, world.guild, channel, "trust summary")
    assert "No trust check-in round has closed yet" in early.text, early

    # The reminder: only Carol has not answered, and her DMs are closed.
    nudge = await fake.wait_for_message(
        channel,
        lambda m: "couldn't send you a direct message" in (m.get("content") or ""),
        timeout=ROUND_WAIT,
    )
    assert f"<@{user_id(world.carol)}>" in nudge["content"]
    for person in (world.alice, world.bob, world.convener):
        assert f"<@{user_id(person)}>" not in nudge["content"]
        assert fake.dm_messages(person) == []

    # The results, once the window has ended.
    results = await fake.wait_for_message(
        channel, lambda m: "has closed" in (m.get("content") or ""), timeout=ROUND_WAIT
    )
    assert time.monotonic() - started >= 55, "results before the window ended"
    [embed] = results["embeds"]
    text = embed["description"]
    # Council 4, Health Trust 2, own capacity 3: (4 + 2 + 3) / 3 = 3.0.
    assert "3 organisations answered" in text, text
    assert "Clear expectations (forming expectations): **3.0**" in text, text
    assert "Follow-through (expectations met): **3.0**" in text, text
    assert "Small wins: 3 people said yes." in text, text

    late = await fake.run(world.carol, world.guild, channel, "trust checkin", expectations="5")
    assert late.ephemeral and "Thank you" not in late.content, late
    summary = await fake.run(world.alice, world.guild, channel, "trust summary")
    assert summary.ephemeral and "3.0" in summary.text, summary
    assert [a.get("filename") for a in summary.attachments] == ["trust-trend.png"], summary
