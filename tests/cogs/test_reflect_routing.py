"""/reflect through discord.py's real dispatch path, with the schedule engine driven directly.

The engine's rules run here on chosen moments (claims, retries, nonces); the same promises on
the wall clock, across a restart, and a deleted channel are in `tests/e2e/test_reflect.py`."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

import discord
from sqlmodel import select

from bot.services.access import Actor, PartnershipRef
from bot.services.reflection import SCHEDULE_KIND
from bot.services.schedules import ScheduleService
from db.models import Event, Occurrence, PromptAnswer, PromptPost, Schedule
from tests.cogs.conftest import World
from tests.helpers import _Response

TIMESTAMP = re.compile(r"<t:(\d+):F>")
ANSWER_ID = re.compile(r"partnerbot:reflect:answer:(\d+)")


async def setup_partnership(world: World) -> int:
    """Family Hubs, convened by Ada, with Bea as a member; returns its channel id."""
    await world.run(world.convener, "partnership create", name="Family Hubs", purpose="Early help")
    [channel] = world.discord.partnership_channels(world.guild)
    channel_id = int(channel["id"])
    await world.run(world.convener, "member add", user=world.reps[0], channel_id=channel_id)
    return channel_id


async def schedule(world: World, channel_id: int, **options) -> tuple[int, list[datetime]]:
    reply = (
        await world.run(world.convener, "reflect schedule", channel_id=channel_id, **options)
    ).reply
    assert reply.ephemeral, reply.content
    match = re.search(r"schedule #(\d+)", reply.content)
    assert match, reply.content
    times = [datetime.fromtimestamp(int(t), UTC) for t in TIMESTAMP.findall(reply.content)]
    return int(match[1]), times


def prompts(world: World, channel_id: int) -> list[dict]:
    return [m for m in world.discord.channel_messages(channel_id) if m["embeds"]]


def threads_of(world: World, channel_id: int) -> list[dict]:
    return [
        c
        for c in world.discord.channels.values()
        if c.get("type") == 11 and c.get("parent_id") == str(channel_id)
    ]


def walk(components: list[dict]) -> list[dict]:
    """Every component of a form, depth first (rows, labels and what they hold)."""
    found: list[dict] = []
    for component in components:
        found.append(component)
        found += walk(component.get("components") or [])
        if isinstance(component.get("component"), dict):
            found += walk([component["component"]])
    return found


def button_ids(message: dict) -> list[str]:
    return [c["custom_id"] for row in message["components"] for c in row["components"]]


async def occurrences(world: World, schedule_id: int) -> list[Occurrence]:
    async with world.bot.sessions() as session:
        rows = await session.exec(
            select(Occurrence)
            .where(Occurrence.schedule_id == schedule_id)
            .order_by(Occurrence.due_at)  # type: ignore[arg-type]
        )
        return list(rows.all())


async def event_kinds(world: World) -> list[str]:
    async with world.bot.sessions() as session:
        return [e.kind for e in (await session.exec(select(Event).order_by(Event.id))).all()]  # type: ignore[arg-type]


def server_error(status: int = 503) -> discord.DiscordServerError:
    return discord.DiscordServerError(_Response(status), {"message": "Service Unavailable"})


async def test_schedule_answers_with_the_next_three_occurrences(world: World):
    channel_id = await setup_partnership(world)
    result = await world.run(
        world.convener,
        "reflect schedule",
        channel_id=channel_id,
        cadence="weekly",
        time="09:30",
        day="mon,thu",
        theme="trust",
    )
    reply = result.reply
    assert reply.ephemeral
    assert "Every Monday and Thursday at 09:30 (Europe/London)" in reply.content
    assert "Theme: Trust" in reply.content and f"<#{channel_id}>" in reply.content
    stamps = TIMESTAMP.findall(reply.content)
    assert len(stamps) == 3 and stamps == sorted(stamps)
    async with world.bot.sessions() as session:
        [row] = (await session.exec(select(Schedule))).all()
    assert row.options == {"theme": "trust"} and row.weekdays == [0, 3]


async def test_a_scheduled_prompt_is_posted_once_with_a_button_and_a_thread(world: World):
    channel_id = await setup_partnership(world)
    schedule_id, [first, *_] = await schedule(world, channel_id, cadence="daily", time="07:15")
    outcome = await world.bot.scheduler.run_schedule(schedule_id, now=first)
    assert len(outcome.ran) == 1
    [message] = prompts(world, channel_id)
    [occurrence] = await occurrences(world, schedule_id)
    assert message["nonce"] == f"pb-occ-{occurrence.id}"
    assert message["allowed_mentions"] == {"parse": []}
    [embed] = message["embeds"]
    assert embed["title"] == "Reflect: Shared goals" and "late" not in embed["description"]
    assert embed["fields"][0]["name"] == "Draws on"
    [custom_id] = button_ids(message)
    post_id = int(ANSWER_ID.fullmatch(custom_id)[1])  # type: ignore[index]
    [thread] = threads_of(world, channel_id)
    assert thread["name"].startswith("Shared goals: ")
    assert occurrence.state == "done"
    assert occurrence.result == {
        "post_id": post_id,
        "prompt": "goals-01",
        "theme": "goals",
        "channel_id": channel_id,
        "message_id": int(message["id"]),
        "thread_id": int(thread["id"]),
    }
    # The same moment again, a retried job, or recovery: nothing more is posted.
    again = await world.bot.scheduler.run_schedule(schedule_id, now=first)
    assert again.ran == [] and (await world.bot.scheduler.recover(now=first)).ran == []
    assert len(prompts(world, channel_id)) == 1 and len(threads_of(world, channel_id)) == 1
    assert "prompt.posted" in await event_kinds(world)


async def test_a_5xx_is_retried_and_posted_once(world: World):
    channel_id = await setup_partnership(world)
    schedule_id, [first, *_] = await schedule(world, channel_id, cadence="daily")
    world.discord.fail_next("POST", "/channels/{channel_id}/messages", server_error())
    outcome = await world.bot.scheduler.run_schedule(schedule_id, now=first)
    assert outcome.retrying and prompts(world, channel_id) == []
    [occurrence] = await occurrences(world, schedule_id)
    assert occurrence.state == "retrying" and "503" in (occurrence.last_error or "")
    listing = await world.run(world.reps[0], "reflect list", channel_id=channel_id)
    assert listing.reply.ephemeral and "retrying after 1 failed attempt" in listing.reply.text
    assert "503" in listing.reply.text
    assert (await world.bot.scheduler.retry_due(first + timedelta(seconds=5))).ran == []
    done = await world.bot.scheduler.retry_due(first + timedelta(seconds=31))
    assert len(done.ran) == 1
    assert len(prompts(world, channel_id)) == 1 and len(threads_of(world, channel_id)) == 1
    [occurrence] = await occurrences(world, schedule_id)
    assert (occurrence.state, occurrence.attempts) == ("done", 2)
    async with world.bot.sessions() as session:
        assert len((await session.exec(select(PromptPost))).all()) == 1


async def test_a_post_that_reached_discord_is_not_sent_twice(world: World):
    """Discord took the message but the answer was lost: the retry reuses the nonce."""
    channel_id = await setup_partnership(world)
    schedule_id, [first, *_] = await schedule(world, channel_id, cadence="daily")
    original = world.discord.ROUTES[("POST", "/channels/{channel_id}/messages")]

    async def post_then_time_out(double, route, body, params):
        await original(double, route, body, params)
        raise TimeoutError

    world.discord.ROUTES = {
        **world.discord.ROUTES,
        ("POST", "/channels/{channel_id}/messages"): post_then_time_out,
    }
    outcome = await world.bot.scheduler.run_schedule(schedule_id, now=first)
    assert outcome.retrying and len(prompts(world, channel_id)) == 1
    world.discord.ROUTES = {
        **world.discord.ROUTES,
        ("POST", "/channels/{channel_id}/messages"): original,
    }
    assert len((await world.bot.scheduler.retry_due(first + timedelta(minutes=1))).ran) == 1
    assert len(prompts(world, channel_id)) == 1  # enforce_nonce returned the first message
    [occurrence] = await occurrences(world, schedule_id)
    assert occurrence.result["message_id"] == int(prompts(world, channel_id)[0]["id"])


async def post_whose_answer_is_lost(world: World):
    """A daily schedule whose first post reaches Discord but whose answer is lost (a 502), after
    Discord's nonce window: the channel, the schedule, its first time and the posted message."""
    channel_id = await setup_partnership(world)
    schedule_id, [first, *_] = await schedule(world, channel_id, cadence="daily")
    original = world.discord.ROUTES[("POST", "/channels/{channel_id}/messages")]

    async def post_then_fail(double, route, body, params):
        await original(double, route, body, params)
        raise server_error(502)

    world.discord.ROUTES = {
        **world.discord.ROUTES,
        ("POST", "/channels/{channel_id}/messages"): post_then_fail,
    }
    assert (await world.bot.scheduler.run_schedule(schedule_id, now=first)).retrying
    world.discord.ROUTES = {
        **world.discord.ROUTES,
        ("POST", "/channels/{channel_id}/messages"): original,
    }
    [message] = prompts(world, channel_id)
    message["nonce"] = None  # the window has passed: Discord would accept the nonce again
    return channel_id, schedule_id, first, message


async def test_a_retry_after_the_nonce_window_finds_its_unrecorded_post(world: World):
    """Discord forgets a nonce after a few minutes: the retry looks for its own message."""
    channel_id, schedule_id, first, message = await post_whose_answer_is_lost(world)
    assert len((await world.bot.scheduler.retry_due(first + timedelta(minutes=10))).ran) == 1
    assert prompts(world, channel_id) == [message]
    [occurrence] = await occurrences(world, schedule_id)
    assert occurrence.result["message_id"] == int(message["id"])
    assert len(threads_of(world, channel_id)) == 1
    assert (await event_kinds(world)).count("prompt.posted") == 1


async def test_a_retry_finds_its_unrecorded_post_in_a_busy_channel(world: World):
    """Hundreds of messages after the lost answer: the retry still finds its post."""
    channel_id, schedule_id, first, message = await post_whose_answer_is_lost(world)
    for n in range(260):  # the partnership talks on
        world.discord._message(channel_id, {"content": f"message {n}"})
    assert len((await world.bot.scheduler.retry_due(first + timedelta(minutes=10))).ran) == 1
    assert prompts(world, channel_id) == [message]
    [occurrence] = await occurrences(world, schedule_id)
    assert occurrence.result["message_id"] == int(message["id"])


async def test_members_markdown_is_shown_as_written_under_the_bots_name(world: World):
    channel_id = await setup_partnership(world)
    schedule_id, [first, *_] = await schedule(world, channel_id, cadence="daily")
    await world.bot.scheduler.run_schedule(schedule_id, now=first)
    [message] = prompts(world, channel_id)
    [custom_id] = button_ids(message)
    bea = world.reps[0]
    form = (await world.discord.click(bea, message, custom_id, guild_id=world.guild)).modal
    masked = "See [the council's reply](https://example.invalid/login) **now**"
    await world.discord.submit(
        bea, form["custom_id"], {"answer": masked}, guild_id=world.guild, channel_id=channel_id
    )
    [thread] = threads_of(world, channel_id)
    [shared] = world.discord.channel_messages(int(thread["id"]))
    shown = shared["embeds"][0]["description"]
    # Escaped: no masked link, no bold, under the bot's name.
    assert shown != masked and "\\[the council's reply]" in shown and "\\*\\*now" in shown


async def test_reflect_button_opens_a_form_and_stores_the_answer(world: World):
    channel_id = await setup_partnership(world)
    schedule_id, [first, *_] = await schedule(world, channel_id, cadence="daily")
    await world.bot.scheduler.run_schedule(schedule_id, now=first)
    [message] = prompts(world, channel_id)
    [custom_id] = button_ids(message)
    bea = world.reps[0]
    clicked = await world.discord.click(bea, message, custom_id, guild_id=world.guild)
    form = clicked.modal
    assert len(form["title"]) <= 45 and form["title"] == "Reflect: Shared goals"
    assert form["title"] == message["embeds"][0]["title"][:45]
    question = message["embeds"][0]["description"]
    assert question in [c.get("content") for c in form["components"]], form
    assert "answer" in [c.get("custom_id") for c in walk(form["components"])]
    assert [r.type for r in clicked.replies] == [9]  # the form is the first response
    async with world.bot.sessions() as session:
        assert (await session.exec(select(PromptAnswer))).all() == []
    submitted = await world.discord.submit(
        bea,
        form["custom_id"],
        {"answer": "We agreed the aim but not the measures."},
        guild_id=world.guild,
        channel_id=channel_id,
    )
    assert submitted.reply.ephemeral and "is named: it is kept" in submitted.reply.content
    number = int(ANSWER_ID.fullmatch(custom_id)[1])  # type: ignore[index]
    assert submitted.reply.content == (
        f"Thank you. Your reflection on prompt #{number} is named: it is kept in the partnership "
        "log and shared in the prompt's thread with your name. It appears in the partnership's "
        "internal exports; `/log redact` removes it. `/reflect respond` again replaces it; "
        "`/reflect withdraw` takes it back."
    )
    async with world.bot.sessions() as session:
        [answer] = (await session.exec(select(PromptAnswer))).all()
    assert (answer.user_id, answer.text) == (bea.id, "We agreed the aim but not the measures.")
    [thread] = threads_of(world, channel_id)
    [shared] = world.discord.channel_messages(int(thread["id"]))
    assert shared["embeds"][0]["description"] == answer.text
    assert shared["embeds"][0]["author"]["name"] == "Bea reflected"
    assert shared["allowed_mentions"] == {"parse": []}
    assert "prompt.answered" in await event_kinds(world)
    # Someone outside the partnership gets a polite refusal, not a form.
    refused = await world.discord.click(world.outsider, message, custom_id, guild_id=world.guild)
    assert refused.reply.ephemeral and "can't find prompt" in refused.reply.content
    assert f"can't find prompt #{number}" in refused.reply.content
    assert [r.type for r in refused.replies] == [4]  # a message, not a form
    # /reflect respond from the prompt's thread: this prompt is offered first.
    choices = await world.discord.autocomplete(
        world.convener,
        "reflect respond",
        "prompt",
        guild_id=world.guild,
        channel_id=int(thread["id"]),
        prompt="",
    )
    assert choices and choices[0] == str(number)
    replied = await world.run(
        world.convener,
        "reflect respond",
        channel_id=int(thread["id"]),
        prompt=str(number),
        text="Small wins first, then the measures.",
    )
    assert replied.reply.ephemeral and f"Your reflection on prompt #{number}" in (
        replied.reply.content
    )
    answers = world.discord.channel_messages(int(thread["id"]))
    assert len(answers) == 2 and "Ada" in str(answers[-1]["embeds"][0])


async def test_a_form_sent_after_a_restart_is_still_stored(world: World):
    channel_id = await setup_partnership(world)
    await world.run(world.convener, "reflect now", channel_id=channel_id)
    [message] = prompts(world, channel_id)
    bea = world.reps[0]
    clicked = await world.discord.click(bea, message, button_ids(message)[0], guild_id=world.guild)
    world.bot._connection._view_store._modals.clear()  # a new process knows no open forms
    submitted = await world.discord.submit(
        bea,
        clicked.modal["custom_id"],
        {"answer": "Still here."},
        guild_id=world.guild,
        channel_id=channel_id,
    )
    assert submitted.reply.ephemeral and "Thank you" in submitted.reply.content
    assert len([r for r in submitted.replies if r.type == 4]) == 1  # answered once
    empty = await world.discord.submit(
        bea,
        clicked.modal["custom_id"],
        {"answer": " "},
        guild_id=world.guild,
        channel_id=channel_id,
    )
    assert empty.reply.ephemeral and "empty" in empty.reply.content
    async with world.bot.sessions() as session:
        [answer] = (await session.exec(select(PromptAnswer))).all()
    assert answer.text == "Still here."


async def test_respond_with_autocomplete(world: World):
    channel_id = await setup_partnership(world)
    posted = await world.run(
        world.convener, "reflect now", channel_id=channel_id, theme="power", visibility="named"
    )
    assert posted.reply.ephemeral and "Posted prompt #" in posted.reply.content
    [message] = prompts(world, channel_id)
    assert message["nonce"].startswith("pb-post-")
    assert message["embeds"][0]["title"] == "Reflect: Power and say"
    [thread] = threads_of(world, channel_id)
    bea = world.reps[0]
    choices = await world.discord.autocomplete(
        bea,
        "reflect respond",
        "prompt",
        guild_id=world.guild,
        channel_id=int(thread["id"]),
        prompt="",
    )
    [post_id] = choices
    answered = await world.run(
        bea, "reflect respond", channel_id=int(thread["id"]), prompt=post_id, text="Not yet."
    )
    assert answered.reply.ephemeral and "shared in the prompt's thread" in answered.reply.content
    assert len(world.discord.channel_messages(int(thread["id"]))) == 1
    refused = await world.run(world.outsider, "reflect respond", prompt=post_id, text="Hi")
    assert refused.reply.ephemeral and "can't find prompt" in refused.reply.content
    assert f"can't find prompt #{post_id}" in refused.reply.content
    assert (
        await world.discord.autocomplete(
            world.outsider, "reflect respond", "prompt", guild_id=world.guild, prompt=""
        )
        == []
    )
    async with world.bot.sessions() as session:
        assert len((await session.exec(select(PromptAnswer))).all()) == 1


async def test_pause_resume_cancel_and_skip_through_the_tree(world: World):
    channel_id = await setup_partnership(world)
    schedule_id, _ = await schedule(world, channel_id, cadence="weekly", day="friday")
    choices = await world.discord.autocomplete(
        world.convener, "reflect pause", "schedule", guild_id=world.guild, schedule=""
    )
    assert choices == [str(schedule_id)]
    assert (
        await world.discord.autocomplete(
            world.reps[0], "reflect pause", "schedule", guild_id=world.guild, schedule=""
        )
        == []
    )
    paused = await world.run(world.convener, "reflect pause", schedule=str(schedule_id))
    assert "Paused schedule" in paused.reply.content
    for path in ("reflect resume", "reflect cancel", "reflect skip"):
        found = await world.discord.autocomplete(
            world.convener, path, "schedule", guild_id=world.guild, schedule="fri"
        )
        assert found == [str(schedule_id)], path
    refused = await world.run(world.reps[0], "reflect resume", schedule=str(schedule_id))
    assert refused.reply.ephemeral and "Only the conveners" in refused.reply.content
    hidden = await world.run(world.outsider, "reflect cancel", schedule=str(schedule_id))
    assert f"can't find prompt schedule #{schedule_id}" in hidden.reply.content
    resumed = await world.run(world.convener, "reflect resume", schedule=f"#{schedule_id}")
    assert "Resumed" in resumed.reply.content and len(TIMESTAMP.findall(resumed.reply.content)) == 3
    schedules: ScheduleService = world.bot.services.schedules
    skip_day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    skipped = await world.run(world.convener, "reflect skip", channel_id=channel_id, date=skip_day)
    assert f"Skipping {skip_day}" in skipped.reply.content
    ada = Actor(world.guild, world.convener.id, "Ada", manage_guild=True)
    _, [summary] = await schedules.list_schedules(
        SCHEDULE_KIND, ada, PartnershipRef(name="Family Hubs")
    )
    assert summary.schedule.description.endswith("except on 1 holiday")
    assert summary.schedule.state == "active"
    cancelled = await world.run(world.convener, "reflect cancel", schedule=str(schedule_id))
    assert "Cancelled schedule" in cancelled.reply.content
    kinds = await event_kinds(world)
    for kind in ("schedule.paused", "schedule.resumed", "schedule.skipped", "schedule.cancelled"):
        assert kind in kinds


async def test_bad_input_and_permissions_are_ephemeral_and_change_nothing(world: World):
    channel_id = await setup_partnership(world)
    before = await event_kinds(world)
    cases = [
        (world.convener, {"cadence": "weekly", "day": "someday"}, "isn't a day of the week"),
        (world.convener, {"cadence": "daily", "time": "9pm"}, "isn't a time"),
        (world.convener, {"cadence": "cron", "cron": "61 * * * *"}, "out of range"),
        (
            world.convener,
            {"cadence": "cron", "cron": "61 * * * *"},
            "61 is out of range for the minute",
        ),
        (world.convener, {"cadence": "monthly", "day": "0"}, "isn't a day of the month"),
        (world.reps[0], {"cadence": "daily"}, "Only the conveners"),
        (
            world.reps[0],
            {"cadence": "cron", "cron": "* * * * *"},
            "Only the conveners of Family Hubs",
        ),
        (world.outsider, {"cadence": "daily"}, "not a member"),
    ]
    for person, options, message in cases:
        result = await world.run(person, "reflect schedule", channel_id=channel_id, **options)
        assert result.reply.ephemeral and message in result.reply.content, result.reply.content
    now = await world.run(world.reps[0], "reflect now", channel_id=channel_id)
    assert now.reply.ephemeral and "Only the conveners" in now.reply.content
    added = await world.run(
        world.reps[0], "reflect prompt add", channel_id=channel_id, theme="trust", text="Why?"
    )
    assert added.reply.ephemeral and "Only the conveners" in added.reply.content
    listing = await world.run(world.reps[0], "reflect list", channel_id=channel_id)
    assert listing.reply.ephemeral
    assert "Family Hubs has no prompt schedules yet" in listing.reply.content
    elsewhere = await world.discord.invoke(world.reps[0], "reflect list", guild_id=world.guild)
    assert "Which partnership?" in elsewhere.reply.content
    assert await event_kinds(world) == before
    assert prompts(world, channel_id) == []
    async with world.bot.sessions() as session:
        assert (await session.exec(select(Schedule))).all() == []


async def test_prompt_add_then_now_and_an_every_minute_cron(world: World):
    channel_id = await setup_partnership(world)
    added = await world.run(
        world.convener,
        "reflect prompt add",
        channel_id=channel_id,
        theme="small_wins",
        text="What went better than expected this month?",
    )
    assert added.reply.ephemeral and "Small wins" in added.reply.content
    schedule_id, times = await schedule(world, channel_id, cadence="cron", cron="* * * * *")
    assert [b - a for a, b in itertools.pairwise(times)] == [timedelta(minutes=1)] * 2
    for moment in times:
        assert len((await world.bot.scheduler.run_schedule(schedule_id, now=moment)).ran) == 1
        assert (await world.bot.scheduler.run_schedule(schedule_id, now=moment)).ran == []
    assert len(prompts(world, channel_id)) == 3
    titles = [m["embeds"][0]["title"] for m in prompts(world, channel_id)]
    assert titles == ["Reflect: Shared goals", "Reflect: Trust", "Reflect: Power and say"]


async def test_a_new_time_zone_re_times_the_running_triggers(world: World):
    channel_id = await setup_partnership(world)
    schedule_id, _ = await schedule(world, channel_id, cadence="daily", time="09:30")
    await world.bot.scheduler.start()
    try:
        assert world.bot.scheduler.aps is not None
        job = world.bot.scheduler.aps.get_job(f"schedule:{schedule_id}")
        assert job is not None
        london = job.next_run_time.astimezone(UTC)
        await world.run(
            world.convener, "partnership configure", channel_id=channel_id, timezone="Asia/Kolkata"
        )
        job = world.bot.scheduler.aps.get_job(f"schedule:{schedule_id}")
        kolkata = job.next_run_time.astimezone(UTC)
        # 09:30 in Kolkata is 04:00 UTC; in London it is 08:30 or 09:30 UTC.
        assert (kolkata.hour, kolkata.minute) == (4, 0)
        assert (london.hour, london.minute) != (4, 0)
    finally:
        await world.bot.scheduler.shutdown()
