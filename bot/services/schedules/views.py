"""What the schedule lifecycle hands back to cogs: plain, frozen views, never table rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from db.models import Occurrence


@dataclass(frozen=True)
class ScheduleView:
    id: int
    partnership_id: int
    partnership_name: str
    channel_id: int | None
    description: str
    state: str
    paused_reason: str | None
    upcoming: list[datetime]
    kind: str
    options: dict[str, Any]  # the kind's own (a prompt schedule's theme)

    @property
    def theme(self) -> str | None:
        """A prompt schedule's fixed theme (None: rotation, or a kind without themes)."""
        theme = self.options.get("theme")
        return theme if isinstance(theme, str) else None


@dataclass(frozen=True)
class OccurrenceView:
    due_at: datetime
    state: str
    late: bool
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class ScheduleSummary:
    schedule: ScheduleView
    last: OccurrenceView | None
    last_problem: OccurrenceView | None  # the latest retrying or failed one, if not the last


@dataclass(frozen=True)
class SkipResult:
    partnership_name: str
    day: date
    timezone: str
    skipped: list[tuple[ScheduleView, list[datetime]]]  # schedule, occurrences it skips
    already: list[ScheduleView]


def occurrence_view(o: Occurrence) -> OccurrenceView:
    return OccurrenceView(o.due_at, o.state, o.late, o.attempts, o.last_error, o.next_attempt_at)
