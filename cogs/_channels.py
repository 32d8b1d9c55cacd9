"""Partnership channels on Discord: creation, access and read-only archives, by id.

Overwrites are set by id through the REST API, so they work whether or not the channel or the
member is in the bot's cache (the bot keeps no member cache: it asks for no privileged intent).
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from typing import Literal

import discord

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


async def _set(
    http: discord.http.HTTPClient,
    channel_id: int,
    user_id: int,
    overwrite: discord.PermissionOverwrite,
    reason: str,
) -> None:
    allow, deny = overwrite.pair()
    await http.edit_channel_permissions(
        channel_id, user_id, str(allow.value), str(deny.value), MEMBER_TYPE, reason=reason
    )


async def grant(http: discord.http.HTTPClient, channel_id: int, user_id: int) -> None:
    await _set(http, channel_id, user_id, MEMBER_ACCESS, "Partnerbot: added to the partnership")


async def revoke(http: discord.http.HTTPClient, channel_id: int, user_id: int) -> None:
    try:
        await http.delete_channel_permissions(
            channel_id, user_id, reason="Partnerbot: left the partnership"
        )
    except discord.NotFound:
        pass  # no overwrite to remove


async def make_read_only(
    http: discord.http.HTTPClient, channel_id: int, user_ids: list[int]
) -> None:
    for user_id in user_ids:
        await _set(http, channel_id, user_id, READ_ONLY, "Partnerbot: partnership archived")
