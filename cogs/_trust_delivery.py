"""Trust check-in rounds on Discord: invitations, reminders and results.

- The schedule engine (`bot.scheduling`) runs `TrustDelivery.run` for each occurrence of a
  `trust` schedule: it opens a round (`TrustService.open_scheduled`) and posts the invitation.
- Each round has two timers (`bot.timers`, made as it opens): `remind_timer` at 80 % of the
  window sends the reminder, `close_timer` at its end closes it and posts the results. The timer
  engine runs each once, for the servers this process holds; the service's own claims are a
  second guard, so a round closed early makes its timers `skipped`. A passing failure to post
  the results is retried; reminders by direct message are sent at most once.
- A reminder goes by direct message to each person who has not answered; those who cannot be
  reached that way are mentioned, and only they, in one message in the partnership's channel.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.discord_failures import TRANSIENT, describe, post_in_channel
from bot.pacing import Spend, spend_nothing
from bot.replies import NO_MENTIONS, escape
from bot.scheduling import Due, TransientError
from bot.services.text import message_link
from bot.services.trust import Reminder, RoundResults, RoundView, TrustService
from bot.timers import Fire, TimerSkipped
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
        message = await post_in_channel(
            self.bot,
            view.channel_id,
            view.guild_id,
            content=invitation(view),
            allowed_mentions=NO_MENTIONS,
            nonce=nonce or f"pb-trust-open-{view.round_id}",
        )
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

    # ---- the round's timers (`bot.timers`)

    async def remind_timer(self, fire: Fire) -> dict[str, Any]:
        """At 80 % of the window: remind those who have not answered (claimed once by the
        service too: a round closed early, or reminded already, is skipped)."""
        reminder = await self.service.remind_round(fire.subject_id)
        if reminder is None:
            raise TimerSkipped("closed, reminded already, or nobody is waiting")
        unreachable = await self.remind(reminder, spend=fire.spend)
        return {"reminded": len(reminder.user_ids), "mentioned": len(unreachable)}

    async def close_timer(self, fire: Fire) -> dict[str, Any]:
        """At the window's end: close the round and post its results. A passing failure to
        post is retried (the round stays closed; its results are read again)."""
        if fire.attempt == 1:
            results = await self.service.close_ended(fire.subject_id)
            if results is None:
                raise TimerSkipped("closed already")
        else:
            results = await self.service.results_of(fire.subject_id)
            if results is None:
                raise TimerSkipped("not closed")
        message_id = await self.post_results(results, retry=True, spend=fire.spend)
        return {"round_id": results.round_id, "shown": results.shown, "message_id": message_id}

    async def remind(self, reminder: Reminder, *, spend: Spend = spend_nothing) -> list[int]:
        """DM each person who has not answered; mention in the channel, once, only those a DM
        could not reach. Returns their ids. `spend` paces each request (a DM is two)."""
        text = reminder_dm(reminder)
        unreachable = []
        for user_id in reminder.user_ids:
            await spend(2)
            if not await self._dm(user_id, text):
                unreachable.append(user_id)
        if unreachable and reminder.channel_id is not None:
            await self._mention(reminder, unreachable, spend)
        return unreachable

    async def _mention(self, reminder: Reminder, user_ids: Sequence[int], spend: Spend) -> None:
        assert reminder.channel_id is not None
        channel = self.bot.get_partial_messageable(
            reminder.channel_id, guild_id=reminder.guild_id, type=discord.ChannelType.text
        )
        for start in range(0, len(user_ids), MAX_MENTIONS):
            batch = list(user_ids[start : start + MAX_MENTIONS])
            await spend(1)
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

    async def post_results(
        self, results: RoundResults, *, retry: bool = False, spend: Spend = spend_nothing
    ) -> int | None:
        """Post a closed round's results (or that there were not enough answers) in its
        channel. Best effort: the round is closed either way. Returns the message id. With
        `retry`, a passing failure raises `TransientError` for the timer to try again."""
        if results.channel_id is None:
            return None
        channel = self.bot.get_partial_messageable(
            results.channel_id, guild_id=results.guild_id, type=discord.ChannelType.text
        )
        await spend(1)
        try:
            message = await channel.send(
                results_text(results),
                embed=results_embed(results),
                allowed_mentions=NO_MENTIONS,
                nonce=f"pb-trust-{results.round_id}",
            )
        except TRANSIENT as exc:
            if retry:
                raise TransientError(describe(exc)) from exc
            log.warning("Could not post the results of trust round %s: %s", results.round_id, exc)
            return None
        except discord.HTTPException as exc:
            log.warning("Could not post the results of trust round %s: %s", results.round_id, exc)
            return None
        return message.id
