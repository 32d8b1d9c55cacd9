"""Goals: the tangled web (domain notes §2). Goals, organisations' stances on them, links, and
the nudges sent about them.

A goal's six dimensions, status and stance values are short strings; the allowed values live in
`bot.services.goals`. Stances are append-only: a new row for every stance, the latest per voice
counts. A voice is an organisation (`organisation_id` set) or a person in their own capacity
(`organisation_id` empty, `user_id` is the voice). On organisation- and individual-level goals
the rows are responses (compatible, in tension, …), one voice per organisation, kept the same
way; stances recorded on them before responses existed stay in the history.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from db.models.base import utcnow


class Goal(SQLModel, table=True):
    __tablename__ = "goal"
    __table_args__ = (
        Index("ix_goal_partnership_title", "partnership_id", "title_key"),
        CheckConstraint(
            "progress IS NULL OR (progress >= 0 AND progress <= 100)", name="progress_range"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True, ondelete="CASCADE")
    title: str = Field(sa_type=String(200))
    title_key: str = Field(sa_type=String(200))
    description: str = Field(default="", sa_type=Text)
    # The six dimensions of Vangen & Huxham (2012).
    level: str = Field(default="collaboration", sa_type=String(20))
    origin: str = Field(default="members", sa_type=String(20))
    authenticity: str = Field(default="unassessed", sa_type=String(20))
    relevance: str = Field(default="unassessed", sa_type=String(30))
    content: str = Field(default="substantive", sa_type=String(20))
    overtness: str = Field(default="explicit", sa_type=String(20))
    # The co-production phase it concerns (commissioning, design, delivery, assessment:
    # Nabatchi, Sancino & Sicilia 2017); None: not said.
    phase: str | None = Field(default=None, sa_type=String(20))
    # Whose goal: an organisation's (level organisation) or a person's (level individual).
    owner_organisation_id: int | None = Field(
        default=None, foreign_key="organisation.id", index=True, ondelete="RESTRICT"
    )
    owner_user_id: int | None = Field(default=None, sa_type=BigInteger)
    # An individual-level goal is its owner's alone until the owner shares it with the
    # partnership (`/goal share`); other goals ignore it. See `bot.services.goals.lookup`.
    shared_at: datetime | None = Field(default=None)
    # Who sees it: the whole partnership (default), the conveners and its owners, or its owning
    # organisation only (`bot.services.goals.lookup.may_see`).
    visibility: str = Field(default="partnership", sa_type=String(20))
    status: str = Field(default="proposed", sa_type=String(20))
    progress: int | None = Field(default=None)  # unset until someone sets it, not 0
    review_on: date | None = Field(default=None)
    # Stances are asked for by this local date: one automatic nudge goes two days before.
    respond_by: date | None = Field(default=None)
    proposed_by: int = Field(sa_type=BigInteger)
    proposed_at: datetime = Field(default_factory=utcnow)
    agreed_at: datetime | None = Field(default=None)
    agreed_rule: str | None = Field(default=None, sa_type=String(20))
    updated_at: datetime = Field(default_factory=utcnow)
    # The proposal message with its agreement matrix and stance buttons, edited in place.
    channel_id: int | None = Field(default=None, sa_type=BigInteger)
    message_id: int | None = Field(default=None, sa_type=BigInteger)


class GoalStance(SQLModel, table=True):
    """One stance, as recorded. Never updated or deleted: the latest per voice counts.

    Mandates (Huxham & Vangen 2000): `mandate` is the recorder's mandate when they took it.
    A representative who must refer back gives an agreement or reservations *subject to
    referral* (`referral` pending, expected by `refer_by`): shown, not counted. Its confirmation
    is a new row for the same voice with `referral` confirmed, recorded by whoever confirmed it
    (the row's `user_id` and `recorded_at` say who and when). Other stances carry `none`.
    """

    __tablename__ = "goal_stance"
    __table_args__ = (
        Index("ix_goal_stance_goal_time", "goal_id", "recorded_at", "id"),
        # Each voice's latest stance (`bot.services.goals.latest`): an organisation's voices
        # and, for people in their own capacity (no organisation), each person's. The order
        # the latest is picked in (time, then id) is the index's own, so the pick is one seek:
        # SQLite's indexes end in the row id anyway, PostgreSQL's need it named.
        Index("ix_goal_stance_voice", "goal_id", "organisation_id", "recorded_at", "id"),
        Index(
            "ix_goal_stance_person",
            "goal_id",
            "user_id",
            "recorded_at",
            "id",
            sqlite_where=text("organisation_id IS NULL"),
            postgresql_where=text("organisation_id IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goal.id", ondelete="CASCADE")
    organisation_id: int | None = Field(
        default=None, foreign_key="organisation.id", index=True, ondelete="RESTRICT"
    )
    user_id: int = Field(sa_type=BigInteger)
    display_name: str = Field(default="", sa_type=String(100))
    capacity: str = Field(sa_type=String(20))
    stance: str = Field(sa_type=String(20))
    comment: str | None = Field(default=None, sa_type=Text)
    recorded_at: datetime = Field(default_factory=utcnow)
    mandate: str | None = Field(default=None, sa_type=String(30))
    referral: str = Field(
        default="none", sa_type=String(20), sa_column_kwargs={"server_default": "none"}
    )
    refer_by: date | None = Field(default=None)


class GoalPerception(SQLModel, table=True):
    """How one organisation reads a goal: its origin, relevance and content as that
    organisation sees them (Vangen & Huxham 2012: goals are variously perceived). Recorded by
    the organisation's representative or substitute; never updated or deleted: the latest per
    organisation counts. An empty dimension was not given in that reading."""

    __tablename__ = "goal_perception"
    __table_args__ = (
        Index("ix_goal_perception_goal_time", "goal_id", "recorded_at", "id"),
        CheckConstraint(
            "origin IS NOT NULL OR relevance IS NOT NULL OR content IS NOT NULL",
            name="some_dimension",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goal.id", ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="RESTRICT")
    origin: str | None = Field(default=None, sa_type=String(20))
    origin_detail: str | None = Field(default=None, sa_type=String(200))
    relevance: str | None = Field(default=None, sa_type=String(30))
    content: str | None = Field(default=None, sa_type=String(20))
    recorded_by: int = Field(sa_type=BigInteger)
    recorded_at: datetime = Field(default_factory=utcnow)


class GoalLink(SQLModel, table=True):
    """`from_goal` contributes to / is part of / is in tension with `to_goal`."""

    __tablename__ = "goal_link"
    __table_args__ = (
        UniqueConstraint("from_goal_id", "to_goal_id", "relation", name="uq_goal_link"),
        CheckConstraint("from_goal_id <> to_goal_id", name="not_self"),
    )

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True, ondelete="CASCADE")
    from_goal_id: int = Field(foreign_key="goal.id", index=True, ondelete="CASCADE")
    to_goal_id: int = Field(foreign_key="goal.id", index=True, ondelete="CASCADE")
    relation: str = Field(sa_type=String(20))
    created_by: int = Field(sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow)


class GoalNudgeClaim(SQLModel, table=True):
    """One nudge about a goal on one day (in the partnership's time zone), by a convener or
    automatic. The row is the claim: it is inserted before any message goes, unique per goal
    and day, so a restart, a retry, a second process or a convener and the automatic nudge
    together never send two nudges about a goal on one day."""

    __tablename__ = "goal_nudge"
    __table_args__ = (UniqueConstraint("goal_id", "day", name="uq_goal_nudge_goal_day"),)

    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goal.id", index=True, ondelete="CASCADE")
    day: date
    automatic: bool = Field(default=False)
    sent_by: int | None = Field(default=None, sa_type=BigInteger)
    sent_at: datetime = Field(default_factory=utcnow)
