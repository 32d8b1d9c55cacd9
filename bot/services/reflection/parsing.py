"""Reading what people type about reflective prompts: themes, their own prompts, answers, and
a prompt's number."""

from __future__ import annotations

from bot.errors import UserFacingError
from bot.prompts import MAX_TEXT_LENGTH, THEMES
from bot.services.text import clean_text, record_number

ROTATION = "rotation"
ANSWER_MAX = 2000
PROMPT_MAX = MAX_TEXT_LENGTH  # the library's own limit: 300 characters


def theme_label(key: str) -> str:
    """A theme's name as people read it: "Shared goals" for `goals`."""
    theme = THEMES.get(key)
    return theme.label if theme else key.replace("_", " ").capitalize()


def parse_theme(value: str | None, *, allow_rotation: bool = True) -> str | None:
    """A theme key, or None for rotation."""
    if value is None or not value.strip():
        return None
    key = value.strip().lower().replace(" ", "_").replace("-", "_")
    if allow_rotation and key == ROTATION:
        return None
    if key in THEMES:
        return key
    for theme in THEMES.values():
        if theme.label.casefold() == value.strip().casefold():
            return theme.key
    options = ", ".join(t.key for t in THEMES.values())
    extra = " or rotation" if allow_rotation else ""
    raise UserFacingError(f"“{value}” isn't a theme I know. Choose one of: {options}{extra}.")


def parse_post_ref(text: str) -> int:
    """`12` or `#12` → 12: a posted prompt's number."""
    number = record_number(text)
    if number is None:
        raise UserFacingError(
            f"“{text}” isn't a prompt number. Choose one of the recent prompts from the list."
        )
    return number


def clean_answer(text: str | None) -> str:
    """An answer as sent: trimmed, its line breaks kept, within `ANSWER_MAX` characters."""
    value = (text or "").strip()
    if not value:
        raise UserFacingError("Your reflection is empty: write a few words, then send it.")
    if len(value) > ANSWER_MAX:
        raise UserFacingError(
            f"Your reflection is {len(value)} characters; the most is {ANSWER_MAX}. "
            "Shorten it, or split it over two answers."
        )
    return value


def clean_prompt(text: str | None) -> str:
    """A partnership's own prompt: on one line, within the library's limit."""
    return clean_text(text, what="prompt", limit=PROMPT_MAX)


def prompt_key(text: str) -> str:
    """What makes two prompts the same: their words, in any case and spacing."""
    return " ".join(text.split()).casefold()
