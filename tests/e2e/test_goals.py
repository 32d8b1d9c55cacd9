"""Goals, from the point of view of the people using them, against the real bot process.

Only what needs the real process or Discord's own rules is here: people without standing are
refused by the rules Discord enforces (a member the bot could not shut out, option lengths,
archived channels), and the buttons on a message posted before a restart still work after it.
Proposing, the matrix, stances, the agreement rules, links and review are journeys through
discord.py's dispatch in `tests/cogs/test_goal_routing.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from .conftest import World
from .fake_discord import (
    DEFAULT_BOT_PERMISSIONS,
    Callback,
    FakeDiscord,
    FakeUsageError,
    Mark,
    Perm,
    RecordedRequest,
    Reply,
)
from .harness import BotProcess

pytestmark = pytest.mark.e2e

JSON = dict[str, Any]
COUNCIL, NHS, VOLUNTARY = "Riverside Council", "Riverside NHS Trust", "Riverside Voluntary Action"
ORGANISATIONS = {COUNCIL: "public", NHS: "health", VOLUNTARY: "voluntary"}
EDIT = "PATCH /channels/{channel_id}/messages/{message_id}"


@dataclass
class Hub:
    """Riverside Health: its channel, and one representative for each core organisation."""

    channel: JSON
    council: JSON  # Alice
    nhs: JSON  # Bob
    voluntary: JSON  # Carol


@dataclass
class Posted:
    """A proposed goal and the message it was posted as."""

    id: int
    message_id: int


def as_seen(message: JSON) -> Reply:
    """A channel message as a `Reply`, for its `plain` text and `custom_ids`."""
    return Reply(Callback.CHANNEL_MESSAGE_WITH_SOURCE, message=message)


def fields(reply: Reply) -> dict[str, str]:
    """The first embed's fields, name → value, Markdown escapes resolved."""
    return {
        f["name"]: re.sub(r"\\([^A-Za-z0-9\s])", r"\1", f["value"])
        for f in reply.embeds[0].get("fields") or []
    }


@pytest.fixture
async def hub(fake: FakeDiscord, world: World, bot: BotProcess) -> Hub:
    """The convener creates Riverside Health and registers three organisations and their
    representatives (Alice, Bob, Carol), from inside its channel."""
    created = await fake.run(
        world.convener,
        world.guild,
        world.general,
        "partnership create",
        name="Riverside Health",
        purpose="Join up hospital discharge and community support.",
    )
    match = re.search(r"<#(\d+)>", created.content)
    assert match, created
    channel = fake.channel(int(match.group(1)))
    assert channel is not None
    for organisation, sector in ORGANISATIONS.items():
        reply = await fake.run(
            world.convener,
            world.guild,
            channel,
            "partner add",
            organisation=organisation,
            sector=sector,
        )
        assert f"Added **{organisation}**" in reply.content, reply
    for person, organisation in zip(
        (world.alice, world.bob, world.carol), ORGANISATIONS, strict=True
    ):
        reply = await fake.run(
            world.convener,
            world.guild,
            channel,
            "member add",
            user=person,
            organisation=organisation,
            mandate="can_commit",
        )
        assert "representative for " + organisation in reply.content, reply
    return Hub(channel, world.alice, world.bob, world.carol)


def goal_messages(fake: FakeDiscord, hub: Hub, goal_id: int) -> list[JSON]:
    return [
        m
        for m in fake.messages(hub.channel)
        if m["embeds"] and m["embeds"][0]["title"].startswith(f"Goal #{goal_id}:")
    ]


def matrix(fake: FakeDiscord, goal: Posted) -> str:
    """What the channel shows now on the goal's posted message."""
    return as_seen(_message(fake, goal)).plain


async def propose(
    fake: FakeDiscord, world: World, hub: Hub, title: str, *, by: JSON | None = None, **options: Any
) -> Posted:
    reply = await fake.run(
        by or hub.council, world.guild, hub.channel, "goal propose", title=title, **options
    )
    assert reply.ephemeral, reply
    match = re.search(r"Proposed goal #(\d+)", reply.content)
    assert match, reply
    assert f"posted in <#{hub.channel['id']}>" in reply.content, reply
    goal_id = int(match.group(1))
    [message] = goal_messages(fake, hub, goal_id)
    assert message["author"]["id"] == str(fake.bot.id)
    return Posted(goal_id, int(message["id"]))


async def edited(
    fake: FakeDiscord,
    goal: Posted,
    since: Mark,
    showing: str | re.Pattern[str],
    *,
    within: float = 10.0,
) -> None:
    """The bot edited the goal's own message in place (not a new post) after `since`, to show
    `showing` (text, or a pattern). Redraws for other reasons may come and go meanwhile, each
    showing the state when it was drawn, so waiting for just any edit would race."""

    def shows(request: RecordedRequest) -> bool:
        body = request.json or {}
        drawn = as_seen({"content": "", "embeds": body.get("embeds") or []}).plain
        found = showing in drawn if isinstance(showing, str) else showing.search(drawn)
        return request.params.get("message_id") == str(goal.message_id) and bool(found)

    edit = await fake.wait_for_request(EDIT, since=since, predicate=shows, timeout=within)
    assert edit.status == 200, edit


def stance_line(reply: Reply, stance: str, comment: str | None) -> re.Pattern[str]:
    """The matrix line the stance acknowledged in `reply` should produce."""
    match = re.search(r"Recorded: \*\*(.+?)\*\* ", reply.content)
    assert match, reply
    said = f" — “{comment}”" if comment else ""
    return re.compile(
        re.escape(f"**{match.group(1)}**: {stance}")
        + r"( \(since agreement\))?"
        + re.escape(said)
        + "$",
        re.MULTILINE,
    )


async def by_button(
    fake: FakeDiscord, person: JSON, goal: Posted, stance: str, comment: str = ""
) -> Reply:
    """Click a stance button on the posted goal: the form opens as the first response, and
    nothing changes until it is sent; send it; the message is then edited in place."""
    before = fields(as_seen(_message(fake, goal)))
    mark = fake.mark()
    click = await fake.click(person, goal.message_id, f"partnerbot:goal:stance:{goal.id}:{stance}")
    form = await click.response()
    assert form.callback_type == Callback.MODAL, form
    assert form.modal is not None
    assert form.modal["custom_id"] == f"partnerbot:goal:form:{goal.id}:{stance}"
    assert form.custom_ids == ["comment"]
    assert fields(as_seen(_message(fake, goal))) == before
    sent = await fake.submit_modal(person, click, {"comment": comment})
    reply = await sent.response()
    assert reply.ephemeral, reply
    if "Recorded" in reply.content:
        await edited(fake, goal, mark, stance_line(reply, stance, comment))
    return reply


def _message(fake: FakeDiscord, goal: Posted) -> JSON:
    message = fake.message(goal.message_id)
    assert message is not None
    return message


async def show(fake: FakeDiscord, world: World, hub: Hub, person: JSON, goal: Posted) -> Reply:
    reply = await fake.run(person, world.guild, hub.channel, "goal show", goal=str(goal.id))
    assert reply.ephemeral and reply.embeds, reply
    return reply


# ----------------------------------------------------------------------------- refusing


async def test_people_without_standing_and_bad_input_are_refused(
    fake: FakeDiscord, world: World, hub: Hub
) -> None:
    goal = await propose(fake, world, hub, "Every patient leaves hospital with a plan")
    agree = f"partnerbot:goal:stance:{goal.id}:agree"

    # Oscar was in the partnership once; when he left, the bot could not take his access away
    # (it had lost Manage Roles), so he still sees the channel and its buttons.
    await fake.run(world.convener, world.guild, hub.channel, "member add", user=world.outsider)
    await fake.set_bot_permissions(world.guild, DEFAULT_BOT_PERMISSIONS & ~Perm.MANAGE_ROLES)
    left = await fake.run(
        world.convener, world.guild, hub.channel, "member remove", user=world.outsider
    )
    assert "has left" in left.content and "couldn't change their access" in left.content, left
    await fake.set_bot_permissions(world.guild, DEFAULT_BOT_PERMISSIONS)
    assert fake.can_view(world.outsider, hub.channel)

    click = await fake.click(world.outsider, goal.message_id, agree)
    refused = await click.response()
    assert refused.callback_type == Callback.CHANNEL_MESSAGE_WITH_SOURCE, refused
    assert refused.ephemeral and refused.modal is None
    assert refused.content == "I can't find that goal among the partnerships you belong to."
    # The same answer as for a goal that does not exist, from anywhere.
    for number in (goal.id, 987654):
        asked = await fake.run(
            world.outsider, world.guild, world.general, "goal show", goal=str(number)
        )
        assert asked.content == refused.content and not asked.embeds, asked
    # An observer with no organisation follows goals but takes no stance.
    obi = fake.add_member(world.guild, "Obi Observer")
    added = await fake.run(
        world.convener, world.guild, hub.channel, "member add", user=obi, capacity="observer"
    )
    assert "Added <@" in added.content, added
    click = await fake.click(obi, goal.message_id, agree)
    observer = await click.response()
    assert observer.callback_type == Callback.CHANNEL_MESSAGE_WITH_SOURCE, observer
    assert observer.ephemeral and "Observers follow goals but don't take a stance" in (
        observer.content
    )
    typed = await fake.run(
        obi, world.guild, hub.channel, "goal endorse", goal=str(goal.id), stance="agree"
    )
    assert typed.ephemeral and "Observers follow goals" in typed.content
    # Nothing was recorded for either of them.
    shown = await show(fake, world, hub, hub.council, goal)
    assert "Coverage: 0 of 3 organisations" in shown.plain
    assert "Obi" not in shown.plain and "Oscar" not in shown.plain
    assert "Coverage: 0 of 3 organisations" in matrix(fake, goal)

    # Over-long titles never reach the bot: it registered the limit, and Discord enforces it.
    [command] = [c for c in fake.commands(world.guild) if c["name"] == "goal"]
    [propose_command] = [o for o in command["options"] if o["name"] == "propose"]
    [title_option] = [o for o in propose_command["options"] if o["name"] == "title"]
    assert title_option["max_length"] == 200
    with pytest.raises(FakeUsageError, match="must be 1-200 characters"):
        await fake.invoke(hub.council, world.guild, hub.channel, "goal propose", title="x" * 201)
    for options, words in (
        ({"title": "   "}, "The title can't be empty."),
        ({"title": "Soon", "review_on": "31/12/2026"}, "YYYY-MM-DD"),
        ({"title": "Theirs", "organisation": NHS}, f"Only {NHS}'s own representatives"),
    ):
        reply = await fake.run(hub.council, world.guild, hub.channel, "goal propose", **options)
        assert reply.ephemeral and words in reply.content, (options, reply)
    # At the limit, with Markdown everywhere, it is posted and its embed title fits.
    longest = await propose(fake, world, hub, "*_" * 100)
    message = fake.message(longest.message_id)
    assert message is not None and len(message["embeds"][0]["title"]) <= 256

    listing = await fake.run(hub.council, world.guild, hub.channel, "goal list")
    assert listing.embeds[0]["footer"]["text"].startswith("2 goals"), listing
    assert len([m for m in fake.messages(hub.channel) if m["embeds"]]) == 2

    # Once the partnership is archived, its posted goals lose their buttons, and a stance by
    # command is refused kindly.
    archived = await fake.run(world.convener, world.guild, hub.channel, "partnership archive")
    assert "Archived **Riverside Health**" in archived.content, archived
    closed_message = await fake.wait_for_message(
        hub.channel,
        lambda m: m["id"] == str(goal.message_id) and not m.get("components"),
    )
    assert "archived: stances are closed" in closed_message["embeds"][0]["footer"]["text"]
    closed = await fake.run(
        hub.council, world.guild, hub.channel, "goal endorse", goal=str(goal.id), stance="agree"
    )
    assert closed.ephemeral
    assert "Riverside Health is archived, so its goals can't be changed." in closed.content


# ----------------------------------------------------------------------------- persistence


async def test_buttons_posted_before_a_restart_work_after_it(
    fake: FakeDiscord, world: World, bot: BotProcess, hub: Hub
) -> None:
    goal = await propose(fake, world, hub, "Every patient leaves hospital with a plan")
    other = await propose(fake, world, hub, "One referral form", by=hub.nhs)
    await by_button(fake, hub.council, goal, "agree", "Before the restart")
    # Bob opens the form before the restart and sends it after.
    opened = await fake.click(hub.nhs, goal.message_id, f"partnerbot:goal:stance:{goal.id}:unsure")
    assert (await opened.response()).callback_type == Callback.MODAL

    await bot.restart()
    assert len(fake.identifies) == 2

    mark = fake.mark()
    sent = await fake.submit_modal(hub.nhs, opened, {"comment": "Sent after the restart"})
    late = await sent.response()
    assert f"Recorded: **{NHS}** is unsure about goal #{goal.id}" in late.content, late
    await edited(fake, goal, mark, f"**{NHS}**: unsure — “Sent after the restart”")

    # The old message's button, handled by the new process: the form opens, the stance counts.
    last = await by_button(fake, hub.voluntary, goal, "agree", "After the restart")
    assert "agreed" not in last.content  # Bob is unsure: no consensus yet
    changed = await by_button(fake, hub.nhs, goal, "reservations")
    assert "It was unsure." in changed.content
    assert "the goal is now **agreed**" in changed.content, changed
    now = matrix(fake, goal)
    assert "Status\nagreed" in now
    assert "“Before the restart”" in now and "“After the restart”" in now

    listing = await fake.run(hub.voluntary, world.guild, hub.channel, "goal list")
    assert listing.ephemeral
    assert f"`#{goal.id}` **Every patient leaves hospital with a plan** · agreed · agreed" in (
        listing.plain
    )
    assert f"`#{other.id}` **One referral form** · proposed · 0/3 in favour" in listing.plain
    assert len(goal_messages(fake, hub, goal.id)) == 1
