"""/log through discord.py's real dispatch path: notes posted with their link, an action's owner
mentioned alone, actions closed, the log paged with buttons and filtered, non-members refused."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from db.models import Event
from tests import discord_payloads as payloads
from tests.cogs._goal_hubs import Hubs, hubs
from tests.cogs.conftest import World
from tests.helpers import now_iso, snowflake

TODAY_OR_LATER = "2999-12-31"


async def note_events(world: World) -> list[Event]:
    async with world.bot.sessions() as session:
        rows = await session.exec(
            select(Event).where(col(Event.kind).startswith("note.")).order_by(col(Event.id))
        )
        return list(rows.all())


def last_post(world: World, h: Hubs) -> dict:
    return world.discord.channel_messages(h.channel)[-1]


async def test_a_note_is_posted_escaped_and_logged_with_its_link(world: World):
    h = await hubs(world)
    result = await world.run(
        h.council, "log note", channel_id=h.channel, text="@everyone **we** agreed <@123>"
    )
    [event] = await note_events(world)
    post = last_post(world, h)
    link = f"https://discord.com/channels/{world.guild}/{h.channel}/{post['id']}"
    assert event.message_link == link and event.kind == "note.note"
    assert result.reply.ephemeral and f"Logged note #{event.id}" in result.reply.content
    assert link in result.reply.content
    assert post["allowed_mentions"] == {"parse": []}
    assert "@\u200beveryone" in post["content"] and "\\*\\*we\\*\\*" in post["content"]


async def test_an_action_mentions_only_its_owner(world: World):
    h = await hubs(world)
    await world.run(
        h.council,
        "log note",
        channel_id=h.channel,
        text="Book the room @everyone",
        kind="action",
        owner=h.foodbank,
        due=TODAY_OR_LATER,
    )
    post = last_post(world, h)
    assert post["allowed_mentions"] == {"parse": [], "users": [h.foodbank.id]}
    assert f"<@{h.foodbank.id}>" in post["content"] and "@\u200beveryone" in post["content"]
    [event] = await note_events(world)
    assert event.payload["owner_id"] == h.foodbank.id and event.payload["due"] == TODAY_OR_LATER


async def test_bad_input_writes_and_posts_nothing(world: World):
    h = await hubs(world)
    before = len(world.discord.channel_messages(h.channel))
    for options, words in (
        (
            {"text": "a", "kind": "action", "owner": world.outsider, "due": TODAY_OR_LATER},
            "current member",
        ),
        ({"text": "a", "kind": "action", "owner": h.forum, "due": "2000-01-01"}, "has passed"),
        ({"text": "a", "review_on": TODAY_OR_LATER}, "Only a decision"),
        ({"text": "a", "kind": "decision", "goal": "999"}, "can't find a goal"),
    ):
        result = await world.run(h.council, "log note", channel_id=h.channel, **options)
        assert result.reply.ephemeral and words in result.reply.content, result.reply.content
    outsider = await world.run(world.outsider, "log note", channel_id=h.channel, text="hi")
    assert "not a member" in outsider.reply.content
    assert await note_events(world) == []
    assert len(world.discord.channel_messages(h.channel)) == before


async def test_done_by_the_owner_or_a_convener_and_refused_for_others(world: World):
    h = await hubs(world)
    for text in ("Book the room", "Send the minutes"):
        await world.run(
            h.council,
            "log note",
            channel_id=h.channel,
            text=text,
            kind="action",
            owner=h.foodbank,
            due=TODAY_OR_LATER,
        )
    first, second = await note_events(world)
    values = await world.discord.autocomplete(
        h.forum, "log done", "action", guild_id=world.guild, channel_id=h.channel, action=""
    )
    assert values == [str(first.id), str(second.id)]
    refused = await world.run(h.forum, "log done", channel_id=h.channel, action=str(first.id))
    assert "Only the action's owner or a convener" in refused.reply.content
    by_owner = await world.run(h.foodbank, "log done", channel_id=h.channel, action=str(first.id))
    assert f"Action #{first.id}" in by_owner.reply.content and "done" in by_owner.reply.content
    by_convener = await world.run(
        world.convener, "log done", channel_id=h.channel, action=str(second.id)
    )
    assert f"Action #{second.id}" in by_convener.reply.content
    stranger = await world.run(
        world.outsider, "log done", channel_id=h.channel, action=str(first.id)
    )
    assert "can't find that open action" in stranger.reply.content
    kinds = [e.kind for e in await note_events(world)]
    assert kinds == ["note.action", "note.action", "note.action_done", "note.action_done"]
    listed = await world.run(h.forum, "log show", channel_id=h.channel, kind="action")
    assert "done" in listed.reply.text and f"<@{h.foodbank.id}>" in listed.reply.text


def shown_message(world: World, h: Hubs, reply: Any) -> dict[str, Any]:
    """The ephemeral message a `/log show` reply became, as Discord hands it to a button."""
    return payloads.message(
        snowflake(),
        h.channel,
        world.discord.bot_user.user_payload(),
        reply.data,
        timestamp=now_iso(),
        flags=64,
        type=payloads.CHAT_INPUT_COMMAND_MESSAGE,
    )


async def test_show_pages_with_buttons_and_filters_by_kind(world: World):
    h = await hubs(world)
    for i in range(12):
        await world.run(h.council, "log note", channel_id=h.channel, text=f"note {i}")
    await world.run(h.council, "log note", channel_id=h.channel, text="a risk", kind="risk")
    shown = await world.run(h.forum, "log show", channel_id=h.channel)
    reply = shown.reply
    assert reply.ephemeral and "a risk" in reply.text and "note 3" in reply.text
    assert "note 2" not in reply.text and "Page 1" in reply.text
    [newer, older] = reply.custom_ids
    assert newer.startswith("partnerbot:log:newer:") and older.startswith("partnerbot:log:older:")
    assert all(len(c) <= 100 for c in reply.custom_ids)
    message = shown_message(world, h, reply)
    pressed = await world.discord.click(h.forum, message, older, guild_id=world.guild)
    page2 = pressed.reply
    assert pressed.replies[-1].type == 7
    assert "note 2" in page2.text and "note 0" in page2.text and "Page 2" in page2.text
    assert "joined" in page2.text  # every feature's events
    refused = await world.discord.click(world.outsider, message, older, guild_id=world.guild)
    assert "can't find" in refused.reply.content and "note" not in refused.reply.content
    risks = await world.run(h.forum, "log show", channel_id=h.channel, kind="risk")
    assert "a risk" in risks.reply.text and "note 1" not in risks.reply.text


async def test_non_members_learn_nothing_from_show(world: World):
    h = await hubs(world)
    await world.run(h.council, "log note", channel_id=h.channel, text="secret plan")
    result = await world.run(world.outsider, "log show", channel_id=h.channel)
    assert "not a member" in result.reply.content and "secret" not in result.reply.text
    named = await world.run(world.outsider, "log show", partnership="Family Hubs")
    assert "can't find" in named.reply.content


async def test_show_filters_small_wins_by_phase_across_pages(world: World):
    h = await hubs(world)
    for i in range(11):
        await world.run(
            h.council,
            "log note",
            channel_id=h.channel,
            text=f"design win {i}",
            kind="small_win",
            phase="design",
        )
    await world.run(
        h.council,
        "log note",
        channel_id=h.channel,
        text="delivery win",
        kind="small_win",
        phase="delivery",
    )
    shown = await world.run(h.forum, "log show", channel_id=h.channel, phase="design")
    reply = shown.reply
    assert reply.ephemeral and "small wins (design phase)" in reply.text
    assert "design win 10" in reply.text and "delivery win" not in reply.text
    assert "design win 0" not in reply.text  # on the next page
    [newer, older] = reply.custom_ids
    assert (
        newer.endswith(":design")
        and older.endswith(":design")
        and all(len(c) <= 100 for c in reply.custom_ids)
    )
    message = shown_message(world, h, reply)
    page2 = (await world.discord.click(h.forum, message, older, guild_id=world.guild)).reply
    assert "design win 0" in page2.text and "Page 2" in page2.text
    assert "delivery win" not in page2.text and "joined" not in page2.text
    none = await world.run(h.forum, "log show", channel_id=h.channel, phase="assessment")
    assert "No small wins in the assessment phase yet." in none.reply.text
    refused = await world.run(
        h.forum, "log show", channel_id=h.channel, kind="risk", phase="design"
    )
    assert refused.reply.ephemeral and "Only small wins name" in refused.reply.content
