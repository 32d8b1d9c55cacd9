"""Nudges on Discord: a direct message to each person a goal waits for, and where that fails,
one line in the partnership's channel mentioning only them.

`NudgeDelivery.deliver` sends one claimed nudge (`bot.services.goals.NudgeService`): by
`/goal nudge`, or automatically by `timer`, the timer engine's `goal.nudge` handler
(`bot.timers`: the goal's timer is made as it is proposed with `respond_by`). A nudge is claimed
before anything is sent and never retried; one no longer due is `skipped`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import discord

from bot.discord_failures import TRANSIENT
from bot.pacing import Spend, spend_nothing
from bot.replies import MESSAGE_LIMIT, NO_MENTIONS, escape
from bot.services.goals import Nudge, NudgeService, Recipient
from bot.services.text import clip
from bot.timers import Fire, TimerSkipped

if TYPE_CHECKING:
    from bot.app import PartnerBot

log = logging.getLogger(__name__)

MAX_MENTIONS = 40  # people mentioned in one channel line (each mention is ~22 characters)
TITLE_ROOM = 300


@dataclass
class Delivered:
    """Who a nudge reached, and how."""

    direct: list[int] = field(default_factory=list)  # by direct message
    mentioned: list[int] = field(default_factory=list)  # in the channel, a DM having failed
    missed: list[int] = field(default_factory=list)  # neither: no channel, or it failed too


def _goal(nudge: Nudge, word: str = "goal") -> str:
    return f"{word} #{nudge.goal_id} “{escape(clip(nudge.title, TITLE_ROOM))}”"


def _whose(recipient: Recipient) -> str:
    if recipient.organisation is None:
        return "your own stance"
    return f"**{escape(recipient.organisation)}**'s stance"


def _by(nudge: Nudge) -> str:
    return f" by {nudge.respond_by.isoformat()}" if nudge.respond_by else ""


def nudge_dm(nudge: Nudge, recipient: Recipient) -> str:
    """What one person reads: the goal, whose stance it waits for, and how to give it."""
    card = (
        f"Give it with the buttons on the goal's card: {nudge.card_link}, or "
        if nudge.card_link
        else "Give it "
    )
    return clip(
        f"👋 {_goal(nudge, 'Goal')} in **{escape(nudge.partnership)}** waits for "
        f"{_whose(recipient)}{_by(nudge)}. {card}with `/goal endorse goal:{nudge.goal_id}`.",
        MESSAGE_LIMIT,
    )


def nudge_channel(nudge: Nudge, user_ids: Sequence[int]) -> str:
    """The line for those no direct message reached: it mentions them, and only them."""
    mentions = " ".join(f"<@{u}>" for u in user_ids)
    link = f" {nudge.card_link}" if nudge.card_link else ""
    return clip(
        f"{mentions} I couldn't send you a direct message: {_goal(nudge)} waits for your "
        f"stance{_by(nudge)} (for your organisation, or your own). Use the buttons on its card "
        f"or `/goal endorse goal:{nudge.goal_id}`.{link}",
        MESSAGE_LIMIT,
    )


def _mentions(user_ids: Sequence[int]) -> str:
    return ", ".join(f"<@{u}>" for u in user_ids)


def nudge_reply(nudge: Nudge, delivered: Delivered) -> str:
    """The convener's reply: whom the nudge reached, how, and whom it could not."""
    for_whom = list(nudge.organisations)
    if nudge.people:
        for_whom.append(
            f"{nudge.people} {'person' if nudge.people == 1 else 'people'} in their own capacity"
        )
    lines = [
        f"Nudged about {_goal(nudge)}, for {escape(', '.join(for_whom))}:",
    ]
    if delivered.direct:
        lines.append(f"• by direct message: {_mentions(delivered.direct)}")
    if delivered.mentioned:
        where = f" in <#{nudge.channel_id}>" if nudge.channel_id else ""
        lines.append(
            f"• mentioned{where}, as a direct message couldn't reach them: "
            f"{_mentions(delivered.mentioned)}"
        )
    if delivered.missed:
        lines.append(f"• not reached at all: {_mentions(delivered.missed)}")
    if nudge.unreachable:
        lines.append(
            f"• nobody represents {escape(', '.join(nudge.unreachable))} here, so nobody was "
            "asked for them: add a representative with `/member add`."
        )
    lines.append("One nudge a day at most goes about a goal.")
    return clip("\n".join(lines), MESSAGE_LIMIT)


class NudgeDelivery:
    """Sends nudges: direct messages, and the channel line for those they could not reach."""

    def __init__(self, bot: PartnerBot, nudges: NudgeService) -> None:
        self.bot = bot
        self.nudges = nudges

    async def timer(self, fire: Fire) -> dict[str, Any]:
        """A goal's automatic nudge, if it is still due."""
        nudge = await self.nudges.nudge_goal(fire.subject_id)
        if nudge is None:
            raise TimerSkipped("no longer due: agreed, closed, nudged, or nobody is waiting")
        delivered = await self.deliver(nudge, spend=fire.spend)
        return {
            "direct": len(delivered.direct),
            "mentioned": len(delivered.mentioned),
            "missed": len(delivered.missed),
        }

    async def deliver(self, nudge: Nudge, *, spend: Spend = spend_nothing) -> Delivered:
        """DM each recipient, then mention in the channel those a DM could not reach. `spend`
        paces each request (a DM is two)."""
        delivered = Delivered()
        failed: list[int] = []
        for recipient in nudge.recipients:
            await spend(2)
            if await self._dm(recipient.user_id, nudge_dm(nudge, recipient)):
                delivered.direct.append(recipient.user_id)
            else:
                failed.append(recipient.user_id)
        if not failed:
            return delivered
        if nudge.channel_id is None:
            delivered.missed += failed
            return delivered
        channel = self.bot.get_partial_messageable(
            nudge.channel_id, guild_id=nudge.guild_id, type=discord.ChannelType.text
        )
        for start in range(0, len(failed), MAX_MENTIONS):
            batch = failed[start : start + MAX_MENTIONS]
            await spend(1)
            try:
                await channel.send(
                    nudge_channel(nudge, batch),
                    allowed_mentions=discord.AllowedMentions(
                        everyone=False,
                        roles=False,
                        replied_user=False,
                        users=[discord.Object(id=u) for u in batch],
                    ),
                )
                delivered.mentioned += batch
            except (discord.HTTPException, *TRANSIENT) as error:
                log.warning("Could not nudge in channel %s: %s", nudge.channel_id, error)
                delivered.missed += batch
        return delivered

    async def _dm(self, user_id: int, text: str) -> bool:
        try:
            dm = await self.bot.create_dm(discord.Object(id=user_id))
            await dm.send(text, allowed_mentions=NO_MENTIONS)
        except Exception as error:  # closed DMs, or the person left the server
            log.info("No direct message to %s: %s", user_id, error)
            return False
        return True
