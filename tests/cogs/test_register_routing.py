"""The register through discord.py's real dispatch path: payload → tree → cog → service → reply.

Creating, registering, refusing and bad input live here; what needs the real process or
Discord's permission arithmetic (another server after a global sync, archiving, Discord
trouble, restarts) is in `tests/e2e/test_register.py`."""

from __future__ import annotations

import discord
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
    assert channel["name"] == "family-hubs"
    assert channel["parent_id"] == category["id"]
    assert channel["topic"].startswith("Joined-up early help")
    everyone = world.discord.overwrite(channel_id, world.guild)
    assert everyone is not None and int(everyone["deny"]) & 1024  # view_channel denied
    creator = world.discord.overwrite(channel_id, world.convener.id)
    assert creator is not None and creator["type"] == 1 and int(creator["allow"]) & 1024
    own = world.discord.overwrite(channel_id, world.discord.bot_user.id)
    assert own is not None and int(own["allow"]) & discord.Permissions(manage_channels=True).value
    assert world.discord.can_view(channel_id, world.convener)
    assert world.discord.can_view(channel_id, world.discord.bot_user)
    for person in (*world.reps, world.outsider):
        assert not world.discord.can_view(channel_id, person)
    [welcome] = world.discord.channel_messages(channel_id)
    assert "Joined-up early help" in welcome["content"]
    assert "Welcome to **Family Hubs**" in welcome["content"]
    assert welcome["author"]["id"] == str(world.discord.bot_user.id)
    assert welcome["allowed_mentions"] == {"parse": []}  # no pings from user text
    created = [c for c in world.discord.calls if c.path == "/guilds/{guild_id}/channels"]
    assert [c.body["type"] for c in created] == [4, 0]  # the category once, then the channel
    assert all(c.reason and c.reason.startswith("Partnerbot") for c in created)
    # A second partnership reuses the category.
    await create(world, name="Housing Board")
    assert len([c for c in world.discord.channels.values() if c["type"] == 4]) == 1
    second = world.discord.channels[await channel_of(world, "Housing Board")]
    assert second["parent_id"] == category["id"]
    assert len([c for c in world.discord.calls if c.path == "/guilds/{guild_id}/channels"]) == 3
    listing = (await world.run(world.convener, "partnership list")).reply
    assert listing.ephemeral
    assert "Family Hubs" in listing.text and "Housing Board" in listing.text


async def test_create_refuses_bad_input_and_makes_nothing(world: World):
    await create(world)
    channel_id = await channel_of(world)
    before = len(world.discord.channels)
    for options, words in (
        ({"name": "family HUBS"}, "There is already a partnership called “family HUBS”"),
        ({"name": "Other", "timezone": "Mars/Base"}, "isn't a time zone I know"),
        ({"name": "x" * 101}, "limit"),
    ):
        result = await world.run(world.convener, "partnership create", purpose="p", **options)
        assert result.reply.ephemeral
        assert any(word in result.reply.content for word in ("already", "time zone", "limit"))
        assert words in result.reply.content, result.reply.content
    for person, path, options, words in (
        (
            world.convener,
            "partner add",
            {"organisation": "  ", "sector": "other"},
            "organisation name can't be empty",
        ),
        (
            world.convener,
            "member add",
            {"user": world.reps[0], "organisation": "Nobody Ltd"},
            "Nobody Ltd",
        ),
        (world.convener, "member add", {"user": world.discord.bot_user}, "Bots can't be members"),
    ):
        result = await world.run(person, path, channel_id=channel_id, **options)
        assert result.reply.ephemeral and words in result.reply.content, result.reply.content
    # Nothing was made on Discord, and the register is as it was.
    assert len(world.discord.channels) == before
    assert len([c for c in world.discord.calls if c.path == "/guilds/{guild_id}/channels"]) == 2
    assert not [c for c in world.discord.calls if c.method == "PUT"]
    listing = (await world.run(world.convener, "partnership list")).reply
    assert "Family Hubs" in listing.text and "Other" not in listing.text
    partners = (await world.run(world.convener, "partner list", channel_id=channel_id)).reply
    assert "no partner organisations yet" in partners.content


async def test_create_needs_manage_channels(world: World):
    result = await world.run(world.outsider, "partnership create", name="Mine", purpose="p")
    assert result.reply.ephemeral and "Manage Channels" in result.reply.content
    assert "needs the Manage Channels permission" in result.reply.content
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
        assert reply.ephemeral and f"Added <@{rep.id}>" in reply.content
        assert "representative for" in reply.content
        assert world.discord.can_view(channel_id, rep) and world.discord.can_send(channel_id, rep)
        assert world.discord.overwrite(channel_id, rep.id)["type"] == 1  # type: ignore[index]
    assert not world.discord.can_view(channel_id, world.outsider)
    grants = [c for c in world.discord.calls if c.method == "PUT" and "permissions" in c.path]
    assert len(grants) == 3
    listing = (await world.run(world.reps[0], "member list", channel_id=channel_id)).reply
    assert listing.ephemeral
    for person in (world.convener, *world.reps):
        assert f"<@{person.id}>" in listing.text
    assert "representative for Food Bank" in listing.text
    assert "4 members" in listing.text
    partners = (await world.run(world.reps[1], "partner list", partnership="Family Hubs")).reply
    assert partners.ephemeral
    assert all(
        name.replace("'", "") in partners.text.replace("\\", "").replace("'", "")
        for name, _ in orgs
    )
    for _name, sector in orgs:
        assert sector.replace("_", " ") in partners.text or sector in partners.text
    # Organisation autocomplete offers this partnership's organisations.
    offered = await world.discord.autocomplete(
        world.convener,
        "member add",
        "organisation",
        guild_id=world.guild,
        channel_id=channel_id,
        organisation="",
    )
    assert sorted(offered) == sorted(name for name, _ in orgs)


async def test_partnership_is_implied_in_its_channel_and_threads(world: World):
    await create(world)
    channel_id = await channel_of(world)
    info = (await world.run(world.convener, "partnership info", channel_id=channel_id)).reply
    assert "Family Hubs" in info.text and "enabler" not in info.text
    fields = {f["name"]: f["value"] for f in info.embeds[0]["fields"]}
    assert fields["Announcements"] == "on" and fields["Digest"] == "off"
    await world.run(
        world.convener,
        "partnership configure",
        channel_id=channel_id,
        announcements=False,
        digest="weekly",
    )
    info = (await world.run(world.convener, "partnership info", channel_id=channel_id)).reply
    fields = {f["name"]: f["value"] for f in info.embeds[0]["fields"]}
    assert fields["Announcements"] == "off" and fields["Digest"] == "weekly"
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
    rep = world.reps[0]
    await world.run(world.convener, "member add", user=rep, channel_id=channel_id)
    before = list(world.discord.channels[channel_id]["permission_overwrites"])
    refused = await world.run(world.outsider, "member list", partnership="Family Hubs")
    assert refused.reply.ephemeral and "can't find a partnership" in refused.reply.content
    in_channel = await world.run(world.outsider, "partnership info", channel_id=channel_id)
    assert "not a member" in in_channel.reply.content and "Family" not in in_channel.reply.content
    listing = await world.run(world.outsider, "partnership list")
    assert "don't belong" in listing.reply.content
    assert "don't belong to any partnership" in listing.reply.text
    assert "Family Hubs" not in listing.reply.text
    names = await world.discord.autocomplete(
        world.outsider, "member list", "partnership", guild_id=world.guild, partnership="Fam"
    )
    assert names == []
    assert (
        await world.discord.autocomplete(
            world.outsider, "partnership info", "partnership", guild_id=world.guild, partnership=""
        )
        == []
    )
    assert await world.discord.autocomplete(
        world.convener, "member list", "partnership", guild_id=world.guild, partnership="fam"
    ) == ["Family Hubs"]
    # Naming it gets the same answer as naming one that does not exist.
    real = await world.run(world.outsider, "partnership info", partnership="Family Hubs")
    made_up = await world.run(world.outsider, "partnership info", partnership="Made Up")
    assert real.reply.ephemeral and made_up.reply.ephemeral
    assert real.reply.content == made_up.reply.content.replace("Made Up", "Family Hubs")
    assert "can't find a partnership" in real.reply.content
    for path, options in (
        ("member list", {}),
        ("partner list", {}),
        ("member add", {"user": world.outsider}),
        ("partner add", {"organisation": "Intruders Ltd", "sector": "private"}),
    ):
        result = await world.run(world.outsider, path, partnership="Family Hubs", **options)
        assert result.reply.ephemeral, path
        assert "can't find a partnership called “Family Hubs”" in result.reply.content, path
    # A member who is not a convener may read, may not manage.
    managed = await world.run(rep, "member add", user=world.outsider, channel_id=channel_id)
    assert managed.reply.ephemeral and "Only the conveners of Family Hubs" in managed.reply.content
    assert world.discord.channels[channel_id]["permission_overwrites"] == before
    assert not world.discord.can_view(channel_id, world.outsider)


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
    assert "`as_of` should be a date written YYYY-MM-DD" in bad.reply.content
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
    # Announced once per change, when the command had already replied (at once: no deferral).
    assert [replies for _, replies in seen] == [len(added.replies), len(joined.replies)]
    assert len(joined.replies) == 1 and len({pid for pid, _ in seen}) == 1
