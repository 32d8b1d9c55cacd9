"""A new convener's first day, against the real bot process (issue 12).

Connie, a council officer, asks `/guide`, then creates Riverside Early Help as the Council's
representative. The channel's welcome message lists what setup still lacks; adding the Food
Bank shows it lacks a representative, until Alice is added and greeted in the channel (only she
is pinged). Alice proposes a goal; Connie nudges it and Alice gets a direct message naming it.
`/todo` lists Alice's pending stance, and no longer once she has taken it. When the Council
agrees too, one line in the channel announces the agreement and links to the goal's card.
Then Connie puts a prompt about power to the partnership: its answers are anonymous. Two
organisations' answers show nothing; the third group's (Carol, in her own capacity) releases all
three in the prompt's thread, as the bot's messages, naming nobody.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from .conftest import World, user_id
from .fake_discord import FakeDiscord
from .harness import BotProcess

pytestmark = [pytest.mark.e2e]

JSON = dict[str, Any]
NAME = "Riverside Early Help"


def said(message: JSON) -> str:
    """What a bot message says: an answer is shown as an embed's description."""
    embeds = message.get("embeds") or []
    return str(embeds[0].get("description") or "") if embeds else str(message.get("content"))


async def info(fake: FakeDiscord, world: World, channel: JSON) -> str:
    reply = await fake.run(world.convener, world.guild, channel, "partnership info")
    return reply.text


async def test_a_new_conveners_first_day(fake: FakeDiscord, world: World, bot: BotProcess):
    guide = await fake.run(world.convener, world.guild, world.general, "guide")
    assert guide.ephemeral and "/partnership create" in guide.text

    created = await fake.run(
        world.convener,
        world.guild,
        world.general,
        "partnership create",
        name=NAME,
        purpose="Help families early, together.",
        organisation="Riverside Council",
        sector="public",
    )
    assert "Riverside Council" in created.content and "representative" in created.content
    channel = fake.channel(int(re.search(r"<#(\d+)>", created.content)[1]))  # type: ignore[index]
    assert channel is not None
    welcome = fake.messages(channel)[0]["content"]
    assert "/guide" in welcome and "No goal yet" in welcome
    assert "No organisations yet" not in welcome  # the Council is there already

    await fake.run(
        world.convener,
        world.guild,
        channel,
        "partner add",
        organisation="Food Bank",
        sector="voluntary",
    )
    assert "Nobody speaks for **Food Bank**" in await info(fake, world, channel)
    added = await fake.run(
        world.convener,
        world.guild,
        channel,
        "member add",
        user=world.alice,
        organisation="Food Bank",
    )
    assert added.ephemeral
    alice = f"<@{user_id(world.alice)}>"
    greeting = await fake.wait_for_message(channel, lambda m: alice in m.get("content", ""))
    assert "/guide" in greeting["content"] and "Food Bank" in greeting["content"]
    [sent] = [
        r.json
        for r in fake.calls("POST /channels/{channel_id}/messages")
        if alice in (r.json or {}).get("content", "")
    ]
    pinged = sent["allowed_mentions"]
    assert pinged["parse"] == [] and [int(u) for u in pinged["users"]] == [user_id(world.alice)]
    assert "Nobody speaks for" not in await info(fake, world, channel)

    proposed = await fake.run(
        world.alice, world.guild, channel, "goal propose", title="One front door for families"
    )
    goal = re.search(r"#(\d+)", proposed.content)
    assert goal, proposed
    nudged = await fake.run(world.convener, world.guild, channel, "goal nudge", goal=goal[1])
    assert nudged.ephemeral
    dm = await fake.wait_for_dm(world.alice, lambda m: "One front door" in m["content"])
    assert f"#{goal[1]}" in dm["content"]

    waiting = await fake.run(world.alice, world.guild, channel, "todo")
    assert "One front door" in waiting.text
    await fake.run(world.alice, world.guild, channel, "goal endorse", goal=goal[1], stance="agree")
    settled = await fake.run(world.alice, world.guild, channel, "todo")
    assert "One front door" not in settled.text

    await fake.run(
        world.convener, world.guild, channel, "goal endorse", goal=goal[1], stance="agree"
    )
    line = await fake.wait_for_message(channel, lambda m: "**agreed**" in m.get("content", ""))
    assert "One front door" in line["content"]
    assert "/channels/" in line["content"]  # links to the goal's card
    announced = [m for m in fake.messages(channel) if "**agreed**" in m.get("content", "")]
    assert announced == [line]

    # A sensitive prompt: anonymous by default, shown only once k = 3 groups answered.
    await fake.run(
        world.convener, world.guild, channel, "member add", user=world.carol, capacity="citizen"
    )
    posted = await fake.run(world.convener, world.guild, channel, "reflect now", theme="power")
    post = re.search(r"Posted prompt #(\d+)", posted.content)
    assert post, posted
    people = [world.convener, world.alice, world.carol]
    words = [
        "The council sets every agenda.",
        "Money decides, quietly.",
        "Parents are asked last.",
    ]
    answers = dict(enumerate(words))
    for n, (person, text) in enumerate(zip(people, words, strict=True), start=1):
        reply = await fake.run(
            person, world.guild, channel, "reflect respond", prompt=post[1], text=text
        )
        assert reply.ephemeral and "anonymous" in reply.content, reply
        shown = [m for m in fake.messages(channel) if said(m) in answers.values()]
        threads = [c for c in fake.channels(world.guild) if c.get("parent_id") == channel["id"]]
        in_threads = [m for t in threads for m in fake.messages(t) if said(m) in answers.values()]
        if n < 3:
            assert shown == [] and in_threads == [], (n, shown, in_threads)
    [thread] = threads
    for text in answers.values():
        await fake.wait_for_message(thread, lambda m, text=text: said(m) == text)
    released = [m for m in fake.messages(thread) if said(m) in answers.values()]
    assert len(released) == 3
    for message in released:
        whole = json.dumps(message)
        assert message["author"].get("bot") is True
        for person in people:
            assert str(user_id(person)) not in whole
            assert person["user"]["username"] not in whole
            assert (person["user"].get("global_name") or "-") not in whole
