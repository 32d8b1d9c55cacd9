"""Each organisation's reading of a goal (`/goal perceive`) and its own view of its membership
(`/partner self-view`) through discord.py's real dispatch path: payload → tree → cog → service →
reply, and the goal card redrawn with the readings' spread."""

from __future__ import annotations

from tests.cogs._goal_hubs import embed_text, goal_ids, goal_message, hubs, propose
from tests.cogs.conftest import World
from tests.helpers import Person, snowflake

EXTERNAL = "from an external stakeholder (funder, statutory duty)"


async def test_two_organisations_record_readings_and_see_the_spread(world: World):
    h = await hubs(world)
    await propose(world, h)
    [goal_id] = await goal_ids(world)
    first = await world.run(
        h.council,
        "goal perceive",
        channel_id=h.channel,
        goal=str(goal_id),
        origin="external",
        origin_detail="a grant condition of the **lottery** fund",
    )
    assert first.reply.ephemeral
    text = first.reply.content
    assert "Recorded **Riverside Council**'s own reading of goal" in text, text
    assert f"origin {EXTERNAL}" in text
    assert "“a grant condition of the \\*\\*lottery\\*\\* fund”" in text  # user text escaped
    assert "The conveners' classification stays the partnership's working view." in text
    assert f"Origin: 1 organisation sees it as {EXTERNAL}." in text
    second = await world.run(
        h.foodbank,
        "goal perceive",
        channel_id=h.channel,
        goal=str(goal_id),
        origin="external",
        relevance="achievable_alone",
    )
    third = await world.run(
        h.forum, "goal perceive", channel_id=h.channel, goal=str(goal_id), origin="members"
    )
    assert "Recorded **Food Bank**'s own reading" in second.reply.content
    spread = f"Origin: 2 organisations see it as {EXTERNAL}, 1 as from the members."
    assert spread in third.reply.content, third.reply.content
    assert (
        "Relevance: 1 organisation sees it as achievable by one organisation alone."
        in third.reply.content
    )
    # Counts, never which organisation holds which reading.
    readings = third.reply.content.split("(counts, not names):")[1]
    assert "Council" not in readings and "Food Bank" not in readings
    # The posted card is redrawn with the spread; /goal show has it too.
    card = embed_text(goal_message(world, h, goal_id))
    assert "Readings: how 3 organisations read it" in card
    assert spread in card
    shown = await world.run(h.council, "goal show", channel_id=h.channel, goal=str(goal_id))
    shown_text = "\n".join(
        f"{f['name']}\n{f['value']}" for f in shown.reply.embeds[0]["fields"]
    ).replace("\\", "")
    assert spread in shown_text
    assert "In their words: “a grant condition of the **lottery** fund”." in shown_text


async def test_only_an_organisations_representatives_record_its_reading(world: World):
    h = await hubs(world)
    await propose(world, h)
    [goal_id] = await goal_ids(world)
    citizen = Person(snowflake(), "Fay")
    await world.run(
        world.convener, "member add", user=citizen, capacity="citizen", channel_id=h.channel
    )
    refused = await world.run(
        citizen, "goal perceive", channel_id=h.channel, goal=str(goal_id), origin="members"
    )
    assert refused.reply.ephemeral
    assert "Only an organisation's representative or substitute" in refused.reply.content
    convener = await world.run(
        world.convener, "goal perceive", channel_id=h.channel, goal=str(goal_id), origin="members"
    )
    assert "Only an organisation's representative or substitute" in convener.reply.content
    outsider = await world.run(world.outsider, "goal perceive", goal=str(goal_id), origin="members")
    assert "Family Hubs" not in outsider.reply.content
    nothing = await world.run(h.council, "goal perceive", channel_id=h.channel, goal=str(goal_id))
    assert "Give at least one of `origin`, `relevance` or `content`" in nothing.reply.content
    card = embed_text(goal_message(world, h, goal_id))
    assert "Readings" not in card


async def test_self_view_is_shown_beside_the_record_and_observers_read_apart(world: World):
    h = await hubs(world)
    reply = (
        await world.run(
            h.foodbank,
            "partner self-view",
            channel_id=h.channel,
            organisation="Food Bank",
            status="observer",
            commitment="low",
        )
    ).reply
    assert reply.ephemeral
    assert "**Food Bank** sees itself as an observing organisation, with low commitment" in (
        reply.content
    )
    assert "The conveners' record says a core partner" in reply.content
    other = await world.run(
        h.council,
        "partner self-view",
        channel_id=h.channel,
        organisation="Food Bank",
        status="core",
    )
    assert "Only Food Bank's representative or substitute" in other.reply.content
    listing = (await world.run(h.forum, "partner list", channel_id=h.channel)).reply
    text = (listing.embeds[0]["description"]).replace("\\", "")
    [line] = [x for x in text.splitlines() if "Food Bank" in x]
    assert "Convener's record: core · Their own view: observing organisation" in line
    assert "(commitment: low)" in line
    [council] = [x for x in text.splitlines() if "Riverside Council" in x]
    assert "Their own view" not in council and "· core ·" in council
    # The convener's status change reads the observing organisation apart from a person.
    changed = (
        await world.run(
            world.convener,
            "partner status",
            channel_id=h.channel,
            organisation="Parents' Forum",
            status="observer",
        )
    ).reply
    assert "is now an observing organisation." in changed.content
    # The difference is a health signal.
    health = (await world.run(h.forum, "partnership health", channel_id=h.channel)).reply
    health_text = (
        health.content
        + "\n".join(
            f"{f['name']}\n{f['value']}" for e in health.embeds for f in e.get("fields") or []
        )
        + "\n".join(e.get("description") or "" for e in health.embeds)
    ).replace("\\", "")
    assert "Partners see their membership differently" in health_text, health_text
