"""/meeting: meetings, so minutes are real minutes. `/meeting start` posts an "I'm here" button
in the partnership's channel; notes logged with `/log note` until `/meeting end` belong to the
meeting; `/meeting end` posts its summary there.

Message text lives in `_meeting_text`; the button in `_meeting_components`.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import PartnerBot
from bot.replies import escape, send
from bot.services.meetings import TITLE_MAX, MeetingService
from cogs._base import remove_post, thinking
from cogs._context import actor_of, partnership_autocomplete, ref_of
from cogs._meeting_components import HereButton, here_view
from cogs._meeting_text import start_post, summary_post

log = logging.getLogger(__name__)

PARTNERSHIP_OPTION = "Which partnership (implied in its channel)"


@app_commands.guild_only()
class MeetingCog(commands.GroupCog, name="Meeting", group_name="meeting"):
    """Meetings: attendance, and the notes, decisions and actions logged during them."""

    def __init__(self, bot: PartnerBot, meetings: MeetingService) -> None:
        self.bot = bot
        self.meetings = meetings
        super().__init__()

    @app_commands.command(name="start", description="Start a meeting with an I'm here button.")
    @app_commands.describe(
        title="The meeting's title (default: Meeting on today's date)",
        partnership=PARTNERSHIP_OPTION,
    )
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def start(
        self,
        interaction: discord.Interaction,
        title: app_commands.Range[str, 1, TITLE_MAX] | None = None,
        partnership: str | None = None,
    ) -> None:
        await thinking(interaction)
        actor = actor_of(interaction)
        draft = await self.meetings.prepare_start(
            actor, ref_of(interaction, partnership), title=title
        )
        message: discord.Message | None = None
        if draft.channel_id is not None:
            try:
                message = await self.bot.get_partial_messageable(draft.channel_id).send(
                    start_post(draft, actor.display_name),
                    view=here_view(draft.partnership_id),
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            except discord.HTTPException as error:
                log.warning("Could not post a meeting in channel %s: %s", draft.channel_id, error)
        try:
            started = await self.meetings.record_start(
                actor,
                draft,
                channel_id=draft.channel_id if message else None,
                message_id=message.id if message else None,
            )
        except Exception:
            if message is not None:
                await remove_post(message, "meeting")
            raise
        where = (
            f" Its attendance button is in <#{draft.channel_id}> ({started.message_link})."
            if started.message_link
            else " Its attendance button couldn't be posted in the partnership's channel."
        )
        await send(
            interaction,
            f"Started the meeting “{escape(started.draft.title)}” of "
            f"{escape(draft.partnership)}.{where} End it with `/meeting end`.",
        )

    @app_commands.command(
        name="end", description="End the meeting and post its summary: its starter or a convener."
    )
    @app_commands.describe(partnership=PARTNERSHIP_OPTION)
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def end(self, interaction: discord.Interaction, partnership: str | None = None) -> None:
        await thinking(interaction)
        summary = await self.meetings.end(actor_of(interaction), ref_of(interaction, partnership))
        posted = ""
        if summary.channel_id is not None:
            try:
                await self.bot.get_partial_messageable(summary.channel_id).send(
                    summary_post(summary), allowed_mentions=discord.AllowedMentions.none()
                )
                posted = f" Its summary is posted in <#{summary.channel_id}>."
            except discord.HTTPException as error:
                log.warning("Could not post a summary in channel %s: %s", summary.channel_id, error)
        await send(
            interaction,
            f"Ended the meeting “{escape(summary.title)}” of {escape(summary.partnership)}."
            f"{posted}",
        )


async def setup(bot: PartnerBot) -> None:
    bot.add_dynamic_items(HereButton)
    await bot.add_cog(MeetingCog(bot, bot.services.meetings))


async def teardown(bot: PartnerBot) -> None:
    bot.remove_dynamic_items(HereButton)
