"""What the schedule lifecycle hands back to cogs: plain, frozen views, never table rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.errors import UserFacingError
from bot.services.occurrences import next_occurrences
from bot.services.schedules.spec import describe_schedule, spec_of
from bot.services.timeutil import as_utc
from db.models import Occurrence, Partnership, Schedule, ScheduleState


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


def upcoming_of(
    schedule: Schedule, partnership: Partnership, now: datetime, count: int
) -> list[datetime]:
    """The schedule's next `count` occurrences after `now` (none if it cannot be read)."""
    try:
        spec = spec_of(schedule, partnership.timezone)
        return next_occurrences(spec, max(as_utc(now), schedule.handled_until), count)
    except UserFacingError:
        return []


def schedule_view(
    schedule: Schedule, partnership: Partnership, upcoming: list[datetime] | None = None
) -> ScheduleView:
    """The schedule as cogs show it: an archived partnership's schedules read as paused."""
    state = schedule.state
    reason = schedule.paused_reason
    if partnership.is_archived and state == ScheduleState.active:
        state, reason = ScheduleState.paused, "The partnership is archived."
    return ScheduleView(
        id=schedule.id,  # type: ignore[arg-type]
        partnership_id=partnership.id,  # type: ignore[arg-type]
        partnership_name=partnership.name,
        channel_id=partnership.channel_id,
        description=describe_schedule(schedule, partnership.timezone),
        state=state,
        paused_reason=reason,
        upcoming=upcoming or [],
        kind=schedule.kind,
        options=dict(schedule.options or {}),
    )
