"""Replying on Discord: ephemeral errors, safe mentions, length limits."""

from __future__ import annotations

import discord

NO_MENTIONS = discord.AllowedMentions.none()
MESSAGE_LIMIT = 2000
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELD_LIMIT = 1024
EMBED_TITLE_LIMIT = 256


def clip(text: str, limit: int) -> str:
    """Shorten `text` to Discord's `limit`, marking the cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def escape(text: str) -> str:
    """User text shown inside our own Markdown: no formatting, no mentions."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


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
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)
