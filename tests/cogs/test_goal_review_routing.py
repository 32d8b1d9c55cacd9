"""Goals through discord.py's real dispatch path: updates, labels, links and roll-up, review,
lists and autocomplete. (Proposing and stances are in `test_goal_routing.py`.)"""

from __future__ import annotations

from tests.cogs._goal_hubs import (
    by_button,
    custom_ids,
    embed_text,
    fields,
    goal_ids,
    goal_message,
    hubs,
    propose,
)
from tests.cogs.conftest import World

# --------------------------------------------------------------------------- update, links, review


async def test_update_permissions_and_bad_input(world: World):
    h = await hubs(world)
    await propose(world, h)
    [goal_id] = await goal_ids(world)
    refused = await world.run(
        h.council, "goal update", channel_id=h.channel, goal=str(goal_id), status="dropped"
    )
    assert refused.reply.ephemeral and "Only the conveners" in refused.reply.content
    for options, words in (
        ({"progress": 101}, "0 to 100"),
        ({"review_on": "soon"}, "YYYY-MM-DD"),
        ({}, "Nothing to change"),
    ):
        result = await world.run(
            world.convener, "goal update", channel_id=h.channel, goal=str(goal_id), **options
        )
        assert result.reply.ephemeral and words in result.reply.content, result.reply.content
    ok = await world.run(
        world.convener,
        "goal update",
        channel_id=h.channel,
        goal="every family KNOWS where to go",
        progress=30,
        review_on="2020-01-01",
        note="First hub open",
    )
    assert (
        "progress: unset → 30%" in ok.reply.content and "note: First hub open" in ok.reply.content
    )
    assert "Progress\n30%" in embed_text(goal_message(world, h, goal_id))
    dropped = await world.run(
        world.convener, "goal update", channel_id=h.channel, goal=str(goal_id), status="dropped"
    )
    assert "status: proposed → dropped" in dropped.reply.content
    message = goal_message(world, h, goal_id)
    assert custom_ids(message) == [] and "stances are closed" in embed_text(message)
    closed = await world.run(
        h.council, "goal endorse", channel_id=h.channel, goal=str(goal_id), stance="agree"
    )
    assert "stances on it are closed" in closed.reply.content


async def test_labels_protect_other_organisations(world: World):
    h = await hubs(world)
    await world.run(
        h.council,
        "goal propose",
        channel_id=h.channel,
        title="Cut our waiting list",
        level="organisation",
    )
    [goal_id] = await goal_ids(world)
    assert "Level: organisation (Riverside Council)" in embed_text(goal_message(world, h, goal_id))
    for person in (h.foodbank, world.convener):
        refused = await world.run(
            person, "goal classify", channel_id=h.channel, goal=str(goal_id), overtness="hidden"
        )
        assert "Nobody labels another organisation's goal" in refused.reply.content
    own = await world.run(
        h.council, "goal classify", channel_id=h.channel, goal=str(goal_id), authenticity="pseudo"
    )
    assert "authenticity: unassessed → pseudo (professed, not pursued)" in own.reply.content
    assert "Authenticity: pseudo" in embed_text(goal_message(world, h, goal_id))


async def test_links_cycles_and_roll_up(world: World):
    h = await hubs(world)
    await propose(world, h, title="Fewer families in crisis")
    await propose(world, h, title="Hub in the north")
    await propose(world, h, title="Hub in the south")
    whole, north, south = await goal_ids(world)
    rep_try = await world.run(
        h.council,
        "goal link",
        channel_id=h.channel,
        goal=str(north),
        other=str(whole),
        relation="part_of",
    )
    assert "Only the conveners of Family Hubs can link goals." in rep_try.reply.content
    for part, title in ((north, "Hub in the north"), (south, "Hub in the south")):
        linked = await world.run(
            world.convener,
            "goal link",
            channel_id=h.channel,
            goal=str(part),
            other=str(whole),
            relation="part_of",
        )
        assert linked.reply.ephemeral and linked.reply.content == (
            f"Linked: goal #{part} **{title}** is part of "
            f"goal #{whole} **Fewer families in crisis**."
        )
    for relation in ("part_of", "contributes_to"):
        cycle = await world.run(
            world.convener,
            "goal link",
            channel_id=h.channel,
            goal=str(whole),
            other=str(north),
            relation=relation,
        )
        assert cycle.reply.ephemeral and "That would make a loop" in cycle.reply.content
        assert "Linked" not in cycle.reply.content
    itself = await world.run(
        world.convener,
        "goal link",
        channel_id=h.channel,
        goal=str(whole),
        other=str(whole),
        relation="in_tension_with",
    )
    assert "linked to itself" in itself.reply.content
    again = await world.run(
        world.convener,
        "goal link",
        channel_id=h.channel,
        goal=str(north),
        other="Fewer families in crisis",
        relation="part_of",
    )
    assert "already is part of" in again.reply.content
    before = await world.run(h.forum, "goal show", channel_id=h.channel, goal=str(whole))
    assert fields(before.reply)["Progress"] == "not set (none of its 2 parts has progress yet)"
    for part, progress, mean in ((north, 20, 20), (south, 70, 45)):
        updated = await world.run(
            world.convener, "goal update", channel_id=h.channel, goal=str(part), progress=progress
        )
        assert f"progress: unset → {progress}%" in updated.reply.content
        # The parent's posted message follows its parts.
        assert f"Progress\n{mean}% (mean of its parts)" in embed_text(goal_message(world, h, whole))
    shown = await world.run(h.forum, "goal show", channel_id=h.channel, goal=str(whole))
    assert "45% (mean of its parts)" in shown.reply.text
    assert f"has part #{north} Hub in the north" in shown.reply.text
    details = fields(shown.reply)
    assert details["Progress"] == "45% (mean of its parts)"
    assert f"has part #{north} Hub in the north (proposed)" in details["Links"]
    assert f"has part #{south} Hub in the south (proposed)" in details["Links"]
    part = await world.run(h.forum, "goal show", channel_id=h.channel, goal=str(north))
    assert fields(part.reply)["Progress"] == "20%"
    assert f"is part of #{whole} Fewer families in crisis" in fields(part.reply)["Links"]
    assert "45% (mean of its parts)" in embed_text(goal_message(world, h, whole))
    removed = await world.run(
        world.convener,
        "goal unlink",
        channel_id=h.channel,
        goal=str(south),
        other=str(whole),
        relation="part_of",
    )
    assert "no longer part of" in removed.reply.content
    assert "20% (mean of its parts)" in embed_text(goal_message(world, h, whole))


async def test_review_list_and_goal_list(world: World):
    h = await hubs(world)
    quiet = await world.run(h.forum, "goal review", channel_id=h.channel)
    assert quiet.reply.ephemeral
    assert quiet.reply.content == "Nothing needs attention among Family Hubs's goals."
    await propose(world, h, title="Shared data", review_on="2020-01-01")
    await propose(world, h, title="Joint training")
    await propose(world, h, title="One referral form")
    shared, training, settled = await goal_ids(world)
    await world.run(
        h.foodbank, "goal endorse", channel_id=h.channel, goal=str(training), stance="object"
    )
    early = await world.run(h.forum, "goal review", channel_id=h.channel)
    text = early.reply.text
    assert "No stance yet from Parents' Forum, Riverside Council" in text.replace("\\", "")
    await world.run(
        h.forum, "goal endorse", channel_id=h.channel, goal=str(training), stance="agree"
    )
    for person in (h.council, h.foodbank, h.forum):
        await world.run(
            person, "goal endorse", channel_id=h.channel, goal=str(settled), stance="agree"
        )
    changed = await by_button(world, h, h.foodbank, settled, "reservations", "Winter pressures")
    assert "It was agree." in changed.reply.content
    review = await world.run(h.forum, "goal review", channel_id=h.channel)
    text = review.reply.text
    assert review.reply.ephemeral and "Goals needing attention in Family Hubs" in text
    assert review.reply.embeds[0]["title"] == "Goals needing attention in Family Hubs"
    assert "Review date passed: 2020-01-01" in text
    assert "Objection from Food Bank" in text
    items = fields(review.reply)
    assert items[f"#{shared} Shared data (proposed)"].splitlines() == [
        "📅 Review date passed: 2020-01-01",
        "▫️ No stance yet from Food Bank, Parents' Forum, Riverside Council",
    ]
    assert items[f"#{training} Joint training (proposed)"].splitlines() == [
        "⛔ Objection from Food Bank",
        "▫️ No stance yet from Riverside Council",
    ]
    assert items[f"#{settled} One referral form (agreed)"].splitlines() == [
        "🟡 Since it was agreed: Food Bank (reservations)",
    ]
    footer = review.reply.embeds[0]["footer"]["text"]
    assert "Stale means proposed more than 30 days ago" in footer
    # From outside the channel, naming the partnership, the same review.
    named = await world.run(h.forum, "goal review", partnership="Family Hubs")
    assert named.reply.embeds == review.reply.embeds
    listing = await world.run(h.forum, "goal list", channel_id=h.channel)
    plain = listing.reply.text.replace("\\", "")
    assert f"`#{shared}` **Shared data**" in listing.reply.text
    assert "0/3 in favour" in listing.reply.text
    assert f"`#{training}` **Joint training** · proposed · 1/3 in favour" in plain
    assert f"`#{settled}` **One referral form** · agreed · agreed · 3/3 stances" in plain
    empty = await world.run(h.forum, "goal list", channel_id=h.channel, status="achieved")
    assert "has no goals (achieved) yet" in empty.reply.content
    elsewhere = await world.run(h.forum, "goal review")
    assert "Which partnership?" in elsewhere.reply.content


async def test_goal_autocomplete_offers_only_visible_goals(world: World):
    h = await hubs(world)
    await propose(world, h, title="Shared data")
    [goal_id] = await goal_ids(world)
    values = await world.discord.autocomplete(
        h.forum, "goal show", "goal", guild_id=world.guild, channel_id=h.channel, goal="shar"
    )
    assert values == [str(goal_id)]
    anywhere = await world.discord.autocomplete(
        h.forum, "goal show", "goal", guild_id=world.guild, goal=""
    )
    assert anywhere == [str(goal_id)]
    assert (
        await world.discord.autocomplete(
            world.outsider, "goal show", "goal", guild_id=world.guild, goal=""
        )
        == []
    )
