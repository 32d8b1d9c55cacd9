"""What is kept beside the append-only log: redactions and the export audit.

- `Redaction`: a person's free text removed at their request (or by a convener). The log row is
  never changed (it is append-only); every view, reply and export joins this table when it
  reads, through `bot.services.redaction`. One row per log entry; `stance_id`, `answer_id` and
  `perception_id` name the stance, reflection answer or organisation's reading (its origin
  detail) the entry recorded, when there is one, so the tables those features read are redacted
  too.
- `ExportRecord`: who exported what, when, in which format and for which audience. Kept out of
  the log on purpose: exporting changes nothing in the partnership.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.models.base import utcnow


class Redaction(SQLModel, table=True):
    __tablename__ = "redaction"
    __table_args__ = (UniqueConstraint("event_id", name="uq_redaction_event"),)

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = Field(sa_type=BigInteger, index=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True, ondelete="CASCADE")
    event_id: int = Field(foreign_key="event.id", ondelete="CASCADE")
    stance_id: int | None = Field(default=None, foreign_key="goal_stance.id", ondelete="CASCADE")
    answer_id: int | None = Field(default=None, foreign_key="prompt_answer.id", ondelete="CASCADE")
    perception_id: int | None = Field(
        default=None, foreign_key="goal_perception.id", ondelete="CASCADE"
    )
    redacted_by: int = Field(sa_type=BigInteger)
    # "author" (the author asked) or "convener" (a convener removed it).
    reason: str = Field(default="author", sa_type=String(20))
    redacted_at: datetime = Field(default_factory=utcnow)


class ExportRecord(SQLModel, table=True):
    __tablename__ = "export_record"
    __table_args__ = (Index("ix_export_record_partnership_time", "partnership_id", "exported_at"),)

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = Field(sa_type=BigInteger, index=True)
    partnership_id: int = Field(foreign_key="partnership.id", ondelete="CASCADE")
    # The member who exported from Discord; None from the command line.
    user_id: int | None = Field(default=None, sa_type=BigInteger)
    via: str = Field(sa_type=String(10))  # "discord" or "cli"
    format: str = Field(sa_type=String(10))
    audience: str = Field(sa_type=String(10))
    pseudonymised: bool = Field(default=False)
    since: date | None = Field(default=None)
    until: date | None = Field(default=None)
    meeting_id: int | None = Field(default=None)
    withheld: int = Field(default=0)
    size_bytes: int | None = Field(default=None)
    exported_at: datetime = Field(default_factory=utcnow)
