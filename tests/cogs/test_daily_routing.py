"""/todo, goal announcements, /goal nudge, `respond_by` and the digest setting through the real
bot and discord.py's own dispatch: what each reply and post says, that posts mention nobody
(a nudge's channel line only those a direct message missed), and that nothing private leaks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord
from sqlmodel import select

from bot.scheduling import Due
from bot.services.digest import SCHEDULE_KIND
from db.models import Goal, GoalNudgeClaim, Partnership, Schedule
from tests.cogs._goal_hubs import Hubs, goal_ids, goal_message, hubs, posts, propose
from tests.cogs.conftest import World
from tests.helpers import _Response

FORBIDDEN_DM = discord.Forbidden(_Response(403), {"message": "Cannot send", "code": 50007})


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def card_link(world: World, h: Hubs, goal_id: int) -> str:
    message = goal_message(world, h, goal_id)
    return f"https://discord.com/channels/{world.guild}/{h.channel}/{message['id']}"


# ---- /todo


async def test_todo_lists_a_pending_stance_with_its_command_and_card_then_not(world: World):
    h = await hubs(world)
    await propose(world, h, title="Every family knows where to go @everyone")
    [goal_id] = await goal_ids(world)
    result = await world.run(h.foodbank, "todo", channel_id=h.channel)
    reply = result.reply
    assert reply.ephemeral and reply.data["allowed_mentions"] == {"parse": []}
    [embed] = reply.embeds
    assert embed["title"] == "What awaits you in Family Hubs"
    [field] = embed["fields"]
    assert field["name"] == "Goals waiting for your stance (1)"
    assert f"`/goal endorse goal:{goal_id}`" in field["value"]
    assert f"[card]({card_link(world, h, goal_id)})" in field["value"]
    assert "for **Food Bank**" in field["value"] and "@\u200beveryone" in field["value"]
    await world.run(
        h.foodbank, "goal endorse", channel_id=h.channel, goal=str(goal_id), stance="agree"
    )
    after = await world.run(h.foodbank, "todo", channel_id=h.channel)
    assert after.reply.content == "Nothing waits for you in **Family Hubs**. 🎉"
    assert after.reply.embeds == []


async def test_todo_elsewhere_covers_all_partnerships_and_names_each(world: World):
    h = await hubs(world)
    await propose(world, h)
    await world.run(world.convener, "reflect now", channel_id=h.channel)
    result = await world.run(h.forum, "todo")  # in the server's general channel
    text = result.reply.text
    assert "What awaits you\n" in text and "**Family Hubs** · #" in text
    assert "Reflective prompts to answer (last 14 days) (1)" in text
    assert "`/reflect respond prompt:" in text
    assert "It covers your partnership here." in text
    named = await world.run(h.forum, "todo", partnership="Family Hubs")
    assert "What awaits you in Family Hubs" in named.reply.text


async def test_todo_refuses_outsiders_in_a_partnerships_channel(world: World):
    h = await hubs(world)
    result = await world.run(world.outsider, "todo", channel_id=h.channel)
    assert result.reply.ephemeral
    assert "belongs to a partnership you are not a member of" in result.reply.content
    elsewhere = await world.run(world.outsider, "todo")
    assert "don't belong to any partnership" in elsewhere.reply.content


# ---- announcements


async def test_an_agreement_is_announced_once_linking_the_card_and_mentioning_nobody(
    world: World,
):
    h = await hubs(world)
    await propose(world, h, title="Shared data <@&123> @here")
    [goal_id] = await goal_ids(world)
    for person in (h.council, h.foodbank):
        await world.run(
            person, "goal endorse", channel_id=h.channel, goal=str(goal_id), stance="agree"
        )
    before = len(posts(world))
    await world.run(
        h.forum, "goal endorse", channel_id=h.channel, goal=str(goal_id), stance="agree"
    )
    [line] = posts(world)[before:]
    content = line.body["content"]
    assert "agreed" in content and card_link(world, h, goal_id) in content
    assert f"Goal #{goal_id}" in content and "Parents' Forum" in content
    assert "@\u200bhere" in content  # and the role mention pings nobody:
    assert line.body["allowed_mentions"] == {"parse": []}


async def test_status_and_progress_are_announced_unless_turned_off(world: World):
    h = await hubs(world)
    await propose(world, h)
    [goal_id] = await goal_ids(world)
    before = len(posts(world))
    await world.run(
        world.convener, "goal update", channel_id=h.channel, goal=str(goal_id), progress=40
    )
    [line] = posts(world)[before:]
    assert "progress unset → **40%**" in line.body["content"]
    assert card_link(world, h, goal_id) in line.body["content"]
    off = await world.run(
        world.convener, "partnership configure", channel_id=h.channel, announcements=False
    )
    assert "no longer announced" in off.reply.content
    before = len(posts(world))
    await world.run(
        world.convener,
        "goal update",
        channel_id=h.channel,
        goal=str(goal_id),
        status="in_progress",
        progress=50,
    )
    assert posts(world)[before:] == []
    on = await world.run(
        world.convener, "partnership configure", channel_id=h.channel, announcements=True
    )
    assert "now announced by one line" in on.reply.content
    await world.run(
        world.convener, "goal update", channel_id=h.channel, goal=str(goal_id), status="achieved"
    )
    [line] = posts(world)[before:]
    assert "is now **achieved** (was in progress)" in line.body["content"]


# ---- nudges and respond_by


async def test_propose_with_respond_by_says_when_and_refuses_a_past_date(world: World):
    h = await hubs(world)
    refused = await world.run(
        h.council, "goal propose", channel_id=h.channel, title="Late", respond_by="2020-01-01"
    )
    assert "should be after today" in refused.reply.content and refused.reply.ephemeral
    assert await goal_ids(world) == []
    day = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    reply = await propose(world, h, respond_by=day)
    assert f"Stances are wanted by {day}" in reply.content
    async with world.bot.sessions() as session:
        [goal] = (await session.exec(select(Goal))).all()
    assert goal.respond_by is not None and goal.respond_by.isoformat() == day


async def test_a_nudge_dms_each_and_mentions_only_those_a_dm_missed(world: World):
    h = await hubs(world)
    await propose(world, h, title="Every family knows where to go")
    [goal_id] = await goal_ids(world)
    await world.run(
        h.council, "goal endorse", channel_id=h.channel, goal=str(goal_id), stance="agree"
    )
    refused = await world.run(h.foodbank, "goal nudge", channel_id=h.channel, goal=str(goal_id))
    assert "Only the conveners" in refused.reply.content
    before = len(world.discord.channel_messages(h.channel))
    world.discord.fail_next("POST", "/users/@me/channels", FORBIDDEN_DM)  # Food Bank's DM fails
    result = await world.run(world.convener, "goal nudge", channel_id=h.channel, goal=str(goal_id))
    reply = result.reply
    assert reply.ephemeral and reply.data["allowed_mentions"] == {"parse": []}
    assert f"by direct message: <@{h.forum.id}>" in reply.content
    assert f"couldn't reach them: <@{h.foodbank.id}>" in reply.content
    assert "Riverside Council" not in reply.content  # it has a stance already
    [dm] = world.discord.dm_messages(h.forum.id)
    assert f"Goal #{goal_id} “Every family knows where to go”" in dm["content"]
    assert "**Parents' Forum**'s stance" in dm["content"]
    assert card_link(world, h, goal_id) in dm["content"]
    assert world.discord.dm_messages(h.foodbank.id) == []
    [line] = world.discord.channel_messages(h.channel)[before:]
    assert line["content"].startswith(f"<@{h.foodbank.id}> I couldn't send you a direct message")
    assert line["allowed_mentions"] == {"parse": [], "users": [h.foodbank.id]}
    assert f"<@{h.forum.id}>" not in line["content"]
    # One a day.
    again = await world.run(world.convener, "goal nudge", channel_id=h.channel, goal=str(goal_id))
    assert "already nudged today" in again.reply.content
    assert len(world.discord.dm_messages(h.forum.id)) == 1


async def test_the_automatic_nudge_goes_from_its_timer(world: World):
    h = await hubs(world)
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    clock = FixedClock(now)
    world.bot.services.goals.clock = clock
    world.bot.services.nudges.clock = clock
    await propose(world, h, respond_by="2026-03-20")
    [goal_id] = await goal_ids(world)
    assert world.bot.timers._task is None  # no background work in these tests
    await world.bot.timers.run_due(clock.at)
    assert world.discord.dm_messages(h.foodbank.id) == []
    clock.at = datetime(2026, 3, 18, 9, 0, tzinfo=UTC)
    await world.bot.timers.run_due(clock.at)
    await world.bot.timers.run_due(clock.at)
    for person in (h.council, h.foodbank, h.forum):
        [dm] = world.discord.dm_messages(person.id)
        assert f"goal #{goal_id}" in dm["content"].lower() and "by 2026-03-20" in dm["content"]
    async with world.bot.sessions() as session:
        [claim] = (await session.exec(select(GoalNudgeClaim))).all()
    assert claim.automatic


# ---- the digest


async def test_configure_digest_makes_and_cancels_its_schedule(world: World):
    h = await hubs(world)
    refused = await world.run(
        h.foodbank, "partnership configure", channel_id=h.channel, digest="weekly"
    )
    assert "Only the conveners" in refused.reply.content
    on = await world.run(
        world.convener, "partnership configure", channel_id=h.channel, digest="weekly"
    )
    assert "• digest: off → weekly" in on.reply.content
    assert "The weekly digest is scheduled: every Monday at 09:00" in on.reply.content
    assert "The next one: <t:" in on.reply.content
    again = await world.run(
        world.convener, "partnership configure", channel_id=h.channel, digest="weekly"
    )
    assert "already has those settings" in again.reply.content
    assert "The weekly digest is scheduled." in again.reply.content
    async with world.bot.sessions() as session:
        [schedule] = (await session.exec(select(Schedule))).all()
    assert schedule.kind == SCHEDULE_KIND and schedule.state == "active"
    off = await world.run(
        world.convener, "partnership configure", channel_id=h.channel, digest="off"
    )
    assert "The weekly digest is cancelled" in off.reply.content
    async with world.bot.sessions() as session:
        [schedule] = (await session.exec(select(Schedule))).all()
    assert schedule.state == "cancelled"


async def test_the_digest_is_posted_once_with_no_private_text_and_no_pings(world: World):
    h = await hubs(world)
    await world.run(world.convener, "partnership configure", channel_id=h.channel, digest="weekly")
    await propose(world, h, title="Shared data @everyone")
    [goal_id] = await goal_ids(world)
    await world.run(
        h.forum,
        "goal endorse",
        channel_id=h.channel,
        goal=str(goal_id),
        stance="object",
        comment="SECRET-COMMENT",
    )
    await world.run(world.convener, "reflect now", channel_id=h.channel)
    await world.run(
        h.foodbank, "reflect respond", channel_id=h.channel, prompt="1", text="SECRET-ANSWER"
    )
    await world.run(
        h.council,
        "log note",
        channel_id=h.channel,
        text="SECRET-NOTE",
        kind="action",
        owner=h.foodbank,
        due=(datetime.now(UTC) + timedelta(days=2)).date().isoformat(),
    )
    async with world.bot.sessions() as session:
        [schedule] = (await session.exec(select(Schedule))).all()
        [partnership] = (await session.exec(select(Partnership))).all()
    assert schedule.id is not None and partnership.id is not None
    due = Due(
        occurrence_id=77,
        schedule_id=schedule.id,
        partnership_id=partnership.id,
        guild_id=world.guild,
        kind=SCHEDULE_KIND,
        due_at=datetime.now(UTC) + timedelta(minutes=1),
        late=False,
        attempt=1,
        options={},
    )
    cog = world.bot.get_cog("Digest")
    assert cog is not None
    before = len(world.discord.channel_messages(h.channel))
    first = await cog.run(due)  # type: ignore[attr-defined]
    second = await cog.run(due)  # a retried occurrence: the nonce makes it the same message
    assert first["message_id"] == second["message_id"]
    [post] = world.discord.channel_messages(h.channel)[before:]
    assert post["allowed_mentions"] == {"parse": []} and post["nonce"] == "pb-occ-77"
    embed = post["embeds"][0]
    text = str(embed)
    assert embed["title"] == "Weekly digest: Family Hubs"
    for secret in ("SECRET-COMMENT", "SECRET-ANSWER", "SECRET-NOTE"):
        assert secret not in text
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert f"#{goal_id}" in fields["New goals (1)"] and "@\u200beveryone" in fields["New goals (1)"]
    assert "Parents' Forum" in fields["Needs attention (1)"]  # the objection, by organisation
    assert "Riverside Council" not in fields["Reflections"]
    assert "Food Bank: 1" in fields["Reflections"]
    assert f"<@{h.foodbank.id}>" in fields["Actions due in the coming week (1)"]
