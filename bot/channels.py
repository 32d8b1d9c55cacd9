"""Partnership channels on Discord: creation, and access kept as the register says.

Access is derived from the database (`RegisterService.channel_state`): active members view and
send, an archived partnership's members view only, people who left see nothing. `ChannelSync`
applies that state after each committed change, and repairs a whole channel on request and at
start. It reads the channel's overwrites and changes only what differs; an error for one person
(they left the server) never stops the others; when Discord fails for a while (5xx, 429, a
time-out) it tries again in the background, with backoff, from the state as it then is.
The repair at start and those retries are background work, paced like scheduled posts
(`bot.pacing`): each of their requests is counted against the rate; a command's own change is
not (its requests are the command's). At start, a channel's overwrites are read from the
gateway's copy (GUILD_CREATE, kept current by CHANNEL_UPDATE) when the bot has one, so a
healthy channel costs no request at all; `/partnership repair` and the retries ask Discord.

Overwrites are set by id through the REST API, so they work whether or not the channel or the
member is in the bot's cache (the bot keeps no member cache: it asks for no privileged intent).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

import discord

from bot.discord_failures import TRANSIENT, is_transient
from bot.pacing import Pacer, Spend, spend_nothing
from bot.schedule_actions import plural
from bot.services.register import ChannelState, RegisterService

log = logging.getLogger(__name__)

CATEGORY_NAME = "Partnerships"
MEMBER_TYPE: Literal[1] = 1  # Discord's overwrite type for a member (0 is a role)

MEMBER_ACCESS = discord.PermissionOverwrite(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    read_message_history=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
)
READ_ONLY = discord.PermissionOverwrite(
    view_channel=True,
    read_message_history=True,
    send_messages=False,
    send_messages_in_threads=False,
    create_public_threads=False,
    create_private_threads=False,
    add_reactions=False,
)
BOT_ACCESS = discord.PermissionOverwrite(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    read_message_history=True,
    embed_links=True,
    attach_files=True,
    manage_channels=True,
)


def channel_name(name: str) -> str:
    slug = re.sub(r"[^\w-]+", "-", name.casefold(), flags=re.UNICODE).strip("-")
    return (slug or "partnership")[:100]


# Discord allows 50 channels in a category; when "Partnerships" is full, "Partnerships 2" follows.
CATEGORY_CHANNEL_LIMIT = 50
_OUR_CATEGORY = re.compile(rf"{CATEGORY_NAME}(?: (?P<n>[0-9]+))?", re.IGNORECASE)

# One category creation at a time per server, so two partnerships created at once share one.
_category_locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)


def _category_number(category: discord.CategoryChannel) -> int | None:
    """1 for "Partnerships", n for "Partnerships n", None for anyone else's category."""
    match = _OUR_CATEGORY.fullmatch(category.name.strip())
    if match is None:
        return None
    return int(match["n"]) if match["n"] else 1


async def find_or_create_category(guild: discord.Guild) -> discord.CategoryChannel:
    """The first of our categories with room for a channel, or a new one after the last."""
    async with _category_locks[guild.id]:
        ours = sorted(
            (
                (number, category)
                for category in guild.categories
                if (number := _category_number(category)) is not None
            ),
            key=lambda pair: pair[0],
        )
        for _number, category in ours:
            if len(category.channels) < CATEGORY_CHANNEL_LIMIT:
                return category
        next_number = ours[-1][0] + 1 if ours else 1
        name = CATEGORY_NAME if next_number == 1 else f"{CATEGORY_NAME} {next_number}"
        category = await guild.create_category(name, reason="Partnerbot: partnership channels")
        # Cache it at once: the gateway's CHANNEL_CREATE may arrive after the next command.
        guild._add_channel(category)
        return category


async def create_partnership_channel(
    guild: discord.Guild, bot_user_id: int, creator_id: int, name: str, topic: str
) -> discord.TextChannel:
    category = await find_or_create_category(guild)
    overwrites: dict[
        discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite
    ] = {
        guild.default_role: discord.PermissionOverwrite(view_channel=False),
        discord.Object(id=bot_user_id, type=discord.Member): BOT_ACCESS,
        discord.Object(id=creator_id, type=discord.Member): MEMBER_ACCESS,
    }
    return await guild.create_text_channel(
        channel_name(name),
        category=category,
        overwrites=overwrites,  # type: ignore[arg-type]
        topic=topic[:1024],
        reason=f"Partnerbot: channel for the partnership {name}",
    )


# Discord's codes for a target that is not there: the person left the server, or never was.
UNKNOWN_TARGETS = {10007, 10013}  # Unknown Member, Unknown User
UNKNOWN_CHANNEL = 10003
UNKNOWN_OVERWRITE = 10009
# The first retry within half a minute, then backing off; after the last, the next start repairs.
RETRY_DELAYS = (20.0, 60.0, 300.0, 1800.0, 7200.0)


class Applied(StrEnum):
    done = "done"  # the channel shows what the register says
    retrying = "retrying"  # Discord failed for now: it will be tried again in the background
    no_channel = "no_channel"  # the partnership has no channel, or it no longer exists
    forbidden = "forbidden"  # Discord refused the bot the permission


@dataclass
class SyncResult:
    outcome: Applied
    changed: int = 0
    skipped: list[int] = field(default_factory=list)  # people not in the server any more

    def note(self) -> str:
        """A sentence for the reply, or "" when all is as the register says."""
        if self.outcome is Applied.retrying:
            return (
                "\nThe change is recorded. Discord isn't answering properly just now, so the "
                "channel is still being updated: I'll keep trying in the background."
            )
        if self.outcome is Applied.no_channel:
            return "\nThe partnership's channel no longer exists, so channel access is unchanged."
        if self.outcome is Applied.forbidden:
            return (
                "\nI couldn't change their access to the channel: my role needs Manage Roles "
                "and Manage Channels there. Then run `/partnership repair`."
            )
        return ""


def wanted_overwrite(state: ChannelState) -> discord.PermissionOverwrite:
    return READ_ONLY if state.archived else MEMBER_ACCESS


def cached_member_overwrites(channel: discord.abc.GuildChannel) -> dict[int, dict[str, Any]]:
    """A cached channel's overwrites for members (not roles): by member id, its `allow` and
    `deny` as numbers (what `_same` compares, as for an overwrite read from Discord)."""
    current: dict[int, dict[str, Any]] = {}
    for target, overwrite in channel.overwrites.items():
        # A member missing from the cache (the bot keeps none) is an Object of type User.
        if isinstance(target, discord.Role) or getattr(target, "type", None) is discord.Role:
            continue
        allow, deny = overwrite.pair()
        current[target.id] = {"allow": allow.value, "deny": deny.value}
    return current


def _same(overwrite: dict[str, Any], wanted: discord.PermissionOverwrite) -> bool:
    allow, deny = wanted.pair()
    return int(overwrite.get("allow", 0)) == allow.value and int(overwrite.get("deny", 0)) == (
        deny.value
    )


class ChannelSync:
    """Keeps each partnership channel's member overwrites as the register says."""

    def __init__(
        self,
        http: discord.http.HTTPClient,
        register: RegisterService,
        *,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        sleep: Callable[[float], Any] = asyncio.sleep,
        pacer: Pacer | None = None,
        cached: Callable[[int], Any] = lambda _channel_id: None,
    ) -> None:
        self.http = http
        self.register = register
        # The gateway's copy of a channel (`Client.get_channel`), or None: what the repair at
        # start reads instead of asking Discord for the channel again.
        self.cached = cached
        # The repair at start is background work: paced like scheduled posts (`bot.pacing`).
        self.pacer = pacer or Pacer.unpaced()
        self.retry_delays = tuple(retry_delays)
        self._sleep = sleep
        self._retries: dict[int, asyncio.Task[None]] = {}

    async def apply(
        self, partnership_id: int, *, spend: Spend = spend_nothing, from_cache: bool = False
    ) -> SyncResult:
        """Bring the channel to the register's state now; retry later if Discord fails.
        `spend` and `from_cache` as for one pass (`_apply_once`)."""
        result = await self._apply_once(partnership_id, spend, from_cache=from_cache)
        if result.outcome is Applied.retrying:
            self._retry_later(partnership_id)
        return result

    async def repair_all(self, guild_ids: Sequence[int]) -> None:
        """At start: every partnership channel of these servers, one after another, behind
        commands, each request (the channel's read, each overwrite changed) counted against
        the rate scheduled work keeps under; a channel Discord fails to answer for is retried
        later, as after a change."""
        began = time.perf_counter()
        partnership_ids = await self.register.partnerships_with_channels(guild_ids)
        for partnership_id in partnership_ids:
            try:
                async with self.pacer.slot():
                    await self.apply(partnership_id, spend=self.pacer.spend, from_cache=True)
            except Exception:  # one broken channel must not stop the rest
                log.exception("Could not repair the channel of partnership %s", partnership_id)
        checked = len(partnership_ids)
        log.info(
            "Checked %d partnership %s in %.1f s",
            checked,
            plural(checked, "channel"),
            time.perf_counter() - began,
        )

    async def close(self) -> None:
        """Stop retrying; what is left is repaired at the next start."""
        tasks = list(self._retries.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._retries.clear()

    # ---- one pass

    async def _apply_once(
        self, partnership_id: int, spend: Spend = spend_nothing, *, from_cache: bool = False
    ) -> SyncResult:
        """One pass: read the channel, change the overwrites that differ. `spend(n)` is awaited
        before each request (background work is paced; a command's own change is not).
        `from_cache`: read the channel's overwrites from the gateway's copy when the bot has
        one (kept current by CHANNEL_UPDATE), else from Discord."""
        state = await self.register.channel_state(partnership_id)
        if state is None or state.channel_id is None:
            return SyncResult(Applied.no_channel)
        cached = self.cached(state.channel_id) if from_cache else None
        if isinstance(cached, discord.abc.GuildChannel):
            current = cached_member_overwrites(cached)
        else:
            try:
                await spend(1)
                channel = await self.http.get_channel(state.channel_id)
            except discord.NotFound:
                return SyncResult(Applied.no_channel)
            except discord.Forbidden:
                return SyncResult(Applied.forbidden)
            except (discord.HTTPException, *TRANSIENT) as error:
                if not is_transient(error):
                    raise
                log.warning("Channel of %s not read, will retry: %s", state.name, error)
                return SyncResult(Applied.retrying)
            overwrites: list[dict[str, Any]] = channel.get("permission_overwrites") or []  # type: ignore[assignment]
            current = {int(o["id"]): o for o in overwrites if int(o.get("type", 0)) == MEMBER_TYPE}
        wanted = wanted_overwrite(state)
        result = SyncResult(Applied.done)
        targets: list[tuple[int, discord.PermissionOverwrite | None]] = [
            (user, wanted) for user in sorted(state.members)
        ]
        targets += [(user, None) for user in sorted(state.former) if user in current]
        for user_id, overwrite in targets:
            if overwrite is not None and user_id in current and _same(current[user_id], overwrite):
                continue
            await spend(1)
            outcome = await self._set_one(state, user_id, overwrite)
            if outcome == "changed":
                result.changed += 1
            elif outcome == "skipped":
                result.skipped.append(user_id)
            elif outcome in (Applied.no_channel, Applied.forbidden):
                result.outcome = Applied(outcome)
                return result
            elif outcome == Applied.retrying:
                result.outcome = Applied.retrying  # and go on with the others
        return result

    async def _set_one(
        self, state: ChannelState, user_id: int, overwrite: discord.PermissionOverwrite | None
    ) -> str:
        assert state.channel_id is not None
        try:
            if overwrite is None:
                await self.http.delete_channel_permissions(
                    state.channel_id, user_id, reason="Partnerbot: left the partnership"
                )
            else:
                allow, deny = overwrite.pair()
                reason = (
                    "Partnerbot: partnership archived"
                    if state.archived
                    else "Partnerbot: added to the partnership"
                )
                await self.http.edit_channel_permissions(
                    state.channel_id,
                    user_id,
                    str(allow.value),
                    str(deny.value),
                    MEMBER_TYPE,
                    reason=reason,
                )
            return "changed"
        except discord.NotFound as error:
            if error.code == UNKNOWN_CHANNEL:
                return Applied.no_channel
            if error.code in UNKNOWN_TARGETS or error.code == UNKNOWN_OVERWRITE:
                log.info("No overwrite for %s in %s: %s", user_id, state.name, error.text)
                return "skipped"
            return Applied.no_channel
        except discord.Forbidden:
            log.warning("No permission to change overwrites on channel %s", state.channel_id)
            return Applied.forbidden
        except (discord.HTTPException, *TRANSIENT) as error:
            if not is_transient(error):
                raise
            log.warning("Overwrite for %s in %s failed, will retry: %s", user_id, state.name, error)
            return Applied.retrying

    # ---- later

    def _retry_later(self, partnership_id: int) -> None:
        running = self._retries.get(partnership_id)
        if running is not None and not running.done():
            return  # one retry loop per partnership, reading the state afresh each time
        self._retries[partnership_id] = asyncio.create_task(
            self._retry(partnership_id), name=f"partnerbot: channel sync {partnership_id}"
        )

    async def _retry(self, partnership_id: int) -> None:
        try:
            for delay in self.retry_delays:
                await self._sleep(delay)
                try:
                    result = await self._apply_once(partnership_id, spend=self.pacer.spend)
                except Exception:
                    log.exception("Channel sync of partnership %s failed", partnership_id)
                    continue
                if result.outcome is not Applied.retrying:
                    return
            log.warning(
                "Gave up updating the channel of partnership %s; the next start repairs it",
                partnership_id,
            )
        finally:
            self._retries.pop(partnership_id, None)
