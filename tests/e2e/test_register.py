"""The register, from the point of view of the people using it, against the real bot process.

What needs the real process or Discord's own rules: a role that may create, the partnership
option from another channel, another server after a global sync, conveners configuring,
archiving by Discord's permission arithmetic, Discord trouble (a deleted channel, no Manage
Roles, 5xx, slowness), a restart, and races. Creating, registering, refusing and bad input are
journeys through discord.py's dispatch in `tests/cogs/test_register_routing.py`.
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


async def test_a_member_of_another_server_is_refused(
    fake: FakeDiscord, world: World, bot: BotProcess, tmp_path: Any
) -> None:
    await create_partnership(fake, world, "Riverside Health")
    # In production the commands are global: register them so the other server has them too.
    synced = await run_cli(fake, bot.data_dir, "sync", DATABASE_URL=bot.database_url)
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


async def test_the_start_mends_a_channel_from_the_gateway_copy_without_reading_it_again(
    fake: FakeDiscord, world: World, bot: BotProcess
) -> None:
    """Someone removed Alice's access by hand while the bot was down: the next start finds it
    in the channel as GUILD_CREATE gave it, and gives the access back, asking Discord for no
    channel (a deployment with a thousand partnerships saves a thousand paced reads)."""
    channel = await create_partnership(fake, world)
    await register_everyone(fake, world, channel)
    await bot.stop()
    found = fake.state.channel(int(channel["id"]))
    del found.overwrites[member_id(world.alice)]
    assert not fake.can_view(world.alice, channel)
    since = fake.mark().requests

    await bot.start()
    await bot.wait_for_log("Checked 1 partnership channel in")
    assert fake.can_view(world.alice, channel)
    made = fake.requests[since:]
    mended = [r for r in made if r.method == "PUT" and r.route.startswith("/channels/")]
    assert [r.params.get("overwrite_id") for r in mended] == [str(member_id(world.alice))]
    assert not [r for r in made if r.method == "GET" and r.route == "/channels/{channel_id}"]


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
