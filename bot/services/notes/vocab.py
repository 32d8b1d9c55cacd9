"""The words of the partnership log's notes: kinds, limits, and the log's page size."""

from __future__ import annotations

from enum import StrEnum

from bot.services.vocab import label
from db.queries import ACTION_CLOSED


class NoteKind(StrEnum):
    note = "note"
    decision = "decision"
    action = "action"
    small_win = "small_win"
    risk = "risk"


# A note is posted as one message (2000 characters) with a line of its own before it.
TEXT_MAX = 1500
# Entries on one page of `/log show`.
PAGE_SIZE = 10

EVENT_PREFIX = "note."
ACTION_DONE = ACTION_CLOSED  # closing an action: one name, shared with the reads in db.queries

ARTICLE = {
    NoteKind.note: "a note",
    NoteKind.decision: "a decision",
    NoteKind.action: "an action",
    NoteKind.small_win: "a small win",
    NoteKind.risk: "a risk",
}


def event_kind(kind: str) -> str:
    """`decision` → `note.decision`: the log event a note of this kind writes."""
    return f"{EVENT_PREFIX}{kind}"


def is_note(kind: str) -> bool:
    """Whether a log entry of this kind is a note (an action's closing is not one)."""
    return kind.startswith(EVENT_PREFIX) and kind != ACTION_DONE


def kind_label(kind: str) -> str:
    return label(kind)
