"""After `/log redact`: what was posted on Discord is made to show the marker too.

- A note: its post in the partnership's channel (the entry's message link) is edited to show the
  marker under the same first line; if it was logged during a meeting whose summary is posted,
  the summary's line for it is found among the channel's latest messages and edited too.
- A stance comment, or the origin detail of an organisation's reading: the goal's posted card is
  redrawn from the goal web, which reads the comment or detail as removed (through the
  `partnership_changed` event the goal cog already redraws cards on). The reply to
  `/goal perceive` was seen by its author only, so there is nothing else to edit.
- A reflection answer: the copy shared in the prompt's thread is found among the thread's latest
  messages (the bot keeps no id of it) and edited to show the marker.

Each is best effort: the redaction is already recorded. A failure is logged, and the reply says
what could not be changed so the person can ask a moderator to delete it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.replies import EMBED_DESCRIPTION_LIMIT, NO_MENTIONS, escape
from bot.services.notes import Redacted
from bot.services.notes.redaction import PERCEIVED
from bot.services.text import clip
from cogs._log_text import removed_post
from cogs._meeting_text import ITEM_LIMIT, SUMMARY_HEAD, item_head
from cogs._reflect_views import answer_footer

if TYPE_CHECKING:
    from bot.app import PartnerBot

log = logging.getLogger(__name__)

# How far back in a channel or a prompt's thread a copy the bot posted is looked for.
SEARCH_LIMIT = 100


async def unpost(bot: PartnerBot, removed: Redacted) -> str:
    """Make Discord show the marker where the text was posted; a sentence for the reply."""
    if removed.note is not None:
        return await _note(bot, removed) + await _summary(bot, removed)
    if removed.goal_id is not None:
        await bot.partnership_changed(removed.partnership_id)
        words = "origin detail" if removed.kind == PERCEIVED else "comment"
        return f" Goal #{removed.goal_id}'s posted card is redrawn without the {words}."
    if removed.post_id is not None:
        return await _answer(bot, removed)
    return ""


async def _note(bot: PartnerBot, removed: Redacted) -> str:
    if removed.channel_id is None or removed.message_id is None:
        return ""
    where = f"<#{removed.channel_id}>"
    message = bot.get_partial_messageable(
        removed.channel_id, guild_id=removed.guild_id
    ).get_partial_message(removed.message_id)
    try:
        await message.edit(content=removed_post(removed), allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as error:
        log.warning(
            "Could not edit the post of redacted entry %s (message %s): %s",
            removed.event_id,
            removed.message_id,
            error,
        )
        return (
            f" I couldn't edit its post in {where} (it may have been deleted, or I can't "
            "reach the channel), so if the post is still there, ask a moderator to delete it."
        )
    return f" Its post in {where} now shows the marker too."


async def _answer(bot: PartnerBot, removed: Redacted) -> str:
    if removed.thread_id is None or removed.post_id is None or bot.user is None:
        return ""
    thread = bot.get_partial_messageable(
        removed.thread_id, guild_id=removed.guild_id, type=discord.ChannelType.public_thread
    )
    shared = clip(escape(removed.words), EMBED_DESCRIPTION_LIMIT)
    footer = answer_footer(removed.post_id)
    edited = 0
    try:
        async for message in thread.history(limit=SEARCH_LIMIT):
            if message.author.id != bot.user.id or not message.embeds:
                continue
            embed = message.embeds[0]
            if embed.footer.text != footer or embed.description != shared:
                continue
            embed.description = f"*{escape(removed.marker)}*"
            await message.edit(embed=embed, allowed_mentions=NO_MENTIONS)
            edited += 1
    except discord.HTTPException as error:
        log.warning(
            "Could not edit the shared copy of redacted entry %s in thread %s: %s",
            removed.event_id,
            removed.thread_id,
            error,
        )
        return (
            f" I couldn't edit its copy in the prompt's thread <#{removed.thread_id}>, so if "
            "it is still there, ask a moderator to delete it."
        )
    if not edited:
        return (
            f" I couldn't find its copy among the latest {SEARCH_LIMIT} messages of the "
            f"prompt's thread <#{removed.thread_id}>; if it is there, ask a moderator to delete it."
        )
    return " Its copy in the prompt's thread now shows the marker too."


def without_item(content: str, removed: Redacted) -> str:
    """A meeting summary with the removed item's words replaced by the marker. The words may
    span lines; where the summary was clipped inside them, everything from the item on goes."""
    head = f"\n{item_head(removed.event_id)}"
    marker = f"{head}*{escape(removed.marker)}*"
    shown = f"{head}{escape(clip(removed.words, ITEM_LIMIT))}"
    if shown in content:
        return content.replace(shown, marker, 1)
    at = content.find(head)
    return content if at < 0 else content[:at] + marker


def _names_item(content: str, removed: Redacted) -> bool:
    return f"\n{item_head(removed.event_id)}" in content


async def _summary(bot: PartnerBot, removed: Redacted) -> str:
    """The posted summary of the meeting the note belonged to, if there is one yet (a summary
    posted later reads the note as removed already)."""
    if removed.meeting_id is None or removed.channel_id is None or bot.user is None:
        return ""
    channel = bot.get_partial_messageable(removed.channel_id, guild_id=removed.guild_id)
    try:
        async for message in channel.history(limit=SEARCH_LIMIT):
            if message.author.id != bot.user.id or not message.content.startswith(SUMMARY_HEAD):
                continue
            if not _names_item(message.content, removed):
                continue
            await message.edit(
                content=without_item(message.content, removed), allowed_mentions=NO_MENTIONS
            )
            return " The meeting's summary shows the marker too."
    except discord.HTTPException as error:
        log.warning(
            "Could not edit the meeting summary for redacted entry %s: %s", removed.event_id, error
        )
        return (
            " I couldn't edit the meeting's summary in the channel, so if it still shows the "
            "words, ask a moderator to delete it."
        )
    return ""
