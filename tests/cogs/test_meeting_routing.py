"""/meeting through discord.py's real dispatch path: the start posts an "I'm here" button,
pressing it records attendance and answers privately, notes logged meanwhile belong to the
meeting, and the end posts its summary; others and non-members are refused."""

from __future__ import annotations

from sqlmodel import col, select

from db.models import Event
from tests.cogs._goal_hubs import Hubs, hubs
from tests.cogs.conftest import World

TODAY_OR_LATER = "2999-12-31"


async def events(world: World, prefix: str) -> list[Event]:
    async with world.bot.sessions() as session:
        rows = await session.exec(
            select(Event).where(col(Event.kind).startswith(prefix)).order_by(col(Event.id))
        )
        return list(rows.all())


def last_post(world: World, h: Hubs) -> dict:
    return world.discord.channel_messages(h.channel)[-1]


def custom_ids(message: dict) -> list[str]:
    return [c["custom_id"] for row in message.get("components") or [] for c in row["components"]]


async def test_start_posts_the_button_and_refuses_a_second(world: World):
    h = await hubs(world)
    result = await world.run(
        h.council, "meeting start", channel_id=h.channel, title="Spring @everyone **review**"
    )
    [started] = await events(world, "meeting.")
    post = last_post(world, h)
    link = f"https://discord.com/channels/{world.guild}/{h.channel}/{post['id']}"
    assert started.message_link == link and started.payload["title"].startswith("Spring")
    assert result.reply.ephemeral and link in result.reply.content
    assert custom_ids(post) == [f"partnerbot:meeting:here:{started.partnership_id}"]
    assert post["components"][0]["components"][0]["label"] == "I'm here"
    assert post["allowed_mentions"] == {"parse": []}
    assert "@\u200beveryone" in post["content"] and "\\*\\*review\\*\\*" in post["content"]
    before = len(world.discord.channel_messages(h.channel))
    again = await world.run(h.forum, "meeting start", channel_id=h.channel)
    assert again.reply.ephemeral and "already open" in again.reply.content
    assert len(world.discord.channel_messages(h.channel)) == before
    assert len(await events(world, "meeting.")) == 1
    outsider = await world.run(world.outsider, "meeting start", channel_id=h.channel)
    assert "not a member" in outsider.reply.content


async def test_pressing_records_attendance_once_and_replies_privately(world: World):
    h = await hubs(world)
    await world.run(h.council, "meeting start", channel_id=h.channel, title="March")
    post = last_post(world, h)
    [here] = custom_ids(post)
    first = await world.discord.click(h.foodbank, post, here, guild_id=world.guild)
    assert first.reply.ephemeral and "recorded as here for Food Bank" in first.reply.content
    again = await world.discord.click(h.foodbank, post, here, guild_id=world.guild)
    assert again.reply.ephemeral and "already recorded" in again.reply.content
    refused = await world.discord.click(world.outsider, post, here, guild_id=world.guild)
    assert refused.reply.ephemeral and "can't find" in refused.reply.content
    attended = await events(world, "meeting.attended")
    assert [(e.payload["user_id"], e.payload["organisation"]) for e in attended] == [
        (h.foodbank.id, "Food Bank")
    ]


async def test_end_posts_the_summary_with_attendance_and_what_was_logged(world: World):
    h = await hubs(world)
    await world.run(
        h.council, "meeting start", channel_id=h.channel, title="March <@123456789012345678>"
    )
    post = last_post(world, h)
    [here] = custom_ids(post)
    for person in (h.council, h.foodbank):
        await world.discord.click(person, post, here, guild_id=world.guild)
    await world.run(
        h.council, "log note", channel_id=h.channel, text="One front door", kind="decision"
    )
    await world.run(
        h.council,
        "log note",
        channel_id=h.channel,
        text="Book the room",
        kind="action",
        owner=h.foodbank,
        due=TODAY_OR_LATER,
    )
    refused = await world.run(h.forum, "meeting end", channel_id=h.channel)
    assert "Only the person who started the meeting" in refused.reply.content
    ended = await world.run(world.convener, "meeting end", channel_id=h.channel)
    assert ended.reply.ephemeral and "Ended the meeting" in ended.reply.content
    summary = last_post(world, h)
    text = summary["content"]
    assert summary["allowed_mentions"] == {"parse": []}
    assert "**Meeting ended: March <@\u200b123456789012345678>**" in text
    assert "Riverside Council: Bea" in text and "Food Bank: Cy" in text
    assert "**Decisions**" in text and "One front door" in text
    assert "**Actions**" in text and f"owner <@{h.foodbank.id}>" in text
    assert f"due {TODAY_OR_LATER}" in text
    [started, *_] = await events(world, "meeting.started")
    notes = await events(world, "note.")
    assert all(n.payload["meeting_id"] == started.id for n in notes)
    pressed_late = await world.discord.click(h.forum, post, here, guild_id=world.guild)
    assert "has ended" in pressed_late.reply.content
