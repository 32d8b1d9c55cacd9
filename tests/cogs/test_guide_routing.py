"""The first day through discord.py's real dispatch path: `/guide` for each role and topic,
creating a partnership for your organisation, the setup checklist in the welcome message and
`/partnership info`, the greeting of each new member, and the word a server gets when the bot
joins it."""

from __future__ import annotations

import asyncio
import re

import discord

from bot.services.guide import TOPICS, load_guide
from tests import discord_payloads as payloads
from tests.cogs.conftest import World
from tests.helpers import JOINED_AT, PLAIN, Person, _Response, iter_commands, snowflake

MESSAGES = "/channels/{channel_id}/messages"


async def create(world: World, **options) -> int:
    """Family Hubs, created by the convener; its channel's id."""
    return (await created(world, **options))[0]


async def created(world: World, **options) -> tuple[int, str]:
    """Family Hubs, created by the convener: its channel's id, and the reply."""
    result = await world.run(
        world.convener,
        "partnership create",
        name="Family Hubs",
        purpose="Joined-up early help",
        **options,
    )
    assert result.reply.ephemeral and "Created **Family Hubs**" in result.reply.content
    [channel] = world.discord.partnership_channels(world.guild)
    return int(channel["id"]), result.reply.content


async def hubs(world: World) -> int:
    """Family Hubs with the council (the convener's), the Food Bank (Bea) and a parent (Cy)."""
    channel = await create(world, organisation="Riverside Council", sector="public")
    await world.run(
        world.convener,
        "partner add",
        organisation="Food Bank",
        sector="voluntary",
        channel_id=channel,
    )
    bea, cy, _dev = world.reps
    await world.run(
        world.convener,
        "member add",
        user=bea,
        organisation="Food Bank",
        mandate="must_refer_back",
        channel_id=channel,
    )
    await world.run(world.convener, "member add", user=cy, capacity="citizen", channel_id=channel)
    return channel


async def guide(world: World, person: Person, channel_id: int | None = None, **options):
    result = await world.run(person, "guide", channel_id=channel_id, **options)
    reply = result.reply
    assert reply.ephemeral and len(reply.embeds) == 1
    return reply


def field(reply, name: str) -> str:
    [found] = [f["value"] for f in reply.embeds[0].get("fields", []) if f["name"] == name]
    return found


# ---- creating with your organisation


async def test_created_for_an_organisation_the_creator_is_its_representative(world: World):
    channel, reply = await created(world, organisation="Riverside Council", sector="public")
    assert "You are its convener and the representative of **Riverside Council**" in reply
    listing = (await world.run(world.convener, "member list", channel_id=channel)).reply
    assert "representative for Riverside Council · convener" in listing.text
    partners = (await world.run(world.convener, "partner list", channel_id=channel)).reply
    assert "Riverside Council" in partners.text and "core" in partners.text
    [welcome] = world.discord.channel_messages(channel)
    assert "Welcome to **Family Hubs**" in welcome["content"]
    assert welcome["allowed_mentions"] == {"parse": []}
    # What is missing: no goal, no reflection, no trust round; the organisations are there.
    assert "**To finish setting up**" in welcome["content"]
    for words in ("`/goal propose`", "`/reflect schedule`", "`/trust open`", "`/guide`"):
        assert words in welcome["content"], words
    assert "No organisations yet" not in welcome["content"]


async def test_the_reply_says_who_the_creator_speaks_for(world: World):
    result = await world.run(
        world.convener,
        "partnership create",
        name="Family Hubs",
        purpose="Joined-up early help",
        organisation="Riverside Council",
        sector="public",
        capacity="substitute",
    )
    text = result.reply.content
    assert "You are its convener and the substitute of **Riverside Council**" in text
    assert "joins as a core partner" in text
    # A second partnership for the same organisation keeps the server's sector, and says so.
    again = await world.run(
        world.convener,
        "partnership create",
        name="Housing Board",
        purpose="Homes",
        organisation="riverside council",
        sector="health",
    )
    assert "representative of **Riverside Council**" in again.reply.content
    assert "already registered in this server as public; I kept that sector" in (
        again.reply.content
    )


async def test_without_an_organisation_the_reply_says_how_to_change_that(world: World):
    channel, text = await created(world)
    assert "taking part **in your own capacity**" in text
    assert "`/partner add`" in text and "`/member update`" in text
    assert "nobody changes their own standing" in text
    [welcome] = world.discord.channel_messages(channel)
    assert "No organisations yet: add each with `/partner add`." in welcome["content"]
    listing = (await world.run(world.convener, "member list", channel_id=channel)).reply
    assert "individual · convener" in listing.text


async def test_create_refuses_an_organisation_without_what_it_needs(world: World):
    for options, words in (
        ({"organisation": "Riverside Council"}, "is new in this server, so give its `sector`"),
        ({"sector": "public"}, "give `organisation` too"),
        ({"capacity": "representative"}, "give `organisation` too"),
    ):
        result = await world.run(
            world.convener, "partnership create", name="Family Hubs", purpose="p", **options
        )
        assert result.reply.ephemeral and words in result.reply.content, result.reply.content
    # Nothing was made.
    assert world.discord.partnership_channels(world.guild) == []
    listing = (await world.run(world.convener, "partnership list")).reply
    assert "Family Hubs" not in listing.text


# ---- the setup checklist in /partnership info


async def test_partnership_info_shows_what_setup_lacks_until_it_is_complete(world: World):
    channel = await create(world)
    info = (await world.run(world.convener, "partnership info", channel_id=channel)).reply
    setup = field(info, "To finish setting up")
    assert setup.startswith("• No organisations yet")
    assert "`/goal propose`" in setup
    await world.run(
        world.convener,
        "partner add",
        organisation="Food Bank",
        sector="voluntary",
        channel_id=channel,
    )
    info = (await world.run(world.convener, "partnership info", channel_id=channel)).reply
    setup = field(info, "To finish setting up")
    assert "No organisations yet" not in setup
    assert "Nobody speaks for **Food Bank** yet" in setup
    await world.run(
        world.convener,
        "member add",
        user=world.reps[0],
        organisation="Food Bank",
        channel_id=channel,
    )
    await world.run(world.reps[0], "goal propose", title="Shared data", channel_id=channel)
    await world.run(world.convener, "reflect schedule", cadence="weekly", channel_id=channel)
    await world.run(world.convener, "trust schedule", cadence="monthly", channel_id=channel)
    info = (await world.run(world.reps[0], "partnership info", channel_id=channel)).reply
    assert "To finish setting up" not in info.text


# ---- the greeting of a new member


async def test_each_new_member_is_greeted_in_the_channel_and_only_they_are_pinged(world: World):
    channel = await hubs(world)
    bea, cy, _ = world.reps
    messages = world.discord.channel_messages(channel)
    greetings = [m for m in messages if m["content"].startswith("Welcome to **Family Hubs**, <@")]
    assert [g["content"] for g in greetings] == [
        f"Welcome to **Family Hubs**, <@{bea.id}>! You join as the representative of "
        "**Food Bank** (mandate: must refer back). Type `/guide` to see what is yours to do here.",
        f"Welcome to **Family Hubs**, <@{cy.id}>! You join as a citizen, in your own capacity. "
        "Type `/guide` to see what is yours to do here.",
    ]
    assert [g["allowed_mentions"] for g in greetings] == [
        {"parse": [], "users": [bea.id]},
        {"parse": [], "users": [cy.id]},
    ]
    # The greeting goes after the reply to the convener.
    calls = [c.path for c in world.discord.calls]
    last_reply = max(
        i for i, p in enumerate(calls) if p.startswith("/webhooks/") or p.endswith("/callback")
    )
    last_post = max(i for i, p in enumerate(calls) if p == MESSAGES)
    assert last_post > last_reply


async def test_a_greeting_that_fails_leaves_the_member_added(world: World):
    channel = await create(world)
    gone = discord.Forbidden(_Response(403), {"message": "Missing Access", "code": 50001})
    world.discord.fail_next("POST", MESSAGES, gone)
    result = await world.run(world.convener, "member add", user=world.reps[0], channel_id=channel)
    assert f"Added <@{world.reps[0].id}>" in result.reply.content
    listing = (await world.run(world.convener, "member list", channel_id=channel)).reply
    assert f"<@{world.reps[0].id}>" in listing.text
    assert not [m for m in world.discord.channel_messages(channel) if "<@" in m["content"][:40]]


# ---- /guide


async def test_a_convener_is_given_the_setup_steps_first(world: World):
    channel = await hubs(world)
    reply = await guide(world, world.convener, channel)
    text = reply.text
    assert reply.embeds[0]["title"] == "Partnerbot guide: Getting started"
    assert "helps partnerships of public bodies" in text
    assert (
        "You are a convener of **Family Hubs** and the representative of "
        "**Riverside Council**." in text
    )
    assert "1. No goal yet: propose one with `/goal propose`." in text
    assert "3. No trust check-in yet" in text
    commands = field(reply, "Commands you can use")
    assert "`/member` add" in commands and "configure" in commands
    for concept in ("Vangen & Huxham (2012)", "Huxham & Vangen (2000)", "Vangen & Huxham (2003)"):
        assert concept in text
    assert "Huxham & Vangen (2004)" in text and "Nabatchi, Sancino & Sicilia (2017)" in text


async def test_a_representative_sees_their_own_steps_and_commands(world: World):
    channel = await hubs(world)
    bea = world.reps[0]
    reply = await guide(world, bea, channel)
    text = reply.text
    assert (
        "You are the representative of **Food Bank** in **Family Hubs** "
        "(mandate: must refer back)." in text
    )
    assert "1. Take Food Bank's stance on each goal" in text and "`/goal endorse`" in text
    assert "answer it for Food Bank with `/trust checkin`" in text
    commands = field(reply, "Commands you can use")
    assert "`/goal` propose" in commands and "`/trust` checkin" in commands
    # Creating a partnership needs Manage Channels, which Bea hasn't.
    assert "`/partnership` info · health · list" in commands
    # Nothing only conveners may use.
    for convener_only in ("configure", "archive", "`/partner` add", "open", "exports", "link"):
        assert convener_only not in commands, convener_only
    # A thread under the channel is the same place.
    thread = await world.discord._create_thread(
        type("R", (), {"channel_id": channel})(), {"name": "chat"}, {}
    )
    in_thread = await guide(world, bea, int(thread["id"]))
    assert "the representative of **Food Bank**" in in_thread.text


async def test_a_citizen_is_told_whether_their_voice_counts(world: World):
    channel = await hubs(world)
    cy = world.reps[1]
    text = (await guide(world, cy, channel)).text
    assert "in your own capacity (citizen)" in text
    assert "counts toward agreement only if the conveners turn that on" in text
    await world.run(
        world.convener, "partnership configure", count_individuals=True, channel_id=channel
    )
    assert "Your voice counts toward agreement." in (await guide(world, cy, channel)).text


async def test_someone_not_in_the_partnership_learns_nothing_about_it(world: World):
    channel = await hubs(world)
    reply = await guide(world, world.outsider, channel)
    text = reply.text
    assert "You are not a member of the partnership this channel belongs to." in text
    assert "Family Hubs" not in text and "Riverside" not in text
    assert "`/member add`" in text
    assert field(reply, "Commands you can use now") == "`/guide`\n`/partnership` list"
    roles = await guide(world, world.outsider, channel, topic="roles")
    assert "`/member list`" in field(roles, "Commands members use")


async def test_elsewhere_the_guide_lists_your_partnerships(world: World):
    channel = await hubs(world)
    bea = world.reps[0]
    reply = await guide(world, bea)  # in #general
    mine = field(reply, "Your partnerships")
    assert f"**Family Hubs** · <#{channel}> · representative of Food Bank" in mine
    assert "the representative of **Food Bank** in **Family Hubs**" in reply.text
    # Someone in no partnership, who may not create one, is told whom to ask.
    fay = await guide(world, world.outsider)
    assert "You are not in any partnership here yet." in fay.text
    assert "“Partnerbot Admin” role" in fay.text
    assert field(fay, "Commands you can use now") == "`/guide`\n`/partnership` list"
    # Someone who may create one is told how, with their organisation.
    creator = Person(
        snowflake(), "Gil", permissions=discord.Permissions(manage_channels=True).value
    )
    start = await guide(world, creator)
    assert "`/partnership create` with `organisation` and `sector`" in start.text
    assert field(start, "Commands you can use now") == "`/guide`\n`/partnership` create · list"


async def test_every_topic_speaks_to_the_role(world: World):
    channel = await hubs(world)
    guide_text = load_guide()
    bea = world.reps[0]
    for topic in TOPICS:
        as_convener = await guide(world, world.convener, channel, topic=topic)
        as_rep = await guide(world, bea, channel, topic=topic)
        title = f"Partnerbot guide: {guide_text.topics[topic].title}"
        assert as_convener.embeds[0]["title"] == title == as_rep.embeds[0]["title"]
        for concept in guide_text.topics[topic].concepts:
            assert guide_text.concepts[concept].source in as_rep.text, (topic, concept)
        assert "the representative of **Food Bank**" in as_rep.text
        if topic == "start":
            continue
        convener_rows = field(as_convener, "Commands you can use")
        rep_rows = field(as_rep, "Commands you can use")
        for command, _what in guide_text.topics[topic].commands:
            assert f"`{command}`" in convener_rows, (topic, command)
        # A representative isn't offered what only conveners may do.
        hidden = {
            "goals": "`/goal link`",
            "reflection": "`/reflect schedule`",
            "trust": "`/trust open`",
            "roles": "`/member add`",
            "export": "`/log exports`",
        }.get(topic)
        if hidden:
            assert hidden in convener_rows and hidden not in rep_rows, topic
    reflection = await guide(world, bea, channel, topic="reflection")
    assert "Reflect** button" in reflection.text
    trust = await guide(world, bea, channel, topic="trust")
    assert "Your answers reach only you" in trust.text


async def test_every_command_the_guide_names_exists(world: World):
    """A renamed command can't leave the guide pointing at nothing."""
    existing = {name for name, _ in iter_commands(world.bot)}
    named = set()
    for text in load_guide().texts():
        for span in re.findall(r"`(/[^`]+)`", text):
            words = span.removeprefix("/").replace("…", " ").split()
            # The longest run of words that is a command (what follows are options).
            found = next(
                (
                    " ".join(words[:n])
                    for n in range(len(words), 0, -1)
                    if " ".join(words[:n]) in existing
                ),
                None,
            )
            assert found is not None, f"the guide names `{span}`, which is no command"
            named.add(found)
    assert {"guide", "partnership create", "goal propose", "trust checkin", "export"} <= named


async def test_topic_choices_explain_themselves(world: World):
    [guide_command] = [c for name, c in iter_commands(world.bot) if name == "guide"]
    [topic] = guide_command.parameters
    assert [c.value for c in topic.choices] == list(TOPICS)
    assert all(c.name.startswith(f"{c.value}: ") and len(c.name) <= 100 for c in topic.choices)


# ---- joining a server


async def join(world: World, *, system_channel: bool = True, bot_may_send: bool = True) -> tuple:
    """A new server adds the bot: GUILD_CREATE through the gateway's own parser."""
    owner = Person(snowflake(), "Olga")
    guild_id = snowflake()
    deny = discord.Permissions(send_messages=True).value
    overwrites = [] if bot_may_send else [payloads.overwrite(world.discord.bot_user.id, 1, 0, deny)]
    general = payloads.guild_channel(snowflake(), guild_id, 0, "welcome", overwrites=overwrites)
    world.discord.channels[int(general["id"])] = general
    data = payloads.guild_create(
        guild_id,
        "Brookfield",
        owner_id=owner.id,
        roles=[payloads.role(guild_id, "@everyone", PLAIN)],
        members=[world.discord.bot_user.member_payload()],
        channels=[general],
        member_count=40,
        joined_at=JOINED_AT,
    )
    if system_channel:
        data["system_channel_id"] = general["id"]
    # A server just joined, as discord.py tells it from one that is available again.
    del data["unavailable"]
    before = asyncio.all_tasks()
    world.bot._connection.parse_guild_create(data)  # type: ignore[arg-type]
    started = [t for t in asyncio.all_tasks() - before if not t.done()]
    assert started, "no event was dispatched"
    await asyncio.wait(started, timeout=10)
    return int(general["id"]), owner


async def test_joining_a_server_posts_one_message_in_its_system_channel(world: World):
    channel, owner = await join(world)
    [message] = world.discord.channel_messages(channel)
    assert message["content"].startswith("Hello, Brookfield! Partnerbot helps partnerships")
    assert "Start with `/guide`" in message["content"]
    assert message["allowed_mentions"] == {"parse": []}
    assert world.discord.dm_messages(owner.id) == []


async def test_without_a_system_channel_the_owner_is_told_by_direct_message(world: World):
    channel, owner = await join(world, system_channel=False)
    assert world.discord.channel_messages(channel) == []
    [dm] = world.discord.dm_messages(owner.id)
    assert "Start with `/guide`" in dm["content"]
    # The same when the bot may not post in the system channel.
    channel, owner = await join(world, bot_may_send=False)
    assert world.discord.channel_messages(channel) == []
    assert len(world.discord.dm_messages(owner.id)) == 1


async def test_a_join_message_that_fails_is_logged_and_nothing_breaks(world: World, caplog):
    error = discord.DiscordServerError(_Response(503), {"message": "Service Unavailable"})
    world.discord.fail_next("POST", MESSAGES, error)
    channel, owner = await join(world)
    # The system channel failed, so the owner is told instead.
    assert world.discord.channel_messages(channel) == []
    assert len(world.discord.dm_messages(owner.id)) == 1
    forbidden = discord.Forbidden(_Response(403), {"message": "Cannot send", "code": 50007})
    world.discord.fail_next("POST", "/users/@me/channels", forbidden)
    _channel, owner = await join(world, system_channel=False)
    assert world.discord.dm_messages(owner.id) == []
    assert "No welcome to the owner of server" in caplog.text
