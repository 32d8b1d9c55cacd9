"""Shared set-up for the goal routing tests: Family Hubs with three core organisations, and
ways to read the posted goal and press its buttons through the in-process Discord double."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlmodel import select

from db.models import Goal, GoalStance
from tests.cogs.conftest import World
from tests.helpers import DiscordDouble, Person, Reply

ORGS = ("Riverside Council", "Food Bank", "Parents' Forum")
EDIT = "/channels/{channel_id}/messages/{message_id}"
POST = "/channels/{channel_id}/messages"
MAJORITY = "Majority: more than half of the 3 core organisations agree or have reservations."


@dataclass
class Hubs:
    channel: int
    council: Person
    foodbank: Person
    forum: Person


async def hubs(world: World) -> Hubs:
    """Family Hubs with three core organisations, each with its representative."""
    await world.run(
        world.convener, "partnership create", name="Family Hubs", purpose="Joined-up early help"
    )
    [channel] = [
        c for c in world.discord.partnership_channels(world.guild) if c["name"] == "family-hubs"
    ]
    channel_id = int(channel["id"])
    for org in ORGS:
        await world.run(
            world.convener,
            "partner add",
            organisation=org,
            sector="voluntary",
            channel_id=channel_id,
        )
    for rep, org in zip(world.reps, ORGS, strict=True):
        await world.run(
            world.convener, "member add", user=rep, organisation=org, channel_id=channel_id
        )
    council, foodbank, forum = world.reps
    return Hubs(channel_id, council, foodbank, forum)


async def propose(world: World, h: Hubs, title: str = "Every family knows where to go", **options):
    result = await world.run(
        world.reps[0], "goal propose", channel_id=h.channel, title=title, **options
    )
    return result.reply


def goal_message(world: World, h: Hubs, goal_id: int, double: DiscordDouble | None = None) -> dict:
    double = double or world.discord
    [message] = [
        m
        for m in double.channel_messages(h.channel)
        if m["embeds"] and m["embeds"][0]["title"].startswith(f"Goal #{goal_id}:")
    ]
    return message


def embed_text(message: dict[str, Any]) -> str:
    embed = message["embeds"][0]
    parts = [embed.get("title") or "", embed.get("description") or ""]
    parts += [f"{f['name']}\n{f['value']}" for f in embed.get("fields") or []]
    parts.append((embed.get("footer") or {}).get("text") or "")
    return "\n".join(parts).replace("\\", "")


def fields(reply: Reply) -> dict[str, str]:
    """The first embed's fields, name → value, Markdown escapes resolved."""
    return {
        f["name"]: re.sub(r"\\([^A-Za-z0-9\s])", r"\1", f["value"])
        for f in reply.embeds[0].get("fields") or []
    }


def edits_of(world: World, message: dict[str, Any]) -> list:
    """The bot's edits of one channel message."""
    return [
        c
        for c in world.discord.calls
        if c.method == "PATCH" and c.path == EDIT and c.url.endswith(f"/{message['id']}")
    ]


def posts(world: World) -> list:
    return [c for c in world.discord.calls if c.method == "POST" and c.path == POST]


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in message["components"] for c in row["components"]]


async def goal_ids(world: World) -> list[int]:
    async with world.bot.sessions() as s:
        return [g.id for g in (await s.exec(select(Goal).order_by(Goal.id))).all()]


async def stance_count(world: World) -> int:
    async with world.bot.sessions() as s:
        return len((await s.exec(select(GoalStance))).all())


async def by_button(
    world: World,
    h: Hubs,
    person: Person,
    goal_id: int,
    stance: str,
    comment: str = "",
    double: DiscordDouble | None = None,
):
    """Click a stance button, check the form opened first, then submit it."""
    double = double or world.discord
    message = goal_message(world, h, goal_id, double)
    custom_id = f"partnerbot:goal:stance:{goal_id}:{stance}"
    assert custom_id in custom_ids(message)
    before = await stance_count(world)
    click = await double.click(person, message, custom_id, guild_id=world.guild)
    assert [r.type for r in click.replies] == [9], click.replies  # the form is the first response
    form = click.modal
    assert form["custom_id"] == f"partnerbot:goal:form:{goal_id}:{stance}"
    assert await stance_count(world) == before  # nothing is kept before the form is sent
    return await double.submit(
        person, form["custom_id"], {"comment": comment}, guild_id=world.guild, channel_id=h.channel
    )
