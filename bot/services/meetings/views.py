"""What the meetings service hands to cogs: plain data, no database rows, no Discord."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class MeetingDraft:
    """A checked meeting start, ready to post in the partnership's channel and then record."""

    partnership_id: int
    partnership: str
    channel_id: int | None
    title: str


@dataclass(frozen=True)
class MeetingStarted:
    meeting_id: int
    draft: MeetingDraft
    message_link: str | None


@dataclass(frozen=True)
class Attendance:
    """One press of "I'm here": `recorded` is False when the person was already recorded."""

    meeting_id: int
    title: str
    partnership: str
    organisation: str
    recorded: bool


@dataclass(frozen=True)
class MeetingItem:
    """A note, decision, action, small win or risk logged during a meeting."""

    id: int
    kind: str  # the note's kind: note, decision, action, small_win, risk
    text: str
    message_link: str | None
    owner_id: int | None = None
    due: date | None = None


@dataclass(frozen=True)
class MeetingSummary:
    meeting_id: int
    partnership: str
    channel_id: int | None
    title: str
    started_at: datetime
    ended_at: datetime
    # Organisation (or "own capacity") → the display names of the people there for it.
    attendance: dict[str, list[str]] = field(default_factory=dict)
    items: list[MeetingItem] = field(default_factory=list)

    @property
    def duration(self) -> timedelta:
        return self.ended_at - self.started_at
