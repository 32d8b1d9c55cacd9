"""Goals through discord.py's real dispatch path: proposing, stances by button, form and command,
the agreement rules, and who may take a stance. (Links, updates and review are in
`test_goal_review_routing.py`; buttons and forms across a restart in `tests/e2e/test_goals.py`.)"""

from __future__ import annotations

import re

from tests.cogs._goal_hubs import (
    MAJORITY,
    ORGS,
    by_button,
    custom_ids,
    edits_of,
    embed_text,
    fields,
    goal_ids,
    goal_message,
    hubs,
    posts,
    propose,
    stance_count,
)
from tests.cogs.conftest import World
from tests.helpers import Person, snowflake

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
    # Only the welcome, the three members' greetings and the goal: nothing else was posted.
    assert len(world.discord.channel_messages(h.channel)) == 5


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
    # The welcome, three greetings, the goal, and the one line announcing the agreement (only
    # then).
    [*_, announced] = posts(world)
    assert len(posts(world)) == 6
    assert "is **agreed**" in announced.body["content"]
    assert announced.body["allowed_mentions"] == {"parse": []}

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


# --------------------------------------------------------------------------- visibility


async def test_an_organisations_own_goal_stays_with_it_until_it_shares_it(world: World):
    h = await hubs(world)
    before = len(world.discord.channel_messages(h.channel))
    reply = await propose(
        world, h, title="Keep our depot open", level="organisation", visibility="organisation"
    )
    [goal_id] = await goal_ids(world)
    assert reply.ephemeral and f"Proposed goal #{goal_id}" in reply.content
    assert "It is seen by its own organisation only, so it isn't posted" in reply.content
    assert "/goal visibility" in reply.content
    assert len(world.discord.channel_messages(h.channel)) == before  # nothing posted
    # Its own representative sees it; another organisation's gets the missing-goal answer.
    mine = await world.run(h.council, "goal show", channel_id=h.channel, goal=str(goal_id))
    assert mine.reply.embeds and "Seen by: its own organisation only" in str(mine.reply.embeds)
    for goal in (str(goal_id), "Keep our depot open"):
        theirs = await world.run(h.foodbank, "goal show", channel_id=h.channel, goal=goal)
        missing = await world.run(h.foodbank, "goal show", channel_id=h.channel, goal="No goal")
        assert theirs.reply.ephemeral and not theirs.reply.embeds
        assert theirs.reply.content.replace(goal, "X") == missing.reply.content.replace(
            "No goal", "X"
        )
    offered = await world.discord.autocomplete(
        h.foodbank, "goal show", "goal", guild_id=world.guild, channel_id=h.channel, goal="depot"
    )
    assert offered == []
    own = await world.discord.autocomplete(
        h.council, "goal show", "goal", guild_id=world.guild, channel_id=h.channel, goal="depot"
    )
    assert own == [str(goal_id)]
    listed = await world.run(h.foodbank, "goal list", channel_id=h.channel)
    assert "Keep our depot open" not in str(listed.reply.embeds) + listed.reply.content
    # Shared with the partnership: the card is posted, as a new proposal's would be.
    shared = await world.run(
        h.council,
        "goal visibility",
        channel_id=h.channel,
        goal=str(goal_id),
        visibility="partnership",
    )
    assert "Shared goal #" in shared.reply.content and f"<#{h.channel}>" in shared.reply.content
    message = goal_message(world, h, goal_id)
    assert "Keep our depot open" in message["embeds"][0]["title"]
    assert "Seen by" not in embed_text(message)
    # Kept to the organisation again: the message is taken back.
    narrowed = await world.run(
        h.council,
        "goal visibility",
        channel_id=h.channel,
        goal=str(goal_id),
        visibility="organisation",
    )
    assert "taken back" in narrowed.reply.content
    deleted = [c for c in world.discord.calls if c.method == "DELETE"]
    assert deleted and deleted[-1].url.endswith(f"/{message['id']}")
    assert not [m for m in world.discord.channel_messages(h.channel) if m["id"] == message["id"]]
