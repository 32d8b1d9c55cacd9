"""The interactive trust check-in: one private message with a select per item and a row of
buttons, and a form of its own for the comment.

Nothing is kept in memory between clicks. Every select and button carries the draft in its
custom id (`partnerbot:trust:ci:<round>:<draft>:<action>`), and each click redraws the message
from the draft it carries; the comment and the small win's line, which do not fit in a custom
id, are kept in the message itself, escaped so they read back exactly. So an open form still
works after a restart, two people answering at once never share anything, and no timer is left
running. Nothing is stored until Submit.

The draft: one character per item (`-` not chosen, `0` don't know, `1`–`5`; `x` where the
person has no own-capacity item), then the small win (`-`, `y`, `n`, `u` not sure), then
whether the comment is shared (`0`/`1`). The small win's answer sends the check-in, so five
clicks answer everything: four selects and the small win; people in their own capacity have one
more select, six. The comment, optional, is added before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import discord

from bot.errors import UserFacingError
from bot.replies import escape, send
from bot.services.access import PartnershipRef
from bot.services.text import clip
from bot.services.trust import (
    COMMENT_MAX,
    COMMENT_WARNING,
    ITEMS,
    OWN_ITEM,
    SCALE,
    SCALE_WORDS,
    SMALL_WIN_MAX,
    SMALL_WIN_QUESTION,
    CheckinAnswers,
    CheckinForm,
)
from cogs._base import Form, guarded, open_form, submitted_form
from cogs._context import actor_of, bot_of
from cogs._trust_text import checkin_thanks

PREFIX = "partnerbot:trust:ci:"
FORM_PREFIX = "partnerbot:trust:cm:"
DRAFT = r"(?P<draft>[-x0-5]{5}[-ynu][01])"
CONTROL_ID = re.compile(
    re.escape(PREFIX) + r"(?P<round_id>[0-9]{1,18}):" + DRAFT + r":(?P<action>[a-z]{1,2})"
)
FORM_ID = re.compile(re.escape(FORM_PREFIX) + r"(?P<round_id>[0-9]{1,18}):" + DRAFT)

ALL_ITEMS = (*ITEMS, OWN_ITEM)
CODES = ("e", "f", "r", "p", "l")  # one action per item, in the order of ALL_ITEMS
DONT_KNOW_VALUE = "0"
SMALL_WIN_BUTTONS = (("y", "Yes"), ("n", "No"), ("u", "Not sure"))
SEND_ACTIONS = {f"s{code}" for code, _label in SMALL_WIN_BUTTONS}
COMMENT_INPUT, SMALL_WIN_INPUT, SHARE_INPUT = "comment", "small_win_text", "share"
# Component ids (Discord's numeric `id`) of the texts the message keeps for the next click.
PARTNERSHIP_TEXT_ID, SMALL_WIN_TEXT_ID, COMMENT_TEXT_ID = 90, 91, 92
MODAL_TITLE = "Your comment"
PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def keep(text: str) -> str:
    """A member's text as Discord shows it literally: every ASCII punctuation mark escaped, so
    no Markdown, mention or link, and `unkeep` gives back exactly what was written."""
    return PUNCTUATION.sub(r"\\\1", text)


def unkeep(text: str) -> str:
    return ESCAPED.sub(r"\1", text)


@dataclass(frozen=True)
class Draft:
    """A check-in being filled in: what the custom ids and the message carry."""

    round_id: int
    partnership: str
    values: str = "----x"
    small_win: str = "-"
    share: bool = False
    small_win_text: str | None = None
    comment: str | None = None

    @property
    def code(self) -> str:
        return f"{self.values}{self.small_win}{int(self.share)}"

    @property
    def own_item(self) -> bool:
        return self.values[4] != "x"

    def value(self, index: int) -> int | None:
        char = self.values[index]
        return int(char) if char in "12345" else None

    def choose(self, index: int, value: str) -> Draft:
        chars = list(self.values)
        chars[index] = value
        return replace(self, values="".join(chars))

    def answers(self) -> CheckinAnswers:
        return CheckinAnswers(
            expectations=self.value(0),
            follow_through=self.value(1),
            reliance=self.value(2),
            fair_say=self.value(3),
            listened=self.value(4) if self.own_item else None,
            small_win={"y": True, "n": False}.get(self.small_win),
            small_win_text=self.small_win_text,
            comment=self.comment,
            share_comment=self.share and bool(self.comment),
        )

    @classmethod
    def from_form(cls, form: CheckinForm) -> Draft:
        """A new form: empty, or the person's answer in this round to change."""
        draft = cls(form.round_id, form.partnership_name, "----" + ("-" if form.own_item else "x"))
        previous = form.previous
        if previous is None:
            return draft
        for index, item in enumerate(ALL_ITEMS):
            if index == 4 and not form.own_item:
                break
            value = getattr(previous, item.key, None)
            draft = draft.choose(index, DONT_KNOW_VALUE if value is None else str(value))
        small_win = "-" if previous.small_win is None else "y" if previous.small_win else "n"
        return replace(
            draft,
            small_win=small_win,
            share=previous.share_comment,
            small_win_text=previous.small_win_text,
            comment=previous.comment,
        )


# ---------------------------------------------------------------------------- the message


def control_id(draft: Draft, action: str) -> str:
    return f"{PREFIX}{draft.round_id}:{draft.code}:{action}"


def form_layout(draft: Draft, form: CheckinForm) -> discord.ui.LayoutView:
    """The check-in message for `draft`. It is never stored by discord.py (stopped before it is
    sent): its clicks come back to `handle_checkin` by custom id."""
    view = discord.ui.LayoutView(timeout=None)
    who = f"for **{escape(form.speaks_for)}**" if form.speaks_for else "in your own capacity"
    view.add_item(
        discord.ui.TextDisplay(
            f"## Trust check-in · {escape(form.partnership_name)}\n"
            f"You answer {who}. Only you see your answers; the partnership sees totals once the "
            "round closes, and only when enough organisations have answered. Answering again in "
            "this round replaces your answer."
        )
    )
    items = ALL_ITEMS if draft.own_item else ITEMS
    for index, item in enumerate(items):
        view.add_item(
            discord.ui.TextDisplay(f"**{item.label}**: {item.statement}\n-# {item.explanation}")
        )
        view.add_item(discord.ui.ActionRow(item_select(draft, index)))
    win = f"**{SMALL_WIN_QUESTION}** Your answer sends the check-in."
    view.add_item(discord.ui.TextDisplay(win))
    row: discord.ui.ActionRow[Any] = discord.ui.ActionRow()
    has_words = bool(draft.comment or draft.small_win_text)
    row.add_item(
        discord.ui.Button(
            label="Change comment" if has_words else "Add a comment",
            style=discord.ButtonStyle.secondary,
            custom_id=control_id(draft, "c"),
        )
    )
    for code, label in SMALL_WIN_BUTTONS:
        before = draft.small_win == code  # the answer given last time, when replacing it
        row.add_item(
            discord.ui.Button(
                label=f"{label}, send" + (" (as before)" if before else ""),
                style=discord.ButtonStyle.success,
                custom_id=control_id(draft, f"s{code}"),
            )
        )
    view.add_item(row)
    if draft.small_win_text:
        view.add_item(
            discord.ui.TextDisplay(
                f"**The small win:** {keep(draft.small_win_text)}", id=SMALL_WIN_TEXT_ID
            )
        )
    if draft.comment:
        shared = "shared anonymously" if draft.share else "kept private"
        view.add_item(
            discord.ui.TextDisplay(
                f"**Your comment ({shared}):**\n{keep(draft.comment)}", id=COMMENT_TEXT_ID
            )
        )
    view.add_item(
        discord.ui.TextDisplay(
            f"-# Anything left unanswered counts as {SCALE_DONT_KNOW}. Partnership: "
            f"{keep(draft.partnership)}",
            id=PARTNERSHIP_TEXT_ID,
        )
    )
    view.stop()  # handled by custom id, never kept in memory
    return view


SCALE_DONT_KNOW = "“don't know”"


def item_select(draft: Draft, index: int) -> discord.ui.Select[Any]:
    item = ALL_ITEMS[index]
    chosen = draft.values[index]
    options = [
        discord.SelectOption(label=f"{n} {SCALE_WORDS[n]}", value=str(n), default=chosen == str(n))
        for n in SCALE
    ]
    options.append(
        discord.SelectOption(
            label="Don't know", value=DONT_KNOW_VALUE, default=chosen == DONT_KNOW_VALUE
        )
    )
    return discord.ui.Select(
        custom_id=control_id(draft, CODES[index]),
        placeholder=clip(f"{item.label}: choose 1–5 or don't know", 150),
        options=options,
        min_values=1,
        max_values=1,
    )


def thanks_layout(text: str) -> discord.ui.LayoutView:
    view = discord.ui.LayoutView(timeout=None)
    view.add_item(discord.ui.TextDisplay(text))
    view.stop()
    return view


# ---------------------------------------------------------------------------- reading clicks


def texts_of(message: discord.Message | None) -> dict[int, str]:
    """The message's text displays by component id, wherever they sit."""
    found: dict[int, str] = {}

    def walk(components: Any) -> None:
        for component in components or []:
            if isinstance(component, discord.components.TextDisplay) and component.id:
                found[component.id] = component.content
            walk(getattr(component, "children", None))

    walk(message.components if message else [])
    return found


def after(text: str | None, marker: str) -> str | None:
    if not text or marker not in text:
        return None
    return unkeep(text.split(marker, 1)[1].strip()) or None


def draft_of(round_id: str, code: str, message: discord.Message | None) -> Draft:
    """The draft a click carries: its custom id, and the texts kept in the message."""
    texts = texts_of(message)
    partnership = after(texts.get(PARTNERSHIP_TEXT_ID), "Partnership:")
    if partnership is None:
        raise UserFacingError(
            "I couldn't read this check-in form any more. Run `/trust checkin` again."
        )
    return Draft(
        round_id=int(round_id),
        partnership=partnership,
        values=code[:5],
        small_win=code[5],
        share=code[6] == "1",
        small_win_text=after(texts.get(SMALL_WIN_TEXT_ID), "**The small win:**"),
        comment=after(texts.get(COMMENT_TEXT_ID), ":**\n"),
    )


async def current_form(interaction: discord.Interaction, draft: Draft) -> CheckinForm:
    """The round this person may answer, which must still be the draft's round."""
    service = bot_of(interaction).services.trust
    form = await service.checkin_form(actor_of(interaction), PartnershipRef(name=draft.partnership))
    if form.round_id != draft.round_id:
        raise UserFacingError(
            "The check-in round this form belongs to has closed. Run `/trust checkin` again "
            "to answer the round that is open now."
        )
    return form


class CommentModal(Form):
    """The comment's own form: the warning, the small win's line, the comment, and whether to
    share it anonymously. Handled by custom id in `handle_checkin`."""

    def __init__(self, draft: Draft) -> None:
        super().__init__(title=MODAL_TITLE, custom_id=f"{FORM_PREFIX}{draft.round_id}:{draft.code}")
        self.add_item(discord.ui.TextDisplay(COMMENT_WARNING))
        self.add_item(
            discord.ui.Label(
                text="The small win, in a line (optional)",
                component=discord.ui.TextInput(
                    custom_id=SMALL_WIN_INPUT,
                    style=discord.TextStyle.short,
                    required=False,
                    max_length=SMALL_WIN_MAX,
                    default=draft.small_win_text,
                ),
            )
        )
        self.add_item(
            discord.ui.Label(
                text="Your comment (optional)",
                component=discord.ui.TextInput(
                    custom_id=COMMENT_INPUT,
                    style=discord.TextStyle.paragraph,
                    required=False,
                    max_length=COMMENT_MAX,
                    default=draft.comment,
                ),
            )
        )
        self.add_item(
            discord.ui.Label(
                text="Share the comment?",
                description="Shared comments are shown after the round, with no name.",
                component=discord.ui.Select(
                    custom_id=SHARE_INPUT,
                    options=[
                        discord.SelectOption(
                            label="Keep it private", value="0", default=not draft.share
                        ),
                        discord.SelectOption(
                            label="Share it anonymously", value="1", default=draft.share
                        ),
                    ],
                    required=False,
                ),
            )
        )


def chosen_values(components: Any) -> dict[str, str]:
    """A sent form's select choices by custom id (the first chosen value)."""
    found: dict[str, str] = {}
    for component in components or []:
        values = component.get("values")
        if component.get("custom_id") is not None and values:
            found[str(component["custom_id"])] = str(values[0])
        inner = component.get("components") or (
            [component["component"]] if component.get("component") else []
        )
        found.update(chosen_values(inner))
    return found


# ---------------------------------------------------------------------------- handling


async def open_checkin(interaction: discord.Interaction, form: CheckinForm) -> None:
    """Show the interactive check-in as the command's private reply."""
    draft = Draft.from_form(form)
    await interaction.response.send_message(
        view=form_layout(draft, form),
        ephemeral=True,
        allowed_mentions=discord.AllowedMentions.none(),
    )


async def handle_checkin(interaction: discord.Interaction) -> None:
    """A click on a check-in message, or its comment form sent; anything else is left alone."""
    data: dict[str, Any] = dict(interaction.data or {})
    if interaction.type is discord.InteractionType.component:
        control = CONTROL_ID.fullmatch(str(data.get("custom_id", "")))
        if control is not None:
            values = [str(v) for v in data.get("values") or []]
            await guarded(interaction, lambda: _clicked(interaction, control, values))
        return
    submitted = submitted_form(interaction, FORM_ID)
    if submitted is not None:
        match, texts = submitted
        choices = chosen_values(data.get("components"))
        await guarded(interaction, lambda: _commented(interaction, match, texts, choices))


async def _clicked(
    interaction: discord.Interaction, match: re.Match[str], values: list[str]
) -> None:
    draft = draft_of(match["round_id"], match["draft"], interaction.message)
    action = match["action"]
    if action == "c":
        await open_form(interaction, CommentModal(draft))
        return
    if action in SEND_ACTIONS:
        await _submit(interaction, replace(draft, small_win=action[1]))
        return
    if action in CODES:
        chosen = values[0] if values else DONT_KNOW_VALUE
        if chosen not in {DONT_KNOW_VALUE, *map(str, SCALE)}:
            raise UserFacingError("That isn't one of the answers I know.")
        index = CODES.index(action)
        if index == 4 and not draft.own_item:
            raise UserFacingError("That question isn't part of your check-in.")
        draft = draft.choose(index, chosen)
    else:
        raise UserFacingError("I don't know that part of the check-in form.")
    form = await current_form(interaction, draft)
    await interaction.response.edit_message(view=form_layout(draft, form))


async def _commented(
    interaction: discord.Interaction,
    match: re.Match[str],
    values: dict[str, str],
    choices: dict[str, str],
) -> None:
    draft = draft_of(match["round_id"], match["draft"], interaction.message)
    comment = values.get(COMMENT_INPUT, "").strip() or None
    line = values.get(SMALL_WIN_INPUT, "").strip() or None
    share = choices.get(SHARE_INPUT, values.get(SHARE_INPUT, "1" if draft.share else "0")) == "1"
    draft = replace(draft, comment=comment, small_win_text=line, share=share and bool(comment))
    form = await current_form(interaction, draft)
    await interaction.response.edit_message(view=form_layout(draft, form))


async def _submit(interaction: discord.Interaction, draft: Draft) -> None:
    # Acknowledge first: the write may queue behind another change of the partnership.
    await interaction.response.defer()
    service = bot_of(interaction).services.trust
    await current_form(interaction, draft)
    result = await service.checkin(
        actor_of(interaction), PartnershipRef(name=draft.partnership), draft.answers()
    )
    text = checkin_thanks(result)
    try:
        await interaction.edit_original_response(view=thanks_layout(text))
    except discord.HTTPException:
        await send(interaction, text)
