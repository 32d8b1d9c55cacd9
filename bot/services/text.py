"""User text in and out: cleaning what people type, clipping what we show, naming who acted.

One of each, for every feature. Limits are counted after cleaning, so what is stored is what was
measured.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from bot.errors import UserFacingError
from bot.services.vocab import label, with_article
from db.models import drop_format_characters, is_blank


def clean_text(
    value: str | None, *, what: str, limit: int, required: bool = True, multiline: bool = False
) -> str:
    """Trimmed user text within `limit` characters, or a polite error naming `what`.

    One-line text has its runs of whitespace collapsed to one space; `multiline` text keeps its
    line breaks and is only trimmed at both ends. Zero-width and other format characters are
    removed; text that would show nothing at all counts as empty.
    """
    typed = value or ""
    raw = drop_format_characters(typed)
    text = raw.strip() if multiline else " ".join(raw.split())
    if typed.strip() and is_blank(typed):
        if required:
            raise UserFacingError(
                f"The {what} is made only of invisible characters. Type one people can see."
            )
        text = ""
    if required and not text:
        raise UserFacingError(f"The {what} can't be empty.")
    if len(text) > limit:
        raise UserFacingError(f"The {what} is {len(text)} characters; the limit is {limit}.")
    return text


def clean_long_text(value: str | None, *, what: str, limit: int) -> str:
    """Text that may span lines: trimmed, each line's trailing spaces dropped, may be empty."""
    text = "\n".join(line.rstrip() for line in (value or "").strip().splitlines())
    if len(text) > limit:
        raise UserFacingError(f"The {what} is {len(text)} characters; the limit is {limit}.")
    return text


def choice(value: str | None, enum: type[StrEnum], *, what: str) -> str | None:
    """One of `enum`'s values, as typed (any case), or a polite error listing the choices."""
    if value is None:
        return None
    try:
        return str(enum(value.strip().lower()))
    except ValueError:
        options = ", ".join(label(v.value) for v in enum)
        raise UserFacingError(
            f"“{value}” isn't {with_article(what)} I know. Choose one of: {options}."
        ) from None


# The largest id a table's integer key holds (PostgreSQL's integer; SQLite's is larger).
MAX_RECORD_NUMBER = 2_147_483_647
_RECORD_NUMBER = re.compile(r"#?\s*([0-9]{1,10})", re.ASCII)


def record_number(text: str) -> int | None:
    """`12` or `#12` → 12: a goal's, schedule's or prompt's number as people type it; None
    for anything else, other scripts' digits and numbers beyond any record's included."""
    match = _RECORD_NUMBER.fullmatch(text.strip())
    if match is None:
        return None
    number = int(match[1])
    return number if 1 <= number <= MAX_RECORD_NUMBER else None


def clip(text: str, limit: int) -> str:
    """Shorten `text` to `limit` characters, marking the cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


# Discord refuses an autocomplete answer with a choice name over 100 characters.
CHOICE_NAME_LIMIT = 100


def choice_name(head: str, tail: str = "") -> str:
    """An autocomplete choice's name on one line within Discord's limit: `head` (the item) is
    clipped first so `tail` (its state, its partnership, with its own leading space) still
    shows, unless the tail alone would take more than half the room."""
    head, tail = " ".join(head.split()), " ".join(tail.split(" ")).replace("\n", " ")
    if len(head) + len(tail) <= CHOICE_NAME_LIMIT:
        return head + tail
    if len(tail) <= CHOICE_NAME_LIMIT // 2:
        return clip(head, CHOICE_NAME_LIMIT - len(tail)) + tail
    return clip(head + tail, CHOICE_NAME_LIMIT)


def one_line(text: str, limit: int) -> str:
    """`text` on one line (whitespace collapsed), clipped to `limit`."""
    return clip(" ".join(text.split()), limit)


def message_link(guild_id: int, channel_id: int | None, message_id: int | None) -> str | None:
    """A link to a posted message, or None while it has not been posted."""
    if channel_id is None or message_id is None:
        return None
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def name_of(display_name: str | None, fallback: str = "Someone") -> str:
    """A person's display name, or `fallback` when Discord gave none."""
    return display_name or fallback


def jsonable(value: Any) -> Any:
    """A value as the log's JSON payload stores it: dates as ISO text."""
    return value.isoformat() if isinstance(value, date | datetime) else value
