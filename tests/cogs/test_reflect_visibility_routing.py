"""Who sees a reflection answer, through discord.py's real dispatch path: the `visibility`
option, the Reflect form and the replies saying who will see an answer, anonymous answers posted
as the bot's own messages with no name once k organisations answered, private answers and
`/reflect mine`, replacing and `/reflect withdraw`."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from db.models import Event, PromptAnswer, PromptPost, Schedule
from tests.cogs._goal_hubs import Hubs, hubs
from tests.cogs.conftest import World
from tests.cogs.test_reflect_routing import (
    button_ids,
    schedule,
    server_error,
    threads_of,
    walk,
)
from tests.helpers import Person

POST_ID = re.compile(r"Posted prompt #(\d+)")


async def post_now(world: World, h: Hubs, **options) -> tuple[int, dict]:
    """`/reflect now` in the channel; the post's number and its message."""
    reply = (await world.run(world.convener, "reflect now", channel_id=h.channel, **options)).reply
    match = POST_ID.search(reply.content)
    assert reply.ephemeral and match, reply.content
    [message] = [
        m
        for m in world.discord.channel_messages(h.channel)
        if m["embeds"] and m["embeds"][0]["footer"]["text"].startswith(f"Prompt #{match[1]} ")
    ]
    return int(match[1]), message


def thread_of(world: World, h: Hubs) -> int:
    [thread] = threads_of(world, h.channel)
    return int(thread["id"])


async def respond(world: World, person: Person, h: Hubs, post_id: int, text: str):
    return (
        await world.run(
            person, "reflect respond", channel_id=h.channel, prompt=str(post_id), text=text
        )
    ).reply


async def answer_entries(world: World) -> list[Event]:
    async with world.bot.sessions() as session:
        rows = await session.exec(
            select(Event).where(col(Event.kind).startswith("prompt.")).order_by(col(Event.id))
        )
        return list(rows.all())


def names_in(world: World, message: dict) -> list[str]:
    """Anything in a message that could say who wrote it."""
    text = json.dumps(message)
    people = [world.convener, *world.reps]
    return [p.name for p in people if p.name in text] + [
        str(p.id) for p in people if str(p.id) in text
    ]


async def test_anonymous_answers_are_shown_without_names_once_k_organisations_answered(
    world: World,
):
    h = await hubs(world)
    post_id, message = await post_now(world, h, theme="power")
    footer = message["embeds"][0]["footer"]["text"]
    assert "answer anonymously" in footer and "once 3 organisations have answered" in footer
    assert "Messages you write in the thread yourself carry your name" in footer
    thread_id = thread_of(world, h)

    # The form says who will see the answer, before anything is stored.
    [custom_id] = button_ids(message)
    form = (await world.discord.click(h.council, message, custom_id, guild_id=world.guild)).modal
    contents = " ".join(
        str(c.get("content") or c.get("description") or "") for c in walk(form["components"])
    )
    assert "Who will see your answer: anonymous: shown without your name once 3 organisations" in (
        contents
    )
    assert "Anonymous: shown without your name once 3 organisations have answered." in contents
    submitted = await world.discord.submit(
        h.council,
        form["custom_id"],
        {"answer": "The council sets every agenda."},
        guild_id=world.guild,
        channel_id=h.channel,
    )
    reply = submitted.reply
    assert reply.ephemeral and "is anonymous: nobody sees who wrote it" in reply.content
    assert "once 3 organisations have answered (1 so far" in reply.content
    assert world.discord.channel_messages(thread_id) == []

    second = await respond(world, h.foodbank, h, post_id, "Money decides, quietly.")
    assert "(2 so far" in second.content
    # The food bank takes its answer back: it no longer counts toward k.
    withdrawn = (
        await world.run(h.foodbank, "reflect withdraw", channel_id=h.channel, prompt=str(post_id))
    ).reply
    assert withdrawn.ephemeral and f"your answer to prompt #{post_id} no longer counts" in (
        withdrawn.content
    )
    third = await respond(world, h.forum, h, post_id, "Parents are asked last.")
    assert "(2 so far" in third.content and world.discord.channel_messages(thread_id) == []
    # The council replaces its answer: still one organisation.
    replaced = await respond(world, h.council, h, post_id, "The council sets most agendas.")
    assert "It replaces your earlier answer." in replaced.content
    assert "(2 so far" in replaced.content

    # The third organisation: every current answer is shown at once, with no name.
    released = await respond(world, h.foodbank, h, post_id, "Whoever holds the budget.")
    assert "It is shown in the prompt's thread without your name." in released.content
    shown = world.discord.channel_messages(thread_id)
    assert sorted(m["embeds"][0]["description"] for m in shown) == [
        "Parents are asked last.",
        "The council sets most agendas.",
        "Whoever holds the budget.",
    ]
    for m in shown:
        assert m["embeds"][0]["author"]["name"] == "An anonymous reflection"
        assert m["embeds"][0]["footer"]["text"] == f"Answer to prompt #{post_id}"
        assert m["allowed_mentions"] == {"parse": []}
        assert names_in(world, m) == [], m
        assert m["author"]["id"] == str(world.bot.user.id)  # the bot's own message
    # Later answers come as they are given: Ada, in her own capacity.
    await respond(world, world.convener, h, post_id, "I chair, and I talk too much.")
    latest = world.discord.channel_messages(thread_id)[-1]
    assert latest["embeds"][0]["description"] == "I chair, and I talk too much."
    assert names_in(world, latest) == []

    # The log says that answers were given, never by whom or what.
    entries = await answer_entries(world)
    answered = [e for e in entries if e.kind == "prompt.answered"]
    assert len(answered) == 6 and all(e.actor_id is None for e in answered)
    assert not any("agenda" in e.summary or "budget" in e.summary for e in answered)
    assert [e.kind for e in entries].count("prompt.released") == 1
    log_page = (await world.run(h.council, "log show", channel_id=h.channel)).reply.text
    assert "An anonymous answer" in log_page and "budget" not in log_page

    # Withdrawing a shown answer edits its message to say so.
    await world.run(h.forum, "reflect withdraw", channel_id=h.channel, prompt=str(post_id))
    texts = [m["embeds"][0]["description"] for m in world.discord.channel_messages(thread_id)]
    assert "Parents are asked last." not in texts
    assert "*This answer was withdrawn by its author.*" in texts


async def test_private_answers_are_never_posted_and_mine_shows_them_to_their_author(
    world: World,
):
    h = await hubs(world)
    post_id, message = await post_now(world, h, theme="trust", visibility="private")
    assert "Answers: private" not in message["embeds"][0]["footer"]["text"]
    assert "answer privately" in message["embeds"][0]["footer"]["text"]
    thread_id = thread_of(world, h)
    reply = await respond(world, h.council, h, post_id, "I no longer trust the timetable.")
    assert reply.ephemeral and "is private: only you can read it" in reply.content
    assert world.discord.channel_messages(thread_id) == []
    [entry] = [e for e in await answer_entries(world) if e.kind == "prompt.answered"]
    assert entry.actor_id is None and "timetable" not in json.dumps(entry.payload)
    assert "timetable" not in entry.summary

    mine = (await world.run(h.council, "reflect mine", channel_id=h.channel)).reply
    assert mine.ephemeral and "I no longer trust the timetable." in mine.text
    assert "only you (seen by nobody else)" in mine.text
    assert mine.embeds[0]["title"] == "Your reflections in Family Hubs"
    others = (await world.run(h.foodbank, "reflect mine", channel_id=h.channel)).reply
    assert "timetable" not in others.text and "no answers here yet" in others.text
    # Outside the channel: all of the person's partnerships.
    anywhere = (await world.discord.invoke(h.council, "reflect mine", guild_id=world.guild)).reply
    assert anywhere.embeds[0]["title"] == "Your reflections"
    assert "timetable" in anywhere.text and "Family Hubs" in anywhere.text
    stranger = (
        await world.discord.invoke(world.outsider, "reflect mine", guild_id=world.guild)
    ).reply
    assert stranger.ephemeral and "no answers here yet" in stranger.text


async def test_named_answers_are_replaced_in_place_and_withdrawn(world: World):
    h = await hubs(world)
    post_id, message = await post_now(world, h, theme="goals")
    assert "shared with their author's name" in message["embeds"][0]["footer"]["text"]
    thread_id = thread_of(world, h)
    await respond(world, h.council, h, post_id, "Fewer referrals bounced.")
    again = await respond(world, h.council, h, post_id, "Fewer referrals bounced back.")
    assert "It replaces your earlier answer." in again.content
    [shared] = world.discord.channel_messages(thread_id)
    assert shared["embeds"][0]["description"] == "Fewer referrals bounced back."
    assert shared["embeds"][0]["author"]["name"] == "Bea reflected"
    # Withdrawal: only the answers one has are offered.
    choices = await world.discord.autocomplete(
        h.council, "reflect withdraw", "prompt", guild_id=world.guild, prompt=""
    )
    assert choices == [str(post_id)]
    assert (
        await world.discord.autocomplete(
            h.foodbank, "reflect withdraw", "prompt", guild_id=world.guild, prompt=""
        )
        == []
    )
    gone = (await world.run(h.council, "reflect withdraw", prompt=str(post_id))).reply
    assert "Its message now says it was withdrawn." in gone.content
    [shared] = world.discord.channel_messages(thread_id)
    assert shared["embeds"][0]["description"] == "*This answer was withdrawn by its author.*"
    refused = (await world.run(h.council, "reflect withdraw", prompt=str(post_id))).reply
    assert refused.ephemeral and "no answer to prompt" in refused.content
    hidden = (await world.run(world.outsider, "reflect withdraw", prompt=str(post_id))).reply
    assert f"can't find prompt #{post_id}" in hidden.content


async def test_schedules_and_own_prompts_take_a_visibility(world: World):
    h = await hubs(world)
    schedule_id, [first, *_] = await schedule(
        world, h.channel, cadence="daily", visibility="anonymous"
    )
    reply = (
        await world.run(world.convener, "reflect schedule", channel_id=h.channel, cadence="weekly")
    ).reply
    assert "Answers: each prompt's own (named; anonymous for sensitive ones)." in reply.content
    async with world.bot.sessions() as session:
        rows = (await session.exec(select(Schedule).order_by(col(Schedule.id)))).all()
    assert [r.options for r in rows] == [
        {"theme": None, "visibility": "anonymous"},
        {"theme": None},
    ]
    await world.bot.scheduler.run_schedule(schedule_id, now=first)
    [posted] = [m for m in world.discord.channel_messages(h.channel) if m["embeds"]]
    # Shared goals is not a sensitive theme, but the schedule asks for anonymous answers.
    assert posted["embeds"][0]["title"] == "Reflect: Shared goals"
    assert "answer anonymously" in posted["embeds"][0]["footer"]["text"]
    listing = (await world.run(h.council, "reflect list", channel_id=h.channel)).reply
    assert "Answers: anonymous" in listing.text

    added = (
        await world.run(
            world.convener,
            "reflect prompt add",
            channel_id=h.channel,
            theme="power",
            text="Who do you find it hard to disagree with here?",
            visibility="private",
        )
    ).reply
    assert "Answers to it: only you (each answer is seen only by its author)." in added.content
    refused = (
        await world.run(
            h.council, "reflect now", channel_id=h.channel, theme="power", visibility="named"
        )
    ).reply
    assert refused.ephemeral and "Only the conveners" in refused.content


async def test_anonymous_answers_discord_did_not_take_are_shown_by_their_timers(world: World):
    h = await hubs(world)
    post_id, _ = await post_now(world, h, theme="power")
    thread_id = thread_of(world, h)
    await respond(world, h.council, h, post_id, "One.")
    await respond(world, h.foodbank, h, post_id, "Two.")
    for _ in range(3):
        world.discord.fail_next("POST", "/channels/{channel_id}/messages", server_error())
    released = await respond(world, h.forum, h, post_id, "Three.")
    assert released.ephemeral and "without your name" in released.content
    assert world.discord.channel_messages(thread_id) == []
    assert world.bot.timers._task is None  # no background work in these tests
    fired = await world.bot.timers.run_due()  # taken a moment ago: not yet tried again
    assert fired.done == [] and fired.retrying == []
    later = datetime.now(UTC) + timedelta(minutes=2)
    world.discord.fail_next("POST", "/channels/{channel_id}/messages", server_error())
    fired = await world.bot.timers.run_due(later)
    assert len(fired.done) == 2 and len(fired.retrying) == 1  # Discord failed once more
    fired = await world.bot.timers.run_due(later + timedelta(minutes=1))  # after the back-off
    assert len(fired.done) == 1
    shown = world.discord.channel_messages(thread_id)
    assert sorted(m["embeds"][0]["description"] for m in shown) == ["One.", "Three.", "Two."]
    assert all(m["nonce"].startswith("pb-answer-") for m in shown)
    fired = await world.bot.timers.run_due(later + timedelta(hours=1))
    assert fired.done == [] and fired.retrying == []
    async with world.bot.sessions() as session:
        rows = (await session.exec(select(PromptAnswer))).all()
        post = await session.get(PromptPost, post_id)
    assert all(r.message_id is not None for r in rows) and post and post.released_at
