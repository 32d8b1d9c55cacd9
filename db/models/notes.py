"""The partnership log's own tables. Notes and actions are events in the append-only log
(`Event`); what is not an event lives here.

- `ActionReminderClaim`: one row per reminder sent for an action, the day before its due date
  or on the day. The row is the claim: it is inserted before the message goes, unique per action
  and kind of reminder, so a restart, a retry or a second process never sends one twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.models.base import utcnow


class ActionReminderClaim(SQLModel, table=True):
    __tablename__ = "action_reminder"
    __table_args__ = (
        UniqueConstraint("action_event_id", "which", name="uq_action_reminder_action_which"),
    )

    id: int | None = Field(default=None, primary_key=True)
    action_event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    # "day_before" or "due_day" (bot.services.notes.reminders.Which).
    which: str = Field(sa_type=String(20))
    sent_at: datetime = Field(default_factory=utcnow)
