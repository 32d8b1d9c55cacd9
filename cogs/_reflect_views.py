"""How a reflective prompt looks on Discord: its embed, the persistent Reflect button, the form.

The button is a `DynamicItem` whose custom id carries the post's id
(`partnerbot:reflect:answer:<post_id>`), so it keeps working after a restart without any view
being stored. Pressing it opens the form as the first response; nothing is stored until the
form is sent, and a sent form is handled from its custom id alone, so it survives a restart too.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any

import discord

from bot.replies import (
    EMBED_DESCRIPTION_LIMIT,
    EMBED_FIELD_LIMIT,
    EMBED_TITLE_LIMIT,
    clip,
    escape,
    send,
)
from bot.services.reflection import ANSWER_MAX, AnswerResult, PostDraft, Visibility, who_sees
from bot.services.timeutil import discord_timestamp
from cogs._base import Form, Guarded, View, guarded, open_form, submitted_form
from cogs._context import actor_of, bot_of
from cogs._reflect_answers import answer_footer, show, thanks

__all__ = ["answer_footer", "handle_form", "prompt_embed", "thanks"]

log = logging.getLogger(__name__)

ANSWER_PREFIX = "partnerbot:reflect:answer:"
FORM_PREFIX = "partnerbot:reflect:form:"
FORM_ID = re.compile(re.escape(FORM_PREFIX) + r"(?P<post_id>[0-9]{1,18})(?::[0-9a-f]+)?")
ANSWER_INPUT = "answer"
FORM_MEMORY_SECONDS = 900  # an unsent form's object is dropped then; sending still works
MODAL_TITLE_LIMIT = 45
THREAD_NAME_LIMIT = 100


def prompt_embed(draft: PostDraft) -> discord.Embed:
    """The prompt as posted: theme, question, the concept it draws on, and lateness."""
    # A partnership's own prompt is a member's text: shown as written, never as Markdown (no
    # masked links under the bot's name). The library's prompts are ours.
    description = escape(draft.text) if draft.own_prompt else draft.text
    if draft.late and draft.due_at is not None:
        description += f"\n\n*Posted late: this was due at {discord_timestamp(draft.due_at, 'F')}.*"
    embed = discord.Embed(
        title=clip(f"Reflect: {draft.theme_label}", EMBED_TITLE_LIMIT),
        description=clip(description, EMBED_DESCRIPTION_LIMIT),
        colour=discord.Colour.blurple(),
    )
    embed.add_field(
        name="Draws on",
        value=clip(
            draft.concept or f"{escape(draft.partnership_name)}'s own prompt", EMBED_FIELD_LIMIT
        ),
        inline=False,
    )
    embed.set_footer(text=f"Prompt #{draft.post_id} · {prompt_footer(draft)}")
    return embed


def prompt_footer(draft: PostDraft) -> str:
    """How to answer, and who will see the answers."""
    if draft.visibility is Visibility.anonymous:
        return (
            "Press Reflect to answer anonymously: answers are shown here without names once "
            f"{draft.k} organisations have answered. Messages you write in the thread yourself "
            "carry your name."
        )
    if draft.visibility is Visibility.private:
        return (
            "Press Reflect to answer privately: each answer is seen only by its author "
            "(/reflect mine). Messages you write in the thread yourself carry your name."
        )
    return (
        "Press Reflect to answer, or talk it over in the thread. Answers are shared with their "
        "author's name and kept in the partnership log."
    )


def form_line(draft: PostDraft) -> str:
    """The form's short line under "Your reflection" (Discord allows 100 characters)."""
    if draft.visibility is Visibility.anonymous:
        return f"Anonymous: shown without your name once {draft.k} organisations have answered."
    if draft.visibility is Visibility.private:
        return "Only you: kept in your own record (/reflect mine), never shown or exported."
    return "Shared in the thread with your name; kept in the log and internal exports."


def thread_name(draft: PostDraft) -> str:
    return clip(f"{draft.theme_label}: {draft.text}", THREAD_NAME_LIMIT)


def answer_view(post_id: int) -> discord.ui.View:
    view = View(timeout=None)
    view.add_item(ReflectButton(post_id))
    return view


class ReflectButton(
    Guarded,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(re.escape(ANSWER_PREFIX) + r"(?P<post_id>[0-9]{1,18})"),
):
    """The persistent Reflect button under every prompt: opens the answer form."""

    def __init__(self, post_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Reflect",
                style=discord.ButtonStyle.primary,
                custom_id=f"{ANSWER_PREFIX}{post_id}",
            )
        )
        self.post_id = post_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ReflectButton:
        return cls(int(match["post_id"]))

    async def pressed(self, interaction: discord.Interaction) -> None:
        service = bot_of(interaction).services.reflection
        draft = await service.answer_target(actor_of(interaction), self.post_id)
        await open_form(interaction, AnswerModal(draft))  # sent forms come back to handle_form


class AnswerModal(Form):
    """The answer form: the question, and a box for a few sentences.

    Only the form's layout. What is sent is handled by `handle_form`, from the custom id alone,
    so an answer still lands when the bot restarted while the form was open.
    """

    def __init__(self, draft: PostDraft) -> None:
        super().__init__(
            title=clip(f"Reflect: {draft.theme_label}", MODAL_TITLE_LIMIT),
            timeout=FORM_MEMORY_SECONDS,
            custom_id=f"{FORM_PREFIX}{draft.post_id}:{secrets.token_hex(4)}",
        )
        self.add_item(discord.ui.TextDisplay(clip(draft.text, 4000)))
        self.add_item(
            discord.ui.TextDisplay(
                f"Who will see your answer: {who_sees(draft.visibility, draft.k)}."
            )
        )
        self.add_item(
            discord.ui.Label(
                text="Your reflection",
                description=form_line(draft),
                component=discord.ui.TextInput(
                    custom_id=ANSWER_INPUT,
                    style=discord.TextStyle.paragraph,
                    min_length=1,
                    max_length=ANSWER_MAX,
                    placeholder="A few sentences are plenty.",
                ),
            )
        )


async def handle_form(interaction: discord.Interaction) -> None:
    """If this interaction sends an answer form: store the answer, thank its author, and show
    on Discord what its visibility allows. Anything else is left alone."""
    submitted = submitted_form(interaction, FORM_ID)
    if submitted is None:
        return
    match, values = submitted
    bot = bot_of(interaction)

    async def store() -> AnswerResult:
        result = await bot.services.reflection.answer(
            actor_of(interaction), int(match["post_id"]), values.get(ANSWER_INPUT, "")
        )
        await send(interaction, thanks(result))
        return result

    result = await guarded(interaction, store)
    if result is not None:
        await show(bot, result.shows)
