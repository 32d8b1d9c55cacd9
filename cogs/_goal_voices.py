"""/goal's commands through which members put goals forward and give their organisation's
view: propose, endorse, respond, share and perceive, with what follows a stance. `GoalCog`
(cogs/goal.py) takes them in as a base class, first, so the group lists them as before.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import PartnerBot
from bot.replies import send
from bot.services.goals import (
    COMMENT_MAX,
    DESCRIPTION_MAX,
    ORIGIN_DETAIL_MAX,
    TITLE_MAX,
    Content,
    GoalService,
    GoalTarget,
    Level,
    Origin,
    Relevance,
    Stance,
    StanceResult,
)
from bot.services.vocab import ORG_NAME_MAX, PHASE_HELP, Phase
from cogs._base import thinking
from cogs._context import (
    actor_of,
    enum_choices,
    organisation_autocomplete,
    partnership_autocomplete,
    ref_of,
)
from cogs._goal_announcements import announce
from cogs._goal_components import (
    RESPONSE_CHOICES,
    VISIBILITY_CHOICES,
    dimension_choices,
    goal_autocomplete,
)
from cogs._goal_messages import GoalMessages
from cogs._goal_replies import (
    goal_words,
    kept_to,
    perception_reply,
    response_reply,
    shared,
    stance_reply,
)

GOAL_OPTION = "The goal: choose from the list, or type its number or exact title"
PARTNERSHIP_OPTION = "Which partnership (implied in its channel)"
# The co-production phase a goal concerns (Nabatchi, Sancino & Sicilia 2017).
PHASE_OPTION = "The co-production phase it concerns"
PHASE_CHOICES = enum_choices(Phase, PHASE_HELP)


class GoalVoices(commands.Cog):
    """The commands that put a goal or a voice forward: a base of `GoalCog`, never loaded on
    its own (extensions skip `_` modules), whose attributes they use."""

    bot: PartnerBot
    goals: GoalService
    messages: GoalMessages

    async def stance_recorded(self, result: StanceResult) -> None:
        """After a stance or a confirmation: redraw the goal, announce an agreement."""
        await self.messages.redraw(result.redraw)
        await announce(self.bot, result.announcement)

    @app_commands.command(name="propose", description="Propose a goal and ask each organisation.")
    @app_commands.describe(
        title="A short statement of the goal",
        description="More about it: what it means, why it matters",
        level="Whose goal: the whole collaboration (default), an organisation's, or a person's",
        content="Process (how we work) or substantive (what we achieve, the default)",
        origin="Where it comes from (default: the members)",
        organisation="For an organisation's goal: which one (default: the one you represent)",
        review_on="A date to review it, YYYY-MM-DD",
        partnership=PARTNERSHIP_OPTION,
        respond_by="Stances wanted by this date, YYYY-MM-DD: a nudge goes two days before",
        visibility="Who sees it: the partnership (default), the conveners, or its organisation",
        phase=PHASE_OPTION,
    )
    @app_commands.choices(
        level=dimension_choices(Level),
        content=dimension_choices(Content),
        origin=dimension_choices(Origin),
        visibility=VISIBILITY_CHOICES,
        phase=PHASE_CHOICES,
    )
    @app_commands.autocomplete(
        organisation=organisation_autocomplete, partnership=partnership_autocomplete
    )
    async def propose(
        self,
        interaction: discord.Interaction,
        title: app_commands.Range[str, 1, TITLE_MAX],
        description: app_commands.Range[str, 1, DESCRIPTION_MAX] | None = None,
        level: app_commands.Choice[str] | None = None,
        content: app_commands.Choice[str] | None = None,
        origin: app_commands.Choice[str] | None = None,
        organisation: app_commands.Range[str, 1, ORG_NAME_MAX] | None = None,
        review_on: app_commands.Range[str, 1, 10] | None = None,
        partnership: str | None = None,
        respond_by: app_commands.Range[str, 1, 10] | None = None,
        visibility: app_commands.Choice[str] | None = None,
        phase: app_commands.Choice[str] | None = None,
    ) -> None:
        await thinking(interaction)
        card = await self.goals.propose(
            actor_of(interaction),
            ref_of(interaction, partnership),
            title=title,
            description=description,
            level=level.value if level else None,
            content=content.value if content else None,
            origin=origin.value if origin else None,
            organisation=organisation,
            review_on=review_on,
            respond_by=respond_by,
            visibility=visibility.value if visibility else None,
            phase=phase.value if phase else None,
        )
        if not card.shared:
            await send(
                interaction,
                f"Recorded your own {goal_words(card)}. Only you see it until you share it "
                "with the partnership: `/goal share`.",
            )
            return
        where = await self.messages.post(card) if shared(card) else kept_to(card)
        by = (
            f" Stances are wanted by {card.goal.respond_by.isoformat()}: those still missing "
            "are nudged by direct message two days before."
            if card.goal.respond_by
            else ""
        )
        await send(interaction, f"Proposed {goal_words(card)}.{where}{by}")

    @app_commands.command(
        name="endorse", description="Record your organisation's stance on a goal."
    )
    @app_commands.describe(
        goal=GOAL_OPTION,
        stance="Agree, reservations, unsure or object",
        comment="Why, or what would change your view (optional)",
        partnership=PARTNERSHIP_OPTION,
        confirm="True: confirm your organisation's stance given subject to referral",
        refer_by="If you must refer back first: when you expect its answer, YYYY-MM-DD",
    )
    @app_commands.choices(stance=dimension_choices(Stance))
    @app_commands.autocomplete(goal=goal_autocomplete, partnership=partnership_autocomplete)
    async def endorse(
        self,
        interaction: discord.Interaction,
        goal: app_commands.Range[str, 1, TITLE_MAX],
        stance: app_commands.Choice[str],
        comment: app_commands.Range[str, 1, COMMENT_MAX] | None = None,
        partnership: str | None = None,
        confirm: bool | None = None,
        refer_by: app_commands.Range[str, 1, 10] | None = None,
    ) -> None:
        await thinking(interaction)
        result = await self.goals.take_stance(
            actor_of(interaction),
            GoalTarget(goal, ref_of(interaction, partnership)),
            stance.value,
            comment,
            refer_by=refer_by,
            confirm=bool(confirm),
        )
        await send(interaction, stance_reply(result))
        await self.stance_recorded(result)

    @app_commands.command(
        name="respond",
        description="Say how an organisation's or a person's goal sits with your organisation.",
    )
    @app_commands.describe(
        goal=GOAL_OPTION,
        response="Compatible, in tension, doesn't affect us, or didn't know",
        comment="Why, or what it would take (optional)",
        partnership=PARTNERSHIP_OPTION,
    )
    @app_commands.choices(response=RESPONSE_CHOICES)
    @app_commands.autocomplete(goal=goal_autocomplete, partnership=partnership_autocomplete)
    async def respond(
        self,
        interaction: discord.Interaction,
        goal: app_commands.Range[str, 1, TITLE_MAX],
        response: app_commands.Choice[str],
        comment: app_commands.Range[str, 1, COMMENT_MAX] | None = None,
        partnership: str | None = None,
    ) -> None:
        await thinking(interaction)
        result = await self.goals.respond(
            actor_of(interaction),
            GoalTarget(goal, ref_of(interaction, partnership)),
            response.value,
            comment,
        )
        await send(interaction, response_reply(result))
        await self.messages.redraw(result.redraw)

    @app_commands.command(
        name="share", description="Share your own individual-level goal with the partnership."
    )
    @app_commands.describe(goal=GOAL_OPTION, partnership=PARTNERSHIP_OPTION)
    @app_commands.autocomplete(goal=goal_autocomplete, partnership=partnership_autocomplete)
    async def share(
        self,
        interaction: discord.Interaction,
        goal: app_commands.Range[str, 1, TITLE_MAX],
        partnership: str | None = None,
    ) -> None:
        await thinking(interaction)
        card = await self.goals.share(
            actor_of(interaction), GoalTarget(goal, ref_of(interaction, partnership))
        )
        where = await self.messages.post(card)
        await send(interaction, f"Shared {goal_words(card)} with the partnership.{where}")

    @app_commands.command(
        name="perceive",
        description="Record how your organisation reads a goal, and see the spread.",
    )
    @app_commands.describe(
        goal=GOAL_OPTION,
        origin="Where your organisation sees it coming from",
        relevance="Does your organisation see it as needing the collaboration?",
        content="Your organisation's view: process (how we work) or substantive (what we achieve)",
        origin_detail="More about the origin, e.g. a grant condition of the lottery fund",
        partnership=PARTNERSHIP_OPTION,
    )
    @app_commands.choices(
        origin=dimension_choices(Origin),
        relevance=dimension_choices(Relevance),
        content=dimension_choices(Content),
    )
    @app_commands.autocomplete(goal=goal_autocomplete, partnership=partnership_autocomplete)
    async def perceive(
        self,
        interaction: discord.Interaction,
        goal: app_commands.Range[str, 1, TITLE_MAX],
        origin: app_commands.Choice[str] | None = None,
        relevance: app_commands.Choice[str] | None = None,
        content: app_commands.Choice[str] | None = None,
        origin_detail: app_commands.Range[str, 1, ORIGIN_DETAIL_MAX] | None = None,
        partnership: str | None = None,
    ) -> None:
        await thinking(interaction)
        result = await self.goals.perceive(
            actor_of(interaction),
            GoalTarget(goal, ref_of(interaction, partnership)),
            origin=origin.value if origin else None,
            relevance=relevance.value if relevance else None,
            content=content.value if content else None,
            origin_detail=origin_detail,
        )
        await send(interaction, perception_reply(result))
        await self.messages.redraw(result.redraw)
