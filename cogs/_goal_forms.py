"""The goal's sent forms: a stance or a response with its optional comment, found by the form's
custom id (`_goal_components`), so a form opened before a restart still lands after it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.replies import send
from bot.services.goals import GoalService, GoalTarget, ResponseResult, StanceResult
from cogs._base import guarded, submitted_form, thinking
from cogs._context import actor_of
from cogs._goal_announcements import announce
from cogs._goal_components import COMMENT_INPUT, FORM_PATTERN, RESPONSE_FORM_PATTERN
from cogs._goal_messages import GoalMessages
from cogs._goal_replies import response_reply, stance_reply

if TYPE_CHECKING:
    from bot.app import PartnerBot


async def form_sent(
    bot: PartnerBot, goals: GoalService, messages: GoalMessages, interaction: discord.Interaction
) -> None:
    """Record a sent stance or response form, reply, and redraw what it changed; any other
    interaction is left alone."""
    responded = submitted_form(interaction, RESPONSE_FORM_PATTERN)
    if responded is not None:
        found, fields = responded

        async def record_response() -> ResponseResult:
            await thinking(interaction)
            result = await goals.respond(
                actor_of(interaction),
                GoalTarget.by_id(int(found["goal_id"])),
                found["response"],
                fields.get(COMMENT_INPUT),
            )
            await send(interaction, response_reply(result))
            return result

        answer = await guarded(interaction, record_response)
        if answer is not None:
            await messages.redraw(answer.redraw)
        return
    submitted = submitted_form(interaction, FORM_PATTERN)
    if submitted is None:
        return
    match, values = submitted

    async def record_stance() -> StanceResult:
        await thinking(interaction)
        result = await goals.take_stance(
            actor_of(interaction),
            GoalTarget.by_id(int(match["goal_id"])),
            match["stance"],
            values.get(COMMENT_INPUT),
        )
        await send(interaction, stance_reply(result))
        return result

    stance = await guarded(interaction, record_stance)
    if stance is not None:
        await messages.redraw(stance.redraw)
        await announce(bot, stance.announcement)
