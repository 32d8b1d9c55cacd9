"""/partnership health through discord.py's real dispatch path: one private embed with its chart
attached, user text escaped, nobody pinged, the partnership implied in its channel or chosen
with autocomplete, non-members refused."""

from __future__ import annotations

from sqlmodel import select

from db.models import Goal
from tests.cogs._goal_hubs import Hubs, hubs
from tests.cogs.conftest import World

CHART = "partnership-health.png"


def check_chart(reply) -> None:
    [embed] = reply.embeds
    assert embed["image"]["url"] == f"attachment://{CHART}"
    assert [a["filename"] for a in reply.data["attachments"]] == [CHART]


async def goal_id(world: World) -> int:
    async with world.bot.sessions() as session:
        [goal] = (await session.exec(select(Goal))).all()
        assert goal.id is not None
        return goal.id


async def test_a_healthy_partnership_says_so_with_its_chart(world: World):
    h: Hubs = await hubs(world)
    result = await world.run(h.forum, "partnership health", channel_id=h.channel)
    reply = result.reply
    assert reply.ephemeral
    assert reply.data["allowed_mentions"] == {"parse": []}
    check_chart(reply)
    [embed] = reply.embeds
    assert embed["title"] == "Partnership health: Family Hubs"
    assert "Nothing to discuss right now." in embed["description"]
    assert "representatives and substitutes of the 3 core or associate partners" in reply.text
    assert "Thresholds and sources" in embed["footer"]["text"]


async def test_signals_name_goals_and_organisations_escaped_with_next_steps(world: World):
    h = await hubs(world)
    hostile = "$Costs$ *Bold* @everyone"
    await world.run(
        world.convener,
        "partner add",
        organisation=hostile,
        sector="other",
        channel_id=h.channel,
    )
    await world.run(h.council, "goal propose", channel_id=h.channel, title="Share **case** notes")
    await world.run(
        h.foodbank,
        "goal endorse",
        channel_id=h.channel,
        goal=str(await goal_id(world)),
        stance="object",
    )
    result = await world.run(h.council, "partnership health", partnership="Family Hubs")
    reply = result.reply
    assert reply.ephemeral and reply.data["allowed_mentions"] == {"parse": []}
    check_chart(reply)  # a name with dollars doesn't break the chart
    [embed] = reply.embeds
    assert embed["description"].startswith("2 signals of collaborative inertia to discuss")
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert list(fields) == ["Attention · Objections", "Attention · Organisations without a voice"]
    objection = fields["Attention · Objections"]
    assert "Share \\*\\*case\\*\\* notes" in objection and "Food Bank · objecting" in objection
    assert "`/reflect now theme:Shared goals`" in objection and "**Next step:**" in objection
    voice = fields["Attention · Organisations without a voice"]
    assert "\\*Bold\\*" in voice and "@\u200beveryone" in voice and "core partner" in voice
    assert "`/reflect now theme:Membership`" in voice and "/member add" in voice
    assert len(embed["description"]) + sum(len(n) + len(v) for n, v in fields.items()) < 6000


async def test_non_members_are_refused_and_autocomplete_offers_only_their_own(world: World):
    h = await hubs(world)
    in_channel = await world.run(world.outsider, "partnership health", channel_id=h.channel)
    assert in_channel.reply.ephemeral and "not a member" in in_channel.reply.content
    assert not in_channel.reply.embeds
    named = await world.run(world.outsider, "partnership health", partnership="Family Hubs")
    assert "can't find a partnership called “Family Hubs”" in named.reply.content
    offered = await world.discord.autocomplete(
        h.council, "partnership health", "partnership", guild_id=world.guild, partnership="fam"
    )
    assert offered == ["Family Hubs"]
    hidden = await world.discord.autocomplete(
        world.outsider,
        "partnership health",
        "partnership",
        guild_id=world.guild,
        partnership="fam",
    )
    assert hidden == []
    # Nowhere to imply it from: the command asks which partnership.
    elsewhere = await world.run(h.council, "partnership health")
    assert "Which partnership?" in elsewhere.reply.content
