"""/goal: the partnership's goals, proposed, agreed organisation by organisation, linked, reviewed.

A proposal is posted in the partnership's channel with its agreement matrix and four persistent
stance buttons; the message is edited in place after every change. Replies to the person acting
are ephemeral.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Iterable
from enum import StrEnum

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import PartnerBot
from bot.replies import NO_MENTIONS, error_reply, escape, send
from bot.services.goals import (
    COMMENT_MAX,
    DESCRIPTION_MAX,
    NOTE_MAX,
    RELATION_WORDS,
    STALE_DAYS,
    STANCE_WORDS,
    TITLE_MAX,
    Authenticity,
    ChangeResult,
    Content,
    GoalCard,
    GoalService,
    GoalStatus,
    GoalTarget,
    Level,
    Origin,
    Overtness,
    Relation,
    Relevance,
    Stance,
    StanceResult,
    describe_value,
)
from bot.services.vocab import ORG_NAME_MAX, label
from cogs._context import (
    actor_of,
    bot_of,
    organisation_autocomplete,
    partnership_autocomplete,
    ref_of,
)
from cogs._goal_views import (
    COG_NAME,
    COMMENT_INPUT,
    FORM_PATTERN,
    StanceButton,
    StanceForm,
    goal_embed,
    list_embed,
    review_embed,
    stance_view,
    submitted_value,
)

log = logging.getLogger(__name__)

GOAL_OPTION = "The goal: choose from the list, or type its number or exact title"
PARTNERSHIP_OPTION = "Which partnership (implied in its channel)"


def dimension_choices(enum: type[StrEnum]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=describe_value(v.value), value=v.value) for v in enum]


RELATION_CHOICES = [app_commands.Choice(name=RELATION_WORDS[r][0], value=r.value) for r in Relation]


async def goal_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Goals of the partnership named or implied (else of every partnership the person is in)."""
    if interaction.guild_id is None:
        return []
    service = bot_of(interaction).services.goals
    named = getattr(interaction.namespace, "partnership", None)
    found = await service.autocomplete(actor_of(interaction), ref_of(interaction, named), current)
    return [app_commands.Choice(name=name, value=value) for name, value in found]


def goal_words(card: GoalCard) -> str:
    return f"goal #{card.id} **{escape(card.goal.title)}**"


def stance_reply(result: StanceResult) -> str:
    card = result.card
    voice = result.voice
    if voice.organisation:
        text = f"Recorded: **{escape(voice.organisation)}** {STANCE_WORDS[result.stance]} "
    else:
        text = f"Recorded your own stance: you {_second_person(result.stance)} "
    text += f"{goal_words(card)}."
    if result.previous and result.previous != result.stance:
        text += f" (It was {label(result.previous)}.)"
    if result.agreed_now:
        text += f" That meets the {card.goal.agreed_rule} rule: the goal is now **agreed**."
    if not voice.counted:
        text += " Your stance is shown with the goal but doesn't count toward agreement" + (
            ": only core organisations count."
            if voice.organisation
            else " in this partnership (people in their own capacity are heard, not counted)."
        )
    return text


def _second_person(stance: str) -> str:
    return {
        Stance.agree: "agree with",
        Stance.reservations: "have reservations about",
        Stance.unsure: "are unsure about",
        Stance.object: "object to",
    }[Stance(stance)]


def change_reply(result: ChangeResult) -> str:
    def show(key: str, value: object) -> str:
        if value is None:
            return "unset"
        if key == "progress":
            return f"{value}%"
        if key == "review_on":
            return str(value)
        if key in ("title", "description"):
            return f"“{escape(str(value))}”" if key == "title" else "(new text)"
        return describe_value(str(value))

    lines = [
        f"• {label(key)}: {show(key, old)} → {show(key, new)}"
        for key, (old, new) in result.changes.items()
    ]
    if result.note:
        lines.append(f"• note: {escape(result.note)}")
    return f"Updated {goal_words(result.card)}:\n" + "\n".join(lines)


@app_commands.guild_only()
class GoalCog(commands.GroupCog, name=COG_NAME, group_name="goal"):
    """Goals: proposed, agreed organisation by organisation, linked and reviewed."""

    def __init__(self, bot: PartnerBot, goals: GoalService) -> None:
        self.bot = bot
        self.goals = goals
        # One edit at a time per goal message, so the last edit shows the latest state.
        self._edit_locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        super().__init__()

    # ---- the goal message

    async def _post(self, card: GoalCard) -> str:
        """Post a new goal in its partnership's channel; say where, for the reply."""
        channel_id = card.partnership.channel_id
        if channel_id is None:
            return " The partnership has no channel, so it isn't posted anywhere."
        try:
            message = await self.bot.get_partial_messageable(channel_id).send(
                embed=goal_embed(card),
                view=stance_view(card) or discord.utils.MISSING,
                allowed_mentions=NO_MENTIONS,
            )
        except discord.HTTPException as error:
            log.warning("Could not post goal %s in channel %s: %s", card.id, channel_id, error)
            return (
                " I couldn't post it in the partnership's channel (it's gone, or I may not "
                "post there), so stances go through `/goal endorse`."
            )
        await self.goals.attach_message(card.id, channel_id, message.id)
        return f" It's posted in <#{channel_id}> for each organisation's stance."

    async def refresh(self, goal_ids: Iterable[int]) -> None:
        """Edit goals' posted messages in place to show their current state."""
        for goal_id in dict.fromkeys(goal_ids):
            async with self._edit_locks[goal_id]:
                card = await self.goals.message_card(goal_id)
                if card is None or card.goal.channel_id is None or card.goal.message_id is None:
                    continue
                message = self.bot.get_partial_messageable(
                    card.goal.channel_id
                ).get_partial_message(card.goal.message_id)
                try:
                    await message.edit(embed=goal_embed(card), view=stance_view(card))
                except discord.NotFound:
                    log.info("Goal %s's message is gone; not refreshed", goal_id)
                except discord.HTTPException as error:
                    log.warning("Could not refresh goal %s's message: %s", goal_id, error)

    # ---- stance buttons and their form

    async def open_stance_form(
        self, interaction: discord.Interaction, goal_id: int, stance: str
    ) -> None:
        """A stance button: check standing, then open the comment form as the first response."""
        try:
            standing = await self.goals.standing(actor_of(interaction), goal_id)
            form = StanceForm(goal_id, stance, standing.voice.organisation)
            await interaction.response.send_modal(form)
            # Submissions are handled by id in `on_interaction`, not by this instance: a form
            # survives a restart, and two people answering at once never share one Modal.
            form.stop()
        except Exception as error:
            await error_reply(interaction, error)

    @commands.Cog.listener()
    async def on_partnership_changed(self, partnership_id: int) -> None:
        """Organisations or people changed: redraw the agreement matrices already posted."""
        await self.refresh(await self.goals.posted_goal_ids(partnership_id))

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data = dict(interaction.data or {})
        match = FORM_PATTERN.fullmatch(str(data.get("custom_id", "")))
        if match is None:
            return
        try:
            result = await self.goals.endorse(
                actor_of(interaction),
                GoalTarget.by_id(int(match["goal_id"])),
                match["stance"],
                submitted_value(data, COMMENT_INPUT),
            )
            await send(interaction, stance_reply(result))
        except Exception as error:
            await error_reply(interaction, error)
            return
        await self.refresh([result.card.id])

    # ---- commands

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
    )
    @app_commands.choices(
        level=dimension_choices(Level),
        content=dimension_choices(Content),
        origin=dimension_choices(Origin),
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
    ) -> None:
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
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        where = await self._post(card)
        await send(interaction, f"Proposed {goal_words(card)}.{where}")

    @app_commands.command(
        name="endorse", description="Record your organisation's stance on a goal."
    )
    @app_commands.describe(
        goal=GOAL_OPTION,
        stance="Agree, reservations, unsure or object",
        comment="Why, or what would change your view (optional)",
        partnership=PARTNERSHIP_OPTION,
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
    ) -> None:
        result = await self.goals.endorse(
            actor_of(interaction),
            GoalTarget(goal, ref_of(interaction, partnership)),
            stance.value,
            comment,
        )
        await send(interaction, stance_reply(result))
        await self.refresh([result.card.id])

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
    )
    @app_commands.choices(status=dimension_choices(GoalStatus), level=dimension_choices(Level))
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def list_(
        self,
        interaction: discord.Interaction,
        status: app_commands.Choice[str] | None = None,
        level: app_commands.Choice[str] | None = None,
        partnership: str | None = None,
    ) -> None:
        p, cards = await self.goals.list_goals(
            actor_of(interaction),
            ref_of(interaction, partnership),
            status=status.value if status else None,
            level=level.value if level else None,
        )
        filters = [f"{label(c.value)}" for c in (status, level) if c is not None]
        which = f" ({', '.join(filters)})" if filters else ""
        if not cards:
            hint = "" if filters else " Propose one with `/goal propose`."
            await send(interaction, f"{escape(p.name)} has no goals{which} yet.{hint}")
            return
        await send(interaction, embed=list_embed(f"Goals of {p.name}{which}", cards))

    @app_commands.command(
        name="update", description="Change a goal's status, progress or review date."
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
        await self.refresh(result.touched)

    @app_commands.command(name="classify", description="Set a goal's dimensions (Vangen & Huxham).")
    @app_commands.describe(
        goal=GOAL_OPTION,
        origin="Where it comes from",
        authenticity="Genuine, or pseudo: professed, not pursued (only its owners say pseudo)",
        relevance="Does it need the collaboration, or could it be achieved alone?",
        content="Process (how we work) or substantive (what we achieve)",
        overtness="Explicit, unstated or hidden (only its owners say unstated or hidden)",
        partnership=PARTNERSHIP_OPTION,
    )
    @app_commands.choices(
        origin=dimension_choices(Origin),
        authenticity=dimension_choices(Authenticity),
        relevance=dimension_choices(Relevance),
        content=dimension_choices(Content),
        overtness=dimension_choices(Overtness),
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
    ) -> None:
        result = await self.goals.classify(
            actor_of(interaction),
            GoalTarget(goal, ref_of(interaction, partnership)),
            origin=origin.value if origin else None,
            authenticity=authenticity.value if authenticity else None,
            relevance=relevance.value if relevance else None,
            content=content.value if content else None,
            overtness=overtness.value if overtness else None,
        )
        await send(interaction, change_reply(result))
        await self.refresh(result.touched)

    @app_commands.command(
        name="link", description="Link two goals: contributes to, part of, in tension."
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
        result = await self.goals.link(
            actor_of(interaction),
            GoalTarget(goal, ref_of(interaction, partnership)),
            other,
            relation.value,
        )
        await send(
            interaction,
            f"Linked: {goal_words(result.card)} {RELATION_WORDS[result.relation][0]} "
            f"{goal_words(result.other)}.",
        )
        await self.refresh(result.touched)

    @app_commands.command(name="unlink", description="Remove a link between two goals.")
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
        result = await self.goals.unlink(
            actor_of(interaction),
            GoalTarget(goal, ref_of(interaction, partnership)),
            other,
            relation.value,
        )
        await send(
            interaction,
            f"Removed the link: {goal_words(result.card)} no longer "
            f"{_bare(RELATION_WORDS[result.relation][0])} {goal_words(result.other)}.",
        )
        await self.refresh(result.touched)

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


def _bare(words: str) -> str:
    """`is part of` → `part of`, for “no longer …”."""
    return words.removeprefix("is ")


async def setup(bot: PartnerBot) -> None:
    bot.add_dynamic_items(StanceButton)
    await bot.add_cog(GoalCog(bot, bot.services.goals))


async def teardown(bot: PartnerBot) -> None:
    bot.remove_dynamic_items(StanceButton)
