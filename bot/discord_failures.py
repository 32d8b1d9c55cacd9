"""Discord failures that pass: the one list of them, and how they are described.

A 5xx, a 429 that discord.py gave up waiting on, a time-out or a broken connection is worth
trying again; anything else (404, 403, a bad request) is not. Schedule actions turn these into
`TransientError`, the channel sync into a background retry.
"""

from __future__ import annotations

import aiohttp
import discord

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
