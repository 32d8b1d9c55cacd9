"""Discord failures that pass: the one list of them, and how they are described.

A 5xx, a 429 that discord.py gave up waiting on, a time-out or a broken connection is worth
trying again; anything else (404, 403, a bad request) is not. Schedule actions turn these into
`TransientError`, the channel sync into a background retry.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import discord

from bot.schedule_actions import TargetGone, TransientError

TRANSIENT = (discord.DiscordServerError, discord.RateLimited, TimeoutError, aiohttp.ClientError)


def is_transient(error: BaseException) -> bool:
    """A failure worth trying again: Discord's 5xx or 429, a time-out, a broken connection."""
    if isinstance(error, discord.HTTPException):
        return error.status == 429 or error.status >= 500
    return isinstance(error, TRANSIENT)


def describe(error: BaseException) -> str:
    """A short line for the occurrence's record and `/… list`: what Discord said, or what broke."""
    if isinstance(error, discord.HTTPException):
        return f"Discord answered {error.status}: {error.text or type(error).__name__}"
    if isinstance(error, TimeoutError):
        return "Discord did not answer in time."
    return f"{type(error).__name__}: {error}"


async def post_in_channel(
    bot: discord.Client, channel_id: int | None, guild_id: int, **message: Any
) -> discord.Message:
    """A scheduled action's message in a partnership's channel. Raises `TargetGone` when the
    channel is missing, gone or closed to the bot (the schedule pauses), `TransientError` for
    a failure that passes (the engine tries again later)."""
    if channel_id is None:
        raise TargetGone("The partnership has no channel to post in.")
    channel = bot.get_partial_messageable(
        channel_id, guild_id=guild_id, type=discord.ChannelType.text
    )
    try:
        return await channel.send(**message)
    except discord.NotFound as exc:
        raise TargetGone("The partnership's channel no longer exists.") from exc
    except discord.Forbidden as exc:
        raise TargetGone("I'm not allowed to post in the partnership's channel.") from exc
    except TRANSIENT as exc:
        raise TransientError(describe(exc)) from exc
    except discord.HTTPException as exc:
        if is_transient(exc):  # a 429 discord.py gave up waiting out: try again later
            raise TransientError(describe(exc)) from exc
        raise
