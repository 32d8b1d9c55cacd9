"""Each goal's message in its partnership's channel: posted once, then redrawn in place.

A redraw edits the message only when what it shows changed: the embed and buttons last put on
each message are remembered by a fingerprint (forgotten at restart, so the first redraw after
a start always edits). Of two cards of one goal, the older (`GoalCard.as_of`) never overwrites
the newer, so when two changes land together the message ends on the later state.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

import discord

from bot.replies import NO_MENTIONS
from bot.services.goals import GoalCard, GoalService
from cogs._goal_components import stance_view
from cogs._goal_embeds import goal_embed

if TYPE_CHECKING:
    from bot.app import PartnerBot

log = logging.getLogger(__name__)


def fingerprint(embed: discord.Embed, view: discord.ui.View | None) -> str:
    """What a message shows, as a short digest: equal digests, equal messages."""
    components = view.to_components() if view is not None else []
    drawn = json.dumps([embed.to_dict(), components], sort_keys=True, default=str)
    return hashlib.sha256(drawn.encode()).hexdigest()


class GoalMessages:
    def __init__(self, bot: PartnerBot, goals: GoalService) -> None:
        self.bot = bot
        self.goals = goals
        # One edit at a time per message, so what is remembered is what the message shows.
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._drawn: dict[int, tuple[int, str]] = {}  # message id → (as_of, fingerprint)

    async def post(self, card: GoalCard) -> str:
        """Post a new goal in its partnership's channel; say where, for the reply."""
        channel_id = card.partnership.channel_id
        if channel_id is None:
            return " The partnership has no channel, so it isn't posted anywhere."
        embed, view = goal_embed(card), stance_view(card)
        try:
            message = await self.bot.get_partial_messageable(channel_id).send(
                embed=embed, view=view or discord.utils.MISSING, allowed_mentions=NO_MENTIONS
            )
        except discord.HTTPException as error:
            log.warning("Could not post goal %s in channel %s: %s", card.id, channel_id, error)
            return (
                " I couldn't post it in the partnership's channel (it's gone, or I may not "
                "post there), so "
                + (
                    "responses go through `/goal respond`."
                    if card.takes_responses
                    else "stances go through `/goal endorse`."
                )
            )
        self._drawn[message.id] = (card.as_of, fingerprint(embed, view))
        await self.goals.attach_message(card.id, channel_id, message.id)
        if card.takes_responses:
            return f" It's posted in <#{channel_id}> for the other organisations' responses."
        return f" It's posted in <#{channel_id}> for each organisation's stance."

    async def take_back(self, channel_id: int, message_id: int) -> None:
        """Delete a goal's message once the whole partnership no longer sees the goal; a
        failure is logged (the goal is no longer redrawn there either way)."""
        self._drawn.pop(message_id, None)
        message = self.bot.get_partial_messageable(channel_id).get_partial_message(message_id)
        try:
            await message.delete()
        except discord.HTTPException as error:
            log.warning("Could not take back goal message %s: %s", message_id, error)

    async def redraw(self, cards: Iterable[GoalCard]) -> None:
        """Edit posted goals' messages to show these cards, where what they show changed."""
        for card in cards:
            if card.posted:
                await self._redraw(card)

    async def _redraw(self, card: GoalCard) -> None:
        channel_id, message_id = card.goal.channel_id, card.goal.message_id
        assert channel_id is not None and message_id is not None
        async with self._locks[message_id]:
            embed, view = goal_embed(card), stance_view(card)
            drawn = fingerprint(embed, view)
            last = self._drawn.get(message_id)
            if last is not None and (card.as_of < last[0] or drawn == last[1]):
                return  # a later state is already shown, or this one is
            message = self.bot.get_partial_messageable(channel_id).get_partial_message(message_id)
            try:
                await message.edit(embed=embed, view=view)
            except discord.NotFound:
                log.info("Goal %s's message is gone; not refreshed", card.id)
                return
            except discord.HTTPException as error:
                log.warning("Could not refresh goal %s's message: %s", card.id, error)
                return
            self._drawn[message_id] = (card.as_of, drawn)
