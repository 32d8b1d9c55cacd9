"""What the notes service hands to cogs: plain data, no database rows, no Discord."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class NoteDraft:
    """A checked note, ready to post in the partnership's channel and then record."""

    partnership_id: int
    partnership: str
    guild_id: int
    channel_id: int | None
    kind: str
    text: str
    goal_id: int | None = None
    goal_title: str | None = None
    review_on: date | None = None
    owner_id: int | None = None
    owner_name: str | None = None
    due: date | None = None
    # A small win's co-production phase (Nabatchi, Sancino & Sicilia 2017); None: not said.
    phase: str | None = None


@dataclass(frozen=True)
class NoteResult:
    event_id: int
    draft: NoteDraft
    message_link: str | None


@dataclass(frozen=True)
class ActionDone:
    action_id: int
    text: str
    partnership: str
    owner_id: int | None


@dataclass(frozen=True)
class LogLine:
    """One entry as `/log show` lists it."""

    id: int
    kind: str
    summary: str
    occurred_at: datetime
    message_link: str | None
    # For actions: who owes it, by when, and its state (open, overdue, done).
    owner_id: int | None = None
    due: date | None = None
    state: str | None = None
    # The marker when this entry's free text reads as removed (`bot.services.redaction`).
    removed: str | None = None


@dataclass(frozen=True)
class LogPage:
    partnership_id: int
    partnership: str
    lines: list[LogLine]
    page: int
    has_older: bool
    kind: str | None
    since: date | None
    # Only small wins that name this co-production phase (None: any entry).
    phase: str | None = None

    @property
    def has_newer(self) -> bool:
        return self.page > 0
