"""The goal's Discord components: the persistent stance buttons, the optional-comment form, and
the choices and autocomplete of the /goal options.

The stance buttons are `DynamicItem`s: their custom id carries the goal and the stance
(`partnerbot:goal:stance:<id>:<stance>`), so a message posted before a restart keeps working.
The form is stateless for the same reason: its custom id carries the goal and stance too, and
the goal cog records the stance when a form with that id is sent (`GoalCog.on_interaction`),
whichever process opened it.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

import discord
from discord import app_commands

from bot.replies import clip
from bot.services.goals import (
    COMMENT_MAX,
    RELATION_WORDS,
    VISIBILITY_WORDS,
    GoalCard,
    GoalVisibility,
    Relation,
    Stance,
    describe_value,
)
from cogs._base import Form, Guarded, open_form
from cogs._context import actor_of, bot_of, ref_of

MODAL_TITLE_LIMIT = 45

STANCE_ID = "partnerbot:goal:stance:{goal_id}:{stance}"
FORM_ID = "partnerbot:goal:form:{goal_id}:{stance}"
_STANCES = "|".join(s.value for s in Stance)
STANCE_TEMPLATE = rf"partnerbot:goal:stance:(?P<goal_id>[0-9]{{1,18}}):(?P<stance>{_STANCES})"
FORM_PATTERN = re.compile(
    rf"partnerbot:goal:form:(?P<goal_id>[0-9]{{1,18}}):(?P<stance>{_STANCES})"
)
COMMENT_INPUT = "comment"

BUTTONS: dict[str, tuple[str, discord.ButtonStyle]] = {
    Stance.agree: ("Agree", discord.ButtonStyle.success),
    Stance.reservations: ("Reservations", discord.ButtonStyle.primary),
    Stance.unsure: ("Unsure", discord.ButtonStyle.secondary),
    Stance.object: ("Object", discord.ButtonStyle.danger),
}


# --------------------------------------------------------------------------- buttons and form


class StanceButton(
    Guarded, discord.ui.DynamicItem[discord.ui.Button[Any]], template=STANCE_TEMPLATE
):
    """Agree / Reservations / Unsure / Object on a goal's message: opens the comment form."""

    def __init__(self, goal_id: int, stance: str) -> None:
        text, style = BUTTONS[stance]
        super().__init__(
            discord.ui.Button(
                label=text, style=style, custom_id=STANCE_ID.format(goal_id=goal_id, stance=stance)
            )
        )
        self.goal_id = goal_id
        self.stance = stance

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> StanceButton:
        return cls(int(match["goal_id"]), match["stance"])

    async def pressed(self, interaction: discord.Interaction) -> None:
        """Check standing, then open the comment form as the first response."""
        goals = bot_of(interaction).services.goals
        standing = await goals.standing(actor_of(interaction), self.goal_id)
        form = StanceForm(self.goal_id, self.stance, standing.voice.organisation)
        await open_form(interaction, form)  # sent forms come back to `GoalCog.on_interaction`


def stance_view(card: GoalCard) -> discord.ui.View | None:
    """The four stance buttons, or none once stances are closed."""
    if not card.open:
        return None
    view = discord.ui.View(timeout=None)
    for stance in Stance:
        view.add_item(StanceButton(card.id, stance.value))
    return view


class StanceForm(Form):
    """The optional comment. Opened by a stance button; the sent form is handled by its id."""

    def __init__(self, goal_id: int, stance: str, who: str | None) -> None:
        title = f"{BUTTONS[stance][0]}: {who}" if who else f"{BUTTONS[stance][0]}: your own view"
        super().__init__(
            title=clip(title, MODAL_TITLE_LIMIT),
            custom_id=FORM_ID.format(goal_id=goal_id, stance=stance),
        )
        self.add_item(
            discord.ui.Label(
                text="Comment (optional)",
                description="Shown with the goal and in the partnership's internal exports.",
                component=discord.ui.TextInput(
                    style=discord.TextStyle.paragraph,
                    custom_id=COMMENT_INPUT,
                    required=False,
                    max_length=COMMENT_MAX,
                    placeholder="Why? What would change your view?",
                ),
            )
        )


# --------------------------------------------------------------------------- options


def dimension_choices(enum: type[StrEnum]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=describe_value(v.value), value=v.value) for v in enum]


VISIBILITY_CHOICES = [
    app_commands.Choice(name=f"{v.value}: {VISIBILITY_WORDS[v]}", value=v.value)
    for v in GoalVisibility
]
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
