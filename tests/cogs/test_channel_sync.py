"""Channel access follows the register: applied after each change, one person's error never
stops the others, Discord failures are retried in the background, and `/partnership repair`
brings a channel back in line."""

from __future__ import annotations

import asyncio

import discord
from sqlmodel import select

from bot import replies
from bot.channels import MEMBER_ACCESS, READ_ONLY, _same, cached_member_overwrites
from bot.pacing import Pacer
from db.models import Partnership
from tests.cogs.conftest import World
from tests.helpers import _Response, route_params

OVERWRITE = ("PUT", "/channels/{channel_id}/permissions/{target}")


async def setup(world: World) -> int:
    await world.run(world.convener, "partnership create", name="Family Hubs", purpose="p")
    [channel] = [c for c in world.discord.partnership_channels(world.guild)]
    channel_id = int(channel["id"])
    for rep in world.reps:
        await world.run(world.convener, "member add", user=rep, channel_id=channel_id)
    return channel_id


def failing(world: World, route: tuple[str, str], error, *, only: int | None = None, times=1):
    """Make Discord fail `times` calls on `route` (for one target only, if given)."""
    original = world.discord.ROUTES[route]
    left = {"n": times}

    async def handler(double, r, body, params):
        target = int(route_params(r).get("target", 0))
        if left["n"] and (only is None or target == only):
            left["n"] -= 1
            raise error
        return await original(double, r, body, params)

    world.discord.ROUTES = {**world.discord.ROUTES, route: handler}


def unknown_member() -> discord.NotFound:
    return discord.NotFound(_Response(404), {"message": "Unknown Member", "code": 10007})


def server_error() -> discord.DiscordServerError:
    return discord.DiscordServerError(_Response(503), {"message": "Service Unavailable"})


async def test_archive_locks_every_member_even_when_one_has_left_the_server(world: World):
    channel_id = await setup(world)
    gone = world.reps[1]
    failing(world, OVERWRITE, unknown_member(), only=gone.id)
    reply = (await world.run(world.convener, "partnership archive", channel_id=channel_id)).reply
    assert "Its channel is now read-only" in reply.content
    assert "no longer exists" not in reply.content
    for person in (world.convener, world.reps[0], world.reps[2]):
        assert world.discord.can_view(channel_id, person)
        assert not world.discord.can_send(channel_id, person), person.name
    assert any("archived" in m["content"] for m in world.discord.channel_messages(channel_id))


async def test_a_discord_failure_is_recorded_retried_and_then_applied(world: World):
    channel_id = await setup(world)
    world.bot.channels.retry_delays = (0.01, 0.01, 0.01)
    newcomer = world.outsider
    failing(world, OVERWRITE, server_error(), only=newcomer.id, times=2)
    reply = (
        await world.run(world.convener, "member add", user=newcomer, channel_id=channel_id)
    ).reply
    assert f"Added <@{newcomer.id}>" in reply.content
    assert "The change is recorded" in reply.content and "keep trying" in reply.content
    assert "nothing was changed" not in reply.content
    # The background retry (the second failure, then success) has run by now.
    assert world.discord.can_view(channel_id, newcomer)
    assert world.discord.can_send(channel_id, newcomer)


async def test_repair_brings_the_channel_back_in_line(world: World):
    channel_id = await setup(world)
    leaver, missing = world.reps[0], world.reps[1]
    # Bea left while Discord was down for good; someone removed Cy's overwrite by hand.
    world.bot.channels.retry_delays = ()
    failing(world, ("DELETE", "/channels/{channel_id}/permissions/{target}"), server_error())
    await world.run(world.convener, "member remove", user=leaver, channel_id=channel_id)
    assert world.discord.can_view(channel_id, leaver)
    channel = world.discord.channels[channel_id]
    channel["permission_overwrites"] = [
        o for o in channel["permission_overwrites"] if o["id"] != str(missing.id)
    ]
    refused = (await world.run(world.reps[2], "partnership repair", channel_id=channel_id)).reply
    assert refused.ephemeral and "Only the conveners" in refused.content
    reply = (await world.run(world.convener, "partnership repair", channel_id=channel_id)).reply
    assert "matches its members" in reply.content and "2 people" in reply.content
    assert not world.discord.can_view(channel_id, leaver)
    assert world.discord.can_view(channel_id, missing) and world.discord.can_send(
        channel_id, missing
    )
    again = (await world.run(world.convener, "partnership repair", channel_id=channel_id)).reply
    assert "Nothing needed changing" in again.content


async def test_a_slow_write_is_acknowledged_while_it_waits_and_a_quick_one_answers_at_once(
    world: World, monkeypatch
):
    """A write can queue behind another change of its partnership: if it has not finished
    within `DEFER_AFTER`, Discord hears "thinking…" from us while it waits; a write that
    finishes first is answered at once, in one response."""
    monkeypatch.setattr(replies, "DEFER_AFTER", 0.05)
    channel_id = await setup(world)
    seen: list[int] = []
    start = {"at": 0}
    register = world.bot.services.register
    original = register.set_partner_status

    async def slow_write(*args, **kwargs):
        await asyncio.sleep(0.5)  # queued behind another write
        calls = world.discord.calls[start["at"] :]
        seen.extend(c.body.get("type", -1) for c in calls if c.path.endswith("/callback"))
        return await original(*args, **kwargs)

    await world.run(
        world.convener,
        "partner add",
        organisation="Council",
        sector="public",
        channel_id=channel_id,
    )
    start["at"] = len(world.discord.calls)
    quick = await world.run(
        world.convener,
        "partner status",
        organisation="Council",
        status="associate",
        channel_id=channel_id,
    )
    callbacks = [
        c.body.get("type")
        for c in world.discord.calls[start["at"] :]
        if c.path.endswith("/callback")
    ]
    assert callbacks == [4]  # CHANNEL_MESSAGE_WITH_SOURCE: no deferral first
    assert quick.reply.ephemeral and "associate" in quick.reply.content

    monkeypatch.setattr(register, "set_partner_status", slow_write)
    start["at"] = len(world.discord.calls)
    result = await world.run(
        world.convener,
        "partner status",
        organisation="Council",
        status="core",
        channel_id=channel_id,
    )
    assert seen == [5]  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE, while the write still waited
    assert result.reply.ephemeral and "core" in result.reply.content


async def test_repair_makes_a_channel_for_a_partnership_without_one(world: World):
    """An imported partnership has no channel in its new server; repair gives it one."""
    old_channel = await setup(world)
    async with world.bot.sessions() as session:
        [row] = (await session.exec(select(Partnership))).all()
        row.channel_id = None
        session.add(row)
        await session.commit()
    refused = (
        await world.run(world.reps[0], "partnership repair", partnership="Family Hubs")
    ).reply
    assert "Only the conveners" in refused.content
    reply = (await world.run(world.convener, "partnership repair", partnership="Family Hubs")).reply
    assert "had no channel here, so I made <#" in reply.content, reply.content
    assert "matches its members" in reply.content
    new_channel = int(reply.content.split("<#")[1].split(">")[0])
    assert new_channel != old_channel
    for person in (world.convener, *world.reps):
        assert world.discord.can_view(new_channel, person) and world.discord.can_send(
            new_channel, person
        )
    assert not world.discord.can_view(new_channel, world.outsider)
    again = (await world.run(world.convener, "partnership repair", partnership="Family Hubs")).reply
    assert "made" not in again.content and "Nothing needed changing" in again.content
    log = (await world.run(world.convener, "log show", partnership="Family Hubs")).reply
    assert "a new channel, as it had none" in str(log.embeds)


async def test_the_repair_at_start_paces_every_request_it_makes(world: World):
    """The repair at start is background work: its channel reads (of a channel the gateway has
    not given the bot) and every overwrite it changes are counted against the rate scheduled
    posts keep under (`bot.pacing`), and a channel Discord fails to answer for is retried later,
    paced too."""
    channel_id = await setup(world)
    second = await world.run(world.convener, "partnership create", name="Food Club", purpose="p")
    assert "Food Club" in second.reply.content
    channel = world.discord.channels[channel_id]
    # Two people's overwrites removed by hand while the bot was away.
    gone = {str(world.reps[0].id), str(world.reps[2].id)}
    channel["permission_overwrites"] = [
        o for o in channel["permission_overwrites"] if o["id"] not in gone
    ]
    sync = world.bot.channels
    sync.retry_delays = (0.01,)
    sync.pacer = Pacer.unpaced()  # counts what it is asked to spend
    sync.cached = lambda _channel_id: None  # no gateway copy of the channels: read from Discord
    world.discord.fail_next("GET", "/channels/{channel_id}", server_error())  # the first read
    before = len(world.discord.calls)
    await sync.repair_all([world.guild])
    assert sync._retries  # the failed read, tried again in the background
    await asyncio.gather(*sync._retries.values())
    made = world.discord.calls[before:]
    assert [c.method for c in made].count("PUT") == 2, made
    assert len(made) == 5  # three reads (one failed, then retried) and two overwrites
    assert sync.pacer.spent == len(made)
    for rep in world.reps:
        assert world.discord.can_view(channel_id, rep) and world.discord.can_send(channel_id, rep)


async def test_the_gateway_copy_of_a_channel_gives_its_members_overwrites(world: World):
    """What the repair at start reads instead of asking Discord: a cached channel's overwrites
    for members, by id, whether or not the member is cached; roles' are left out."""
    channel_id = await setup(world)
    channel = world.bot.get_channel(channel_id)
    assert isinstance(channel, discord.TextChannel)
    current = cached_member_overwrites(channel)
    # Made with the channel: the bot's own and its creator's (the cache saw no later change).
    assert set(current) == {world.discord.app_id, world.convener.id}
    allow, deny = MEMBER_ACCESS.pair()
    assert _same(current[world.convener.id], MEMBER_ACCESS)
    assert (current[world.convener.id]["allow"], current[world.convener.id]["deny"]) == (
        allow.value,
        deny.value,
    )
    assert world.guild not in current  # @everyone's overwrite is a role's (its id is the server's)
    assert not _same(current[world.convener.id], READ_ONLY)
