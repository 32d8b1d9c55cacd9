"""/trust through discord.py's real dispatch path: the invitation, both ways of answering, the
check-in form click by click, status, results, reminders, the summary with its chart, and the
schedule action. The service's own rules (privacy, figures, exactly-once) are tested with the
service; here, what people see and that the Discord side asks the service the right things."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
from sqlmodel import select

from db.models import Schedule, Timer, TimerState
from tests import discord_payloads as payloads
from tests.cogs._goal_hubs import Hubs, hubs
from tests.cogs.conftest import World
from tests.helpers import Interaction, Person, Reply, _Response, now_iso, snowflake

CHECKIN_ID = re.compile(r"partnerbot:trust:ci:(\d+):([-x0-5]{5}[-ynu][01]):([a-z]{1,2})")
TIMESTAMP = re.compile(r"<t:(\d+):F>")
V2 = 1 << 15


class MovedClock:
    """The service's clock, moved by the test."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def move_clock(world: World) -> MovedClock:
    clock = MovedClock()
    world.bot.services.trust.clock = clock
    return clock


def posts(world: World, channel_id: int) -> list[dict[str, Any]]:
    """What the bot posted in the channel after its welcome."""
    return [
        m
        for m in world.discord.channel_messages(channel_id)
        if not (m.get("content") or "").startswith("Welcome to")
    ]


def walk(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for component in components:
        found.append(component)
        found += walk(component.get("components") or [])
        if isinstance(component.get("component"), dict):
            found += walk([component["component"]])
    return found


def controls(reply: Reply) -> dict[str, dict[str, Any]]:
    """The check-in message's selects and buttons, by their action."""
    found = {}
    for component in walk(reply.components):
        match = CHECKIN_ID.fullmatch(component.get("custom_id", ""))
        if match:
            found[match[3]] = component
    return found


def texts(reply: Reply) -> str:
    return "\n".join(c.get("content", "") for c in walk(reply.components) if c.get("type") == 10)


async def component(
    world: World,
    person: Person,
    form: Reply,
    custom_id: str,
    channel_id: int,
    *,
    values: list[str] | None = None,
    kind: int = 3,
    modal_values: dict[str, Any] | None = None,
) -> Interaction:
    """Click a button or choose in a select of the (ephemeral) check-in message, or send the
    comment form opened from it: Discord sends the message along, as it does for real."""
    double = world.discord
    message = payloads.message(
        snowflake(),
        channel_id,
        double.bot_user.user_payload(),
        form.data,
        timestamp=now_iso(),
        flags=form.data.get("flags") or 0,
        type=payloads.CHAT_INPUT_COMMAND_MESSAGE,
    )
    payload, record = double._base_payload(kind, person, world.guild, channel_id)
    payload["message"] = message
    if kind == 3:
        payload["data"] = {
            "custom_id": custom_id,
            "component_type": 3 if values is not None else 2,
            **({"values": values} if values is not None else {}),
        }
    else:
        rows = []
        for key, value in (modal_values or {}).items():
            if isinstance(value, list):
                rows.append(
                    {"type": 18, "component": {"type": 3, "custom_id": key, "values": value}}
                )
            else:
                rows.append(payloads.action_row([payloads.text_input_value(key, value)]))
        payload["data"] = payloads.modal_submit_data(custom_id, rows)
    return await double._dispatch(payload, record)


async def open_round(world: World, h: Hubs, **options) -> Reply:
    result = await world.run(world.convener, "trust open", channel_id=h.channel, **options)
    assert result.reply.ephemeral, result.reply.content
    return result.reply


async def answer(world: World, person: Person, channel_id: int, **options) -> Reply:
    reply = (await world.run(person, "trust checkin", channel_id=channel_id, **options)).reply
    assert reply.ephemeral, reply.content
    return reply


async def test_open_posts_an_invitation_that_mentions_nobody(world: World):
    h = await hubs(world)
    refused = await world.run(h.council, "trust open", channel_id=h.channel)
    assert refused.reply.ephemeral and "Only the conveners" in refused.reply.content
    assert posts(world, h.channel) == []
    reply = await open_round(world, h, window="2h")
    assert "Opened trust check-in round #" in reply.content and "Invitation posted" in reply.content
    [invitation] = posts(world, h.channel)
    assert invitation["allowed_mentions"] == {"parse": []} and "<@" not in invitation["content"]
    assert (
        "/trust checkin" in invitation["content"]
        and "Only you see your answers" in (invitation["content"])
    )
    assert "facilitator" not in invitation["content"]
    again = await world.run(world.convener, "trust open", channel_id=h.channel)
    assert again.reply.ephemeral and len(posts(world, h.channel)) == 1


async def test_a_named_pairs_round_says_so_and_a_small_partnership_is_warned(world: World):
    h = await hubs(world)
    await open_round(world, h, pairwise=True, named_pairs=True)
    [invitation] = posts(world, h.channel)
    assert (
        "facilitator will see how each organisation rated each other one" in (invitation["content"])
    )
    assert "/trust rate" in invitation["content"]
    # Elsewhere, a partnership with one organisation: results can never be shown.
    await world.run(world.convener, "partnership create", name="Tiny", purpose="Small")
    [tiny] = [c for c in world.discord.partnership_channels(world.guild) if c["name"] == "tiny"]
    tiny_id = int(tiny["id"])
    await world.run(
        world.convener,
        "partner add",
        organisation="Solo Trust",
        sector="voluntary",
        channel_id=tiny_id,
    )
    await world.run(
        world.convener,
        "member add",
        user=world.outsider,
        organisation="Solo Trust",
        channel_id=tiny_id,
    )
    reply = (await world.run(world.convener, "trust open", channel_id=tiny_id)).reply
    assert "Results cannot be shown" in reply.content, reply.content
    assert "cannot be shown" in posts(world, tiny_id)[0]["content"]


async def test_both_ways_of_answering_replacement_status_and_results(world: World):
    h = await hubs(world)
    await open_round(world, h)
    # The one-command form: every item optional, a missing one is "don't know".
    first = await answer(
        world, h.council, h.channel, expectations="4", follow_through="2", small_win="yes"
    )
    assert "kept your answer" in first.content
    again = await answer(
        world,
        h.council,
        h.channel,
        expectations="5",
        follow_through="3",
        reliance="4",
        fair_say="2",
        small_win="yes",
        comment="Good month",
        share_comment=True,
    )
    assert "replaced your earlier answer" in again.content
    await answer(
        world,
        h.foodbank,
        h.channel,
        expectations="3",
        follow_through="3",
        reliance="2",
        fair_say="4",
        small_win="no",
    )
    # The convener sees who has answered, never what.
    status = (await world.run(world.convener, "trust status", channel_id=h.channel)).reply
    assert status.ephemeral and f"<@{h.council.id}>" in status.content
    assert f"<@{h.forum.id}>" in status.content.split("Not yet", 1)[1]
    assert "Good month" not in status.content and "strongly" not in status.content
    assert status.data["allowed_mentions"] == {"parse": []}
    member = await world.run(h.council, "trust status", channel_id=h.channel)
    assert "Only the conveners" in member.reply.content
    # Results stay hidden until close.
    hidden = (await world.run(h.council, "trust summary", channel_id=h.channel)).reply
    assert "No trust check-in round has closed yet" in hidden.text
    assert "Good month" not in hidden.text
    await answer(world, h.forum, h.channel, expectations="4", reliance="3", small_win="yes")
    closed = await world.run(world.convener, "trust close", channel_id=h.channel)
    assert closed.reply.ephemeral and "posted its results" in closed.reply.content
    results = posts(world, h.channel)[-1]
    [embed] = results["embeds"]
    text = embed["description"]
    # Three organisations, each weighing the same: (5 + 3 + 4) / 3 = 4.0, (4 + 2 + 3) / 3 = 3.0;
    # follow-through from two organisations only (the forum didn't say) is not shown.
    assert "3 organisations answered" in text
    assert "Clear expectations (forming expectations): **4.0**" in text
    assert "Willingness to rely (risk taking): **3.0**" in text
    assert "Follow-through (expectations met): **not enough answers**" in text
    assert "Small wins: 2 people said yes." in text
    assert "Good month" in str(embed["fields"])
    assert results["allowed_mentions"] == {"parse": []}
    late = await world.run(h.forum, "trust checkin", channel_id=h.channel, expectations="1")
    assert late.reply.ephemeral and "Thank you" not in late.reply.content


async def test_the_check_in_form_click_by_click(world: World):
    h = await hubs(world)
    await open_round(world, h)
    opened = await world.run(h.council, "trust checkin", channel_id=h.channel)
    form = opened.reply
    assert form.ephemeral and form.data["flags"] & V2 and form.type == 4
    parts = controls(form)
    # Four selects, then the small win's answer sends: five clicks (no own-capacity item here).
    assert set(parts) == {"e", "f", "r", "p", "c", "sy", "sn", "su"}
    assert "Not an arc of the loop but a condition for sustaining it" in texts(form)
    assert "Riverside Council" in texts(form)
    steps = [("e", ["4"]), ("f", ["3"]), ("r", ["0"]), ("p", ["2"])]
    for action, values in steps:
        clicked = await component(
            world, h.council, form, parts[action]["custom_id"], h.channel, values=values
        )
        form = clicked.reply
        assert clicked.replies[-1].type == 7, clicked.replies  # the same message, redrawn
        parts = controls(form)
    chosen = [o["value"] for o in parts["e"]["options"] if o.get("default")]
    assert chosen == ["4"]
    # The comment has a form of its own, with the warning; sending it redraws the message.
    modal = (await component(world, h.council, form, parts["c"]["custom_id"], h.channel)).modal
    assert "can still identify who wrote it" in str(modal)
    comment = "We *finally* met <@123> & agreed: next steps \\o/"
    sent = await component(
        world,
        h.council,
        form,
        modal["custom_id"],
        h.channel,
        kind=5,
        modal_values={"comment": comment, "small_win_text": "Joint leaflet", "share": ["1"]},
    )
    form = sent.reply
    assert "shared anonymously" in texts(form) and "<@123>" not in texts(form)
    parts = controls(form)
    assert parts["sy"]["label"] == "Yes, send"
    submitted = await component(world, h.council, form, parts["sy"]["custom_id"], h.channel)
    assert [r.type for r in submitted.replies][:1] == [6]
    assert "kept your answer" in submitted.reply.data["components"][0]["content"]
    # What was stored is what was chosen, the comment exactly as written.
    form_again = (await world.run(h.council, "trust checkin", channel_id=h.channel)).reply
    previous = controls(form_again)
    assert [o["value"] for o in previous["f"]["options"] if o.get("default")] == ["3"]
    assert [o["value"] for o in previous["r"]["options"] if o.get("default")] == ["0"]
    assert "\\*finally\\*" in texts(form_again)
    assert controls(form_again)["sy"]["label"] == "Yes, send (as before)"
    resent = await component(
        world, h.council, form_again, controls(form_again)["sy"]["custom_id"], h.channel
    )
    assert "replaced your earlier answer" in resent.reply.data["components"][0]["content"]
    await answer(world, h.foodbank, h.channel, expectations="4")
    await answer(world, h.forum, h.channel, expectations="4")
    await world.run(world.convener, "trust close", channel_id=h.channel)
    [field] = posts(world, h.channel)[-1]["embeds"][0]["fields"]
    shared = field["value"]
    assert "\\*finally\\*" in shared  # shown as written, no Markdown


async def test_a_form_of_a_round_that_closed_is_refused_politely(world: World):
    h = await hubs(world)
    await open_round(world, h)
    form = (await world.run(h.council, "trust checkin", channel_id=h.channel)).reply
    await world.run(world.convener, "trust close", channel_id=h.channel)
    submit = controls(form)["su"]["custom_id"]
    refused = await component(world, h.council, form, submit, h.channel)
    assert refused.reply.ephemeral
    assert "Thank you" not in str(refused.reply.data)


async def test_bad_input_is_polite_and_changes_nothing(world: World):
    h = await hubs(world)
    nothing = await world.run(h.council, "trust checkin", channel_id=h.channel)
    assert nothing.reply.ephemeral and nothing.reply.content
    bad = await world.run(world.convener, "trust open", channel_id=h.channel, window="soon")
    assert bad.reply.ephemeral and "isn't a window I understand" in bad.reply.content
    short = await world.run(world.convener, "trust open", channel_id=h.channel, window="0m")
    assert "at least one minute" in short.reply.content
    assert posts(world, h.channel) == []
    await open_round(world, h)
    lone = await world.run(h.council, "trust checkin", channel_id=h.channel, share_comment=True)
    assert lone.reply.ephemeral and "no comment to share" in lone.reply.content
    unrated = await world.run(
        h.council,
        "trust rate",
        channel_id=h.channel,
        organisation="Food Bank",
        reliability=3,
        openness=3,
        mission=3,
    )
    assert unrated.reply.ephemeral and "Thank you" not in unrated.reply.content
    status = (await world.run(world.convener, "trust status", channel_id=h.channel)).reply
    assert "Answered (0)" in status.content


async def test_rate_offers_the_other_organisations_of_a_pairwise_round(world: World):
    h = await hubs(world)
    await open_round(world, h, pairwise=True)
    offered = await world.discord.autocomplete(
        h.council,
        "trust rate",
        "organisation",
        guild_id=world.guild,
        channel_id=h.channel,
        organisation="",
    )
    assert sorted(offered) == ["Food Bank", "Parents' Forum"]
    rated = await world.run(
        h.council,
        "trust rate",
        channel_id=h.channel,
        organisation="Food Bank",
        reliability=4,
        openness=3,
        mission=4,
    )
    assert rated.reply.ephemeral and "kept your rating of **Food Bank**" in rated.reply.content


async def test_reminders_go_only_to_those_who_have_not_answered_then_results_post(world: World):
    h = await hubs(world)
    clock = move_clock(world)
    await open_round(world, h, window="10m")
    await answer(world, h.council, h.channel, expectations="4")
    await answer(world, h.foodbank, h.channel, expectations="3")
    await world.bot.timers.run_due(clock.now())
    assert world.discord.dm_messages(h.forum.id) == []  # not yet 80 %
    clock.offset = timedelta(minutes=8, seconds=30)
    forbidden = discord.Forbidden(_Response(403), {"message": "Cannot send", "code": 50007})
    world.discord.fail_next("POST", "/users/@me/channels", forbidden)  # the first DM fails
    await world.bot.timers.run_due(clock.now())
    waiting = [world.convener, h.forum]
    reached = [p for p in waiting if world.discord.dm_messages(p.id)]
    missed = [p for p in waiting if not world.discord.dm_messages(p.id)]
    assert len(reached) == 1 and len(missed) == 1
    assert world.discord.dm_messages(h.council.id) == []
    assert world.discord.dm_messages(h.foodbank.id) == []
    [dm] = world.discord.dm_messages(reached[0].id)
    assert "/trust checkin" in dm["content"]
    [mention] = [m for m in posts(world, h.channel) if "direct message" in m["content"]]
    assert mention["allowed_mentions"]["users"] == [missed[0].id]
    assert mention["allowed_mentions"]["parse"] == []
    assert (
        f"<@{missed[0].id}>" in mention["content"]
        and f"<@{reached[0].id}>" not in (mention["content"])
    )
    before = len(posts(world, h.channel))
    await world.bot.timers.run_due(clock.now())  # reminded once only
    assert (
        len(posts(world, h.channel)) == before
        and len(world.discord.dm_messages(reached[0].id)) == 1
    )
    clock.offset = timedelta(minutes=11)
    await world.bot.timers.run_due(clock.now())
    [closing] = posts(world, h.channel)[before:]
    assert "not enough answers to show results" in closing["content"]
    await world.bot.timers.run_due(clock.now())
    assert len(posts(world, h.channel)) == before + 1


async def test_results_that_fail_to_post_for_now_are_posted_on_retry(world: World):
    h = await hubs(world)
    clock = move_clock(world)
    await open_round(world, h, window="10m")
    before = len(posts(world, h.channel))
    clock.offset = timedelta(minutes=11)
    unavailable = discord.DiscordServerError(_Response(503), {"message": "Service Unavailable"})
    world.discord.fail_next("POST", "/channels/{channel_id}/messages", unavailable)
    fired = await world.bot.timers.run_due(clock.now())
    assert len(fired.retrying) == 1 and posts(world, h.channel)[before:] == []
    async with world.bot.sessions() as session:
        [closing] = (await session.exec(select(Timer).where(Timer.kind == "trust.close"))).all()
    assert closing.state == TimerState.retrying and closing.next_attempt_at is not None
    fired = await world.bot.timers.run_due(closing.next_attempt_at)
    assert fired.done == [closing.id]
    [results] = posts(world, h.channel)[before:]
    assert "not enough answers to show results" in results["content"]
    await world.bot.timers.run_due(closing.next_attempt_at + timedelta(minutes=5))
    assert len(posts(world, h.channel)) == before + 1


async def test_summary_has_the_chart_and_no_named_pairs_for_a_convener(world: World):
    h = await hubs(world)
    await open_round(world, h, pairwise=True, named_pairs=True)
    for rep, value in ((h.council, "4"), (h.foodbank, "3"), (h.forum, "5")):
        await answer(world, rep, h.channel, expectations=value, small_win="no")
    for rater, others in (
        (h.council, ("Food Bank", "Parents' Forum")),
        (h.foodbank, ("Riverside Council", "Parents' Forum")),
        (h.forum, ("Riverside Council", "Food Bank")),
    ):
        for org in others:
            await world.run(
                rater,
                "trust rate",
                channel_id=h.channel,
                organisation=org,
                reliability=4,
                openness=4,
                mission=3,
            )
    await world.run(world.convener, "trust close", channel_id=h.channel)
    result = await world.run(world.convener, "trust summary", channel_id=h.channel)
    reply = result.reply
    assert reply.ephemeral
    [embed] = reply.embeds
    assert embed["image"]["url"] == "attachment://trust-trend.png"
    assert [a["filename"] for a in reply.data["attachments"]] == ["trust-trend.png"]
    assert "Clear expectations" in reply.text and "4.0" in reply.text
    assert "Density" in reply.text
    assert "Named pairs" not in reply.text and "→" not in reply.text
    for rep in (h.council, h.foodbank):
        own = (await world.run(rep, "trust summary", channel_id=h.channel)).reply
        assert "Named pairs" not in own.text and "→" not in own.text


async def test_a_facilitator_reads_named_pairs_only_of_a_named_pairs_round(world: World):
    h = await hubs(world)
    facilitator = world.outsider
    added = await world.run(
        world.convener,
        "member add",
        user=facilitator,
        capacity="facilitator",
        channel_id=h.channel,
    )
    assert added.reply.ephemeral and "Added" in added.reply.content, added.reply.content
    for named in (False, True):
        await open_round(world, h, pairwise=True, named_pairs=named)
        for rater, org in (
            (h.council, "Food Bank"),
            (h.foodbank, "Riverside Council"),
            (h.forum, "Riverside Council"),
            (h.council, "Parents' Forum"),
            (h.foodbank, "Parents' Forum"),
            (h.forum, "Food Bank"),
        ):
            await world.run(
                rater,
                "trust rate",
                channel_id=h.channel,
                organisation=org,
                reliability=4 if rater is h.council else 1,
                openness=4,
                mission=4,
            )
        await world.run(world.convener, "trust close", channel_id=h.channel)
        seen = (await world.run(facilitator, "trust summary", channel_id=h.channel)).reply
        assert ("Named pairs (for you as facilitator only)" in seen.text) is named, seen.text
        convener = (await world.run(world.convener, "trust summary", channel_id=h.channel)).reply
        assert "Named pairs" not in convener.text and "→" not in convener.text
    assert "Riverside Council → Food Bank" in seen.text or "Food Bank → Riverside Council" in (
        seen.text
    )
    for message in posts(world, h.channel):  # nothing in the channel names a pair either
        assert "→" not in str(message)


async def test_people_in_their_own_capacity_get_their_own_item(world: World):
    h = await hubs(world)
    await open_round(world, h)
    form = (await world.run(world.convener, "trust checkin", channel_id=h.channel)).reply
    parts = controls(form)
    assert "l" in parts and "listen to people like me" in texts(form)
    assert "in your own capacity" in texts(form)
    chosen = await component(
        world, world.convener, form, parts["l"]["custom_id"], h.channel, values=["5"]
    )
    assert [o["value"] for o in controls(chosen.reply)["l"]["options"] if o.get("default")] == ["5"]
    rep = (await world.run(h.council, "trust checkin", channel_id=h.channel, listened="4")).reply
    assert rep.ephemeral and "Thank you" not in rep.content


async def test_a_scheduled_round_opens_once_and_posts_its_invitation(world: World):
    h = await hubs(world)
    reply = (
        await world.run(
            world.convener,
            "trust schedule",
            channel_id=h.channel,
            cadence="daily",
            time="07:15",
            window="2h",
        )
    ).reply
    assert reply.ephemeral and "Scheduled trust check-in rounds" in reply.content, reply.content
    assert "Each round stays open for 2 hours" in reply.content
    schedule_id = int(re.search(r"schedule #(\d+)", reply.content)[1])  # type: ignore[index]
    first = datetime.fromtimestamp(int(TIMESTAMP.findall(reply.content)[0]), UTC)
    async with world.bot.sessions() as session:
        [row] = (await session.exec(select(Schedule))).all()
    assert (row.kind, row.options) == ("trust", {"window": "2h"})
    outcome = await world.bot.scheduler.run_schedule(schedule_id, now=first)
    assert len(outcome.ran) == 1
    [invitation] = posts(world, h.channel)
    assert invitation["nonce"].startswith("pb-occ-") and "/trust checkin" in invitation["content"]
    assert (await world.bot.scheduler.run_schedule(schedule_id, now=first)).ran == []
    listing = (await world.run(world.convener, "trust schedules", channel_id=h.channel)).reply
    assert f"#{schedule_id}" in listing.content and "Each round open for 2 hours" in (
        listing.content
    )
    paused = await world.run(world.convener, "trust pause", schedule=str(schedule_id))
    assert "Paused check-in schedule" in paused.reply.content
    bad = await world.run(
        world.convener, "trust schedule", channel_id=h.channel, cadence="daily", window="never"
    )
    assert "isn't a window I understand" in bad.reply.content
