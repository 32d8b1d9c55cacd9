"""Schedules and their occurrences: our own tables are the truth; APScheduler only triggers.

A schedule runs an *action* (`kind`): post a reflective prompt now, open or close a check-in
round later. Each occurrence is claimed by inserting a row, unique per schedule and due time, so
a restart, a retry or a second process never runs it twice.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.models.base import utcnow


class ScheduleState(StrEnum):
    active = "active"
    paused = "paused"
    cancelled = "cancelled"


# A schedule in these states can still be listed, resumed, skipped or re-timed.
LIVE_STATES = (ScheduleState.active, ScheduleState.paused)


class OccurrenceState(StrEnum):
    """claimed → done | retrying → done | failed; missed after downtime past the grace period."""

    claimed = "claimed"
    retrying = "retrying"
    done = "done"
    failed = "failed"
    missed = "missed"


class Schedule(SQLModel, table=True):
    __tablename__ = "schedule"

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = Field(sa_type=BigInteger, index=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True, ondelete="CASCADE")
    kind: str = Field(sa_type=String(40))
    # When: see bot.services.recurrence.RecurrenceSpec. The zone is the partnership's.
    cadence: str = Field(sa_type=String(20))
    local_time: str = Field(default="09:00", sa_type=String(5))
    weekdays: list[int] = Field(default_factory=list, sa_type=JSON)
    day_of_month: int | None = Field(default=None)
    cron: str | None = Field(default=None, sa_type=String(100))
    anchor: date | None = Field(default=None)
    holidays: list[str] = Field(default_factory=list, sa_type=JSON)
    # What: the action's own settings (for prompts: the fixed theme, if any).
    options: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    state: str = Field(default=ScheduleState.active, sa_type=String(20))
    paused_reason: str | None = Field(default=None, sa_type=Text)
    created_by: int = Field(sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow)
    # Every occurrence up to this moment has been handled (run, missed or skipped).
    handled_until: datetime = Field(default_factory=utcnow)
    # When the schedule last changed in a way its trigger follows (made, paused, resumed,
    # cancelled, skipped, re-timed): every process re-reads rows changed since it last looked.
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class Occurrence(SQLModel, table=True):
    __tablename__ = "occurrence"
    __table_args__ = (
        UniqueConstraint("schedule_id", "due_at", name="uq_occurrence_schedule_due"),
        Index("ix_occurrence_state_next", "state", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="schedule.id", index=True, ondelete="CASCADE")
    partnership_id: int = Field(foreign_key="partnership.id", index=True, ondelete="CASCADE")
    due_at: datetime
    state: str = Field(default=OccurrenceState.claimed, sa_type=String(20))
    late: bool = Field(default=False)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, sa_type=Text)
    claimed_at: datetime = Field(default_factory=utcnow)
    next_attempt_at: datetime | None = Field(default=None)
    finished_at: datetime | None = Field(default=None)
    result: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
