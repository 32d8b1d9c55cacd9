"""/guide: a private, short, role-aware guide; and the message a server gets when the bot joins.

`/guide [topic]` says what Partnerbot is for, the first three steps for the person's role (in a
partnership's channel: their role there; elsewhere: in their partnerships), the commands they
can use and the ideas behind them, with their sources. The words are in
`bot/services/guide/guide.toml`; the layout in `_guide_text`.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import PartnerBot
from bot.replies import NO_MENTIONS, send
from bot.services.guide import TOPICS, GuideService, load_guide
from cogs._context import actor_of, where_of
from cogs._guide_text import guide_embed, join_message

log = logging.getLogger(__name__)


def topic_choices() -> list[app_commands.Choice[str]]:
    topics = load_guide().topics
    return [app_commands.Choice(name=topics[key].choice, value=key) for key in TOPICS]


class GuideCog(commands.Cog, name="Guide"):
    """The guide, and a word to a server Partnerbot has just joined."""

    def __init__(self, bot: PartnerBot, guide: GuideService) -> None:
        self.bot = bot
        self.guide = guide

    @app_commands.command(
        name="guide", description="What Partnerbot is for and what is yours to do, privately."
    )
    @app_commands.guild_only()
    @app_commands.describe(topic="start (default), roles, goals, reflection, trust, log or export")
    @app_commands.choices(topic=topic_choices())
    async def guide_(
        self, interaction: discord.Interaction, topic: app_commands.Choice[str] | None = None
    ) -> None:
        context = await self.guide.context(actor_of(interaction), where_of(interaction))
        names = [
            c.qualified_name
            for c in self.bot.tree.walk_commands()
            if isinstance(c, app_commands.Command)
        ]
        await send(
            interaction, embed=guide_embed(context, topic.value if topic else "start", names)
        )

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        """One message pointing to `/guide`: in the server's system channel if the bot may post
        there, else to the server's owner by direct message. Discord doesn't tell a bot who
        invited it (only the audit log would, which Partnerbot may not read), so the owner
        stands in for the inviter. Failures are logged, never raised."""
        text = join_message(guild.name)
        channel = guild.system_channel
        if channel is not None and channel.permissions_for(guild.me).send_messages:
            try:
                await channel.send(text, allowed_mentions=NO_MENTIONS)
                return
            except discord.HTTPException as error:
                log.warning("No welcome in the system channel of server %s: %s", guild.id, error)
        if guild.owner_id is None:
            log.info("Joined server %s, which has no system channel or owner to tell", guild.id)
            return
        try:
            dm = await self.bot.create_dm(discord.Object(id=guild.owner_id))
            await dm.send(text, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as error:
            log.warning("No welcome to the owner of server %s: %s", guild.id, error)


async def setup(bot: PartnerBot) -> None:
    await bot.add_cog(GuideCog(bot, bot.services.guide))
