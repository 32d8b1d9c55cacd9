"""What the register hands back: plain views of partners, members, partnerships and history.

Views are frozen dataclasses built from rows (or, for a past date, from log snapshots), so cogs
read named fields rather than table columns, and a view stays valid after its session closes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.services.guide.checklist import Checklist
from bot.services.vocab import RELATIONSHIP_HELP, Capacity, Relationship, capacity_label, label
from db.models import Membership, Organisation, PartnerOrganisation, Partnership


@dataclass(frozen=True)
class PartnerView:
    """An organisation's place in one partnership."""

    partnership_id: int
    organisation_id: int
    name: str
    sector: str
    status: str
    joined_at: datetime
    left_at: datetime | None
    # The organisation's own view of its membership (`/partner self-view`), beside `status`,
    # which is the conveners' record.
    self_status: str | None = None
    self_commitment: str | None = None
    self_recorded_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.left_at is None

    @property
    def sees_itself_differently(self) -> bool:
        """Its own view of its status differs from the conveners' record."""
        return self.self_status is not None and self.self_status != self.status


@dataclass(frozen=True)
class MemberView:
    """A person in one partnership: for whom they speak, how, and whether they convene."""

    user_id: int
    display_name: str
    organisation_id: int | None
    organisation: str | None
    capacity: str
    mandate: str | None
    is_convener: bool

    def snapshot(self, *, active: bool) -> dict[str, Any]:
        """The membership as a log payload: replaying these rebuilds any past date."""
        return {
            "user_id": self.user_id,
            "display_name": self.display_name,
            "organisation_id": self.organisation_id,
            "organisation": self.organisation,
            "capacity": self.capacity,
            "mandate": self.mandate,
            "convener": self.is_convener,
            "active": active,
        }

    @classmethod
    def from_snapshot(cls, data: dict[str, Any]) -> MemberView:
        return cls(
            user_id=int(data["user_id"]),
            display_name=str(data.get("display_name") or ""),
            organisation_id=data.get("organisation_id"),
            organisation=data.get("organisation"),
            capacity=str(data.get("capacity") or Capacity.individual),
            mandate=data.get("mandate"),
            is_convener=bool(data.get("convener")),
        )

    def describe(self) -> str:
        parts = [capacity_label(self.capacity)]
        if self.organisation:
            parts.append(f"for {self.organisation}")
        if self.mandate:
            parts.append(f"({label(self.mandate)})")
        if self.is_convener:
            parts.append("· convener")
        return " ".join(parts)


@dataclass(frozen=True)
class HeldRelationship:
    """A relationship between co-production and the collaboration that a partnership holds
    now (Sancino & Jacklin-Jarvis 2016), and since when."""

    relationship: str
    added_at: datetime
    added_by: int | None

    @property
    def words(self) -> str:
        return f"{label(self.relationship)}: {RELATIONSHIP_HELP[Relationship(self.relationship)]}"


@dataclass(frozen=True)
class PartnershipInfo:
    """A partnership with its current partners and members, as `/partnership info` shows it,
    and what its setup still lacks (empty once complete, or archived)."""

    partnership: Partnership
    partners: list[PartnerView]
    members: list[MemberView]
    checklist: Checklist = field(default_factory=lambda: Checklist(()))
    # The relationships to co-production it holds now, oldest first (`coproduction.held`).
    relationships: list[HeldRelationship] = field(default_factory=list)


@dataclass(frozen=True)
class MemberList:
    """Who was in a partnership at `moment` (None: now), conveners first."""

    partnership: Partnership
    members: list[MemberView]
    moment: datetime | None


@dataclass(frozen=True)
class CreateDraft:
    """A new partnership, checked before its channel is made.

    With `organisation`, the creator speaks for it: it joins as a core partner (registered in
    the server with `sector` when new) and the creator as its `capacity` (representative or
    substitute). `organisation` and `sector` are the server's own when it knew the organisation
    already; `note` then says so if another sector was given."""

    name: str
    purpose: str
    relationship: str
    timezone: str
    organisation: str | None = None
    sector: str | None = None
    capacity: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class HistoryEntry:
    occurred_at: datetime
    kind: str
    summary: str
    actor_id: int | None


def partner_view(link: PartnerOrganisation, org: Organisation) -> PartnerView:
    assert org.id is not None
    return PartnerView(
        link.partnership_id,
        org.id,
        org.name,
        org.sector,
        link.status,
        link.joined_at,
        link.left_at,
        self_status=link.self_status,
        self_commitment=link.self_commitment,
        self_recorded_at=link.self_recorded_at,
    )


def member_view(member: Membership, org: Organisation | None) -> MemberView:
    return MemberView(
        user_id=member.user_id,
        display_name=member.display_name,
        organisation_id=member.organisation_id,
        organisation=org.name if org else None,
        capacity=member.capacity,
        mandate=member.mandate,
        is_convener=member.is_convener,
    )


def sorted_members(members: Iterable[MemberView]) -> list[MemberView]:
    """Conveners first, then by organisation (people in their own capacity last), then name."""
    return sorted(
        members,
        key=lambda m: (
            not m.is_convener,
            (m.organisation or "~").casefold(),
            m.display_name.casefold(),
        ),
    )
