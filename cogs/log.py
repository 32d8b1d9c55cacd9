"""/log: the partnership log. Notes, decisions, actions, small wins and risks are posted in the
partnership's channel and logged with a link to that message; actions are closed by their
owner or a convener; `/log show` pages through every feature's events, newest first;
`/log redact` removes a person's text from every view (and from what was posted);
`/log exports` shows conveners who exported what.

Message and page text live in `_log_text`; the paging buttons and autocompletes in
`_log_components`; what a redaction changes on Discord in `_log_redact`. Reminders of open
actions are sent by `_log_reminders`, registered here as the timer engine's `action.remind`
handler (`bot.timers`: each action's two timers are made as it is logged).
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import PartnerBot
from bot.replies import escape, send
from bot.services.notes import TEXT_MAX, NoteKind, NoteService
from bot.services.notes.reminders import REMIND_TIMER, seed_timers
from bot.services.vocab import PHASE_HELP, Phase
from cogs._base import remove_post, thinking
from cogs._context import actor_of, enum_choices, partnership_autocomplete, ref_of
from cogs._goal_components import goal_autocomplete
from cogs._log_components import PageButton, action_autocomplete, page_view, redact_autocomplete
from cogs._log_redact import unpost
from cogs._log_reminders import ReminderSweep
from cogs._log_text import exports_embed, note_mentions, note_post, page_embed

log = logging.getLogger(__name__)

PARTNERSHIP_OPTION = "Which partnership (implied in its channel)"


@app_commands.guild_only()
class LogCog(commands.GroupCog, name="Log", group_name="log"):
    """The partnership log: notes, decisions, actions, and every feature's events."""

    def __init__(self, bot: PartnerBot, notes: NoteService, sweep: ReminderSweep) -> None:
        self.bot = bot
        self.notes = notes
        self.sweep = sweep
        super().__init__()

    @app_commands.command(
        name="note", description="Log a note, decision, action, small win or risk."
    )
    @app_commands.describe(
        text="What to log (posted in the partnership's channel)",
        kind="Note (default), decision, action, small win or risk",
        goal="A decision's goal: choose from the list, or type its number or exact title",
        review_on="A decision's review date, YYYY-MM-DD",
        owner="An action's owner: a member of the partnership",
        due="An action's due date, YYYY-MM-DD (today or later)",
        partnership=PARTNERSHIP_OPTION,
        phase="A small win's co-production phase: commissioning, design, delivery or assessment",
    )
    @app_commands.choices(kind=enum_choices(NoteKind), phase=enum_choices(Phase, PHASE_HELP))
    @app_commands.autocomplete(goal=goal_autocomplete, partnership=partnership_autocomplete)
    async def note(
        self,
        interaction: discord.Interaction,
        text: app_commands.Range[str, 1, TEXT_MAX],
        kind: app_commands.Choice[str] | None = None,
        goal: app_commands.Range[str, 1, 200] | None = None,
        review_on: app_commands.Range[str, 1, 10] | None = None,
        owner: discord.User | None = None,
        due: app_commands.Range[str, 1, 10] | None = None,
        partnership: str | None = None,
        phase: app_commands.Choice[str] | None = None,
    ) -> None:
        await thinking(interaction)
        actor = actor_of(interaction)
        draft = await self.notes.prepare(
            actor,
            ref_of(interaction, partnership),
            text=text,
            kind=kind.value if kind else None,
            goal=goal,
            review_on=review_on,
            owner_id=owner.id if owner else None,
            due=due,
            phase=phase.value if phase else None,
        )
        message: discord.Message | None = None
        if draft.channel_id is not None:
            try:
                message = await self.bot.get_partial_messageable(draft.channel_id).send(
                    note_post(draft, actor.display_name), allowed_mentions=note_mentions(draft)
                )
            except discord.HTTPException as error:
                log.warning("Could not post a note in channel %s: %s", draft.channel_id, error)
        try:
            result = await self.notes.record(
                actor,
                draft,
                channel_id=draft.channel_id if message else None,
                message_id=message.id if message else None,
            )
        except Exception:
            if message is not None:
                await remove_post(message, "note")
            raise
        where = (
            f" and posted in <#{draft.channel_id}> ({result.message_link})"
            if result.message_link
            else " (it couldn't be posted in the partnership's channel)"
        )
        await send(
            interaction,
            f"Logged {kind_words(draft.kind)} #{result.event_id} in "
            f"{escape(draft.partnership)}{where}.",
        )

    @app_commands.command(name="done", description="Close an action: its owner or a convener.")
    @app_commands.describe(
        action="The action: choose from the list, or type the number /log show gives",
        partnership=PARTNERSHIP_OPTION,
    )
    @app_commands.autocomplete(action=action_autocomplete, partnership=partnership_autocomplete)
    async def done(
        self,
        interaction: discord.Interaction,
        action: app_commands.Range[str, 1, 20],
        partnership: str | None = None,
    ) -> None:
        await thinking(interaction)
        closed = await self.notes.close_action(
            actor_of(interaction), ref_of(interaction, partnership), action
        )
        await send(
            interaction,
            f"Action #{closed.action_id} of {escape(closed.partnership)} is done: "
            f"“{escape(closed.text)}”.",
        )

    @app_commands.command(name="show", description="The partnership log, newest first.")
    @app_commands.describe(
        since="Only entries from this date on, YYYY-MM-DD",
        kind="Only notes of one kind (action: open and overdue first, with owner and due date)",
        partnership=PARTNERSHIP_OPTION,
        phase="Only small wins that concern this co-production phase",
    )
    @app_commands.choices(kind=enum_choices(NoteKind), phase=enum_choices(Phase, PHASE_HELP))
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def show(
        self,
        interaction: discord.Interaction,
        since: app_commands.Range[str, 1, 10] | None = None,
        kind: app_commands.Choice[str] | None = None,
        partnership: str | None = None,
        phase: app_commands.Choice[str] | None = None,
    ) -> None:
        page = await self.notes.page(
            actor_of(interaction),
            ref_of(interaction, partnership),
            since=since,
            kind=kind.value if kind else None,
            phase=phase.value if phase else None,
        )
        await interaction.response.send_message(
            embed=page_embed(page),
            view=page_view(page),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @app_commands.command(
        name="redact",
        description=(
            "Its author or a convener: remove the text of a note, comment, reflection or reading."
        ),
    )
    @app_commands.describe(
        entry="The entry: choose from the list, or type the number /log show gives",
        partnership=PARTNERSHIP_OPTION,
    )
    @app_commands.autocomplete(entry=redact_autocomplete, partnership=partnership_autocomplete)
    async def redact(
        self,
        interaction: discord.Interaction,
        entry: app_commands.Range[str, 1, 20],
        partnership: str | None = None,
    ) -> None:
        await thinking(interaction)
        removed = await self.notes.redact(
            actor_of(interaction), ref_of(interaction, partnership), entry
        )
        where = await unpost(self.bot, removed)
        await send(
            interaction,
            f"Removed the text of entry #{removed.event_id} ({removed.what}) in "
            f"{escape(removed.partnership)}: it now reads “{removed.marker}” in the log, its "
            "replies and exports. The log records that it was removed and by whom, never the "
            f"words.{where}",
        )

    @app_commands.command(name="exports", description="Conveners: who exported what, and when.")
    @app_commands.describe(partnership=PARTNERSHIP_OPTION)
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def exports(
        self, interaction: discord.Interaction, partnership: str | None = None
    ) -> None:
        listing = await self.notes.export_records(
            actor_of(interaction), ref_of(interaction, partnership)
        )
        await send(interaction, embed=exports_embed(listing))


def kind_words(kind: str) -> str:
    return {"action": "action", "small_win": "small win"}.get(kind, kind)


async def setup(bot: PartnerBot) -> None:
    bot.add_dynamic_items(PageButton)
    sweep = ReminderSweep(bot, bot.services.reminders)
    await bot.add_cog(LogCog(bot, bot.services.notes, sweep))
    bot.timers.register(REMIND_TIMER, sweep.timer, seed_timers)


async def teardown(bot: PartnerBot) -> None:
    bot.remove_dynamic_items(PageButton)
    bot.timers.unregister(REMIND_TIMER)
