"""The register through discord.py's real dispatch path: payload → tree → cog → service → reply."""

from __future__ import annotations

import pytest

from tests.cogs.conftest import World


async def create(world: World, name: str = "Family Hubs", **options):
    result = await world.run(
        world.convener, "partnership create", name=name, purpose="Joined-up early help", **options
    )
    return result.reply


async def channel_of(world: World, name: str = "Family Hubs") -> int:
    [channel] = [
        c
        for c in world.discord.partnership_channels(world.guild)
        if c["name"] == name.lower().replace(" ", "-")
    ]
    return int(channel["id"])


async def test_create_makes_a_private_channel_under_the_category(world: World):
    reply = await create(world, relationship="enabler", timezone="Europe/London")
    assert reply.ephemeral and "Created **Family Hubs**" in reply.content
    channels = world.discord.channels.values()
    [category] = [c for c in channels if c["type"] == 4]
    assert category["name"] == "Partnerships"
    channel_id = await channel_of(world)
    channel = world.discord.channels[channel_id]
    assert channel["parent_id"] == category["id"]
    everyone = world.discord.overwrite(channel_id, world.guild)
    assert everyone is not None and int(everyone["deny"]) & 1024  # view_channel denied
    assert world.discord.can_view(channel_id, world.convener)
    assert world.discord.can_view(channel_id, world.discord.bot_user)
    [welcome] = world.discord.channel_messages(channel_id)
    assert "Joined-up early help" in welcome["content"]
    assert welcome["allowed_mentions"] == {"parse": []}  # no pings from user text
    # A second partnership reuses the category.
    await create(world, name="Housing Board")
    assert len([c for c in world.discord.channels.values() if c["type"] == 4]) == 1


async def test_create_refuses_bad_input_and_makes_nothing(world: World):
    await create(world)
    before = len(world.discord.channels)
    for options in (
        {"name": "family HUBS"},
        {"name": "Other", "timezone": "Mars/Base"},
        {"name": "x" * 101},
    ):
        result = await world.run(world.convener, "partnership create", purpose="p", **options)
        assert result.reply.ephemeral
        assert any(word in result.reply.content for word in ("already", "time zone", "limit"))
    assert len(world.discord.channels) == before


async def test_create_needs_manage_channels(world: World):
    result = await world.run(world.outsider, "partnership create", name="Mine", purpose="p")
    assert result.reply.ephemeral and "Manage Channels" in result.reply.content
    assert world.discord.partnership_channels(world.guild) == []


async def test_register_three_organisations_and_their_representatives(world: World):
    await create(world)
    orgs = [
        ("Riverside Council", "public"),
        ("Food Bank", "voluntary"),
        ("Parents' Forum", "community_group"),
    ]
    for name, sector in orgs:
        reply = (
            await world.run(
                world.convener,
                "partner add",
                organisation=name,
                sector=sector,
                partnership="Family Hubs",
            )
        ).reply
        assert reply.ephemeral and f"Added **{name}**" in reply.content.replace("\\", "")
    channel_id = await channel_of(world)
    for rep, (org, _sector) in zip(world.reps, orgs, strict=True):
        reply = (
            await world.run(
                world.convener,
                "member add",
                user=rep,
                organisation=org,
                mandate="can_commit",
                channel_id=channel_id,
            )
        ).reply
        assert "representative for" in reply.content
        assert world.discord.can_view(channel_id, rep) and world.discord.can_send(channel_id, rep)
    listing = (await world.run(world.reps[0], "member list", channel_id=channel_id)).reply
    for rep in world.reps:
        assert f"<@{rep.id}>" in listing.text
    assert "4 members" in listing.text
    partners = (await world.run(world.reps[1], "partner list", partnership="Family Hubs")).reply
    assert all(
        name.replace("'", "") in partners.text.replace("\\", "").replace("'", "")
        for name, _ in orgs
    )


async def test_partnership_is_implied_in_its_channel_and_threads(world: World):
    await create(world)
    channel_id = await channel_of(world)
    info = (await world.run(world.convener, "partnership info", channel_id=channel_id)).reply
    assert "Family Hubs" in info.text and "enabler" not in info.text
    thread = await world.discord._create_thread(
        type("R", (), {"channel_id": channel_id})(), {"name": "chat"}, {}
    )
    in_thread = await world.run(world.convener, "partnership info", channel_id=int(thread["id"]))
    assert "Family Hubs" in in_thread.reply.text
    elsewhere = await world.run(world.convener, "member list")
    assert "Which partnership?" in elsewhere.reply.content and elsewhere.reply.ephemeral


async def test_non_members_are_refused_and_learn_no_names(world: World):
    await create(world)
    channel_id = await channel_of(world)
    refused = await world.run(world.outsider, "member list", partnership="Family Hubs")
    assert refused.reply.ephemeral and "can't find a partnership" in refused.reply.content
    in_channel = await world.run(world.outsider, "partnership info", channel_id=channel_id)
    assert "not a member" in in_channel.reply.content and "Family" not in in_channel.reply.content
    listing = await world.run(world.outsider, "partnership list")
    assert "don't belong" in listing.reply.content
    names = await world.discord.autocomplete(
        world.outsider, "member list", "partnership", guild_id=world.guild, partnership="Fam"
    )
    assert names == []
    assert await world.discord.autocomplete(
        world.convener, "member list", "partnership", guild_id=world.guild, partnership="fam"
    ) == ["Family Hubs"]


async def test_another_server_cannot_reach_the_partnership(world: World):
    await create(world)
    result = await world.discord.invoke(
        world.stranger, "partnership info", guild_id=world.other_guild, partnership="Family Hubs"
    )
    assert result.reply.ephemeral and "can't find" in result.reply.content
    listing = await world.discord.invoke(
        world.stranger, "partnership list", guild_id=world.other_guild
    )
    assert "don't belong" in listing.reply.content


async def test_members_cannot_manage_and_the_last_convener_stays(world: World):
    await create(world)
    channel_id = await channel_of(world)
    rep = world.reps[0]
    await world.run(world.convener, "member add", user=rep, channel_id=channel_id)
    refused = await world.run(
        rep, "partner add", organisation="X", sector="other", channel_id=channel_id
    )
    assert refused.reply.ephemeral and "Only the conveners" in refused.reply.content
    last = await world.run(
        world.convener, "member remove", user=world.convener, channel_id=channel_id
    )
    assert "last convener" in last.reply.content


async def test_member_remove_takes_channel_access_away(world: World):
    await create(world)
    channel_id = await channel_of(world)
    rep = world.reps[0]
    await world.run(world.convener, "member add", user=rep, channel_id=channel_id)
    assert world.discord.can_view(channel_id, rep)
    reply = (
        await world.run(world.convener, "member remove", user=rep, channel_id=channel_id)
    ).reply
    assert "has left" in reply.content
    assert world.discord.overwrite(channel_id, rep.id) is None
    history = (await world.run(world.convener, "member history", channel_id=channel_id)).reply
    assert "Bea left the partnership." in history.text and "Bea joined" in history.text


async def test_member_list_as_of_validates_the_date(world: World):
    await create(world)
    channel_id = await channel_of(world)
    bad = await world.run(world.convener, "member list", channel_id=channel_id, as_of="31/03/2026")
    assert bad.reply.ephemeral and "YYYY-MM-DD" in bad.reply.content
    past = await world.run(world.convener, "member list", channel_id=channel_id, as_of="2020-01-01")
    assert "had no members at the end of 2020-01-01" in past.reply.content
    future = await world.run(
        world.convener, "member list", channel_id=channel_id, as_of="2099-01-01"
    )
    assert f"<@{world.convener.id}>" in future.reply.text


async def test_configure_and_archive(world: World):
    await create(world)
    channel_id = await channel_of(world)
    rep = world.reps[0]
    await world.run(world.convener, "member add", user=rep, channel_id=channel_id)
    member_try = await world.run(
        rep, "partnership configure", agreement_rule="majority", channel_id=channel_id
    )
    assert "Only the conveners" in member_try.reply.content
    ok = await world.run(
        world.convener,
        "partnership configure",
        agreement_rule="majority",
        anonymity_threshold=4,
        channel_id=channel_id,
    )
    assert "agreement rule: consensus → majority" in ok.reply.content
    archived = await world.run(world.convener, "partnership archive", channel_id=channel_id)
    assert "read-only" in archived.reply.content
    assert world.discord.can_view(channel_id, rep) and not world.discord.can_send(channel_id, rep)
    again = await world.run(world.convener, "member add", user=world.reps[1], channel_id=channel_id)
    assert again.reply.ephemeral and "archived" in again.reply.content


async def test_server_owner_acts_as_convener_without_membership(world: World):
    await create(world)
    reply = await world.run(
        world.owner,
        "partner add",
        organisation="NHS Trust",
        sector="health",
        partnership="Family Hubs",
    )
    assert "Added **NHS Trust**" in reply.reply.content


@pytest.mark.parametrize("path", ["partnership list", "member list"])
async def test_commands_outside_a_server_are_refused(world: World, path: str):
    result = await world.discord.invoke(world.convener, path, guild_id=None, channel_id=None)
    assert result.reply.ephemeral
    assert "only inside a server" in result.reply.content or "only" in result.reply.content


async def test_unexpected_errors_get_an_apology_with_a_reference(world: World, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(world.bot.services.register, "list_visible", broken)
    result = await world.run(world.convener, "partnership list")
    assert result.reply.ephemeral and "reference" in result.reply.content
    assert "fire" not in result.reply.content


async def test_changes_reach_listeners_once_each_after_the_reply(world: World):
    await create(world)
    seen: list[tuple[int, int]] = []

    async def on_partnership_changed(partnership_id: int) -> None:
        latest = list(world.discord.interactions.values())[-1]
        seen.append((partnership_id, len(latest.replies)))

    world.bot.add_listener(on_partnership_changed)
    options = {"partnership": "Family Hubs"}
    added = await world.run(
        world.convener, "partner add", organisation="NHS Trust", sector="health", **options
    )
    joined = await world.run(world.convener, "member add", user=world.reps[0], **options)
    refused = await world.run(world.reps[0], "partnership configure", count_individuals=True)
    assert refused.reply.ephemeral
    # Announced once per change, when the command had already replied (defer and follow-up).
    assert [replies for _, replies in seen] == [len(added.replies), len(joined.replies)]
    assert len(joined.replies) == 2 and len({pid for pid, _ in seen}) == 1
