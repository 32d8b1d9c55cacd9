"""Trust check-ins (domain notes §3): rounds, who may answer them, answers and pairwise ratings.

Privacy shapes the tables (the rules are `bot.services.trust.privacy`):

- Who may answer a round is fixed when it opens (`TrustRespondent`, one row per person); the row
  keeps only whether the person answered, never when or what.
- While a round is open, an answer or rating carries its author's user id, so the author can
  replace it. When the round closes the id is removed (and the rows are written afresh in a
  random order), so no answer or rating can be traced back to a person.
- Answer times are stored to the day only.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Index, SmallInteger, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.models.base import utcnow


class TrustRound(SQLModel, table=True):
    """One check-in round: opened, reminded once at 80 % of its window, closed once."""

    __tablename__ = "trust_round"
    __table_args__ = (Index("ix_trust_round_partnership_opened", "partnership_id", "opened_at"),)

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = Field(sa_type=BigInteger, index=True)
    partnership_id: int = Field(foreign_key="partnership.id", ondelete="CASCADE")
    schedule_id: int | None = Field(
        default=None, foreign_key="schedule.id", index=True, ondelete="SET NULL"
    )
    opened_by: int | None = Field(default=None, sa_type=BigInteger)
    channel_id: int | None = Field(default=None, sa_type=BigInteger)
    pairwise: bool = Field(default=False)
    named_pairs: bool = Field(default=False)
    opened_at: datetime = Field(default_factory=utcnow)
    closes_at: datetime
    remind_at: datetime
    reminded_at: datetime | None = Field(default=None)
    closed_at: datetime | None = Field(default=None, index=True)
    closed_by: int | None = Field(default=None, sa_type=BigInteger)


class TrustRespondent(SQLModel, table=True):
    """A person who may answer a round, fixed when it opens, and whether they answered.

    `organisation_id` is the organisation they answer for (None: in their own capacity, as a
    person or citizen; they answer as one group)."""

    __tablename__ = "trust_respondent"
    __table_args__ = (UniqueConstraint("round_id", "user_id", name="uq_trust_respondent_person"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="trust_round.id", index=True, ondelete="CASCADE")
    user_id: int = Field(sa_type=BigInteger)
    organisation_id: int | None = Field(
        default=None, foreign_key="organisation.id", index=True, ondelete="RESTRICT"
    )
    answered: bool = Field(default=False)


class TrustAnswer(SQLModel, table=True):
    """One check-in answer. Scores are 1–5, None for "don't know"; `user_id` only while the
    round is open."""

    __tablename__ = "trust_answer"
    __table_args__ = (UniqueConstraint("round_id", "user_id", name="uq_trust_answer_person"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="trust_round.id", index=True, ondelete="CASCADE")
    user_id: int | None = Field(default=None, sa_type=BigInteger)
    organisation_id: int | None = Field(
        default=None, foreign_key="organisation.id", index=True, ondelete="RESTRICT"
    )
    own_capacity: bool = Field(default=False)
    expectations: int | None = Field(default=None, sa_type=SmallInteger)
    follow_through: int | None = Field(default=None, sa_type=SmallInteger)
    reliance: int | None = Field(default=None, sa_type=SmallInteger)
    fair_say: int | None = Field(default=None, sa_type=SmallInteger)
    listened: int | None = Field(default=None, sa_type=SmallInteger)
    small_win: bool | None = Field(default=None)
    small_win_text: str | None = Field(default=None, sa_type=Text)
    comment: str | None = Field(default=None, sa_type=Text)
    share_comment: bool = Field(default=False)
    answered_on: date


class TrustRating(SQLModel, table=True):
    """One representative's rating of another organisation of the round, each dimension 1–4;
    `user_id` only while the round is open."""

    __tablename__ = "trust_rating"
    __table_args__ = (
        UniqueConstraint(
            "round_id", "user_id", "rated_organisation_id", name="uq_trust_rating_person"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="trust_round.id", index=True, ondelete="CASCADE")
    user_id: int | None = Field(default=None, sa_type=BigInteger)
    rater_organisation_id: int = Field(
        foreign_key="organisation.id", index=True, ondelete="RESTRICT"
    )
    rated_organisation_id: int = Field(
        foreign_key="organisation.id", index=True, ondelete="RESTRICT"
    )
    reliability: int = Field(sa_type=SmallInteger)
    openness: int = Field(sa_type=SmallInteger)
    mission: int = Field(sa_type=SmallInteger)
    rated_on: date
