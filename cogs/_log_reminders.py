"""Reminders of open actions on Discord.

`ReminderSweep.timer` is the timer engine's `action.remind` handler (`bot.timers`): for each
of an action's two timers it asks `ActionReminders.remind_one` (the rules, and a claim made
exactly once) and sends the reminder to the action's owner by direct message; where that
fails, one message in the partnership's channel mentions the owner, and only them. A reminder
that is no longer due (the action done, its window passed) is `skipped`. Nothing is retried.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.pacing import Spend, spend_nothing
from bot.replies import MESSAGE_LIMIT, NO_MENTIONS, escape
from bot.services.notes import ActionReminder, ActionReminders
from bot.services.text import clip
from bot.timers import Fire, TimerSkipped

if TYPE_CHECKING:
    from bot.app import PartnerBot

log = logging.getLogger(__name__)


def reminder_text(reminder: ActionReminder) -> str:
    """What the owner reads: the action, its partnership, its due date, its note, how to close."""
    when = "tomorrow" if reminder.which == "day_before" else "today"
    link = f"\nThe note: {reminder.message_link}" if reminder.message_link else ""
    head = (
        f"⏰ Your action #{reminder.action_id} in **{escape(reminder.partnership)}** is due "
        f"{when}, {reminder.due.isoformat()}."
    )
    tail = f"{link}\nWhen it's done, close it with `/log done action:{reminder.action_id}`."
    room = MESSAGE_LIMIT - len(head) - len(tail) - 4
    return f"{head}\n“{clip(escape(reminder.text), room)}”{tail}"


def reminder_fallback(reminder: ActionReminder) -> str:
    return clip(
        f"<@{reminder.owner_id}> I couldn't send you a direct message, so here is your "
        f"reminder.\n{reminder_text(reminder)}",
        MESSAGE_LIMIT,
    )


class ReminderSweep:
    """Sends the reminders of open actions that are due."""

    def __init__(self, bot: PartnerBot, reminders: ActionReminders) -> None:
        self.bot = bot
        self.reminders = reminders

    async def timer(self, fire: Fire) -> dict[str, Any]:
        """One reminder of one action, if it is still due."""
        reminder = await self.reminders.remind_one(fire.subject_id, str(fire.options.get("which")))
        if reminder is None:
            raise TimerSkipped("no longer due: done, passed, sent, or the owner left")
        direct = await self.remind(reminder, spend=fire.spend)
        return {"which": reminder.which, "direct": direct}

    async def remind(self, reminder: ActionReminder, *, spend: Spend = spend_nothing) -> bool:
        """DM the owner; if that fails, mention them in the channel. True if the DM went.
        `spend` paces each request (the DM is two)."""
        text = reminder_text(reminder)
        await spend(2)
        try:
            dm = await self.bot.create_dm(discord.Object(id=reminder.owner_id))
            await dm.send(text, allowed_mentions=NO_MENTIONS)
            return True
        except Exception as exc:  # closed DMs, or the person has left the server
            log.info("No direct message to %s: %s", reminder.owner_id, exc)
        if reminder.channel_id is None:
            return False
        channel = self.bot.get_partial_messageable(
            reminder.channel_id, guild_id=reminder.guild_id, type=discord.ChannelType.text
        )
        await spend(1)
        try:
            await channel.send(
                reminder_fallback(reminder),
                allowed_mentions=discord.AllowedMentions(
                    everyone=False,
                    roles=False,
                    replied_user=False,
                    users=[discord.Object(id=reminder.owner_id)],
                ),
            )
        except discord.HTTPException as exc:
            log.warning("Could not remind in channel %s: %s", reminder.channel_id, exc)
        return False
