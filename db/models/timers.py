"""One-off timers: a job due once at a set time (a trust round's reminder or close, an action's
reminder, a goal's automatic nudge), run by `bot.timers.TimerEngine` exactly once.

A timer is made in the same transaction as its subject (the round, the action, the goal), unique
per (kind, subject, due time), so making it twice is harmless. A process claims a due timer by a
conditional update (pending or retrying → running); only the one whose update changed the row
runs it. The outcome (done, skipped, failed) and what the handler reported are kept.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.models.base import utcnow


class TimerState(StrEnum):
    """pending → running → done | skipped | retrying → … | failed; cancelled before it ran."""

    pending = "pending"
    running = "running"
    retrying = "retrying"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"
    skipped = "skipped"


# States a timer may still be claimed from.
WAITING_STATES = (TimerState.pending, TimerState.retrying)


class Timer(SQLModel, table=True):
    __tablename__ = "timer"
    __table_args__ = (
        UniqueConstraint("kind", "subject_id", "due_at", name="uq_timer_kind_subject_due"),
        Index("ix_timer_state_due", "state", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = Field(sa_type=BigInteger, index=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True, ondelete="CASCADE")
    # What to do ("trust.remind", "trust.close", "action.remind", "goal.nudge", "reflect.show")
    # and to what.
    kind: str = Field(sa_type=String(40))
    subject_id: int
    # Anything else the handler needs (which reminder of an action).
    options: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    due_at: datetime
    state: str = Field(default=TimerState.pending, sa_type=String(20))
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default=None)
    claimed_at: datetime | None = Field(default=None)
    outcome: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = Field(default=None)
