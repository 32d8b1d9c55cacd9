"""/log redact, /log exports and the retention and consent settings through discord.py's real
dispatch path: the note's post edited to the marker (and a failed edit reported), the goal card
redrawn without a removed comment, a shared reflection edited in its thread, choices, refusals,
and the export record shown without pinging anyone."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import discord
from sqlmodel import col, select

from bot.services.notes import Redacted
from bot.services.redaction import REMOVED
from cogs._log_redact import without_item
from db.models import Event, ExportRecord, Partnership, Redaction
from tests.cogs._goal_hubs import (
    EDIT,
    Hubs,
    by_button,
    edits_of,
    embed_text,
    goal_ids,
    goal_message,
    hubs,
    propose,
)
from tests.cogs.conftest import World
from tests.helpers import _Response

SECRET = "Rent arrears at 14 Mill Lane"
LOGGED = re.compile(r"Logged \w+(?: \w+)? #(\d+)")


async def logged_note(world: World, h: Hubs, text: str = SECRET, **options) -> tuple[int, dict]:
    """Bea (the council's representative) logs a note; (entry number, its channel post)."""
    result = await world.run(h.council, "log note", channel_id=h.channel, text=text, **options)
    match = LOGGED.search(result.reply.content)
    assert match, result.reply.content
    post = world.discord.channel_messages(h.channel)[-1]
    return int(match[1]), post


async def entries(world: World, kind: str) -> list[Event]:
    async with world.bot.sessions() as session:
        rows = await session.exec(select(Event).where(Event.kind == kind).order_by(col(Event.id)))
        return list(rows.all())


async def redaction_rows(world: World) -> list[Redaction]:
    async with world.bot.sessions() as session:
        return list((await session.exec(select(Redaction))).all())


async def test_the_author_removes_a_note_and_its_post_shows_the_marker(world: World):
    h = await hubs(world)
    entry, post = await logged_note(world, h, kind="decision")
    assert SECRET in post["content"]
    choices = await world.discord.autocomplete(
        h.council, "log redact", "entry", guild_id=world.guild, channel_id=h.channel, entry=""
    )
    assert choices == [str(entry)]
    others = await world.discord.autocomplete(
        h.forum, "log redact", "entry", guild_id=world.guild, channel_id=h.channel, entry=""
    )
    assert others == []
    refused = await world.run(h.forum, "log redact", channel_id=h.channel, entry=str(entry))
    assert refused.reply.ephemeral and "Only the person who wrote it" in refused.reply.content
    outsider = await world.run(world.outsider, "log redact", channel_id=h.channel, entry=str(entry))
    assert "can't find that entry" in outsider.reply.content and SECRET not in outsider.reply.text
    assert await redaction_rows(world) == []

    result = await world.run(h.council, "log redact", channel_id=h.channel, entry=str(entry))
    reply = result.reply
    assert reply.ephemeral and f"Removed the text of entry #{entry} (a decision)" in reply.content
    assert f"now reads “{REMOVED}”" in reply.content and SECRET not in reply.content
    assert f"Its post in <#{h.channel}> now shows the marker too." in reply.content
    [edit] = edits_of(world, post)
    assert edit.body["allowed_mentions"] == {"parse": []}
    edited = world.discord.channel_messages(h.channel)
    [shown] = [m for m in edited if m["id"] == post["id"]]
    assert SECRET not in shown["content"] and REMOVED in shown["content"]
    assert shown["content"].startswith("⚖️ **Decision** from Bea")
    assert f"(log entry #{entry})" in shown["content"]

    log = await world.run(h.forum, "log show", channel_id=h.channel)
    assert SECRET not in log.reply.text and REMOVED in log.reply.text and "✂️" in log.reply.text
    assert f"removed the text of their entry #{entry}" in log.reply.text
    again = await world.run(world.convener, "log redact", channel_id=h.channel, entry=str(entry))
    assert again.reply.ephemeral and "already been removed" in again.reply.content
    assert len(await redaction_rows(world)) == 1


async def test_a_post_that_cannot_be_edited_is_reported_and_the_removal_stands(world: World):
    h = await hubs(world)
    entry, post = await logged_note(world, h, kind="action", owner=h.forum, due="2999-12-31")
    gone = discord.NotFound(_Response(404), {"message": "Unknown Message", "code": 10008})
    world.discord.fail_next("PATCH", EDIT, gone)
    result = await world.run(world.convener, "log redact", channel_id=h.channel, entry=str(entry))
    reply = result.reply
    assert reply.ephemeral and f"Removed the text of entry #{entry} (an action)" in reply.content
    assert "I couldn't edit its post" in reply.content and "moderator" in reply.content
    [row] = await redaction_rows(world)
    assert (row.event_id, row.reason) == (entry, "convener")
    [shown] = [m for m in world.discord.channel_messages(h.channel) if m["id"] == post["id"]]
    assert SECRET in shown["content"]  # the edit failed; the reply said so
    actions = await world.run(h.forum, "log show", channel_id=h.channel, kind="action")
    assert SECRET not in actions.reply.text and REMOVED in actions.reply.text
    done = await world.run(h.forum, "log done", channel_id=h.channel, action=str(entry))
    assert f"done: “{REMOVED}”" in done.reply.content and SECRET not in done.reply.content


async def test_a_removed_stance_comment_leaves_the_goal_card_and_goal_show(world: World):
    h = await hubs(world)
    await propose(world, h)
    [goal_id] = await goal_ids(world)
    sent = await by_button(world, h, h.foodbank, goal_id, "reservations", SECRET)
    assert "internal exports" in sent.reply.content and "/log redact" in sent.reply.content
    assert SECRET in embed_text(goal_message(world, h, goal_id))
    [stance] = await entries(world, "goal.stance")
    result = await world.run(h.foodbank, "log redact", channel_id=h.channel, entry=str(stance.id))
    assert "(a stance comment)" in result.reply.content
    assert f"Goal #{goal_id}'s posted card is redrawn" in result.reply.content
    card = embed_text(goal_message(world, h, goal_id))
    assert SECRET not in card and REMOVED in card
    shown = await world.run(h.council, "goal show", channel_id=h.channel, goal=str(goal_id))
    assert SECRET not in shown.reply.text and REMOVED in shown.reply.text.replace("\\", "")


async def test_a_removed_origin_detail_leaves_the_goal_card_and_goal_show(world: World):
    h = await hubs(world)
    await propose(world, h)
    [goal_id] = await goal_ids(world)
    options = {"goal": str(goal_id), "origin": "external"}
    read = await world.run(
        h.council, "goal perceive", channel_id=h.channel, origin_detail=SECRET, **options
    )
    assert "internal exports" in read.reply.content and "/log redact" in read.reply.content
    plain = await world.run(h.foodbank, "goal perceive", channel_id=h.channel, **options)
    assert "/log redact" not in plain.reply.content  # no words of theirs to remove
    assert SECRET in embed_text(goal_message(world, h, goal_id))
    [reading, _plain] = await entries(world, "goal.perceived")
    result = await world.run(h.council, "log redact", channel_id=h.channel, entry=str(reading.id))
    assert "(an origin detail)" in result.reply.content
    assert f"Goal #{goal_id}'s posted card is redrawn without the origin detail" in (
        result.reply.content
    )
    card = embed_text(goal_message(world, h, goal_id))
    assert SECRET not in card and REMOVED in card
    shown = await world.run(h.council, "goal show", channel_id=h.channel, goal=str(goal_id))
    assert SECRET not in shown.reply.text and REMOVED in shown.reply.text.replace("\\", "")


async def test_a_removed_reflection_is_edited_in_the_prompts_thread(world: World):
    h = await hubs(world)
    await world.run(world.convener, "reflect now", channel_id=h.channel)
    [prompt] = [m for m in world.discord.channel_messages(h.channel) if m["embeds"]][-1:]
    post_id = int(re.search(r"Prompt #(\d+)", prompt["embeds"][0]["footer"]["text"])[1])  # type: ignore[index]
    answered = await world.run(
        h.forum, "reflect respond", channel_id=h.channel, prompt=str(post_id), text=SECRET
    )
    assert "internal exports" in answered.reply.content
    [thread_id] = [
        cid
        for cid, c in world.discord.channels.items()
        if c.get("type") == 11 and c.get("parent_id") == str(h.channel)
    ]
    [shared] = world.discord.channel_messages(thread_id)
    assert shared["embeds"][0]["description"] == SECRET
    [answer] = await entries(world, "prompt.answered")
    result = await world.run(
        world.convener, "log redact", channel_id=h.channel, entry=str(answer.id)
    )
    assert "(a reflection answer)" in result.reply.content
    assert "Its copy in the prompt's thread now shows the marker too." in result.reply.content
    [shared] = world.discord.channel_messages(thread_id)
    assert SECRET not in str(shared["embeds"]) and REMOVED in shared["embeds"][0]["description"]
    assert shared["embeds"][0]["footer"]["text"] == f"Answer to prompt #{post_id}"


async def test_retention_and_research_consent_are_set_by_conveners(world: World):
    h = await hubs(world)
    refused = await world.run(
        h.council, "partnership configure", channel_id=h.channel, research_consent=True
    )
    assert refused.reply.ephemeral and "Only the conveners" in refused.reply.content
    result = await world.run(
        world.convener,
        "partnership configure",
        channel_id=h.channel,
        retention_months=24,
        research_consent=True,
    )
    reply = result.reply.content
    assert "retention months: 0 (everything kept) → 24" in reply
    assert "research consent: off → on" in reply
    assert "older than 24 months now reads as removed" in reply
    assert "pseudonymised research export" in reply and "partnership log" in reply
    async with world.bot.sessions() as session:
        p = (await session.exec(select(Partnership))).one()
    assert (p.retention_months, p.research_consent) == (24, True)
    [configured] = await entries(world, "partnership.configured")
    assert configured.payload == {
        "retention_months": {"from": 0, "to": 24},
        "research_consent": {"from": False, "to": True},
    }
    info = await world.run(h.council, "partnership info", channel_id=h.channel)
    assert "24 months" in info.reply.text
    off = await world.run(
        world.convener, "partnership configure", channel_id=h.channel, retention_months=0
    )
    assert "Free text is kept and shown however old it is." in off.reply.content
    too_long = await world.run(
        world.convener, "partnership configure", channel_id=h.channel, retention_months=121
    )
    assert too_long.reply.ephemeral and "120" in too_long.reply.content
    assert len(await entries(world, "partnership.configured")) == 2


async def test_conveners_read_the_export_record_without_pinging(world: World):
    h = await hubs(world)
    empty = await world.run(world.convener, "log exports", channel_id=h.channel)
    assert "Nobody has exported anything" in empty.reply.text
    async with world.bot.sessions() as session:
        p = (await session.exec(select(Partnership))).one()
        assert p.id is not None
        session.add(
            ExportRecord(
                guild_id=world.guild,
                partnership_id=p.id,
                user_id=h.forum.id,
                via="discord",
                format="html",
                audience="external",
                since=datetime(2026, 1, 1).date(),
                withheld=2,
                exported_at=datetime(2026, 7, 1, 8, 30, tzinfo=UTC),
            )
        )
        session.add(
            ExportRecord(
                guild_id=world.guild,
                partnership_id=p.id,
                via="cli",
                format="csv",
                audience="internal",
                pseudonymised=True,
                exported_at=datetime(2026, 7, 2, 8, 30, tzinfo=UTC),
            )
        )
        await session.commit()
    result = await world.run(world.convener, "log exports", channel_id=h.channel)
    reply = result.reply
    assert reply.ephemeral and reply.data["allowed_mentions"] == {"parse": []}
    description = reply.embeds[0]["description"]
    cli, member = description.splitlines()
    assert cli.startswith("**2026-07-02 09:30 BST** · the command line · csv · internal")
    assert "pseudonymised" in cli
    assert member.startswith(f"**2026-07-01 09:30 BST** · <@{h.forum.id}> · html · external")
    assert "from 2026-01-01" in member and "2 withheld" in member
    assert "Europe/London" in reply.embeds[0]["footer"]["text"]
    refused = await world.run(h.council, "log exports", channel_id=h.channel)
    assert refused.reply.ephemeral and "Only the conveners of Family Hubs" in refused.reply.content
    outsider = await world.run(world.outsider, "log exports", partnership="Family Hubs")
    assert "can't find" in outsider.reply.content and "csv" not in outsider.reply.text


async def test_a_removed_note_leaves_its_meetings_posted_summary(world: World):
    h = await hubs(world)
    await world.run(h.council, "meeting start", channel_id=h.channel, title="March")
    words = f"{SECRET}\nsecond line **bold**"
    entry, _post = await logged_note(world, h, words, kind="decision")
    kept, _ = await logged_note(world, h, "Share the leaflet")
    await world.run(h.council, "meeting end", channel_id=h.channel)
    [summary] = [
        m
        for m in world.discord.channel_messages(h.channel)
        if m["content"].startswith("🗓️ **Meeting ended")
    ]
    assert SECRET in summary["content"] and "second line" in summary["content"]
    result = await world.run(h.council, "log redact", channel_id=h.channel, entry=str(entry))
    assert "The meeting's summary shows the marker too." in result.reply.content
    [summary] = [m for m in world.discord.channel_messages(h.channel) if m["id"] == summary["id"]]
    content = summary["content"]
    assert SECRET not in content and "second line" not in content
    assert f"- #{entry} *{REMOVED}*" in content and f"- #{kept} Share the leaflet" in content
    assert content.startswith("🗓️ **Meeting ended: March**")


def test_a_summary_clipped_inside_the_removed_words_loses_all_of_them():
    removed = Redacted(
        event_id=12,
        kind="note.note",
        what="a note",
        reason="author",
        partnership_id=1,
        partnership="Family Hubs",
        guild_id=1,
        marker=REMOVED,
        words=f"{SECRET}\n" + "more words " * 40,
    )
    whole = f"🗓️ **Meeting ended: March**\n\n**Notes**\n- #11 Kept\n- #12 {SECRET}\nmore wo…"
    assert without_item(whole, removed) == (
        f"🗓️ **Meeting ended: March**\n\n**Notes**\n- #11 Kept\n- #12 *{REMOVED}*"
    )
    other = "🗓️ **Meeting ended: March**\n- #112 Not this one"
    assert without_item(other, removed) == other
