"""The weekly digest on Discord: the schedule engine's "digest" action, posted in the
partnership's channel.

The digest schedule is made and cancelled by `/partnership configure digest`
(`DigestService.follow_setting`); this cog registers the action that posts each occurrence (once:
the engine claims it and the post carries the occurrence's nonce), re-times the schedule when
the partnership's time zone changes, and tells the conveners when the channel is gone.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord.ext import commands

from bot.app import PartnerBot
from bot.discord_failures import post_in_channel
from bot.replies import NO_MENTIONS, escape
from bot.scheduling import Due
from bot.services.digest import SCHEDULE_KIND, DigestService
from bot.services.schedules import ScheduleService
from cogs._digest_text import digest_embed

log = logging.getLogger(__name__)


class DigestCog(commands.Cog, name="Digest"):
    """Posts the weekly digest; it has no commands of its own."""

    def __init__(self, bot: PartnerBot, digest: DigestService, schedules: ScheduleService) -> None:
        self.bot = bot
        self.digest = digest
        self.schedules = schedules

    async def run(self, due: Due) -> dict[str, Any]:
        """The scheduled action: the week up to the occurrence's time, posted once."""
        digest = await self.digest.digest(due.partnership_id, due.due_at)
        if digest is None:
            return {"posted": False}  # turned off (or archived) since the schedule was made
        message = await post_in_channel(
            self.bot,
            digest.channel_id,
            digest.guild_id,
            embed=digest_embed(digest),
            allowed_mentions=NO_MENTIONS,
            nonce=due.nonce,
        )
        return {"posted": True, "channel_id": digest.channel_id, "message_id": message.id}

    async def on_gone(self, due: Due, reason: str) -> None:
        """The digest schedule paused because its channel is gone: tell each convener."""
        notice = await self.bot.services.reflection.gone_notice(due.partnership_id, due.schedule_id)
        text = (
            f"The weekly digest of **{escape(notice.partnership_name)}** is paused: {reason} "
            "Once the partnership has a channel I can post in, resume it with "
            "`/partnership configure digest:weekly`."
        )
        for user_id in notice.convener_ids:
            try:
                dm = await self.bot.create_dm(discord.Object(id=user_id))
                await dm.send(text, allowed_mentions=NO_MENTIONS)
            except Exception as exc:  # a closed DM must not stop the others
                log.info("No direct message to %s: %s", user_id, exc)

    @commands.Cog.listener()
    async def on_partnership_changed(self, partnership_id: int) -> None:
        """A new time zone (or an archive) changes when the digest is posted."""
        await self.schedules.retime(partnership_id, SCHEDULE_KIND)


async def setup(bot: PartnerBot) -> None:
    cog = DigestCog(bot, bot.services.digest, bot.services.schedules)
    await bot.add_cog(cog)
    bot.scheduler.register(SCHEDULE_KIND, cog.run, cog.on_gone)


async def teardown(bot: PartnerBot) -> None:
    bot.scheduler.unregister(SCHEDULE_KIND)
