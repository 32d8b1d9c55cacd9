"""Reflective prompts on the minute clock, from the point of view of the people using them,
against the real bot process.

Schedules run on the wall clock, so one bot and one fake Discord serve the whole module and the
scenarios share minutes instead of each waiting for its own. Three partnerships schedule a prompt
for every minute; `minutes` lives through a few of those minutes and records what people saw:

    R - 6 s  the bot is stopped (R: the first minute boundary at least 10 s away)
    R + 3 s  it starts again and posts R, marked late, in each partnership
    before R+1: Old Mill Trust's channel is deleted behind the bot's back, and Discord is set to
             answer Hilltop Housing's next post with 500 as often as discord.py tries (5 times)
    R+1      Riverside Health: on time. Old Mill Trust: the schedule pauses and its conveners
             get a direct message. Hilltop Housing: the engine retries later; its retry is held
             at the door while `/reflect list` is read, then let through
    R+2      Riverside Health: on time again

Each test then checks one promise. The only sleeps wait for the wall clock. The Reflect button,
`/reflect respond` and bad input need no clock: they are in `tests/cogs/test_reflect_routing.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import aiohttp
import pytest
import pytest_asyncio

from .conftest import World, build_world, require_postgres
from .fake_discord import (
    ChannelType,
    FakeDiscord,
    FakeDiscordTimeout,
    RecordedRequest,
    Reply,
)
from .harness import BotProcess, e2e_database, fresh_database

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

JSON = dict[str, Any]
T = TypeVar("T")

EVERY_MINUTE = "* * * * *"
LEAD = 10.0  # the restart minute is at least this far away when the schedules are made
STOP_BEFORE = 6.0  # the bot is stopped this long before the restart minute...
START_AFTER = 3.0  # ...and started again this long after it
POST_TIMEOUT = 20.0  # a minute's post (with its thread) is there this long after the minute
# discord.py sends a request 5 times when Discord answers 500, 502, 504 or 524 (sleeping 1, 3, 5,
# 7 and 9 s), then raises: this many 500s fail the engine's whole first attempt (~25 s).
DISCORD_PY_TRIES = 5

ANSWER_ID = re.compile(r"partnerbot:reflect:answer:(\d+)")
TIMESTAMP = re.compile(r"<t:(\d+):F>")
DUE_AT = re.compile(r"Posted late: this was due at <t:(\d+):F>")
SCHEDULE_ID = re.compile(r"schedule #(\d+)")


# ----------------------------------------------------------------------------- the clock


def minute_of(moment: float) -> int:
    """The minute boundary (Unix seconds) at or before `moment`."""
    return int(moment // 60) * 60


def next_minute(after: float) -> int:
    return minute_of(after) + 60


def seconds_until(moment: float) -> float:
    return max(0.0, moment - time.time())


async def sleep_until(moment: float) -> None:
    """The only sleeps here: waiting for the wall clock the schedules run on."""
    await asyncio.sleep(seconds_until(moment))


async def observe(waiting: Awaitable[T]) -> T | None:
    """What was awaited, or None if it never came (the tests say what is missing)."""
    try:
        return await waiting
    except FakeDiscordTimeout:
        return None


# ----------------------------------------------------------------------------- prompts


def post_id(message: JSON) -> int | None:
    """The prompt's number, from its Reflect button; None for any other message."""
    for row in message.get("components") or []:
        for component in row.get("components") or []:
            match = ANSWER_ID.fullmatch(str(component.get("custom_id", "")))
            if match:
                return int(match[1])
    return None


def prompts(fake: FakeDiscord, channel: Any) -> list[JSON]:
    """The prompts in a channel: the bot's messages with a Reflect button, oldest first."""
    return [m for m in fake.messages(channel) if post_id(m) is not None]


def description(message: JSON) -> str:
    return str(message["embeds"][0].get("description") or "")


def is_late(message: JSON) -> bool:
    return "Posted late" in description(message)


def posted_at(message: JSON) -> float:
    return datetime.fromisoformat(message["timestamp"]).timestamp()


def due_minute(message: JSON) -> int:
    """The minute a prompt was for: the due time a late post shows, else the minute it was
    posted in (an on-time post goes out seconds after its minute)."""
    match = DUE_AT.search(description(message))
    return int(match[1]) if match else minute_of(posted_at(message))


def for_minute(minute: int) -> Callable[[JSON], bool]:
    """A prompt for `minute`, once its thread is open."""
    return lambda m: post_id(m) is not None and due_minute(m) == minute and bool(m.get("thread"))


def prompts_for(fake: FakeDiscord, channel: Any, minute: int) -> list[JSON]:
    return [m for m in prompts(fake, channel) if due_minute(m) == minute]


def user_id(member: JSON) -> int:
    return int(member["user"]["id"])


def bodies_of(fake: FakeDiscord, messages: list[JSON]) -> list[JSON]:
    """What the bot sent to create these messages."""
    ids = {m["id"] for m in messages}
    return [
        r.json
        for r in fake.calls("POST /channels/{channel_id}/messages")
        if r.status == 200 and isinstance(r.response, dict) and r.response.get("id") in ids
    ]


# ----------------------------------------------------------------------------- the world


async def create_partnership(
    fake: FakeDiscord,
    world: World,
    name: str,
    *,
    members: tuple[JSON, ...] = (),
    conveners: tuple[JSON, ...] = (),
) -> JSON:
    """The convener creates a partnership from #general and adds people in its channel."""
    reply = await fake.run(
        world.convener,
        world.guild,
        world.general,
        "partnership create",
        name=name,
        purpose="Stop now and then to ask how the partnership is doing.",
    )
    match = re.search(r"<#(\d+)>", reply.content)
    assert reply.ephemeral and f"Created **{name}**" in reply.content and match, reply
    channel = fake.channel(int(match[1]))
    assert channel is not None
    for person, convener in [(p, False) for p in members] + [(p, True) for p in conveners]:
        added = await fake.run(
            world.convener, world.guild, channel, "member add", user=person, convener=convener
        )
        assert f"Added <@{user_id(person)}>" in added.content, added
    return channel


async def schedule_every_minute(fake: FakeDiscord, world: World, channel: JSON) -> Reply:
    reply = await fake.run(
        world.convener, world.guild, channel, "reflect schedule", cadence="cron", cron=EVERY_MINUTE
    )
    assert reply.ephemeral and SCHEDULE_ID.search(reply.content), reply
    return reply


def schedule_number(reply: Reply) -> int:
    match = SCHEDULE_ID.search(reply.content)
    assert match, reply
    return int(match[1])


@dataclass
class Shared:
    """One fake Discord and one bot for the module, with three partnerships."""

    fake: FakeDiscord
    world: World
    bot: BotProcess
    riverside: JSON  # Riverside Health's channel: Alice is a member
    hilltop: JSON  # Hilltop Housing's: Discord will fail a post there
    old_mill: JSON  # Old Mill Trust's: Bob is a convener too, Carol a member; to be deleted


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Shared]:
    folder = tmp_path_factory.mktemp("reflect")
    async with contextlib.AsyncExitStack() as stack:
        database = ""
        if e2e_database() == "postgresql":
            database = await stack.enter_async_context(fresh_database(require_postgres()))
        fake = await stack.enter_async_context(FakeDiscord())
        world = build_world(fake)
        bot = BotProcess(
            fake,
            data_dir=folder / "data",
            log_path=folder / "partnerbot.log",
            dev_guild_id=world.guild_id,
            database_url=database,
        )
        for item in request.session.items:  # a failing test's report carries the bot's log
            if getattr(item, "module", None) is request.module:
                item.e2e_bots = [bot]  # type: ignore[attr-defined]
        try:
            await bot.start()
            # Schedules made before the engine starts would be caught up by it, marked late if
            # their first minute fell in between: wait for it, so every minute before R is live.
            await bot.wait_for_log("Schedule engine started")
            yield Shared(
                fake,
                world,
                bot,
                riverside=await create_partnership(
                    fake, world, "Riverside Health", members=(world.alice,)
                ),
                hilltop=await create_partnership(fake, world, "Hilltop Housing"),
                old_mill=await create_partnership(
                    fake, world, "Old Mill Trust", members=(world.carol,), conveners=(world.bob,)
                ),
            )
        finally:
            await bot.stop()
    unknown = [f"{r.method} {r.path}" for r in fake.unknown_routes]
    assert not unknown, f"the bot called routes the fake Discord does not know: {unknown}"
    errors = bot.error_lines()
    if errors:
        pytest.fail("the bot logged errors:\n" + "\n".join(errors[:20]), pytrace=False)


# ----------------------------------------------------------------------------- a few minutes


@dataclass
class Minutes:
    """What a few minutes of the clock brought, as people saw it (see the module's notes)."""

    scheduled: Reply  # the convener's answer to `/reflect schedule` in Riverside Health
    scheduled_between: tuple[float, float]  # asked, answered
    schedules: dict[str, int]  # partnership channel name -> schedule number
    down_minute: int  # R
    stopped_at: float
    restarted_at: float  # when the new process was started
    live_minutes: tuple[int, int]  # R+1, R+2
    failures: list[RecordedRequest]  # Hilltop Housing's posts Discord answered with 500
    retry: RecordedRequest | None  # the engine's own retry of that post
    retrying: Reply | None  # `/reflect list` in Hilltop Housing while the retry was held
    paused: Reply | None  # `/reflect list partnership:Old Mill Trust` after R+1


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def minutes(shared: Shared) -> Minutes:
    fake, world, bot = shared.fake, shared.world, shared.bot
    asked = time.time()
    scheduled = await schedule_every_minute(fake, world, shared.riverside)
    answered = time.time()
    schedules = {"riverside-health": schedule_number(scheduled)}
    for channel in (shared.hilltop, shared.old_mill):
        schedules[channel["name"]] = schedule_number(
            await schedule_every_minute(fake, world, channel)
        )

    # Down across minute R. (If a minute comes before, it is posted live, on time.)
    down = next_minute(time.time() + LEAD)
    await sleep_until(down - STOP_BEFORE)
    await bot.stop()
    stopped_at = time.time()
    await sleep_until(down + START_AFTER)
    restarted_at = time.time()
    await bot.start()
    # Starting, it catches R up in each partnership; let those posts and threads finish.
    for channel in (shared.riverside, shared.hilltop, shared.old_mill):
        await observe(fake.wait_for_message(channel, for_minute(down), timeout=POST_TIMEOUT))

    # Before R+1: Old Mill Trust's channel goes without a word to the bot, and Discord will
    # answer Hilltop Housing's next post with 500 as often as discord.py tries.
    await fake.delete_channel(shared.old_mill, dispatch=False)
    hilltop_posts = f"POST /channels/{shared.hilltop['id']}/messages"
    fault = fake.fail_next(hilltop_posts, status=500, times=DISCORD_PY_TRIES)
    first, second = down + 60, down + 120

    await observe(
        fake.wait_for_message(
            shared.riverside, for_minute(first), timeout=seconds_until(first) + POST_TIMEOUT
        )
    )
    for convener in (world.convener, world.bob):
        await observe(fake.wait_for_dm(convener, timeout=seconds_until(first) + POST_TIMEOUT))
    paused = await fake.run(
        world.convener, world.guild, world.general, "reflect list", partnership="Old Mill Trust"
    )

    # Hilltop Housing: once discord.py has given up, the engine's own retry is held at the door
    # while a member reads `/reflect list`, then let through.
    retry = retrying = None
    if await observe(fake.wait_for_fault(fault, timeout=seconds_until(first) + 45)):
        hold = fake.hold(hilltop_posts)
        try:
            await fake.wait_for_held(hold, timeout=90)
            retry = hold.arrived[0]
            retrying = await fake.run(world.convener, world.guild, shared.hilltop, "reflect list")
        except FakeDiscordTimeout:
            pass  # no retry came: the tests say so
        finally:
            hold.release()
    failures = [r for r in fake.calls(hilltop_posts) if r.status == 500]
    await observe(fake.wait_for_message(shared.hilltop, for_minute(first), timeout=POST_TIMEOUT))

    await observe(
        fake.wait_for_message(
            shared.riverside, for_minute(second), timeout=seconds_until(second) + POST_TIMEOUT
        )
    )
    await observe(fake.wait_for_message(shared.hilltop, for_minute(second), timeout=POST_TIMEOUT))
    return Minutes(
        scheduled=scheduled,
        scheduled_between=(asked, answered),
        schedules=schedules,
        down_minute=down,
        stopped_at=stopped_at,
        restarted_at=restarted_at,
        live_minutes=(first, second),
        failures=failures,
        retry=retry,
        retrying=retrying,
        paused=paused,
    )


# ----------------------------------------------------------------------------- on the minute


async def test_every_minute_brings_exactly_one_prompt_with_a_button_and_a_thread(
    shared: Shared, minutes: Minutes
) -> None:
    fake = shared.fake
    reply = minutes.scheduled
    assert reply.ephemeral
    assert "Scheduled reflective prompts for **Riverside Health**" in reply.content, reply
    assert "On the cron schedule" in reply.plain and EVERY_MINUTE in reply.plain, reply
    times = [int(t) for t in TIMESTAMP.findall(reply.content)]
    asked, answered = minutes.scheduled_between
    assert len(times) == 3, reply
    assert next_minute(asked) <= times[0] <= next_minute(answered), reply
    assert [b - a for a, b in itertools.pairwise(times)] == [60, 60], reply

    posts = prompts(fake, shared.riverside)
    for minute in minutes.live_minutes:
        found = prompts_for(fake, shared.riverside, minute)
        assert len(found) == 1, (minute, found)
        [post] = found
        assert not is_late(post), post
        embed = post["embeds"][0]
        assert embed["title"].startswith("Reflect: "), embed
        assert embed["fields"][0]["name"] == "Draws on", embed
        thread = fake.channel(post["thread"]["id"])
        assert thread is not None and thread["type"] == ChannelType.PUBLIC_THREAD
        assert thread["parent_id"] == shared.riverside["id"]
        assert thread["name"].startswith(embed["title"].removeprefix("Reflect: ")), thread
    # Over the whole window: one prompt for every minute since the first time the reply gave
    # (the late one included), never two, each with its own nonce.
    per_minute = Counter(due_minute(m) for m in posts)
    assert sorted(per_minute) == list(range(times[0], minutes.live_minutes[1] + 1, 60)), posts
    assert set(per_minute.values()) == {1}, per_minute
    nonces = [m["nonce"] for m in posts]
    assert len(set(nonces)) == len(nonces) and all(n.startswith("pb-occ-") for n in nonces)
    assert all(m["allowed_mentions"] == {"parse": []} for m in bodies_of(fake, posts))


async def test_a_minute_missed_while_down_is_posted_once_late_then_the_next_on_time(
    shared: Shared, minutes: Minutes
) -> None:
    fake, down = shared.fake, minutes.down_minute
    assert minutes.stopped_at < down < minutes.restarted_at, "the bot was not down across R"
    assert fake.identifies and len(fake.identifies) == 2  # a new process, not a resume

    for channel in (shared.riverside, shared.hilltop, shared.old_mill):
        missed = prompts_for(fake, channel, down)
        assert len(missed) == 1, (channel["name"], missed)
        [post] = missed
        assert is_late(post), post
        assert f"Posted late: this was due at <t:{down}:F>." in description(post), post
        assert posted_at(post) >= minutes.restarted_at  # by the new process
        assert post.get("thread"), post

    [on_time] = prompts_for(fake, shared.riverside, down + 60)
    assert not is_late(on_time), on_time
    assert posted_at(on_time) < down + 60 + 5
    late = [due_minute(m) for m in prompts(fake, shared.riverside) if is_late(m)]
    assert late == [down], "only the minute the bot was down for is late"
    # The missed minute and the next have their own occurrences: different nonces.
    [missed] = prompts_for(fake, shared.riverside, down)
    assert missed["nonce"] != on_time["nonce"]


# ----------------------------------------------------------------------------- Discord trouble


async def test_a_discord_5xx_shows_as_retrying_then_posts_once(
    shared: Shared, minutes: Minutes
) -> None:
    fake, world = shared.fake, shared.world
    minute = minutes.live_minutes[0]
    assert len(minutes.failures) == DISCORD_PY_TRIES, minutes.failures
    assert minutes.retry is not None, "the engine never retried the failed post"
    assert minutes.retrying is not None
    listing = minutes.retrying
    assert listing.ephemeral
    assert "retrying after 1 failed attempt" in listing.plain, listing
    assert "Discord answered 500" in listing.plain and "next try <t:" in listing.plain, listing

    posted = prompts_for(fake, shared.hilltop, minute)
    assert len(posted) == 1, posted
    [post] = posted
    assert not is_late(post) and post.get("thread"), post
    # Every try, discord.py's and the engine's, carried the occurrence's one nonce.
    tries = [*minutes.failures, minutes.retry]
    assert {r.json["nonce"] for r in tries} == {post["nonce"]}
    assert all(r.json.get("enforce_nonce") for r in tries)

    now = await fake.run(world.convener, world.guild, shared.hilltop, "reflect list")
    assert "retrying" not in now.plain and "failed" not in now.plain, now


async def test_the_engine_waits_its_first_retry_delay_after_the_failed_attempt(
    minutes: Minutes,
) -> None:
    if minutes.retry is None or not minutes.failures:
        pytest.skip("no retry was seen (see test_a_discord_5xx_shows_as_retrying_then_posts_once)")
    gap = minutes.retry.at - minutes.failures[-1].at
    assert gap >= 30, f"the engine retried {gap:.1f} s after discord.py's last try failed"


async def test_a_deleted_channel_pauses_the_schedule_and_tells_each_convener(
    shared: Shared, minutes: Minutes
) -> None:
    fake, world = shared.fake, shared.world
    number = minutes.schedules["old-mill-trust"]
    for convener in (world.convener, world.bob):
        dms = fake.dm_messages(convener)
        assert len(dms) == 1, dms
        [dm] = dms
        text = dm["content"]
        assert f"schedule #{number} in **Old Mill Trust** is paused" in text, text
        assert "The partnership's channel no longer exists." in text, text
        assert f"/reflect resume schedule:{number}" in text, text
        channel = fake.dm_channel(convener)
        assert channel is not None and channel["type"] == ChannelType.DM
        assert [r["id"] for r in channel["recipients"]] == [str(user_id(convener))]
        assert dm["channel_id"] == channel["id"]
    assert fake.dm_messages(world.carol) == []  # a member, not a convener

    listing = minutes.paused
    assert listing is not None and listing.ephemeral
    assert "State: **paused** (The partnership's channel no longer exists.)" in listing.plain
    assert "**failed**" in listing.plain, listing
    # Paused: nothing was tried at R+2.
    tries = fake.calls(f"POST /channels/{shared.old_mill['id']}/messages")
    assert [r.status for r in tries][-1:] == [404], tries
    assert len([r for r in tries if r.status == 404]) == 1, tries


# ----------------------------------------------------------------------------- the fake's DMs


async def test_the_fake_keeps_one_dm_channel_per_person() -> None:
    """What the DM scenario relies on, checked with a raw client: Discord's shapes and rules."""
    async with FakeDiscord() as fake:
        world = build_world(fake)
        headers = {"Authorization": f"Bot {fake.token}"}
        async with aiohttp.ClientSession(fake.base_url + "/", headers=headers) as http:

            async def call(method: str, path: str, body: JSON | None = None) -> tuple[int, Any]:
                async with http.request(method, path, json=body) as response:
                    data = await response.json() if response.status != 204 else None
                    return response.status, data

            status, dm = await call("POST", "users/@me/channels", {"recipient_id": "x"})
            assert status == 400 and dm["code"] == 50035
            status, dm = await call("POST", "users/@me/channels", {"recipient_id": "1"})
            assert (status, dm["code"]) == (400, 50033)  # Invalid Recipient(s)

            alice = user_id(world.alice)
            status, dm = await call("POST", "users/@me/channels", {"recipient_id": alice})
            assert status == 200 and dm["type"] == 1 and dm["last_message_id"] is None
            assert [r["id"] for r in dm["recipients"]] == [str(alice)]
            again = await call("POST", "users/@me/channels", {"recipient_id": str(alice)})
            assert again == (200, dm)  # the same channel, every time

            body = {"content": "Hello", "nonce": "n-1", "enforce_nonce": True}
            status, sent = await call("POST", f"channels/{dm['id']}/messages", body)
            assert status == 200 and "guild_id" not in sent
            assert (await call("POST", f"channels/{dm['id']}/messages", body))[1] == sent
            assert (await call("GET", f"channels/{dm['id']}"))[1]["last_message_id"] == sent["id"]
            status, error = await call("PUT", f"channels/{dm['id']}/permissions/{alice}", {})
            assert (status, error["code"]) == (400, 50003)  # not on a DM channel

            fake.close_dms(world.alice)
            status, error = await call("POST", f"channels/{dm['id']}/messages", {"content": "?"})
            assert (status, error["code"]) == (403, 50007)  # Cannot send messages to this user
            # No server in common with the bot: the same refusal.
            _, lonely = await call("POST", "users/@me/channels", {"recipient_id": fake.owner.id})
            status, error = await call(
                "POST", f"channels/{lonely['id']}/messages", {"content": "?"}
            )
            assert (status, error["code"]) == (403, 50007)

        assert [m["content"] for m in fake.dm_messages(world.alice)] == ["Hello"]
        assert fake.dm_channel(world.alice) == fake.channel(dm["id"])
        assert fake.dm_messages(world.bob) == [] and fake.dm_channel(world.bob) is None
        assert not fake.unknown_routes
