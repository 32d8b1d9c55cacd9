"""Organisations' and people's goals through discord.py's real dispatch path: the four response
buttons and their form, `/goal respond`, the fit on the card, the polite refusals, and an
individual-level goal kept to its owner until `/goal share` posts it."""

from __future__ import annotations

from tests.cogs._goal_hubs import (
    custom_ids,
    edits_of,
    embed_text,
    goal_ids,
    goal_message,
    hubs,
    posts,
    stance_count,
)
from tests.cogs.conftest import World

RESPONSES = ("compatible", "in_tension", "no_effect", "didnt_know")


async def test_response_buttons_and_command_show_the_fit(world: World):
    h = await hubs(world)
    proposed = await world.run(
        h.council,
        "goal propose",
        channel_id=h.channel,
        title="Cut our waiting list",
        level="organisation",
    )
    [goal_id] = await goal_ids(world)
    assert "for the other organisations' responses" in proposed.reply.content
    message = goal_message(world, h, goal_id)
    [row] = message["components"]
    assert [b["label"] for b in row["components"]] == [
        "Compatible",
        "In tension",
        "Doesn't affect us",
        "Didn't know",
    ]
    assert custom_ids(message) == [f"partnerbot:goal:respond:{goal_id}:{r}" for r in RESPONSES]
    text = embed_text(message)
    assert "Responses by organisation" in text and "Riverside Council**:" not in text
    assert "Fit: 0 compatible, 0 in tension, 0 doesn't affect us, 0 didn't know." in text
    assert "Not yet responded: Food Bank, Parents' Forum." in text
    assert "Consensus" not in text and "Coverage" not in text

    # A button opens the form first; the sent form records the response.
    click = await world.discord.click(
        h.foodbank, message, f"partnerbot:goal:respond:{goal_id}:compatible", guild_id=world.guild
    )
    assert [r.type for r in click.replies] == [9], click.replies
    assert click.modal["custom_id"] == f"partnerbot:goal:rform:{goal_id}:compatible"
    assert await stance_count(world) == 0
    sent = await world.discord.submit(
        h.foodbank,
        click.modal["custom_id"],
        {"comment": "Fits our winter plan"},
        guild_id=world.guild,
        channel_id=h.channel,
    )
    assert sent.reply.ephemeral
    assert f"Recorded: **Food Bank** finds goal #{goal_id}" in sent.reply.content
    text = embed_text(goal_message(world, h, goal_id))
    assert "🟢 **Food Bank**: compatible — “Fits our winter plan”" in text
    assert "Fit: 1 compatible, 0 in tension" in text

    # The command does the same.
    by_command = await world.run(
        h.forum,
        "goal respond",
        channel_id=h.channel,
        goal=str(goal_id),
        response="in_tension",
        comment="Our families wait elsewhere",
    )
    assert by_command.reply.ephemeral
    assert "**Parents' Forum** finds goal" in by_command.reply.content
    assert "in tension with its own aims" in by_command.reply.content
    message = goal_message(world, h, goal_id)
    text = embed_text(message)
    assert "Fit: 1 compatible, 1 in tension, 0 doesn't affect us, 0 didn't know." in text
    assert "Responses: 2 of the 2 other organisations." in text
    assert "⚡ **Parents' Forum**: in tension" in text
    assert len(edits_of(world, message)) >= 2
    # No agreement is announced: the welcome, three greetings and the goal only.
    assert len(posts(world)) == 5

    # The owner's own button, a stance, and a convener's "agreed" are refused kindly.
    own = await world.discord.click(
        h.council, message, f"partnerbot:goal:respond:{goal_id}:compatible", guild_id=world.guild
    )
    assert own.reply.ephemeral and "Riverside Council's own goal" in own.reply.content
    endorse = await world.run(
        h.foodbank, "goal endorse", channel_id=h.channel, goal=str(goal_id), stance="agree"
    )
    assert endorse.reply.ephemeral and "/goal respond" in endorse.reply.content
    agreed = await world.run(
        world.convener, "goal update", channel_id=h.channel, goal=str(goal_id), status="agreed"
    )
    assert agreed.reply.ephemeral and "isn't agreed by the partnership" in agreed.reply.content
    assert await stance_count(world) == 2


async def test_individual_goal_is_posted_only_once_shared(world: World):
    h = await hubs(world)
    before = len(posts(world))
    mine = await world.run(
        h.forum,
        "goal propose",
        channel_id=h.channel,
        title="Chair a meeting well",
        level="individual",
    )
    [goal_id] = await goal_ids(world)
    assert mine.reply.ephemeral and "Only you see it until you share it" in mine.reply.content
    assert len(posts(world)) == before
    hidden = await world.run(h.council, "goal show", channel_id=h.channel, goal=str(goal_id))
    assert "can't find" in hidden.reply.content
    values = await world.discord.autocomplete(
        h.council, "goal show", "goal", guild_id=world.guild, channel_id=h.channel, goal="chair"
    )
    assert values == []
    refused = await world.run(h.council, "goal share", channel_id=h.channel, goal=str(goal_id))
    assert "can't find" in refused.reply.content
    shared = await world.run(h.forum, "goal share", channel_id=h.channel, goal=str(goal_id))
    assert shared.reply.ephemeral and f"Shared goal #{goal_id}" in shared.reply.content
    assert len(posts(world)) == before + 1
    message = goal_message(world, h, goal_id)
    assert custom_ids(message)[0] == f"partnerbot:goal:respond:{goal_id}:compatible"
    seen = await world.run(h.council, "goal show", channel_id=h.channel, goal=str(goal_id))
    assert "Fit across the partnership" in seen.reply.text


async def test_collaboration_goal_shows_the_web_line(world: World):
    h = await hubs(world)
    await world.run(h.council, "goal propose", channel_id=h.channel, title="Every family")
    await world.run(
        h.foodbank,
        "goal propose",
        channel_id=h.channel,
        title="More volunteers",
        level="organisation",
    )
    shared_id, own_id = await goal_ids(world)
    await world.run(
        world.convener,
        "goal link",
        channel_id=h.channel,
        goal=str(own_id),
        other=str(shared_id),
        relation="in_tension_with",
    )
    shown = await world.run(h.forum, "goal show", channel_id=h.channel, goal=str(shared_id))
    assert "Web: 1 organisation goal linked, 1 in tension." in shown.reply.text
