"""The register, from the point of view of the people using it, against the real bot process.

A convener sets up a partnership with its private channel, registers organisations and their
representatives, and the channel's permission overwrites follow; people outside learn nothing;
bad input is refused and leaves nothing behind; everything survives a restart.
"""

from __future__ import annotations

import contextlib
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from .conftest import World
from .fake_discord import ChannelType, FakeDiscord, FakeDiscordTimeout, Perm, Reply
from .harness import BotProcess, run_cli

pytestmark = pytest.mark.e2e

JSON = dict[str, Any]
ORGANISATIONS = {
    "Riverside Council": "public",
    "Riverside NHS Trust": "health",
    "Riverside Voluntary Action": "voluntary",
}


def mentioned_channel(reply: Reply) -> int:
    match = re.search(r"<#(\d+)>", reply.content)
    assert match, f"no channel mention in {reply.content!r}"
    return int(match.group(1))


async def create_partnership(
    fake: FakeDiscord, world: World, name: str = "Riverside Health", **options: Any
) -> JSON:
    """The convener creates a partnership from #general; returns its channel."""
    options.setdefault("purpose", "Join up hospital discharge and community support.")
    reply = await fake.run(
        world.convener, world.guild, world.general, "partnership create", name=name, **options
    )
    assert reply.ephemeral, reply
    assert f"Created **{name}**" in reply.content, reply
    channel = fake.channel(mentioned_channel(reply))
    assert channel is not None
    return channel


async def register_everyone(fake: FakeDiscord, world: World, channel: JSON) -> None:
    """Three organisations and one representative for each, from inside the channel."""
    for organisation, sector in ORGANISATIONS.items():
        reply = await fake.run(
            world.convener,
            world.guild,
            channel,
            "partner add",
            organisation=organisation,
            sector=sector,
        )
        assert reply.ephemeral and f"Added **{organisation}**" in reply.content, reply
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
        assert reply.ephemeral, reply
        assert f"Added <@{person['user']['id']}>" in reply.content, reply
        assert "representative for " + organisation in reply.content, reply


def member_id(member: JSON) -> int:
    return int(member["user"]["id"])


# ----------------------------------------------------------------------------- creating


async def test_convener_creates_a_private_channel_under_partnerships(
    fake: FakeDiscord, world: World, bot: BotProcess
) -> None:
    channel = await create_partnership(fake, world, "Riverside Health", relationship="enabler")

    category = fake.find_channel(world.guild, "Partnerships", type=ChannelType.GUILD_CATEGORY)
    assert category is not None
    assert channel["name"] == "riverside-health"
    assert channel["parent_id"] == category["id"]
    assert channel["topic"].startswith("Join up hospital discharge")

    overwrites = fake.overwrites_of(channel)
    everyone = overwrites[world.guild_id]
    assert int(everyone["deny"]) & Perm.VIEW_CHANNEL
    creator = overwrites[member_id(world.convener)]
    assert creator["type"] == 1 and int(creator["allow"]) & Perm.VIEW_CHANNEL
    assert int(overwrites[fake.bot.id]["allow"]) & Perm.MANAGE_CHANNELS

    assert fake.can_view(world.convener, channel)
    for person in (world.alice, world.bob, world.outsider):
        assert not fake.can_view(person, channel)

    welcome = fake.messages(channel)
    assert len(welcome) == 1
    assert "Welcome to **Riverside Health**" in welcome[0]["content"]
    assert welcome[0]["author"]["id"] == str(fake.bot.id)
    post = fake.calls("POST /channels/{channel_id}/messages")[-1]
    assert post.json["allowed_mentions"]["parse"] == []

    created = fake.calls("POST /guilds/{guild_id}/channels")
    assert [c.json["type"] for c in created] == [4, 0]  # the category once, then the channel
    assert all(c.audit_reason and c.audit_reason.startswith("Partnerbot") for c in created)

    # A second partnership reuses the category.
    second = await create_partnership(fake, world, "Hilltop Housing")
    assert second["parent_id"] == category["id"]
    assert len(fake.calls("POST /guilds/{guild_id}/channels")) == 3

    listing = await fake.run(world.convener, world.guild, world.general, "partnership list")
    assert listing.ephemeral
    assert "Riverside Health" in listing.text and "Hilltop Housing" in listing.text


async def test_members_of_the_admin_role_may_create(
    fake: FakeDiscord, world: World, bot: BotProcess
) -> None:
    admins = fake.add_role(world.guild, "Partnerbot Admin")
    dora = fake.add_member(world.guild, "Dora Admin", roles=[admins])
    reply = await fake.run(
        dora, world.guild, world.general, "partnership create", name="Dora's", purpose="Testing."
    )
    assert reply.ephemeral and "Created **Dora's**" in reply.content, reply
    assert fake.can_view(dora, mentioned_channel(reply))


# ----------------------------------------------------------------------------- registering


async def test_organisations_and_representatives_get_access(
    fake: FakeDiscord, world: World, bot: BotProcess
) -> None:
    channel = await create_partnership(fake, world)
    await register_everyone(fake, world, channel)

    overwrites = fake.overwrites_of(channel)
    for person in (world.alice, world.bob, world.carol):
        overwrite = overwrites[member_id(person)]
        assert overwrite["type"] == 1
        assert int(overwrite["allow"]) & (Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES)
        assert fake.can_view(person, channel)
    assert not fake.can_view(world.outsider, channel)
    grants = fake.calls("PUT /channels/{channel_id}/permissions/{overwrite_id}")
    assert len(grants) == 3 and all(g.status == 204 for g in grants)

    partners = await fake.run(world.alice, world.guild, channel, "partner list")
    assert partners.ephemeral
    for organisation, sector in ORGANISATIONS.items():
        assert organisation in partners.text
        assert sector in partners.text

    members = await fake.run(world.bob, world.guild, channel, "member list")
    assert members.ephemeral
    for person in (world.convener, world.alice, world.bob, world.carol):
        assert f"<@{member_id(person)}>" in members.text
    assert "representative for Riverside NHS Trust" in members.text
    assert "4 members" in members.text

    # Organisation autocomplete offers this partnership's organisations.
    choices = await fake.autocomplete_choices(
        world.convener, world.guild, channel, "member add", "organisation", organisation="River"
    )
    assert sorted(c["name"] for c in choices) == sorted(ORGANISATIONS)

    # Someone leaves: the overwrite goes, the history stays.
    left = await fake.run(world.convener, world.guild, channel, "member remove", user=world.carol)
    assert left.ephemeral and "has left" in left.content, left
    assert member_id(world.carol) not in fake.overwrites_of(channel)
    assert not fake.can_view(world.carol, channel)
    history = await fake.run(world.convener, world.guild, channel, "member history")
    assert "Carol Voluntary" in history.text


async def test_partnership_option_works_from_another_channel(
    fake: FakeDiscord, world: World, bot: BotProcess
) -> None:
    channel = await create_partnership(fake, world, "Riverside Health")
    choices = await fake.autocomplete_choices(
        world.convener, world.guild, world.general, "partner add", "partnership", partnership="riv"
    )
    assert [c["value"] for c in choices] == ["Riverside Health"]

    reply = await fake.run(
        world.convener,
        world.guild,
        world.general,
        "partner add",
        organisation="Riverside Council",
        sector="public",
        partnership="Riverside Health",
    )
    assert "Added **Riverside Council**" in reply.content, reply
    reply = await fake.run(
        world.convener,
        world.guild,
        world.general,
        "member add",
        user=world.alice,
        organisation="Riverside Council",
        partnership="riverside health",  # names match regardless of case
    )
    assert "Added <@" in reply.content, reply
    assert fake.can_view(world.alice, channel)

    # Without the option, outside the partnership's channel, the bot asks which one.
    which = await fake.run(world.convener, world.guild, world.general, "member list")
    assert which.ephemeral and "Which partnership?" in which.content


# ----------------------------------------------------------------------------- refusing


async def test_non_members_are_refused_and_learn_nothing(
    fake: FakeDiscord, world: World, bot: BotProcess
) -> None:
    channel = await create_partnership(fake, world, "Secret Pact")
    await register_everyone(fake, world, channel)
    before = fake.overwrites_of(channel)

    listing = await fake.run(world.outsider, world.guild, world.general, "partnership list")
    assert listing.ephemeral
    assert "don't belong to any partnership" in listing.text
    assert "Secret Pact" not in listing.text

    choices = await fake.autocomplete_choices(
        world.outsider, world.guild, world.general, "partnership info", "partnership"
    )
    assert choices == []
    choices = await fake.autocomplete_choices(
        world.outsider, world.guild, world.general, "member list", "partnership", partnership="Sec"
    )
    assert choices == []

    # Naming it gets the same answer as naming one that does not exist.
    real = await fake.run(
        world.outsider, world.guild, world.general, "partnership info", partnership="Secret Pact"
    )
    made_up = await fake.run(
        world.outsider, world.guild, world.general, "partnership info", partnership="Made Up"
    )
    assert real.ephemeral and made_up.ephemeral
    assert real.content == made_up.content.replace("Made Up", "Secret Pact")
    assert "can't find a partnership" in real.content
    assert "Riverside" not in real.text and "Riverside" not in made_up.text

    for command, options in (
        ("member list", {}),
        ("partner list", {}),
        ("member add", {"user": world.outsider}),
        ("partner add", {"organisation": "Intruders Ltd", "sector": "private"}),
    ):
        reply = await fake.run(
            world.outsider,
            world.guild,
            world.general,
            command,
            partnership="Secret Pact",
            **options,
        )
        assert reply.ephemeral, (command, reply)
        assert "can't find a partnership called “Secret Pact”" in reply.content, (command, reply)

    # A representative is a member but not a convener: may read, may not manage.
    reply = await fake.run(
        world.alice,
        world.guild,
        channel,
        "member add",
        user=world.outsider,
    )
    assert reply.ephemeral and "Only the conveners of Secret Pact" in reply.content, reply
    assert fake.overwrites_of(channel) == before
    assert not fake.can_view(world.outsider, channel)


async def test_a_member_of_another_server_is_refused(
    fake: FakeDiscord, world: World, bot: BotProcess, tmp_path: Any
) -> None:
    await create_partnership(fake, world, "Riverside Health")
    # In production the commands are global: register them so the other server has them too.
    synced = await run_cli(fake, bot.data_dir, "sync")
    assert synced.returncode == 0, synced.output
    assert {"partnership", "partner", "member"} <= {c["name"] for c in fake.commands()}

    other = world.other_guild
    listing = await fake.run(world.stranger, other, world.other_general, "partnership list")
    assert listing.ephemeral
    assert "Riverside Health" not in listing.text
    assert "don't belong to any partnership" in listing.text
    choices = await fake.autocomplete_choices(
        world.stranger, other, world.other_general, "partnership info", "partnership"
    )
    assert choices == []
    info = await fake.run(
        world.stranger,
        other,
        world.other_general,
        "partnership info",
        partnership="Riverside Health",
    )
    assert info.ephemeral and "can't find a partnership" in info.content
    # A server manager there may create one with the same name: names are per server.
    created = await fake.run(
        world.stranger,
        other,
        world.other_general,
        "partnership create",
        name="Riverside Health",
        purpose="Ours.",
    )
    assert "Created **Riverside Health**" in created.content, created
    channel = fake.channel(mentioned_channel(created))
    assert channel is not None and channel["guild_id"] == other["id"]


async def test_bad_input_is_refused_and_creates_nothing(
    fake: FakeDiscord, world: World, bot: BotProcess
) -> None:
    channel = await create_partnership(fake, world, "Alpha")
    channels_before = len(fake.channels(world.guild))

    def refused(reply: Reply, words: str) -> None:
        assert reply.ephemeral, reply
        assert words in reply.content, reply

    refused(
        await fake.run(
            world.convener,
            world.guild,
            world.general,
            "partnership create",
            name="Beta",
            purpose="Something.",
            timezone="Mars/Olympus_Mons",
        ),
        "isn't a time zone I know",
    )
    refused(
        await fake.run(
            world.convener,
            world.guild,
            world.general,
            "partnership create",
            name="ALPHA",
            purpose="Again.",
        ),
        "There is already a partnership called “ALPHA”",
    )
    refused(
        await fake.run(
            world.alice,
            world.guild,
            world.general,
            "partnership create",
            name="Gamma",
            purpose="Not allowed.",
        ),
        "needs the Manage Channels permission",
    )
    refused(
        await fake.run(
            world.convener, world.guild, channel, "partner add", organisation="  ", sector="other"
        ),
        "organisation name can't be empty",
    )
    refused(
        await fake.run(
            world.convener,
            world.guild,
            channel,
            "member add",
            user=world.alice,
            organisation="Nobody Ltd",
        ),
        "Nobody Ltd",
    )
    refused(
        await fake.run(world.convener, world.guild, channel, "member list", as_of="31/12/2025"),
        "`as_of` should be a date written YYYY-MM-DD",
    )
    bot_member = {"user": fake.bot.payload()}
    refused(
        await fake.run(world.convener, world.guild, channel, "member add", user=bot_member),
        "Bots can't be members",
    )

    # Nothing was made on Discord, and the register is as it was.
    assert len(fake.channels(world.guild)) == channels_before
    assert len(fake.calls("POST /guilds/{guild_id}/channels")) == 2  # Alpha's category, channel
    assert fake.calls("PUT /channels/{channel_id}/permissions/{overwrite_id}") == []
    listing = await fake.run(world.convener, world.guild, world.general, "partnership list")
    assert "Alpha" in listing.text and "Beta" not in listing.text and "ALPHA" not in listing.text
    partners = await fake.run(world.convener, world.guild, channel, "partner list")
    assert "no partner organisations yet" in partners.content


# ----------------------------------------------------------------------------- managing


async def test_conveners_configure_and_change_roles(
    fake: FakeDiscord, world: World, bot: BotProcess
) -> None:
    channel = await create_partnership(fake, world)
    await register_everyone(fake, world, channel)

    bad = await fake.run(
        world.convener, world.guild, channel, "partnership configure", timezone="Nowhere/Land"
    )
    assert bad.ephemeral and "isn't a time zone I know" in bad.content
    done = await fake.run(
        world.convener,
        world.guild,
        channel,
        "partnership configure",
        timezone="America/New_York",
        agreement_rule="majority",
    )
    assert done.ephemeral and "Updated **Riverside Health**" in done.content, done
    assert "consensus → majority" in done.content
    info = await fake.run(world.alice, world.guild, channel, "partnership info")
    assert "America/New_York" in info.text and "majority" in info.text

    refused = await fake.run(
        world.alice, world.guild, channel, "partnership configure", agreement_rule="consensus"
    )
    assert "Only the conveners" in refused.content

    updated = await fake.run(
        world.convener,
        world.guild,
        channel,
        "member update",
        user=world.bob,
        mandate="must_refer_back",
    )
    assert "representative for Riverside NHS Trust (must refer back)" in updated.content, updated
    promoted = await fake.run(
        world.convener, world.guild, channel, "member update", user=world.alice, convener=True
    )
    assert "convener" in promoted.content, promoted
    # Now a convener, Alice may bring someone in.
    added = await fake.run(world.alice, world.guild, channel, "member add", user=world.outsider)
    assert "Added <@" in added.content, added
    assert fake.can_view(world.outsider, channel)
    history = await fake.run(world.convener, world.guild, channel, "member history")
    assert "Oscar Outsider" in history.text and "Newest first" in history.text


async def test_archiving_makes_the_channel_read_only(
    fake: FakeDiscord, world: World, bot: BotProcess
) -> None:
    channel = await create_partnership(fake, world)
    await register_everyone(fake, world, channel)

    refused = await fake.run(world.alice, world.guild, channel, "partnership archive")
    assert refused.ephemeral and "Only the conveners of Riverside Health" in refused.content
    reply = await fake.run(world.convener, world.guild, channel, "partnership archive")
    assert reply.ephemeral and "Archived **Riverside Health**" in reply.content, reply

    for person in (world.convener, world.alice, world.bob, world.carol):
        perms = fake.permissions_for(person, channel)
        assert perms & Perm.VIEW_CHANNEL and perms & Perm.READ_MESSAGE_HISTORY
        assert not perms & Perm.SEND_MESSAGES
        assert not perms & Perm.CREATE_PUBLIC_THREADS
    assert not fake.can_view(world.outsider, channel)
    assert "has been archived" in fake.messages(channel)[-1]["content"]

    late = await fake.run(
        world.convener,
        world.guild,
        channel,
        "partner add",
        organisation="Late Ltd",
        sector="private",
    )
    assert "is archived, so it can't be changed" in late.content, late
    listing = await fake.run(world.alice, world.guild, world.general, "partnership list")
    assert "archived" in listing.text


# ----------------------------------------------------------------------------- Discord trouble


async def test_a_deleted_channel_is_reported_not_crashed_on(
    fake: FakeDiscord, world: World, bot: BotProcess
) -> None:
    channel = await create_partnership(fake, world)
    await fake.run(
        world.convener, world.guild, channel, "partner add", organisation="NHS", sector="health"
    )
    # Someone deletes the channel while the bot is not looking (no CHANNEL_DELETE reaches it).
    await fake.delete_channel(channel, dispatch=False)
    reply = await fake.run(
        world.convener,
        world.guild,
        world.general,
        "member add",
        user=world.alice,
        organisation="NHS",
        partnership="Riverside Health",
    )
    assert reply.ephemeral
    assert "Added <@" in reply.content and "no longer exists" in reply.content, reply


async def test_without_manage_roles_the_member_is_added_and_told(
    fake: FakeDiscord, world: World, bot: BotProcess
) -> None:
    channel = await create_partnership(fake, world)
    await fake.set_bot_permissions(world.guild, Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES)
    reply = await fake.run(world.convener, world.guild, channel, "member add", user=world.alice)
    assert reply.ephemeral
    assert "Added <@" in reply.content and "couldn't change their access" in reply.content, reply
    assert fake.calls("PUT /channels/{channel_id}/permissions/{overwrite_id}")[-1].status == 403
    assert not fake.can_view(world.alice, channel)


async def test_a_discord_server_error_is_retried(
    fake: FakeDiscord, world: World, bot: BotProcess
) -> None:
    channel = await create_partnership(fake, world)
    fault = fake.fail_next("PUT /channels/{channel_id}/permissions/{overwrite_id}", status=500)
    reply = await fake.run(world.convener, world.guild, channel, "member add", user=world.alice)
    assert "Added <@" in reply.content, reply
    assert fault.hits == 1
    assert fake.can_view(world.alice, channel)


# ----------------------------------------------------------------------------- persistence


async def test_the_register_survives_a_restart(
    fake: FakeDiscord, world: World, bot: BotProcess
) -> None:
    channel = await create_partnership(fake, world)
    await register_everyone(fake, world, channel)

    await bot.restart()
    assert len(fake.identifies) == 2 and bot.exit_codes

    members = await fake.run(world.alice, world.guild, channel, "member list")
    for person in (world.convener, world.alice, world.bob, world.carol):
        assert f"<@{member_id(person)}>" in members.text
    partners = await fake.run(world.alice, world.guild, channel, "partner list")
    for organisation in ORGANISATIONS:
        assert organisation in partners.text

    today = datetime.now(ZoneInfo("Europe/London")).date()
    yesterday = (today - timedelta(days=1)).isoformat()
    then = await fake.run(world.alice, world.guild, channel, "member list", as_of=yesterday)
    assert then.ephemeral
    assert f"had no members at the end of {yesterday}" in then.content, then
    now = await fake.run(world.alice, world.guild, channel, "member list", as_of=today.isoformat())
    for person in (world.convener, world.alice, world.bob, world.carol):
        assert f"<@{member_id(person)}>" in now.text

    # The new process still knows the channel is a partnership's, and its members still see it.
    assert all(fake.can_view(p, channel) for p in (world.alice, world.bob, world.carol))
    info = await fake.run(world.bob, world.guild, channel, "partnership info")
    assert "Riverside Health" in info.text


# ----------------------------------------------------------------------------- hard cases
# Each of these once failed: a slow Discord past the three seconds, a time zone misquoted, two
# partnerships created at once, and a stop signal.


async def test_member_add_answers_even_when_discord_is_slow(
    fake: FakeDiscord, world: World, bot: BotProcess
) -> None:
    channel = await create_partnership(fake, world)
    bot.allow_errors = True  # the bot logs the failed reply
    fake.fail_next("PUT /channels/{channel_id}/permissions/{overwrite_id}", status=500, times=2)
    sent = await fake.invoke(world.convener, world.guild, channel, "member add", user=world.alice)
    callback = await fake.wait_for_request(
        "POST /interactions/{interaction_id}/{token}/callback",
        predicate=lambda r: r.params.get("interaction_id") == str(sent.id),
        timeout=15,
    )
    assert callback.status == 200, "the person got no answer in time"
    reply = await sent.response(timeout=15)
    assert "Added <@" in reply.content, reply
    assert fake.can_view(world.alice, channel)


async def test_configure_reply_quotes_the_time_zone_as_written(
    fake: FakeDiscord, world: World, bot: BotProcess
) -> None:
    channel = await create_partnership(fake, world)
    done = await fake.run(
        world.convener, world.guild, channel, "partnership configure", timezone="America/New_York"
    )
    assert "Europe/London → America/New_York" in done.plain, done


async def test_partnerships_created_at_once_share_one_category(
    fake: FakeDiscord, world: World, bot: BotProcess
) -> None:
    hold = fake.hold("POST /guilds/{guild_id}/channels")
    first = await fake.invoke(
        world.convener, world.guild, world.general, "partnership create", name="One", purpose="1"
    )
    await fake.wait_for_held(hold, 1)  # One is creating the category...
    second = await fake.invoke(
        world.convener, world.guild, world.general, "partnership create", name="Two", purpose="2"
    )
    await fake.wait_for_callback(second)  # ...while Two has deferred and looks for it.
    with contextlib.suppress(FakeDiscordTimeout):  # does Two create a second category?
        await fake.wait_for_held(hold, 2, timeout=1.0)
    hold.release()
    assert "Created **One**" in (await first.response()).content
    assert "Created **Two**" in (await second.response()).content
    categories = [
        c
        for c in fake.channels(world.guild)
        if c["type"] == ChannelType.GUILD_CATEGORY and c["name"] == "Partnerships"
    ]
    assert len(categories) == 1
