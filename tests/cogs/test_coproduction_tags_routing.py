"""Small wins and goals name the co-production phase they concern (Nabatchi, Sancino & Sicilia
2017), through discord.py's real dispatch path: stored, and shown in the post, the goal card
and `/goal show`."""

from __future__ import annotations

from sqlmodel import select

from db.models import Event, Goal
from tests.cogs._goal_hubs import embed_text, fields, goal_ids, goal_message, hubs, propose
from tests.cogs.conftest import World


async def test_a_small_win_names_its_phase(world: World):
    h = await hubs(world)
    logged = await world.run(
        h.council,
        "log note",
        channel_id=h.channel,
        text="Parents redesigned the referral form",
        kind="small_win",
        phase="design",
    )
    assert logged.reply.ephemeral and "Logged small win" in logged.reply.content
    posted = world.discord.channel_messages(h.channel)[-1]
    assert "co-production phase: design" in posted["content"]
    async with world.bot.sessions() as session:
        [event] = (await session.exec(select(Event).where(Event.kind == "note.small_win"))).all()
    assert event.payload["phase"] == "design"
    assert "It concerns the design phase of co-production." in event.summary
    refused = await world.run(
        h.council, "log note", channel_id=h.channel, text="A plain note", phase="delivery"
    )
    assert refused.reply.ephemeral and "Only a small win names" in refused.reply.content


async def test_a_goal_names_its_phase_when_proposed_and_classified(world: World):
    h = await hubs(world)
    await propose(world, h, phase="delivery")
    [goal_id] = await goal_ids(world)
    assert "Co-production phase: delivery" in embed_text(goal_message(world, h, goal_id))
    changed = await world.run(
        world.convener, "goal classify", channel_id=h.channel, goal=str(goal_id), phase="assessment"
    )
    assert "phase: delivery → assessment" in changed.reply.content
    shown = await world.run(h.foodbank, "goal show", channel_id=h.channel, goal=str(goal_id))
    assert "Co-production phase: assessment" in fields(shown.reply)["Kind of goal"]
    assert "Co-production phase: assessment" in embed_text(goal_message(world, h, goal_id))
    await world.run(
        world.convener, "goal classify", channel_id=h.channel, goal=str(goal_id), phase="none"
    )
    async with world.bot.sessions() as session:
        goal = (await session.exec(select(Goal))).one()
        updates = (await session.exec(select(Event).where(Event.kind == "goal.updated"))).all()
    assert goal.phase is None
    assert [u.payload["changes"]["phase"] for u in updates] == [
        {"from": "delivery", "to": "assessment"},
        {"from": "assessment", "to": None},
    ]
    shown = await world.run(h.foodbank, "goal show", channel_id=h.channel, goal=str(goal_id))
    assert "Co-production phase" not in fields(shown.reply)["Kind of goal"]


async def test_goal_list_filters_by_phase(world: World):
    h = await hubs(world)
    await propose(world, h, phase="design")
    await propose(world, h, title="Shared waiting list")
    design, plain = await goal_ids(world)
    listed = await world.run(h.foodbank, "goal list", channel_id=h.channel, phase="design")
    text = listed.reply.text.replace("\\", "")
    assert listed.reply.embeds[0]["title"].endswith("(design)")
    assert f"#{design}" in text and f"#{plain}" not in text
    every = (await world.run(h.foodbank, "goal list", channel_id=h.channel)).reply.text
    assert f"#{design}" in every and f"#{plain}" in every
    empty = await world.run(h.foodbank, "goal list", channel_id=h.channel, phase="delivery")
    assert "has no goals (delivery) yet" in empty.reply.content
    assert "Propose one" not in empty.reply.content
