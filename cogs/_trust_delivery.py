"""Trust check-in rounds on Discord: invitations, reminders and results.

- The schedule engine (`bot.scheduling`) runs `TrustDelivery.run` for each occurrence of a
  `trust` schedule: it opens a round (`TrustService.open_scheduled`) and posts the invitation.
- `tick`, run every few seconds by the cog when the bot runs its background work, sends the
  reminders that are due (`reminders_due`) and posts the results of rounds whose window ended
  (`close_due`). The service hands each reminder and each close out exactly once, even with two
  processes; what fails to reach Discord here is logged, not retried.
- A reminder goes by direct message to each person who has not answered; those who cannot be
  reached that way are mentioned, and only they, in one message in the partnership's channel.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.discord_failures import TRANSIENT, describe
from bot.replies import NO_MENTIONS, escape
from bot.scheduling import Due, TargetGone, TransientError
from bot.services.text import message_link
from bot.services.trust import Reminder, RoundResults, RoundView, TrustService
from cogs._trust_text import (
    MAX_MENTIONS,
    invitation,
    reminder_channel,
    reminder_dm,
    results_embed,
    results_text,
)

if TYPE_CHECKING:
    from bot.app import PartnerBot

log = logging.getLogger(__name__)


class TrustDelivery:
    """Posts what a round says in its channel, and sends its reminders."""

    def __init__(self, bot: PartnerBot, service: TrustService) -> None:
        self.bot = bot
        self.service = service

    # ---- opening

    async def run(self, due: Due) -> dict[str, Any]:
        """The scheduled action: open a round and post its invitation."""
        window = due.options.get("window")
        view = await self.service.open_scheduled(
            due.partnership_id, due.schedule_id, window if isinstance(window, str) else None
        )
        if view is None:
            # A round is already open (or the partnership is archived): nothing to announce.
            return {"round_id": None}
        try:
            message_id = await self.post_invitation(view, nonce=due.nonce)
        except TransientError as exc:
            # The round is open either way: a retry would not open it again, so keep going.
            log.warning("No invitation for trust round %s: %s", view.round_id, exc)
            message_id = None
        return {"round_id": view.round_id, "channel_id": view.channel_id, "message_id": message_id}

    async def post_invitation(self, view: RoundView, *, nonce: str | None = None) -> int:
        """Post the invitation of an opened round in its channel; returns the message id.

        Raises `TargetGone` when the channel is gone or closed to the bot, and `TransientError`
        for a passing failure."""
        if view.channel_id is None:
            raise TargetGone("The partnership has no channel to post in.")
        channel = self.bot.get_partial_messageable(
            view.channel_id, guild_id=view.guild_id, type=discord.ChannelType.text
        )
        try:
            message = await channel.send(
                invitation(view),
                allowed_mentions=NO_MENTIONS,
                nonce=nonce or f"pb-trust-open-{view.round_id}",
            )
        except discord.NotFound as exc:
            raise TargetGone("The partnership's channel no longer exists.") from exc
        except discord.Forbidden as exc:
            raise TargetGone("I'm not allowed to post in the partnership's channel.") from exc
        except TRANSIENT as exc:
            raise TransientError(describe(exc)) from exc
        return message.id

    def link(self, view: RoundView, message_id: int) -> str | None:
        if view.channel_id is None:
            return None
        return message_link(view.guild_id, view.channel_id, message_id)

    async def on_gone(self, due: Due, reason: str) -> None:
        """The schedule was paused because its channel is gone: tell each convener by DM."""
        notice = await self.bot.services.reflection.gone_notice(due.partnership_id, due.schedule_id)
        text = (
            f"Your trust check-in schedule #{due.schedule_id} in "
            f"**{escape(notice.partnership_name)}** is paused: {reason} "
            "Once the partnership has a channel I can post in, resume it with "
            f"`/trust resume schedule:{due.schedule_id}`."
        )
        for user_id in notice.convener_ids:
            await self._dm(user_id, text)

    # ---- the minute job

    async def tick(self) -> None:
        """Send the reminders that are due, then post the results of rounds that ended."""
        try:
            reminders = await self.service.reminders_due()
        except Exception:
            log.exception("Could not read the trust reminders that are due")
            reminders = []
        for reminder in reminders:
            try:
                await self.remind(reminder)
            except Exception:
                log.exception("Reminder of trust round %s failed", reminder.round_id)
        try:
            closed = await self.service.close_due()
        except Exception:
            log.exception("Could not close the trust rounds that ended")
            closed = []
        for results in closed:
            await self.post_results(results)

    async def remind(self, reminder: Reminder) -> list[int]:
        """DM each person who has not answered; mention in the channel, once, only those a DM
        could not reach. Returns their ids."""
        text = reminder_dm(reminder)
        unreachable = [u for u in reminder.user_ids if not await self._dm(u, text)]
        if unreachable and reminder.channel_id is not None:
            await self._mention(reminder, unreachable)
        return unreachable

    async def _mention(self, reminder: Reminder, user_ids: Sequence[int]) -> None:
        assert reminder.channel_id is not None
        channel = self.bot.get_partial_messageable(
            reminder.channel_id, guild_id=reminder.guild_id, type=discord.ChannelType.text
        )
        for start in range(0, len(user_ids), MAX_MENTIONS):
            batch = list(user_ids[start : start + MAX_MENTIONS])
            try:
                await channel.send(
                    reminder_channel(reminder, batch),
                    allowed_mentions=discord.AllowedMentions(
                        everyone=False,
                        roles=False,
                        replied_user=False,
                        users=[discord.Object(id=u) for u in batch],
                    ),
                )
            except (discord.HTTPException, *TRANSIENT) as exc:
                log.warning("Could not remind in channel %s: %s", reminder.channel_id, exc)

    async def _dm(self, user_id: int, text: str) -> bool:
        try:
            dm = await self.bot.create_dm(discord.Object(id=user_id))
            await dm.send(text, allowed_mentions=NO_MENTIONS)
        except Exception as exc:  # a closed DM must not stop the others
            log.info("No direct message to %s: %s", user_id, exc)
            return False
        return True

    # ---- results

    async def post_results(self, results: RoundResults) -> int | None:
        """Post a closed round's results (or that there were not enough answers) in its
        channel. Best effort: the round is closed either way. Returns the message id."""
        if results.channel_id is None:
            return None
        channel = self.bot.get_partial_messageable(
            results.channel_id, guild_id=results.guild_id, type=discord.ChannelType.text
        )
        try:
            message = await channel.send(
                results_text(results),
                embed=results_embed(results),
                allowed_mentions=NO_MENTIONS,
                nonce=f"pb-trust-{results.round_id}",
            )
        except (discord.HTTPException, *TRANSIENT) as exc:
            log.warning("Could not post the results of trust round %s: %s", results.round_id, exc)
            return None
        return message.id
