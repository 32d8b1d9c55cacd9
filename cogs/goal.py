"""/goal: the partnership's goals, proposed, agreed organisation by organisation, linked, reviewed.

A proposal is posted in the partnership's channel with its agreement matrix and four persistent
stance buttons; the message is redrawn in place after every change (`_goal_messages`). Replies
to the person acting are ephemeral. The commands that put a goal or a voice forward (propose,
endorse, respond, share, perceive) live in `_goal_voices`, embeds in `_goal_embeds`, reply text
in `_goal_replies`; buttons, the comment form and option helpers in `_goal_components`.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import PartnerBot
from bot.replies import escape, send
from bot.services.goals import (
    DESCRIPTION_MAX,
    NOTE_MAX,
    STALE_DAYS,
    TITLE_MAX,
    Authenticity,
    Content,
    GoalService,
    GoalStatus,
    GoalTarget,
    Level,
    Origin,
    Overtness,
    Relevance,
)
from bot.services.goals.nudges import NUDGE_TIMER, seed_timers
from bot.services.goals.vocab import NO_PHASE
from bot.services.vocab import label
from cogs._base import thinking
from cogs._context import (
    actor_of,
    partnership_autocomplete,
    ref_of,
)
from cogs._goal_announcements import announce
from cogs._goal_components import (
    RELATION_CHOICES,
    VISIBILITY_CHOICES,
    ConfirmButton,
    ResponseButton,
    StanceButton,
    dimension_choices,
    goal_autocomplete,
)
from cogs._goal_embeds import goal_embed, list_embed, review_embed
from cogs._goal_forms import form_sent
from cogs._goal_messages import GoalMessages
from cogs._goal_nudges import NudgeDelivery, nudge_reply
from cogs._goal_replies import (
    change_reply,
    link_reply,
    unlink_reply,
    visibility_reply,
)
from cogs._goal_voices import (
    GOAL_OPTION,
    PARTNERSHIP_OPTION,
    PHASE_CHOICES,
    PHASE_OPTION,
    GoalVoices,
)


@app_commands.guild_only()
class GoalCog(GoalVoices, commands.GroupCog, name="Goals", group_name="goal"):
    """Goals: proposed, agreed organisation by organisation, linked and reviewed."""

    def __init__(self, bot: PartnerBot, goals: GoalService) -> None:
        self.bot = bot
        self.goals = goals
        self.messages = GoalMessages(bot, goals)
        self.nudging = NudgeDelivery(bot, bot.services.nudges)
        super().__init__()

    # ---- posted messages and the stance form

    @commands.Cog.listener()
    async def on_partnership_changed(self, partnership_id: int) -> None:
        """Organisations or people changed: redraw the agreement matrices already posted."""
        await self.messages.redraw(await self.goals.posted_cards(partnership_id))

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A sent stance or response form, found by its custom id (it may predate a restart)."""
        await form_sent(self.bot, self.goals, self.messages, interaction)

    # ---- commands (propose, endorse, respond, share, perceive: `GoalVoices`)

    @app_commands.command(name="show", description="A goal in full: stances, progress and links.")
    @app_commands.describe(goal=GOAL_OPTION, partnership=PARTNERSHIP_OPTION)
    @app_commands.autocomplete(goal=goal_autocomplete, partnership=partnership_autocomplete)
    async def show(
        self,
        interaction: discord.Interaction,
        goal: app_commands.Range[str, 1, TITLE_MAX],
        partnership: str | None = None,
    ) -> None:
        card = await self.goals.show(
            actor_of(interaction), GoalTarget(goal, ref_of(interaction, partnership))
        )
        await send(interaction, embed=goal_embed(card, detailed=True))

    @app_commands.command(name="list", description="A partnership's goals, with their agreement.")
    @app_commands.describe(
        status="Only goals with this status",
        level="Only goals at this level",
        partnership=PARTNERSHIP_OPTION,
        phase="Only goals concerning this co-production phase",
    )
    @app_commands.choices(
        status=dimension_choices(GoalStatus), level=dimension_choices(Level), phase=PHASE_CHOICES
    )
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def list_(
        self,
        interaction: discord.Interaction,
        status: app_commands.Choice[str] | None = None,
        level: app_commands.Choice[str] | None = None,
        partnership: str | None = None,
        phase: app_commands.Choice[str] | None = None,
    ) -> None:
        p, cards = await self.goals.list_goals(
            actor_of(interaction),
            ref_of(interaction, partnership),
            status=status.value if status else None,
            level=level.value if level else None,
            phase=phase.value if phase else None,
            summary=True,
        )
        filters = [f"{label(c.value)}" for c in (status, level, phase) if c is not None]
        which = f" ({', '.join(filters)})" if filters else ""
        if not cards:
            hint = "" if filters else " Propose one with `/goal propose`."
            await send(interaction, f"{escape(p.name)} has no goals{which} yet.{hint}")
            return
        await send(interaction, embed=list_embed(f"Goals of {p.name}{which}", cards))

    @app_commands.command(
        name="update",
        description="Conveners: status; with the goal's owners: progress, review date or note.",
    )
    @app_commands.describe(
        goal=GOAL_OPTION,
        status="New status (conveners)",
        progress="Progress, 0 to 100 percent",
        review_on="Review date, YYYY-MM-DD, or none to clear it",
        note="A note for the log: what changed and why",
        title="New wording of the title (only before the goal is agreed)",
        description="New description (only before the goal is agreed)",
        partnership=PARTNERSHIP_OPTION,
    )
    @app_commands.choices(status=dimension_choices(GoalStatus))
    @app_commands.autocomplete(goal=goal_autocomplete, partnership=partnership_autocomplete)
    async def update(
        self,
        interaction: discord.Interaction,
        goal: app_commands.Range[str, 1, TITLE_MAX],
        status: app_commands.Choice[str] | None = None,
        progress: app_commands.Range[int, 0, 100] | None = None,
        review_on: app_commands.Range[str, 1, 10] | None = None,
        note: app_commands.Range[str, 1, NOTE_MAX] | None = None,
        title: app_commands.Range[str, 1, TITLE_MAX] | None = None,
        description: app_commands.Range[str, 1, DESCRIPTION_MAX] | None = None,
        partnership: str | None = None,
    ) -> None:
        await thinking(interaction)
        result = await self.goals.update(
            actor_of(interaction),
            GoalTarget(goal, ref_of(interaction, partnership)),
            status=status.value if status else None,
            progress=progress,
            review_on=review_on,
            note=note,
            title=title,
            description=description,
        )
        await send(interaction, change_reply(result))
        await self.messages.redraw(result.redraw)
        await announce(self.bot, result.announcement)

    @app_commands.command(
        name="classify",
        description="Conveners and the goal's owners: set its dimensions (Vangen & Huxham).",
    )
    @app_commands.describe(
        goal=GOAL_OPTION,
        origin="Where it comes from",
        authenticity="Genuine, or pseudo: professed, not pursued (only its owners say pseudo)",
        relevance="Does it need the collaboration, or could it be achieved alone?",
        content="Process (how we work) or substantive (what we achieve)",
        overtness="Explicit, unstated or hidden (only its owners say unstated or hidden)",
        partnership=PARTNERSHIP_OPTION,
        phase=PHASE_OPTION + " (none: clear it)",
    )
    @app_commands.choices(
        origin=dimension_choices(Origin),
        authenticity=dimension_choices(Authenticity),
        relevance=dimension_choices(Relevance),
        content=dimension_choices(Content),
        overtness=dimension_choices(Overtness),
        phase=[*PHASE_CHOICES, app_commands.Choice(name="none: no phase", value=NO_PHASE)],
    )
    @app_commands.autocomplete(goal=goal_autocomplete, partnership=partnership_autocomplete)
    async def classify(
        self,
        interaction: discord.Interaction,
        goal: app_commands.Range[str, 1, TITLE_MAX],
        origin: app_commands.Choice[str] | None = None,
        authenticity: app_commands.Choice[str] | None = None,
        relevance: app_commands.Choice[str] | None = None,
        content: app_commands.Choice[str] | None = None,
        overtness: app_commands.Choice[str] | None = None,
        partnership: str | None = None,
        phase: app_commands.Choice[str] | None = None,
    ) -> None:
        await thinking(interaction)
        result = await self.goals.classify(
            actor_of(interaction),
            GoalTarget(goal, ref_of(interaction, partnership)),
            origin=origin.value if origin else None,
            authenticity=authenticity.value if authenticity else None,
            relevance=relevance.value if relevance else None,
            content=content.value if content else None,
            overtness=overtness.value if overtness else None,
            phase=phase.value if phase else None,
        )
        await send(interaction, change_reply(result))
        await self.messages.redraw(result.redraw)

    @app_commands.command(
        name="link", description="Conveners: link two goals: contributes to, part of, in tension."
    )
    @app_commands.describe(
        goal="The goal that contributes to, is part of, or is in tension with the other",
        other="The other goal",
        relation="How they relate",
        partnership=PARTNERSHIP_OPTION,
    )
    @app_commands.choices(relation=RELATION_CHOICES)
    @app_commands.autocomplete(
        goal=goal_autocomplete, other=goal_autocomplete, partnership=partnership_autocomplete
    )
    async def link(
        self,
        interaction: discord.Interaction,
        goal: app_commands.Range[str, 1, TITLE_MAX],
        other: app_commands.Range[str, 1, TITLE_MAX],
        relation: app_commands.Choice[str],
        partnership: str | None = None,
    ) -> None:
        await thinking(interaction)
        result = await self.goals.link(
            actor_of(interaction),
            GoalTarget(goal, ref_of(interaction, partnership)),
            other,
            relation.value,
        )
        await send(interaction, link_reply(result))
        await self.messages.redraw(result.redraw)

    @app_commands.command(name="unlink", description="Conveners: remove a link between two goals.")
    @app_commands.describe(
        goal="The goal the link starts from",
        other="The other goal",
        relation="The link to remove",
        partnership=PARTNERSHIP_OPTION,
    )
    @app_commands.choices(relation=RELATION_CHOICES)
    @app_commands.autocomplete(
        goal=goal_autocomplete, other=goal_autocomplete, partnership=partnership_autocomplete
    )
    async def unlink(
        self,
        interaction: discord.Interaction,
        goal: app_commands.Range[str, 1, TITLE_MAX],
        other: app_commands.Range[str, 1, TITLE_MAX],
        relation: app_commands.Choice[str],
        partnership: str | None = None,
    ) -> None:
        await thinking(interaction)
        result = await self.goals.unlink(
            actor_of(interaction),
            GoalTarget(goal, ref_of(interaction, partnership)),
            other,
            relation.value,
        )
        await send(interaction, unlink_reply(result))
        await self.messages.redraw(result.redraw)

    @app_commands.command(
        name="nudge", description="Conveners: DM those whose stance a goal awaits (once a day)."
    )
    @app_commands.describe(goal=GOAL_OPTION, partnership=PARTNERSHIP_OPTION)
    @app_commands.autocomplete(goal=goal_autocomplete, partnership=partnership_autocomplete)
    async def nudge(
        self,
        interaction: discord.Interaction,
        goal: app_commands.Range[str, 1, TITLE_MAX],
        partnership: str | None = None,
    ) -> None:
        await thinking(interaction)
        nudge = await self.bot.services.nudges.nudge(
            actor_of(interaction), GoalTarget(goal, ref_of(interaction, partnership))
        )
        delivered = await self.nudging.deliver(nudge)
        await send(interaction, nudge_reply(nudge, delivered))

    @app_commands.command(
        name="visibility", description="Its owners, or conveners: change who sees a goal."
    )
    @app_commands.describe(
        goal=GOAL_OPTION,
        visibility="Who sees it: the whole partnership, the conveners, or its organisation only",
        partnership=PARTNERSHIP_OPTION,
    )
    @app_commands.choices(visibility=VISIBILITY_CHOICES)
    @app_commands.autocomplete(goal=goal_autocomplete, partnership=partnership_autocomplete)
    async def visibility(
        self,
        interaction: discord.Interaction,
        goal: app_commands.Range[str, 1, TITLE_MAX],
        visibility: app_commands.Choice[str],
        partnership: str | None = None,
    ) -> None:
        await thinking(interaction)
        result = await self.goals.set_visibility(
            actor_of(interaction),
            GoalTarget(goal, ref_of(interaction, partnership)),
            visibility.value,
        )
        if result.unpost is not None:
            await self.messages.take_back(*result.unpost)
        where = await self.messages.post(result.card) if result.post else ""
        await send(interaction, visibility_reply(result) + where)

    @app_commands.command(name="review", description="Goals that need attention.")
    @app_commands.describe(
        days=f"Flag goals proposed over this many days ago, never agreed (default {STALE_DAYS})",
        partnership=PARTNERSHIP_OPTION,
    )
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def review(
        self,
        interaction: discord.Interaction,
        days: app_commands.Range[int, 1, 3650] = STALE_DAYS,
        partnership: str | None = None,
    ) -> None:
        p, items = await self.goals.review(
            actor_of(interaction), ref_of(interaction, partnership), days=days
        )
        if not items:
            await send(interaction, f"Nothing needs attention among {escape(p.name)}'s goals.")
            return
        await send(interaction, embed=review_embed(p.name, items, days))


async def setup(bot: PartnerBot) -> None:
    bot.add_dynamic_items(StanceButton, ConfirmButton, ResponseButton)
    cog = GoalCog(bot, bot.services.goals)
    await bot.add_cog(cog)
    bot.timers.register(NUDGE_TIMER, cog.nudging.timer, seed_timers)


async def teardown(bot: PartnerBot) -> None:
    bot.remove_dynamic_items(StanceButton, ConfirmButton, ResponseButton)
    bot.timers.unregister(NUDGE_TIMER)
