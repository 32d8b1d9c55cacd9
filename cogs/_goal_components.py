"""The goal's Discord components: the persistent stance buttons, the optional-comment form, and
the choices and autocomplete of the /goal options.

The stance buttons and Confirm (on a goal with a stance given subject to referral) are
`DynamicItem`s: their custom id carries the goal and the stance
(`partnerbot:goal:stance:<id>:<stance>`), so a message posted before a restart keeps working.
An organisation's or a person's goal shows the four response buttons instead
(`partnerbot:goal:respond:<id>:<response>`), with their own form.
The form is stateless for the same reason: its custom id carries the goal and stance too, and
the goal cog records the stance when a form with that id is sent (`GoalCog.on_interaction`),
whichever process opened it.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

import discord
from discord import app_commands

from bot.replies import clip, send
from bot.services.goals import (
    COMMENT_MAX,
    RELATION_WORDS,
    RESPONSE_LABELS,
    VISIBILITY_WORDS,
    GoalCard,
    GoalVisibility,
    Relation,
    Response,
    Stance,
    StanceResult,
    describe_value,
)
from cogs._base import Form, Guarded, open_form, thinking
from cogs._context import actor_of, bot_of, ref_of
from cogs._goal_embeds import any_pending
from cogs._goal_replies import stance_reply

MODAL_TITLE_LIMIT = 45

STANCE_ID = "partnerbot:goal:stance:{goal_id}:{stance}"
FORM_ID = "partnerbot:goal:form:{goal_id}:{stance}"
_STANCES = "|".join(s.value for s in Stance)
STANCE_TEMPLATE = rf"partnerbot:goal:stance:(?P<goal_id>[0-9]{{1,18}}):(?P<stance>{_STANCES})"
FORM_PATTERN = re.compile(
    rf"partnerbot:goal:form:(?P<goal_id>[0-9]{{1,18}}):(?P<stance>{_STANCES})"
)
COMMENT_INPUT = "comment"
CONFIRM_ID = "partnerbot:goal:confirm:{goal_id}"
CONFIRM_TEMPLATE = r"partnerbot:goal:confirm:(?P<goal_id>[0-9]{1,18})"
# The cog whose `stance_recorded` redraws the goal and announces an agreement after a Confirm.
GOAL_COG = "Goals"

RESPONSE_ID = "partnerbot:goal:respond:{goal_id}:{response}"
RESPONSE_FORM_ID = "partnerbot:goal:rform:{goal_id}:{response}"
_RESPONSES = "|".join(r.value for r in Response)
RESPONSE_TEMPLATE = (
    rf"partnerbot:goal:respond:(?P<goal_id>[0-9]{{1,18}}):(?P<response>{_RESPONSES})"
)
RESPONSE_FORM_PATTERN = re.compile(
    rf"partnerbot:goal:rform:(?P<goal_id>[0-9]{{1,18}}):(?P<response>{_RESPONSES})"
)
RESPONSE_STYLES: dict[str, discord.ButtonStyle] = {
    Response.compatible: discord.ButtonStyle.success,
    Response.in_tension: discord.ButtonStyle.danger,
    Response.no_effect: discord.ButtonStyle.secondary,
    Response.didnt_know: discord.ButtonStyle.primary,
}

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


@runtime_checkable
class FollowsStances(Protocol):
    async def stance_recorded(self, result: StanceResult) -> None: ...


class ConfirmButton(
    Guarded, discord.ui.DynamicItem[discord.ui.Button[Any]], template=CONFIRM_TEMPLATE
):
    """Confirm, on a goal with a stance given subject to referral: confirms the presser's
    organisation's pending stance, as it was given. Who may confirm is the access gate's rule
    (`check_may_confirm`); anyone else gets a polite no, privately."""

    def __init__(self, goal_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Confirm",
                emoji="⏳",
                style=discord.ButtonStyle.secondary,
                custom_id=CONFIRM_ID.format(goal_id=goal_id),
                row=1,
            )
        )
        self.goal_id = goal_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ConfirmButton:
        return cls(int(match["goal_id"]))

    async def pressed(self, interaction: discord.Interaction) -> None:
        await thinking(interaction)
        bot = bot_of(interaction)
        result = await bot.services.goals.confirm(actor_of(interaction), self.goal_id)
        await send(interaction, stance_reply(result))
        cog = bot.get_cog(GOAL_COG)
        if isinstance(cog, FollowsStances):
            await cog.stance_recorded(result)


def stance_view(card: GoalCard) -> discord.ui.View | None:
    """The four stance buttons, and Confirm while a stance awaits confirmation after
    referral; none once stances are closed."""
    """The four stance buttons (the four response buttons on an organisation's or a person's
    goal), or none once stances are closed."""
    if not card.open:
        return None
    view = discord.ui.View(timeout=None)
    if card.takes_responses:
        for response in Response:
            view.add_item(ResponseButton(card.id, response.value))
        return view
    for stance in Stance:
        view.add_item(StanceButton(card.id, stance.value))
    if any_pending(card):
        view.add_item(ConfirmButton(card.id))
    return view


def response_label(response: str) -> str:
    """A response button's words: “Compatible”, “In tension”, “Doesn't affect us” …"""
    text = RESPONSE_LABELS[response]
    return text[:1].upper() + text[1:]


class ResponseButton(
    Guarded, discord.ui.DynamicItem[discord.ui.Button[Any]], template=RESPONSE_TEMPLATE
):
    """Compatible / In tension / Doesn't affect us / Didn't know on an organisation's or a
    person's goal: opens the comment form."""

    def __init__(self, goal_id: int, response: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=response_label(response),
                style=RESPONSE_STYLES[response],
                custom_id=RESPONSE_ID.format(goal_id=goal_id, response=response),
            )
        )
        self.goal_id = goal_id
        self.response = response

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ResponseButton:
        return cls(int(match["goal_id"]), match["response"])

    async def pressed(self, interaction: discord.Interaction) -> None:
        """Check standing, then open the comment form as the first response."""
        goals = bot_of(interaction).services.goals
        standing = await goals.response_standing(actor_of(interaction), self.goal_id)
        form = ResponseForm(self.goal_id, self.response, standing.voice.organisation)
        await open_form(interaction, form)  # sent forms come back to `GoalCog.on_interaction`


class ResponseForm(Form):
    """The optional comment with a response. The sent form is handled by its id."""

    def __init__(self, goal_id: int, response: str, who: str | None) -> None:
        title = f"{response_label(response)}: {who or 'your organisation'}"
        super().__init__(
            title=clip(title, MODAL_TITLE_LIMIT),
            custom_id=RESPONSE_FORM_ID.format(goal_id=goal_id, response=response),
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
                    placeholder="How does it sit with your organisation's aims?",
                ),
            )
        )


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


RESPONSE_CHOICES = [app_commands.Choice(name=RESPONSE_LABELS[r], value=r.value) for r in Response]
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
