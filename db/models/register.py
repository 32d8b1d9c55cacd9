"""The register: partnerships, organisations, memberships, and the partnership log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String, Text, UniqueConstraint, true
from sqlmodel import Field, SQLModel

from db.models.base import utcnow


class Partnership(SQLModel, table=True):
    __tablename__ = "partnership"
    __table_args__ = (UniqueConstraint("guild_id", "name_key", name="uq_partnership_guild_name"),)

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = Field(sa_type=BigInteger, index=True)
    name: str = Field(sa_type=String(100))
    name_key: str = Field(sa_type=String(100))
    purpose: str = Field(sa_type=Text)
    # Kept for older exports and readers: the relationship added last among those the
    # partnership holds now (`PartnershipRelationship`), or "unclear" when it holds none.
    relationship: str = Field(default="unclear", sa_type=String(20))
    # Co-production (Nabatchi, Sancino & Sicilia 2017): the phases citizens take part in
    # (commissioning, design, delivery, assessment) and the levels at which they do
    # (individual, group, collective), in that order; empty: not said.
    citizen_phases: list[str] = Field(default_factory=list, sa_type=JSON)
    coproduction_levels: list[str] = Field(
        default_factory=list, sa_type=JSON, sa_column_kwargs={"server_default": "[]"}
    )
    timezone: str = Field(sa_type=String(64))
    agreement_rule: str = Field(default="consensus", sa_type=String(20))
    count_individuals: bool = Field(default=False)
    anonymity_threshold: int = Field(default=3)
    # Research: the CLI's pseudonymised export is allowed only while this is on (logged).
    research_consent: bool = Field(default=False)
    # The secret that keeps pseudonyms stable across research exports; made on first use.
    research_salt: str | None = Field(default=None, sa_type=String(64))
    # Free text (notes, comments, reflection answers) older than this many months is removed
    # when read, the same way a redaction is; None keeps it.
    retention_months: int | None = Field(default=None)
    # A goal agreed, or its status or progress changed, is announced in the channel (one line).
    # Settings added after the first exports carry a server default, so an older export (which
    # lacks them) still imports (`bot.services.export.importer`).
    announcements: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
    # The digest posted in the channel on the schedule engine: "weekly" or "off".
    digest: str = Field(
        default="off", sa_type=String(10), sa_column_kwargs={"server_default": "off"}
    )
    channel_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    created_by: int = Field(sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow)
    archived_at: datetime | None = Field(default=None)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class PartnershipRelationship(SQLModel, table=True):
    """One of the relationships between co-production and this collaboration that a partnership
    holds (Sancino & Jacklin-Jarvis 2016), from when it was added until it was removed.

    Several may be held at once; rows are never deleted, so the history stays: the current set
    is the rows with no `removed_at`, at most one per relationship."""

    __tablename__ = "partnership_relationship"
    __table_args__ = (
        Index("ix_partnership_relationship_partnership", "partnership_id", "relationship"),
    )

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", ondelete="CASCADE")
    relationship: str = Field(sa_type=String(20))
    added_by: int | None = Field(default=None, sa_type=BigInteger)
    added_at: datetime = Field(default_factory=utcnow)
    removed_by: int | None = Field(default=None, sa_type=BigInteger)
    removed_at: datetime | None = Field(default=None)


class Organisation(SQLModel, table=True):
    """An organisation registered in one server, reused across its partnerships."""

    __tablename__ = "organisation"
    __table_args__ = (UniqueConstraint("guild_id", "name_key", name="uq_organisation_guild_name"),)

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = Field(sa_type=BigInteger, index=True)
    name: str = Field(sa_type=String(100))
    name_key: str = Field(sa_type=String(100))
    sector: str = Field(sa_type=String(30))
    created_at: datetime = Field(default_factory=utcnow)


class PartnerOrganisation(SQLModel, table=True):
    """An organisation's place in one partnership: status, joined and left."""

    __tablename__ = "partner_organisation"
    __table_args__ = (UniqueConstraint("partnership_id", "organisation_id", name="uq_partner_org"),)

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True, ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="RESTRICT")
    status: str = Field(default="core", sa_type=String(20))
    joined_at: datetime = Field(default_factory=utcnow)
    left_at: datetime | None = Field(default=None)
    # How the organisation sees its own membership (Huxham & Vangen 2000: partners disagree
    # about who is a member and in what status), recorded by its representative or substitute
    # beside the convener's record (`status`); every change is in the log.
    self_status: str | None = Field(default=None, sa_type=String(20))
    self_commitment: str | None = Field(default=None, sa_type=String(10))
    self_recorded_by: int | None = Field(default=None, sa_type=BigInteger)
    self_recorded_at: datetime | None = Field(default=None)


class Membership(SQLModel, table=True):
    """A person in one partnership. One row per person per partnership; `left_at` marks departure.

    The row is the present; the partnership log holds every change, so membership on any past
    date is rebuilt from the log.
    """

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("partnership_id", "user_id", name="uq_membership_person"),)

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True, ondelete="CASCADE")
    user_id: int = Field(sa_type=BigInteger, index=True)
    display_name: str = Field(default="", sa_type=String(100))
    organisation_id: int | None = Field(
        default=None, foreign_key="organisation.id", index=True, ondelete="RESTRICT"
    )
    capacity: str = Field(default="individual", sa_type=String(20))
    mandate: str | None = Field(default=None, sa_type=String(30))
    is_convener: bool = Field(default=False)
    joined_at: datetime = Field(default_factory=utcnow)
    left_at: datetime | None = Field(default=None)

    @property
    def is_active(self) -> bool:
        return self.left_at is None


class Event(SQLModel, table=True):
    """The partnership log: append-only, written in the same transaction as the change.

    `kind` is dotted (`member.joined`, `goal.agreed` …); `summary` is a complete sentence any
    export can print without knowing the feature that wrote it; `payload` carries the facts.
    """

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_partnership_time", "partnership_id", "occurred_at", "id"),
        # A partnership's latest entry (the mark on goal cards) without reading its whole log.
        Index("ix_event_partnership_id", "partnership_id", "id"),
        # One kind of a partnership's log in time order, without walking its notes (the small
        # kinds an export reads beside its streams: `export.gather._events`).
        Index("ix_event_partnership_kind_time", "partnership_id", "kind", "occurred_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = Field(sa_type=BigInteger, index=True)
    partnership_id: int = Field(foreign_key="partnership.id", ondelete="CASCADE")
    kind: str = Field(sa_type=String(50), index=True)
    actor_id: int | None = Field(default=None, sa_type=BigInteger)
    occurred_at: datetime = Field(default_factory=utcnow)
    summary: str = Field(sa_type=Text)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    message_link: str | None = Field(default=None, sa_type=String(200))
