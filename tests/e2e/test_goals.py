"""Goals, from the point of view of the people using them, against the real bot process.

A representative proposes a goal; it is posted in the partnership's channel with its agreement
matrix and four stance buttons. Each organisation answers with a button (which opens a short
form) or with `/goal endorse`; the posted message is edited in place, and the goal is agreed the
moment the partnership's rule is met. Goals link into parts with rolled-up progress, `/goal
review` says what needs attention, people without standing are refused and learn nothing, and
the buttons on a message posted before a restart still work after it.
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
STANCES = ("agree", "reservations", "unsure", "object")
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


def member_id(member: JSON) -> int:
    return int(member["user"]["id"])


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


async def endorse(
    fake: FakeDiscord,
    world: World,
    hub: Hub,
    person: JSON,
    goal: Posted,
    stance: str,
    comment: str | None = None,
) -> Reply:
    mark = fake.mark()
    options = {"comment": comment} if comment else {}
    reply = await fake.run(
        person,
        world.guild,
        hub.channel,
        "goal endorse",
        goal=str(goal.id),
        stance=stance,
        **options,
    )
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


# ----------------------------------------------------------------------------- proposing


async def test_a_proposal_is_posted_with_its_matrix_and_four_buttons(
    fake: FakeDiscord, world: World, hub: Hub
) -> None:
    goal = await propose(
        fake,
        world,
        hub,
        "Every patient leaves hospital with a plan",
        description="One front door, **no** wrong door.",
    )

    message = fake.message(goal.message_id)
    assert message is not None
    seen = as_seen(message)
    assert message["embeds"][0]["title"] == (
        f"Goal #{goal.id}: Every patient leaves hospital with a plan"
    )
    assert "\\*\\*no\\*\\*" in message["embeds"][0]["description"]  # their Markdown, escaped
    lines = [line for line in seen.plain.splitlines() if ": not yet" in line]
    assert lines == [f"▫️ **{org}**: not yet" for org in ORGANISATIONS], seen.plain
    assert "Coverage: 0 of 3 organisations have a stance." in seen.plain
    assert "Consensus: all 3 core organisations agree or have reservations" in seen.plain
    assert fields(seen)["Status"] == "proposed"
    assert fields(seen)["Progress"] == "not set"

    [row] = message["components"]
    buttons = row["components"]
    assert [b["label"] for b in buttons] == ["Agree", "Reservations", "Unsure", "Object"]
    assert [b["style"] for b in buttons] == [3, 1, 2, 4]  # green, blurple, grey, red
    assert seen.custom_ids == [f"partnerbot:goal:stance:{goal.id}:{s}" for s in STANCES]

    post = fake.calls("POST /channels/{channel_id}/messages")[-1]
    assert post.json["allowed_mentions"]["parse"] == []
    # Only the welcome and the goal: nothing else was posted.
    assert len(fake.messages(hub.channel)) == 2


# ----------------------------------------------------------------------------- agreeing


async def test_three_stances_by_button_and_command_agree_the_goal(
    fake: FakeDiscord, world: World, hub: Hub
) -> None:
    goal = await propose(fake, world, hub, "Every patient leaves hospital with a plan")

    first = await by_button(fake, hub.council, goal, "agree", "With a shared data agreement")
    assert f"Recorded: **{COUNCIL}** agrees with goal #{goal.id}" in first.content, first
    assert "agreed" not in first.content
    now = matrix(fake, goal)
    assert f"✅ **{COUNCIL}**: agree — “With a shared data agreement”" in now
    assert f"▫️ **{NHS}**: not yet" in now
    assert "Coverage: 1 of 3 organisations" in now

    # The goal option autocompletes to the goal's number.
    choices = await fake.autocomplete_choices(
        hub.nhs, world.guild, hub.channel, "goal endorse", "goal", goal="every patient"
    )
    assert [c["value"] for c in choices] == [str(goal.id)]
    second = await endorse(
        fake, world, hub, hub.nhs, goal, "reservations", comment="Needs winter funding"
    )
    assert f"Recorded: **{NHS}** has reservations about goal #{goal.id}" in second.content
    assert f"🟡 **{NHS}**: reservations — “Needs winter funding”" in matrix(fake, goal)

    third = await by_button(fake, hub.voluntary, goal, "agree")
    assert "That meets the consensus rule: the goal is now **agreed**." in third.content, third

    # One message throughout, edited in place; it shows the agreement and stays open.
    [message] = goal_messages(fake, hub, goal.id)
    assert int(message["id"]) == goal.message_id and message["edited_timestamp"]
    seen = as_seen(message)
    assert fields(seen)["Status"] == "agreed"
    assert "Coverage: 3 of 3 organisations" in seen.plain
    assert re.search(r"Agreed <t:\d+:f> under the consensus rule\.", seen.plain), seen.plain
    assert f"✅ **{VOLUNTARY}**: agree" in seen.plain
    assert len(seen.custom_ids) == 4  # stances stay open after agreement
    edits = [c for c in fake.calls(EDIT) if c.params["message_id"] == str(goal.message_id)]
    assert len(edits) >= 3 and all(c.status == 200 for c in edits)
    assert not fake.calls("POST /channels/{channel_id}/messages")[2:]  # welcome, goal only

    shown = await show(fake, world, hub, hub.nhs, goal)
    details = fields(shown)
    assert details["Status"] == "agreed"
    assert "Agreed <t:" in shown.text and "under the consensus rule" in shown.text
    assert f"**{NHS}**: reservations — “Needs winter funding”" in shown.plain
    assert f"<@{member_id(hub.council)}>" in details["Proposed"]
    assert details["Message"].endswith(f"/{hub.channel['id']}/{goal.message_id}")


async def test_an_objection_blocks_consensus_and_majority_agrees_on_more_than_half(
    fake: FakeDiscord, world: World, hub: Hub
) -> None:
    training = await propose(fake, world, hub, "Joint discharge training")
    await by_button(fake, hub.council, training, "agree")
    objection = await by_button(fake, hub.nhs, training, "object", "Our wards can't release staff")
    assert f"**{NHS}** objects to goal #{training.id}" in objection.content
    last = await endorse(fake, world, hub, hub.voluntary, training, "agree")
    assert "agreed" not in last.content, last
    now = matrix(fake, training)
    assert "Status\nproposed" in now
    assert "2 so far; 1 objecting." in now
    assert f"⛔ **{NHS}**: object — “Our wards can't release staff”" in now

    mark = fake.mark()
    done = await fake.run(
        world.convener,
        world.guild,
        hub.channel,
        "partnership configure",
        agreement_rule="majority",
    )
    assert "consensus → majority" in done.content, done
    # The posted matrix is redrawn under the new rule: met, but not agreed behind anyone's back.
    majority = "Majority: more than half of the 3 core organisations agree or have reservations."
    await edited(fake, training, mark, f"{majority} 2 so far; 2 needed.")
    assert "Status\nproposed" in matrix(fake, training)

    referral = await propose(fake, world, hub, "One referral form")
    assert f"{majority} 0 so far; 2 needed." in matrix(fake, referral)
    await by_button(fake, hub.nhs, referral, "object")
    first = await endorse(fake, world, hub, hub.council, referral, "agree")
    assert "agreed" not in first.content
    second = await by_button(fake, hub.voluntary, referral, "reservations", "Pilot first")
    assert "That meets the majority rule: the goal is now **agreed**." in second.content
    now = matrix(fake, referral)
    assert "Status\nagreed" in now and "under the majority rule" in now

    # Review says the blocked goal meets the rule now, for a convener to mark it agreed.
    review = await fake.run(hub.council, world.guild, hub.channel, "goal review")
    assert "The agreement rule is met now: a convener can mark it agreed" in review.plain


async def test_an_organisation_joining_later_is_not_yet_asked(
    fake: FakeDiscord, world: World, hub: Hub
) -> None:
    agreed = await propose(fake, world, hub, "Every patient leaves hospital with a plan")
    for person in (hub.council, hub.nhs, hub.voluntary):
        await endorse(fake, world, hub, person, agreed, "agree")
    assert "Status\nagreed" in matrix(fake, agreed)
    pending = await propose(fake, world, hub, "One referral form")

    mark = fake.mark()
    joined = await fake.run(
        world.convener,
        world.guild,
        hub.channel,
        "partner add",
        organisation="Riverside Housing",
        sector="public",
    )
    assert "Added **Riverside Housing**" in joined.content, joined

    shown = await show(fake, world, hub, hub.council, agreed)
    assert "▫️ **Riverside Housing**: not yet asked" in shown.plain
    assert "Coverage: 3 of 4 organisations" in shown.plain
    assert "Status\nagreed" in shown.plain  # agreement is an event: it stands
    other = await show(fake, world, hub, hub.council, pending)
    assert "**Riverside Housing**: not yet" in other.plain
    assert "not yet asked" not in other.plain

    # The posted matrices are redrawn for the newcomer.
    await edited(fake, agreed, mark, "**Riverside Housing**: not yet asked")
    await edited(fake, pending, mark, "**Riverside Housing**: not yet\n")


# ----------------------------------------------------------------------------- links, review


async def test_parts_roll_up_and_a_loop_is_refused(
    fake: FakeDiscord, world: World, hub: Hub
) -> None:
    whole = await propose(fake, world, hub, "Fewer delayed discharges")
    north = await propose(fake, world, hub, "Discharge hub in the north")
    south = await propose(fake, world, hub, "Discharge hub in the south")

    async def link(person: JSON, goal: Posted, other: Posted, relation: str) -> Reply:
        reply = await fake.run(
            person,
            world.guild,
            hub.channel,
            "goal link",
            goal=str(goal.id),
            other=str(other.id),
            relation=relation,
        )
        assert reply.ephemeral, reply
        return reply

    refused = await link(hub.council, north, whole, "part_of")
    assert "Only the conveners of Riverside Health can link goals." in refused.content
    for part, title in (
        (north, "Discharge hub in the north"),
        (south, "Discharge hub in the south"),
    ):
        linked = await link(world.convener, part, whole, "part_of")
        assert linked.content == (
            f"Linked: goal #{part.id} **{title}** is part of "
            f"goal #{whole.id} **Fewer delayed discharges**."
        ), linked
    for relation in ("part_of", "contributes_to"):
        loop = await link(world.convener, whole, north, relation)
        assert "That would make a loop" in loop.content, loop
        assert "Linked" not in loop.content

    before = await show(fake, world, hub, hub.voluntary, whole)
    assert fields(before)["Progress"] == "not set (none of its 2 parts has progress yet)"

    for part, progress, mean in ((north, 20, 20), (south, 70, 45)):
        mark = fake.mark()
        updated = await fake.run(
            world.convener,
            world.guild,
            hub.channel,
            "goal update",
            goal=str(part.id),
            progress=progress,
        )
        assert f"progress: unset → {progress}%" in updated.content, updated
        # The parent's posted message follows its parts.
        await edited(fake, whole, mark, f"Progress\n{mean}% (mean of its parts)")

    shown = await show(fake, world, hub, hub.voluntary, whole)
    details = fields(shown)
    assert details["Progress"] == "45% (mean of its parts)"
    assert f"has part #{north.id} Discharge hub in the north (proposed)" in details["Links"]
    assert f"has part #{south.id} Discharge hub in the south (proposed)" in details["Links"]
    part = await show(fake, world, hub, hub.voluntary, north)
    assert fields(part)["Progress"] == "20%"
    assert f"is part of #{whole.id} Fewer delayed discharges" in fields(part)["Links"]
    assert "Progress\n45% (mean of its parts)" in matrix(fake, whole)


async def test_review_lists_what_needs_attention(fake: FakeDiscord, world: World, hub: Hub) -> None:
    quiet = await fake.run(hub.voluntary, world.guild, hub.channel, "goal review")
    assert quiet.ephemeral
    assert quiet.content == "Nothing needs attention among Riverside Health's goals."

    overdue = await propose(fake, world, hub, "Shared discharge data", review_on="2020-01-01")
    training = await propose(fake, world, hub, "Joint discharge training")
    await endorse(fake, world, hub, hub.nhs, training, "object", comment="No cover for wards")
    await endorse(fake, world, hub, hub.voluntary, training, "agree")
    settled = await propose(fake, world, hub, "One referral form")
    for person in (hub.council, hub.nhs, hub.voluntary):
        await endorse(fake, world, hub, person, settled, "agree")
    changed = await by_button(fake, hub.nhs, settled, "reservations", "Winter pressures")
    assert "It was agree." in changed.content, changed

    review = await fake.run(hub.voluntary, world.guild, hub.channel, "goal review")
    assert review.ephemeral
    embed = review.embeds[0]
    assert embed["title"] == "Goals needing attention in Riverside Health"
    items = fields(review)
    assert items[f"#{overdue.id} Shared discharge data (proposed)"].splitlines() == [
        "📅 Review date passed: 2020-01-01",
        f"▫️ No stance yet from {COUNCIL}, {NHS}, {VOLUNTARY}",
    ]
    assert items[f"#{training.id} Joint discharge training (proposed)"].splitlines() == [
        f"⛔ Objection from {NHS}",
        f"▫️ No stance yet from {COUNCIL}",
    ]
    assert items[f"#{settled.id} One referral form (agreed)"].splitlines() == [
        f"🟡 Since it was agreed: {NHS} (reservations)",
    ]
    assert "Stale means proposed more than 30 days ago" in embed["footer"]["text"]

    # From outside the channel, naming the partnership; and the list agrees.
    elsewhere = await fake.run(
        hub.voluntary, world.guild, world.general, "goal review", partnership="Riverside Health"
    )
    assert elsewhere.embeds == review.embeds
    listing = await fake.run(hub.voluntary, world.guild, hub.channel, "goal list")
    assert f"`#{training.id}` **Joint discharge training** · proposed · 1/3 in favour" in (
        listing.plain
    )
    assert f"`#{settled.id}` **One referral form** · agreed · agreed · 3/3 stances" in (
        listing.plain
    )


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
