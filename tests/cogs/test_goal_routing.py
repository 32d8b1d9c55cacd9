"""Goals through discord.py's real dispatch path: proposing, stances by button, form and command,
the agreement rules, links and roll-up, review, and who may do what. (Buttons and forms across a
restart are in `tests/e2e/test_goals.py`.)"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlmodel import select

from db.models import Goal, GoalStance
from tests.cogs.conftest import World
from tests.helpers import DiscordDouble, Person, Reply, snowflake

ORGS = ("Riverside Council", "Food Bank", "Parents' Forum")
EDIT = "/channels/{channel_id}/messages/{message_id}"
POST = "/channels/{channel_id}/messages"
MAJORITY = "Majority: more than half of the 3 core organisations agree or have reservations."


@dataclass
class Hubs:
    channel: int
    council: Person
    foodbank: Person
    forum: Person


async def hubs(world: World) -> Hubs:
    """Family Hubs with three core organisations, each with its representative."""
    await world.run(
        world.convener, "partnership create", name="Family Hubs", purpose="Joined-up early help"
    )
    [channel] = [
        c for c in world.discord.partnership_channels(world.guild) if c["name"] == "family-hubs"
    ]
    channel_id = int(channel["id"])
    for org in ORGS:
        await world.run(
            world.convener,
            "partner add",
            organisation=org,
            sector="voluntary",
            channel_id=channel_id,
        )
    for rep, org in zip(world.reps, ORGS, strict=True):
        await world.run(
            world.convener, "member add", user=rep, organisation=org, channel_id=channel_id
        )
    council, foodbank, forum = world.reps
    return Hubs(channel_id, council, foodbank, forum)


async def propose(world: World, h: Hubs, title: str = "Every family knows where to go", **options):
    result = await world.run(
        world.reps[0], "goal propose", channel_id=h.channel, title=title, **options
    )
    return result.reply


def goal_message(world: World, h: Hubs, goal_id: int, double: DiscordDouble | None = None) -> dict:
    double = double or world.discord
    [message] = [
        m
        for m in double.channel_messages(h.channel)
        if m["embeds"] and m["embeds"][0]["title"].startswith(f"Goal #{goal_id}:")
    ]
    return message


def embed_text(message: dict[str, Any]) -> str:
    embed = message["embeds"][0]
    parts = [embed.get("title") or "", embed.get("description") or ""]
    parts += [f"{f['name']}\n{f['value']}" for f in embed.get("fields") or []]
    parts.append((embed.get("footer") or {}).get("text") or "")
    return "\n".join(parts).replace("\\", "")


def fields(reply: Reply) -> dict[str, str]:
    """The first embed's fields, name → value, Markdown escapes resolved."""
    return {
        f["name"]: re.sub(r"\\([^A-Za-z0-9\s])", r"\1", f["value"])
        for f in reply.embeds[0].get("fields") or []
    }


def edits_of(world: World, message: dict[str, Any]) -> list:
    """The bot's edits of one channel message."""
    return [
        c
        for c in world.discord.calls
        if c.method == "PATCH" and c.path == EDIT and c.url.endswith(f"/{message['id']}")
    ]


def posts(world: World) -> list:
    return [c for c in world.discord.calls if c.method == "POST" and c.path == POST]


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in message["components"] for c in row["components"]]


async def goal_ids(world: World) -> list[int]:
    async with world.bot.sessions() as s:
        return [g.id for g in (await s.exec(select(Goal).order_by(Goal.id))).all()]


async def stance_count(world: World) -> int:
    async with world.bot.sessions() as s:
        return len((await s.exec(select(GoalStance))).all())


async def by_button(
    world: World,
    h: Hubs,
    person: Person,
    goal_id: int,
    stance: str,
    comment: str = "",
    double: DiscordDouble | None = None,
):
    """Click a stance button, check the form opened first, then submit it."""
    double = double or world.discord
    message = goal_message(world, h, goal_id, double)
    custom_id = f"partnerbot:goal:stance:{goal_id}:{stance}"
    assert custom_id in custom_ids(message)
    before = await stance_count(world)
    click = await double.click(person, message, custom_id, guild_id=world.guild)
    assert [r.type for r in click.replies] == [9], click.replies  # the form is the first response
    form = click.modal
    assert form["custom_id"] == f"partnerbot:goal:form:{goal_id}:{stance}"
    assert await stance_count(world) == before  # nothing is kept before the form is sent
    return await double.submit(
        person, form["custom_id"], {"comment": comment}, guild_id=world.guild, channel_id=h.channel
    )


# --------------------------------------------------------------------------- proposing


async def test_propose_posts_the_goal_with_its_matrix_and_buttons(world: World):
    h = await hubs(world)
    reply = await propose(
        world,
        h,
        description="One front door, **no** wrong door.",
        level="collaboration",
        content="substantive",
    )
    [goal_id] = await goal_ids(world)
    assert reply.ephemeral and f"Proposed goal #{goal_id}" in reply.content
    assert f"posted in <#{h.channel}>" in reply.content
    message = goal_message(world, h, goal_id)
    assert message["author"]["id"] == str(world.discord.app_id)
    assert message["embeds"][0]["title"] == f"Goal #{goal_id}: Every family knows where to go"
    text = embed_text(message)
    for org in ORGS:
        assert f"**{org}**: not yet" in text.replace("\\", "")
    lines = [line for line in text.splitlines() if ": not yet" in line]
    assert sorted(lines) == sorted(f"▫️ **{org}**: not yet" for org in ORGS), text
    assert "Coverage: 0 of 3 organisations have a stance." in text
    assert "Consensus: all 3 core organisations agree or have reservations" in text
    assert "Status\nproposed" in text
    assert "Progress\nnot set" in text
    assert "\\*\\*no\\*\\*" in message["embeds"][0]["description"]  # user text escaped
    [row] = message["components"]
    assert [b["label"] for b in row["components"]] == ["Agree", "Reservations", "Unsure", "Object"]
    assert [b["style"] for b in row["components"]] == [3, 1, 2, 4]  # green, blurple, grey, red
    assert custom_ids(message) == [
        f"partnerbot:goal:stance:{goal_id}:{s}"
        for s in ("agree", "reservations", "unsure", "object")
    ]
    assert all(len(c) <= 100 for c in custom_ids(message))
    assert message["allowed_mentions"] == {"parse": []}
    # Only the welcome and the goal: nothing else was posted.
    assert len(world.discord.channel_messages(h.channel)) == 2


async def test_bad_proposals_are_refused_kindly_and_nothing_is_posted(world: World):
    h = await hubs(world)
    before = len(world.discord.channel_messages(h.channel))
    for options, words in (
        ({"title": "x" * 201}, "limit is 200"),
        ({"title": "ok", "description": "d" * 2001}, "limit is 2000"),
        ({"title": "ok", "review_on": "31/12/2026"}, "YYYY-MM-DD"),
        ({"title": "ok", "organisation": "Food Bank"}, "Only Food Bank's own representatives"),
    ):
        result = await world.run(world.reps[0], "goal propose", channel_id=h.channel, **options)
        assert result.reply.ephemeral and words in result.reply.content, result.reply.content
    outsider = await world.run(world.outsider, "goal propose", channel_id=h.channel, title="Mine")
    assert "not a member" in outsider.reply.content and "Family" not in outsider.reply.content
    assert await goal_ids(world) == []
    assert len(world.discord.channel_messages(h.channel)) == before


async def test_mentions_and_markdown_in_titles_are_defused(world: World):
    h = await hubs(world)
    await propose(world, h, title="@everyone **loud** <@123>")
    [goal_id] = await goal_ids(world)
    message = goal_message(world, h, goal_id)
    title = message["embeds"][0]["title"]
    assert "@\u200beveryone" in title and "\\*\\*loud\\*\\*" in title
    assert message["allowed_mentions"] == {"parse": []}


# --------------------------------------------------------------------------- stances


async def test_three_organisations_by_button_and_command_reach_consensus(world: World):
    h = await hubs(world)
    await propose(world, h)
    [goal_id] = await goal_ids(world)
    first = await by_button(world, h, h.council, goal_id, "agree", "With a data agreement")
    assert first.reply.ephemeral
    assert "Recorded: **Riverside Council** agrees with goal" in first.reply.content
    assert "agreed" not in first.reply.content
    text = embed_text(goal_message(world, h, goal_id))
    assert "**Riverside Council**: agree — “With a data agreement”" in text
    assert "▫️ **Food Bank**: not yet" in text
    assert "Coverage: 1 of 3" in text
    # The goal option autocompletes to the goal's number.
    values = await world.discord.autocomplete(
        h.foodbank,
        "goal endorse",
        "goal",
        guild_id=world.guild,
        channel_id=h.channel,
        goal="every family",
    )
    assert values == [str(goal_id)]
    second = await world.run(
        h.foodbank,
        "goal endorse",
        channel_id=h.channel,
        goal=str(goal_id),
        stance="reservations",
        comment="Needs winter funding",
    )
    assert "**Food Bank** has reservations about" in second.reply.content
    assert f"Recorded: **Food Bank** has reservations about goal #{goal_id}" in (
        second.reply.content
    )
    assert "🟡 **Food Bank**: reservations — “Needs winter funding”" in embed_text(
        goal_message(world, h, goal_id)
    )
    third = await by_button(world, h, h.forum, goal_id, "agree")
    assert "now **agreed**" in third.reply.content
    assert "That meets the consensus rule: the goal is now **agreed**." in third.reply.content
    # One message throughout, edited in place; it shows the agreement and stays open.
    message = goal_message(world, h, goal_id)
    text = embed_text(message)
    assert "Status\nagreed" in text and "under the consensus rule" in text
    assert re.search(r"Agreed <t:\d+:f> under the consensus rule\.", text), text
    assert "Coverage: 3 of 3" in text
    assert "✅ **Parents' Forum**: agree" in text
    assert len(custom_ids(message)) == 4  # stances stay open after agreement
    assert message["edited_timestamp"] is not None
    assert len(edits_of(world, message)) >= 3
    assert len(posts(world)) == 2  # the welcome and the goal only

    shown = await world.run(h.foodbank, "goal show", channel_id=h.channel, goal=str(goal_id))
    details = fields(shown.reply)
    assert shown.reply.ephemeral and details["Status"] == "agreed"
    assert "Agreed <t:" in shown.reply.text and "under the consensus rule" in shown.reply.text
    assert "**Food Bank**: reservations — “Needs winter funding”" in shown.reply.text.replace(
        "\\", ""
    )
    assert f"<@{h.council.id}>" in details["Proposed"]
    assert details["Message"].endswith(f"/{h.channel}/{message['id']}")


async def test_an_objection_blocks_consensus(world: World):
    h = await hubs(world)
    await propose(world, h)
    [goal_id] = await goal_ids(world)
    await by_button(world, h, h.council, goal_id, "agree")
    objection = await by_button(world, h, h.foodbank, goal_id, "object", "Our clients won't use it")
    assert f"**Food Bank** objects to goal #{goal_id}" in objection.reply.content
    last = await by_button(world, h, h.forum, goal_id, "agree")
    assert "agreed" not in last.reply.content
    text = embed_text(goal_message(world, h, goal_id))
    assert "Status\nproposed" in text and "2 so far; 1 objecting" in text
    assert "⛔ **Food Bank**: object — “Our clients won't use it”" in text
    # Under the majority rule the posted matrix is redrawn: met, but not agreed behind anyone's
    # back; review says a convener can mark it agreed.
    done = await world.run(
        world.convener, "partnership configure", agreement_rule="majority", channel_id=h.channel
    )
    assert "consensus → majority" in done.reply.content
    text = embed_text(goal_message(world, h, goal_id))
    assert f"{MAJORITY} 2 so far; 2 needed." in text and "Status\nproposed" in text
    review = await world.run(h.council, "goal review", channel_id=h.channel)
    assert "The agreement rule is met now: a convener can mark it agreed" in (
        review.reply.text.replace("\\", "")
    )


async def test_majority_rule_agrees_on_more_than_half(world: World):
    h = await hubs(world)
    await world.run(
        world.convener, "partnership configure", agreement_rule="majority", channel_id=h.channel
    )
    await propose(world, h)
    [goal_id] = await goal_ids(world)
    assert f"{MAJORITY} 0 so far; 2 needed." in embed_text(goal_message(world, h, goal_id))
    await by_button(world, h, h.forum, goal_id, "object")
    first = await world.run(
        h.council, "goal endorse", channel_id=h.channel, goal=str(goal_id), stance="agree"
    )
    assert "agreed" not in first.reply.content
    second = await by_button(world, h, h.foodbank, goal_id, "reservations", "Pilot first")
    assert "meets the majority rule" in second.reply.content
    assert "That meets the majority rule: the goal is now **agreed**." in second.reply.content
    text = embed_text(goal_message(world, h, goal_id))
    assert "Status\nagreed" in text and "under the majority rule" in text


async def test_late_joining_organisation_is_not_yet_asked(world: World):
    h = await hubs(world)
    await propose(world, h)
    await propose(world, h, title="One referral form")
    goal_id, pending = await goal_ids(world)
    for person in (h.council, h.foodbank, h.forum):
        await world.run(
            person, "goal endorse", channel_id=h.channel, goal=str(goal_id), stance="agree"
        )
    assert "Status\nagreed" in embed_text(goal_message(world, h, goal_id))
    joined = await world.run(
        world.convener,
        "partner add",
        organisation="NHS Trust",
        sector="health",
        channel_id=h.channel,
    )
    assert "Added **NHS Trust**" in joined.reply.content
    shown = await world.run(h.council, "goal show", channel_id=h.channel, goal=str(goal_id))
    plain = shown.reply.text.replace("\\", "")
    assert "**NHS Trust**: not yet asked" in plain
    assert "Coverage: 3 of 4 organisations" in plain
    assert "Status\nagreed" in plain  # agreement is an event: it stands
    other = await world.run(h.council, "goal show", channel_id=h.channel, goal=str(pending))
    assert "**NHS Trust**: not yet" in other.reply.text.replace("\\", "")
    assert "not yet asked" not in other.reply.text
    review = await world.run(world.convener, "goal review", channel_id=h.channel)
    assert "Not yet asked (joined after agreement): NHS Trust" in review.reply.text
    # The posted matrices are redrawn when the organisations change, not only on goal changes.
    assert "NHS Trust**: not yet asked" in embed_text(goal_message(world, h, goal_id))
    assert "**NHS Trust**: not yet\n" in embed_text(goal_message(world, h, pending))
    await world.run(
        world.convener, "partner remove", organisation="NHS Trust", channel_id=h.channel
    )
    assert "NHS Trust" not in embed_text(goal_message(world, h, goal_id))


async def test_who_may_take_a_stance_and_what_they_are_told(world: World):
    h = await hubs(world)
    await propose(world, h)
    [goal_id] = await goal_ids(world)
    observer = Person(snowflake(), "Obi")
    await world.run(
        world.convener, "member add", user=observer, capacity="observer", channel_id=h.channel
    )
    message = goal_message(world, h, goal_id)
    click = await world.discord.click(
        observer, message, f"partnerbot:goal:stance:{goal_id}:agree", guild_id=world.guild
    )
    assert click.reply.ephemeral and "Observers" in click.reply.content
    outsider = await world.discord.click(
        world.outsider, message, f"partnerbot:goal:stance:{goal_id}:agree", guild_id=world.guild
    )
    assert outsider.reply.ephemeral and "can't find that goal" in outsider.reply.content
    # A form submitted by someone without standing changes nothing either.
    forged = await world.discord.submit(
        world.outsider,
        f"partnerbot:goal:form:{goal_id}:agree",
        {"comment": ""},
        guild_id=world.guild,
        channel_id=h.channel,
    )
    assert forged.reply.ephemeral and "can't find that goal" in forged.reply.content
    citizen = Person(snowflake(), "Cit")
    await world.run(
        world.convener, "member add", user=citizen, capacity="citizen", channel_id=h.channel
    )
    heard = await by_button(world, h, citizen, goal_id, "object", "Not without parents")
    assert "Recorded your own stance: you object to" in heard.reply.content
    assert "doesn't count toward agreement" in heard.reply.content
    text = embed_text(goal_message(world, h, goal_id))
    assert "People in their own capacity (heard, not counted)" in text
    assert "Cit (citizen): object — “Not without parents”" in text
    assert await stance_count(world) == 1
    unknown = await world.run(
        h.council, "goal endorse", channel_id=h.channel, goal="No such goal", stance="agree"
    )
    assert unknown.reply.ephemeral and "I can't find a goal “No such goal”" in unknown.reply.content


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
