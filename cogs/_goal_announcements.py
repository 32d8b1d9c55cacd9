"""Announcing a goal's news in its partnership's channel: one public line, mentioning nobody.

The goal service decides whether a change is announced (`bot.services.goals.announce`); this
writes the line and posts it after the goal's card is redrawn. The line names the goal (its
title escaped) and links to its card. Posting is best effort: the change is recorded either way.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.discord_failures import TRANSIENT
from bot.replies import MESSAGE_LIMIT, NO_MENTIONS, escape
from bot.services.goals import Announcement, describe_value
from bot.services.text import clip

if TYPE_CHECKING:
    from bot.app import PartnerBot

log = logging.getLogger(__name__)

TITLE_ROOM = 300  # of a goal's title in the line


def _percent(value: int | None) -> str:
    return "unset" if value is None else f"{value}%"


def announcement_line(a: Announcement) -> str:
    """`✅ Goal #3 “Every family knows where to go” is agreed (consensus, 3 of 3 voices), on
    Food Bank's stance: <card>`; a status or progress change reads the same way."""
    goal = f"Goal #{a.goal_id} “{escape(clip(a.title, TITLE_ROOM))}”"
    parts: list[str] = []
    if a.agreed:
        how = f"{a.rule}, " if a.rule else ""
        on = f", on {escape(a.by_organisation)}'s stance" if a.by_organisation else ""
        parts.append(f"is **agreed** ({how}{a.supportive} of {a.voices} voices){on}")
    if a.status is not None:
        old, new = a.status
        parts.append(f"is now **{describe_value(new)}** (was {describe_value(old)})")
    if a.progress is not None:
        old_p, new_p = a.progress
        parts.append(f"progress {_percent(old_p)} → **{_percent(new_p)}**")
    mark = "✅" if a.agreed else "📣"
    where = f": {a.card_link}" if a.card_link else "."
    return clip(f"{mark} {goal} {'; '.join(parts)}{where}", MESSAGE_LIMIT)


async def announce(bot: PartnerBot, announcement: Announcement | None) -> bool:
    """Post the line in the partnership's channel; True when it went."""
    if announcement is None:
        return False
    channel = bot.get_partial_messageable(
        announcement.channel_id, guild_id=announcement.guild_id, type=discord.ChannelType.text
    )
    try:
        await channel.send(announcement_line(announcement), allowed_mentions=NO_MENTIONS)
    except (discord.HTTPException, *TRANSIENT) as error:
        log.warning(
            "No announcement for goal %s in channel %s: %s",
            announcement.goal_id,
            announcement.channel_id,
            error,
        )
        return False
    return True
