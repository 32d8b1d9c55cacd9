"""Posted goal messages are redrawn from one load of the goal web, and only when they changed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import col, select

import bot.services.goals.web as goal_web
from db.models import Goal
from tests.cogs._goal_hubs import ORGS, hubs
from tests.cogs.conftest import World
from tests.helpers import Person, snowflake

EDIT = ("PATCH", "/channels/{channel_id}/messages/{message_id}")


async def family_hubs(world: World) -> int:
    """Family Hubs with three partner organisations and their representatives: its channel."""
    return (await hubs(world)).channel


async def posted_goals(world: World, channel_id: int, count: int) -> list[int]:
    for n in range(count):
        await world.run(world.reps[0], "goal propose", channel_id=channel_id, title=f"Goal {n}")
    async with world.bot.sessions() as session:
        goals = (await session.exec(select(Goal).order_by(col(Goal.id)))).all()
    assert all(g.message_id is not None for g in goals)
    return [g.id for g in goals if g.id is not None]


def edited_goals(world: World, since: int) -> list[int]:
    """The goals whose messages the bot edited since the `since`-th call, in order."""
    return [
        int(call.body["embeds"][0]["title"].split(":")[0].removeprefix("Goal #"))
        for call in world.discord.calls[since:]
        if (call.method, call.path) == EDIT
    ]


@pytest.fixture
def web_loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the goal web is loaded (one entry per load)."""
    loads: list[int] = []
    load_web = goal_web.load_web

    async def counted(*args: Any, **kwargs: Any) -> goal_web.GoalWeb:
        loads.append(1)
        return await load_web(*args, **kwargs)

    monkeypatch.setattr(goal_web, "load_web", counted)
    return loads


async def test_a_membership_change_loads_the_web_once_and_edits_only_changed_cards(
    world: World, web_loads: list[int]
):
    channel_id = await family_hubs(world)
    first, *others = await posted_goals(world, channel_id, 4)
    citizen = Person(snowflake(), "Cit")
    await world.run(
        world.convener, "member add", user=citizen, capacity="citizen", channel_id=channel_id
    )
    mark = len(world.discord.calls)
    heard = await world.run(
        citizen, "goal endorse", channel_id=channel_id, goal=str(first), stance="object"
    )
    assert "Recorded your own stance" in heard.reply.content
    assert edited_goals(world, mark) == [first]

    # A representative of a partner already shown joins: no posted card changes.
    mark, loads = len(world.discord.calls), len(web_loads)
    extra = Person(snowflake(), "Eli")
    await world.run(
        world.convener, "member add", user=extra, organisation=ORGS[1], channel_id=channel_id
    )
    assert len(web_loads) - loads == 1
    assert edited_goals(world, mark) == []

    # The citizen leaves: only the goal they took a stance on shows something else now.
    mark, loads = len(world.discord.calls), len(web_loads)
    await world.run(world.convener, "member remove", user=citizen, channel_id=channel_id)
    assert len(web_loads) - loads == 1
    assert edited_goals(world, mark) == [first]

    # A new partner organisation appears on every posted card: each is edited, once.
    mark, loads = len(world.discord.calls), len(web_loads)
    await world.run(
        world.convener,
        "partner add",
        organisation="Riverside Housing",
        sector="voluntary",
        channel_id=channel_id,
    )
    assert len(web_loads) - loads == 1
    assert sorted(edited_goals(world, mark)) == [first, *others]


async def test_an_older_card_never_overwrites_a_newer_one(world: World):
    channel_id = await family_hubs(world)
    [goal_id] = await posted_goals(world, channel_id, 1)
    cog = world.bot.get_cog("Goals")  # loaded as an extension: its own copy of the module
    assert cog is not None and type(cog).__name__ == "GoalCog"
    [before] = await world.bot.services.goals.posted_cards(await _partnership_id(world, goal_id))
    await world.run(
        world.reps[1], "goal endorse", channel_id=channel_id, goal=str(goal_id), stance="agree"
    )
    mark = len(world.discord.calls)
    # Drawn before the stance: it would hide the stance, so it is not drawn.
    await cog.messages.redraw([before])  # type: ignore[attr-defined]
    assert edited_goals(world, mark) == []
    [message] = [
        m for m in world.discord.channel_messages(channel_id) if m["embeds"] and m["components"]
    ]
    assert "**Food Bank**: agree" in str(message["embeds"][0])


async def _partnership_id(world: World, goal_id: int) -> int:
    async with world.bot.sessions() as session:
        goal = await session.get(Goal, goal_id)
        assert goal is not None
        return goal.partnership_id
