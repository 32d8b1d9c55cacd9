"""Replying on Discord: ephemeral errors, safe mentions, length limits.

`error_reply` is the one place an error becomes a reply, for the command tree and for every
view and form alike (see `cogs/_base.py`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid

import discord
from discord import app_commands
from sqlalchemy.exc import DBAPIError

from bot.errors import UserFacingError
from bot.services.text import clip

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
MESSAGE_LIMIT = 2000
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELD_LIMIT = 1024
EMBED_TITLE_LIMIT = 256


@functools.lru_cache(maxsize=4096)
def escape(text: str) -> str:
    """User text shown inside our own Markdown: no formatting, no mentions. Kept for the
    texts seen lately (a list escapes the same twenty titles on every call)."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


#: A reply that has not come within this long is deferred ("thinking…", privately), so it
#: still beats Discord's three seconds when a write queues behind another. Most replies come
#: well before it, and answering at once spares them the deferral's extra round trip.
DEFER_AFTER = 1.5


class _Deferral:
    """The deferral of one interaction's reply, due `DEFER_AFTER` from now unless the reply
    comes first. The lock keeps the two from crossing: a reply waits for a deferral already
    under way, and a deferral not yet under way is called off."""

    def __init__(self, interaction: discord.Interaction, after: float) -> None:
        self.lock = asyncio.Lock()
        self.interaction = interaction
        self.task = asyncio.get_running_loop().create_task(self._later(after))
        self.task.add_done_callback(lambda _task: _deferrals.pop(interaction.id, None))

    async def _later(self, after: float) -> None:
        await asyncio.sleep(after)
        async with self.lock:
            if self.interaction.response.is_done():
                return
            try:
                await self.interaction.response.defer(ephemeral=True, thinking=True)
            except discord.HTTPException as error:  # expired meanwhile: the reply will say so
                log.warning("Could not defer interaction %s: %s", self.interaction.id, error)

    async def settle(self) -> None:
        async with self.lock:
            self.task.cancel()


_deferrals: dict[int, _Deferral] = {}


def defer_if_slow(interaction: discord.Interaction, *, after: float | None = None) -> None:
    """Defer this interaction's reply privately if it has not come within `after` seconds
    (`DEFER_AFTER`; `send` calls the deferral off, or follows it up)."""
    if interaction.response.is_done() or interaction.id in _deferrals:
        return
    _deferrals[interaction.id] = _Deferral(interaction, DEFER_AFTER if after is None else after)


async def settle(interaction: discord.Interaction) -> None:
    """Before answering: wait for a deferral under way, or call off one not yet due."""
    deferral = _deferrals.pop(interaction.id, None)
    if deferral is not None:
        await deferral.settle()


async def send(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    ephemeral: bool = True,
    embed: discord.Embed | None = None,
    file: discord.File | None = None,
) -> None:
    """Answer an interaction, whether or not it was answered or deferred already."""
    kwargs: dict = {"ephemeral": ephemeral, "allowed_mentions": NO_MENTIONS}
    if content is not None:
        kwargs["content"] = clip(content, MESSAGE_LIMIT)
    if embed is not None:
        kwargs["embed"] = embed
    if file is not None:
        kwargs["file"] = file
    await settle(interaction)
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)


BUSY = (
    "Someone else is changing this partnership at this very moment, so nothing was changed. "
    "Please try again in a moment."
)


def is_busy(error: BaseException) -> bool:
    """A write gave up waiting for another one: PostgreSQL's lock_timeout (SQLSTATE 55P03)
    or SQLite's busy timeout ("database is locked")."""
    if not isinstance(error, DBAPIError):
        return False
    cause = error.orig
    return getattr(cause, "sqlstate", None) == "55P03" or "database is locked" in str(cause)


async def error_reply(interaction: discord.Interaction, error: BaseException) -> None:
    """The one place errors become replies: user errors kindly, the rest logged with context."""
    original = getattr(error, "original", error)
    if isinstance(original, UserFacingError):
        message = original.message
    elif is_busy(original):
        message = BUSY
        log.warning("Lock wait ran out in guild %s: %s", interaction.guild_id, original)
    elif isinstance(error, app_commands.NoPrivateMessage):
        message = "This command works only inside a server."
    elif isinstance(error, app_commands.CheckFailure):
        message = "You don't have permission to do that."
    elif isinstance(error, app_commands.TransformerError):
        message = f"I couldn't understand “{error.value}” for that option."
    elif isinstance(original, discord.Forbidden):
        message = (
            "Discord refused me permission for part of that. Check that my role has Manage "
            "Channels and Manage Roles, and that it sits above the roles I need to manage."
        )
        log.warning("Forbidden during interaction in guild %s: %s", interaction.guild_id, original)
    else:
        reference = uuid.uuid4().hex[:8]
        command = interaction.command.qualified_name if interaction.command else "?"
        log.error(
            "Unhandled error [%s] in command %s (guild %s, user %s)",
            reference,
            command,
            interaction.guild_id,
            interaction.user.id if interaction.user else None,
            exc_info=original,
        )
        message = (
            "Sorry, something went wrong on my side and nothing was changed. "
            f"If it keeps happening, give the bot's host this reference: {reference}."
        )
    try:
        await send(interaction, message, ephemeral=True)
    except discord.HTTPException:
        log.warning("Could not send an error reply for interaction %s", interaction.id)
