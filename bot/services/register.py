"""The partnership register: partnerships, partner organisations, memberships (domain notes §1).

Every change writes an event to the partnership log in the same transaction. Membership events
carry a full snapshot of the membership after the change, so membership on any past date is
rebuilt by replaying them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import NotFound, UserFacingError
from bot.services import log
from bot.services.access import (
    Access,
    Actor,
    PartnershipRef,
    may_create_partnerships,
    resolve,
    visible_partnerships,
)
from bot.services.text import choice, clean_text
from bot.services.timeutil import end_of_day, zone
from bot.services.vocab import (
    MAX_ANONYMITY_THRESHOLD,
    MIN_ANONYMITY_THRESHOLD,
    NAME_MAX,
    NEEDS_ORGANISATION,
    ORG_NAME_MAX,
    OWN_CAPACITY,
    PURPOSE_MAX,
    AgreementRule,
    Capacity,
    Mandate,
    PartnerStatus,
    Relationship,
    Sector,
    label,
)
from db.engine import SessionFactory, transaction
from db.models import Membership, Organisation, PartnerOrganisation, Partnership, name_key, utcnow

MEMBER_EVENTS = ("member.joined", "member.updated", "member.left")


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class PartnerView:
    partnership_id: int
    organisation_id: int
    name: str
    sector: str
    status: str
    joined_at: datetime
    left_at: datetime | None

    @property
    def active(self) -> bool:
        return self.left_at is None


@dataclass(frozen=True)
class MemberView:
    user_id: int
    display_name: str
    organisation_id: int | None
    organisation: str | None
    capacity: str
    mandate: str | None
    is_convener: bool

    def snapshot(self, *, active: bool) -> dict[str, Any]:
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
        parts = [label(self.capacity)]
        if self.organisation:
            parts.append(f"for {self.organisation}")
        if self.mandate:
            parts.append(f"({label(self.mandate)})")
        if self.is_convener:
            parts.append("· convener")
        return " ".join(parts)


@dataclass(frozen=True)
class PartnershipInfo:
    partnership: Partnership
    partners: list[PartnerView]
    members: list[MemberView]
    viewer_is_convener: bool


@dataclass(frozen=True)
class CreateDraft:
    name: str
    purpose: str
    relationship: str
    timezone: str


@dataclass(frozen=True)
class HistoryEntry:
    occurred_at: datetime
    kind: str
    summary: str
    actor_id: int | None


# --------------------------------------------------------------------------- service


class RegisterService:
    def __init__(self, sessions: SessionFactory, *, default_timezone: str, admin_role_name: str):
        self.sessions = sessions
        self.default_timezone = default_timezone
        self.admin_role_name = admin_role_name

    # ---- partnerships

    async def prepare_create(
        self,
        actor: Actor,
        name: str,
        purpose: str,
        relationship: str | None = None,
        timezone: str | None = None,
    ) -> CreateDraft:
        """Check everything before any channel is made, so bad input leaves nothing behind."""
        if not may_create_partnerships(actor, self.admin_role_name):
            raise UserFacingError(
                "Creating a partnership needs the Manage Channels permission "
                f"or the “{self.admin_role_name}” role."
            )
        draft = CreateDraft(
            name=clean_text(name, what="name", limit=NAME_MAX),
            purpose=clean_text(purpose, what="purpose", limit=PURPOSE_MAX, multiline=True),
            relationship=choice(relationship, Relationship, what="relationship")
            or Relationship.unclear.value,
            timezone=(timezone or self.default_timezone).strip(),
        )
        zone(draft.timezone)
        async with self.sessions() as session:
            await self._ensure_name_free(session, actor.guild_id, draft.name)
        return draft

    async def _ensure_name_free(self, session: AsyncSession, guild_id: int, name: str) -> None:
        taken = (
            await session.exec(
                select(Partnership.id).where(
                    Partnership.guild_id == guild_id, Partnership.name_key == name_key(name)
                )
            )
        ).first()
        if taken is not None:
            raise UserFacingError(
                f"There is already a partnership called “{name}” in this server. "
                "Names are unique regardless of case; choose another."
            )

    async def create(self, actor: Actor, draft: CreateDraft, channel_id: int | None) -> Partnership:
        try:
            async with transaction(self.sessions) as session:
                await self._ensure_name_free(session, actor.guild_id, draft.name)
                partnership = Partnership(
                    guild_id=actor.guild_id,
                    name=draft.name,
                    name_key=name_key(draft.name),
                    purpose=draft.purpose,
                    relationship=draft.relationship,
                    timezone=draft.timezone,
                    channel_id=channel_id,
                    created_by=actor.user_id,
                )
                session.add(partnership)
                await session.flush()
                await log.record(
                    session,
                    partnership,
                    "partnership.created",
                    f"{actor.display_name or 'Someone'} created the partnership {draft.name}.",
                    actor_id=actor.user_id,
                    payload={
                        "name": draft.name,
                        "purpose": draft.purpose,
                        "relationship": draft.relationship,
                        "timezone": draft.timezone,
                        "channel_id": channel_id,
                    },
                )
                member = Membership(
                    partnership_id=partnership.id,  # type: ignore[arg-type]
                    user_id=actor.user_id,
                    display_name=actor.display_name,
                    capacity=Capacity.individual,
                    is_convener=True,
                )
                session.add(member)
                await session.flush()
                await self._member_event(session, partnership, actor, member, None, "member.joined")
                return partnership
        except IntegrityError:
            raise UserFacingError(
                f"There is already a partnership called “{draft.name}” in this server."
            ) from None

    async def info(self, actor: Actor, ref: PartnershipRef) -> PartnershipInfo:
        async with self.sessions() as session:
            access = await resolve(session, actor, ref)
            partners = await self._partners(session, access.partnership, include_former=False)
            members = await self._members(session, access.partnership)
            return PartnershipInfo(
                access.partnership,
                partners,
                members,
                viewer_is_convener=actor.manage_guild or access.is_convener,
            )

    async def list_visible(self, actor: Actor) -> list[Partnership]:
        async with self.sessions() as session:
            return await visible_partnerships(session, actor)

    async def autocomplete(self, actor: Actor, current: str, *, limit: int = 25) -> list[str]:
        key = name_key(current)
        names = [p.name for p in await self.list_visible(actor)]
        starts = [n for n in names if name_key(n).startswith(key)]
        within = [n for n in names if key in name_key(n) and n not in starts]
        return (starts + within)[:limit]

    async def resolve_access(
        self, actor: Actor, ref: PartnershipRef, *, convener: bool = False, writable: bool = False
    ) -> Access:
        async with self.sessions() as session:
            return await resolve(session, actor, ref, convener=convener, writable=writable)

    async def configure(
        self,
        actor: Actor,
        ref: PartnershipRef,
        *,
        agreement_rule: str | None = None,
        anonymity_threshold: int | None = None,
        timezone: str | None = None,
        relationship: str | None = None,
        count_individuals: bool | None = None,
        purpose: str | None = None,
    ) -> tuple[Partnership, dict[str, tuple[Any, Any]]]:
        """Change settings; returns the partnership and {setting: (old, new)} for what changed."""
        rule = choice(agreement_rule, AgreementRule, what="agreement rule")
        rel = choice(relationship, Relationship, what="relationship")
        if timezone is not None:
            timezone = timezone.strip()
            zone(timezone)
        if anonymity_threshold is not None and not (
            MIN_ANONYMITY_THRESHOLD <= anonymity_threshold <= MAX_ANONYMITY_THRESHOLD
        ):
            raise UserFacingError(
                f"The anonymity threshold counts distinct organisations and must be between "
                f"{MIN_ANONYMITY_THRESHOLD} and {MAX_ANONYMITY_THRESHOLD}."
            )
        new_purpose = (
            clean_text(purpose, what="purpose", limit=PURPOSE_MAX, multiline=True)
            if purpose is not None
            else None
        )
        wanted: dict[str, Any] = {
            "agreement_rule": rule,
            "anonymity_threshold": anonymity_threshold,
            "timezone": timezone,
            "relationship": rel,
            "count_individuals": count_individuals,
            "purpose": new_purpose,
        }
        wanted = {k: v for k, v in wanted.items() if v is not None}
        if not wanted:
            raise UserFacingError("Nothing to change: give at least one setting.")
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, convener=True, writable=True)
            partnership = access.partnership
            changes = {
                key: (getattr(partnership, key), value)
                for key, value in wanted.items()
                if getattr(partnership, key) != value
            }
            if not changes:
                return partnership, {}
            for key, (_old, new) in changes.items():
                setattr(partnership, key, new)
            session.add(partnership)
            described = ", ".join(
                f"{label(k)} from {show_value(old, k)} to {show_value(new, k)}"
                for k, (old, new) in changes.items()
            )
            await log.record(
                session,
                partnership,
                "partnership.configured",
                f"{actor.display_name or 'A convener'} changed {described}.",
                actor_id=actor.user_id,
                payload={k: {"from": old, "to": new} for k, (old, new) in changes.items()},
            )
            return partnership, changes

    async def archive(self, actor: Actor, ref: PartnershipRef) -> tuple[Partnership, list[int]]:
        """Archive; returns the partnership and its active members' ids (to make read-only)."""
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, convener=True, writable=True)
            partnership = access.partnership
            partnership.archived_at = utcnow()
            session.add(partnership)
            await log.record(
                session,
                partnership,
                "partnership.archived",
                f"{actor.display_name or 'A convener'} archived {partnership.name}.",
                actor_id=actor.user_id,
            )
            members = await self._members(session, partnership)
            return partnership, [m.user_id for m in members]

    # ---- organisations

    async def add_partner(
        self,
        actor: Actor,
        ref: PartnershipRef,
        organisation: str,
        sector: str,
        status: str | None = None,
    ) -> tuple[PartnerView, str | None]:
        """Add an organisation; returns its view and a note when the server knew it already."""
        org_name = clean_text(organisation, what="organisation name", limit=ORG_NAME_MAX)
        sector_value = choice(sector, Sector, what="sector")
        status_value = choice(status, PartnerStatus, what="status") or PartnerStatus.core.value
        if status_value == PartnerStatus.former:
            raise UserFacingError("A new partner can't start as former. Use `/partner remove`.")
        note = None
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, convener=True, writable=True)
            partnership = access.partnership
            org = await self._organisation(session, actor.guild_id, org_name)
            if org is None:
                org = Organisation(
                    guild_id=actor.guild_id,
                    name=org_name,
                    name_key=name_key(org_name),
                    sector=sector_value or Sector.other,
                )
                session.add(org)
                await session.flush()
            elif org.sector != sector_value:
                note = (
                    f"{org.name} is already registered in this server as {label(org.sector)}; "
                    "I kept that sector."
                )
            link = (
                await session.exec(
                    select(PartnerOrganisation).where(
                        PartnerOrganisation.partnership_id == partnership.id,
                        PartnerOrganisation.organisation_id == org.id,
                    )
                )
            ).first()
            if link is not None and link.left_at is None:
                raise UserFacingError(f"{org.name} is already a partner in {partnership.name}.")
            if link is None:
                link = PartnerOrganisation(
                    partnership_id=partnership.id,  # type: ignore[arg-type]
                    organisation_id=org.id,  # type: ignore[arg-type]
                    status=status_value,
                )
            else:  # rejoining after leaving
                link.status = status_value
                link.joined_at = utcnow()
                link.left_at = None
            session.add(link)
            await session.flush()
            view = _partner_view(link, org)
            await log.record(
                session,
                partnership,
                "partner.joined",
                f"{org.name} ({label(org.sector)}) joined as a {label(status_value)} partner.",
                actor_id=actor.user_id,
                payload=_partner_snapshot(view),
            )
            return view, note

    async def remove_partner(
        self, actor: Actor, ref: PartnershipRef, organisation: str
    ) -> tuple[PartnerView, list[MemberView]]:
        """Mark an organisation former; returns it and the members who still represent it."""
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, convener=True, writable=True)
            partnership = access.partnership
            link, org = await self._active_partner(session, partnership, organisation)
            link.left_at = utcnow()
            link.status = PartnerStatus.former
            session.add(link)
            view = _partner_view(link, org)
            await log.record(
                session,
                partnership,
                "partner.left",
                f"{org.name} left the partnership.",
                actor_id=actor.user_id,
                payload=_partner_snapshot(view),
            )
            remaining = [
                m for m in await self._members(session, partnership) if m.organisation_id == org.id
            ]
            return view, remaining

    async def set_partner_status(
        self, actor: Actor, ref: PartnershipRef, organisation: str, status: str
    ) -> PartnerView:
        status_value = choice(status, PartnerStatus, what="status")
        if status_value == PartnerStatus.former:
            raise UserFacingError("To mark a partner former, use `/partner remove`.")
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, convener=True, writable=True)
            partnership = access.partnership
            link, org = await self._active_partner(session, partnership, organisation)
            if link.status == status_value:
                raise UserFacingError(f"{org.name} is already {label(link.status)}.")
            old = link.status
            link.status = status_value  # type: ignore[assignment]
            session.add(link)
            view = _partner_view(link, org)
            await log.record(
                session,
                partnership,
                "partner.status_changed",
                f"{org.name} changed from {label(old)} to {label(link.status)}.",
                actor_id=actor.user_id,
                payload={**_partner_snapshot(view), "from": old},
            )
            return view

    async def list_partners(
        self, actor: Actor, ref: PartnershipRef, *, include_former: bool = False
    ) -> tuple[Partnership, list[PartnerView]]:
        async with self.sessions() as session:
            access = await resolve(session, actor, ref)
            partners = await self._partners(session, access.partnership, include_former)
            return access.partnership, partners

    async def autocomplete_partners(
        self, actor: Actor, ref: PartnershipRef, current: str, *, active_only: bool = True
    ) -> list[str]:
        try:
            async with self.sessions() as session:
                access = await resolve(session, actor, ref)
                partners = await self._partners(session, access.partnership, not active_only)
        except UserFacingError:
            return []
        key = name_key(current)
        return [p.name for p in partners if key in name_key(p.name)][:25]

    # ---- members

    async def add_member(
        self,
        actor: Actor,
        ref: PartnershipRef,
        *,
        user_id: int,
        display_name: str,
        organisation: str | None = None,
        capacity: str | None = None,
        mandate: str | None = None,
        convener: bool = False,
        is_bot: bool = False,
    ) -> tuple[Partnership, MemberView]:
        if is_bot:
            raise UserFacingError("Bots can't be members of a partnership.")
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, convener=True, writable=True)
            partnership = access.partnership
            org = None
            if organisation:
                _link, org = await self._active_partner(session, partnership, organisation)
            capacity_value, mandate_value = _check_role(
                choice(capacity, Capacity, what="capacity"),
                choice(mandate, Mandate, what="mandate"),
                org,
            )
            existing = (
                await session.exec(
                    select(Membership).where(
                        Membership.partnership_id == partnership.id, Membership.user_id == user_id
                    )
                )
            ).first()
            if existing is not None and existing.left_at is None:
                raise UserFacingError(
                    f"{display_name} is already a member of {partnership.name}. "
                    "Use `/member update` to change their role."
                )
            member = existing or Membership(
                partnership_id=partnership.id,  # type: ignore[arg-type]
                user_id=user_id,
            )
            member.display_name = display_name[:100]
            member.organisation_id = org.id if org else None
            member.capacity = capacity_value
            member.mandate = mandate_value
            member.is_convener = convener
            member.joined_at = utcnow()
            member.left_at = None
            session.add(member)
            await session.flush()
            view = await self._member_event(
                session, partnership, actor, member, org, "member.joined"
            )
            return partnership, view

    async def update_member(
        self,
        actor: Actor,
        ref: PartnershipRef,
        *,
        user_id: int,
        display_name: str | None = None,
        organisation: str | None = None,
        own_capacity: bool = False,
        capacity: str | None = None,
        mandate: str | None = None,
        convener: bool | None = None,
    ) -> tuple[Partnership, MemberView]:
        """Change a membership. `own_capacity` clears the organisation (the person speaks for
        themselves)."""
        if organisation and own_capacity:
            raise UserFacingError("Choose an organisation or own capacity, not both.")
        if not any([organisation, own_capacity, capacity, mandate, convener is not None]):
            raise UserFacingError("Nothing to change: give at least one of the options.")
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, convener=True, writable=True)
            partnership = access.partnership
            member = await self._active_member(session, partnership, user_id, display_name)
            org: Organisation | None
            if own_capacity:
                org = None
            elif organisation:
                _link, org = await self._active_partner(session, partnership, organisation)
            else:
                org = (
                    await session.get(Organisation, member.organisation_id)
                    if member.organisation_id
                    else None
                )
            new_capacity = choice(capacity, Capacity, what="capacity")
            if new_capacity is None:
                # Keep the capacity unless the change of organisation makes it impossible.
                new_capacity = member.capacity
                if org is not None and new_capacity in OWN_CAPACITY:
                    new_capacity = Capacity.representative
                if org is None and new_capacity in NEEDS_ORGANISATION:
                    new_capacity = Capacity.individual
            new_mandate = choice(mandate, Mandate, what="mandate")
            if new_mandate is None and org is not None:
                new_mandate = member.mandate
            capacity_value, mandate_value = _check_role(new_capacity, new_mandate, org)
            if convener is False and member.is_convener:
                await self._ensure_other_convener(session, partnership, member)
            before = _member_view(member, None)
            member.organisation_id = org.id if org else None
            member.capacity = capacity_value
            member.mandate = mandate_value
            if convener is not None:
                member.is_convener = convener
            if display_name:
                member.display_name = display_name[:100]
            session.add(member)
            await session.flush()
            after = _member_view(member, org)
            if (before.organisation_id, before.capacity, before.mandate, before.is_convener) == (
                after.organisation_id,
                after.capacity,
                after.mandate,
                after.is_convener,
            ):
                raise UserFacingError(f"{after.display_name} already has that role.")
            await self._member_event(session, partnership, actor, member, org, "member.updated")
            return partnership, after

    async def remove_member(
        self, actor: Actor, ref: PartnershipRef, *, user_id: int, display_name: str | None = None
    ) -> tuple[Partnership, MemberView]:
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, convener=True, writable=True)
            partnership = access.partnership
            member = await self._active_member(session, partnership, user_id, display_name)
            if member.is_convener:
                await self._ensure_other_convener(session, partnership, member)
            org = (
                await session.get(Organisation, member.organisation_id)
                if member.organisation_id
                else None
            )
            member.left_at = utcnow()
            session.add(member)
            await session.flush()
            view = await self._member_event(session, partnership, actor, member, org, "member.left")
            return partnership, view

    async def list_members(
        self, actor: Actor, ref: PartnershipRef, as_of: date | None = None
    ) -> tuple[Partnership, list[MemberView], datetime | None]:
        """Members now, or at the end of `as_of` in the partnership's zone (from the log)."""
        async with self.sessions() as session:
            access = await resolve(session, actor, ref)
            partnership = access.partnership
            if as_of is None:
                return partnership, await self._members(session, partnership), None
            moment = end_of_day(as_of, zone(partnership.timezone))
            events = await log.events(session, partnership, kinds=MEMBER_EVENTS, until=moment)
            state: dict[int, MemberView] = {}
            for event in events:
                snap = event.payload
                if snap.get("active"):
                    state[int(snap["user_id"])] = MemberView.from_snapshot(snap)
                else:
                    state.pop(int(snap["user_id"]), None)
            return partnership, _sorted_members(state.values()), moment

    async def history(
        self, actor: Actor, ref: PartnershipRef, *, limit: int = 50
    ) -> tuple[Partnership, list[HistoryEntry]]:
        """Membership and partner changes, newest first."""
        async with self.sessions() as session:
            access = await resolve(session, actor, ref)
            events = await log.events(
                session,
                access.partnership,
                kinds=(
                    *MEMBER_EVENTS,
                    "partner.joined",
                    "partner.left",
                    "partner.status_changed",
                ),
                newest_first=True,
                limit=limit,
            )
            return access.partnership, [
                HistoryEntry(e.occurred_at, e.kind, e.summary, e.actor_id) for e in events
            ]

    async def member_user_ids(self, partnership_id: int) -> list[int]:
        async with self.sessions() as session:
            rows = await session.exec(
                select(Membership.user_id).where(
                    Membership.partnership_id == partnership_id, col(Membership.left_at).is_(None)
                )
            )
            return list(rows.all())

    async def partnership_by_channel(self, guild_id: int, channel_id: int) -> Partnership | None:
        async with self.sessions() as session:
            return (
                await session.exec(
                    select(Partnership).where(
                        Partnership.guild_id == guild_id, Partnership.channel_id == channel_id
                    )
                )
            ).first()

    # ---- internals

    async def _organisation(
        self, session: AsyncSession, guild_id: int, name: str
    ) -> Organisation | None:
        return (
            await session.exec(
                select(Organisation).where(
                    Organisation.guild_id == guild_id, Organisation.name_key == name_key(name)
                )
            )
        ).first()

    async def _active_partner(
        self, session: AsyncSession, partnership: Partnership, name: str
    ) -> tuple[PartnerOrganisation, Organisation]:
        row = (
            await session.exec(
                select(PartnerOrganisation, Organisation)
                .join(
                    Organisation, col(Organisation.id) == col(PartnerOrganisation.organisation_id)
                )
                .where(
                    PartnerOrganisation.partnership_id == partnership.id,
                    Organisation.guild_id == partnership.guild_id,
                    Organisation.name_key == name_key(name),
                    col(PartnerOrganisation.left_at).is_(None),
                )
            )
        ).first()
        if row is None:
            raise NotFound(
                f"“{name}” isn't a current partner organisation of {partnership.name}. "
                "Add it first with `/partner add`."
            )
        return row[0], row[1]

    async def _partners(
        self, session: AsyncSession, partnership: Partnership, include_former: bool
    ) -> list[PartnerView]:
        query = (
            select(PartnerOrganisation, Organisation)
            .join(Organisation, col(Organisation.id) == col(PartnerOrganisation.organisation_id))
            .where(PartnerOrganisation.partnership_id == partnership.id)
            .order_by(col(Organisation.name_key))
        )
        if not include_former:
            query = query.where(col(PartnerOrganisation.left_at).is_(None))
        return [_partner_view(link, org) for link, org in (await session.exec(query)).all()]

    async def _members(self, session: AsyncSession, partnership: Partnership) -> list[MemberView]:
        rows = await session.exec(
            select(Membership, Organisation)
            .join(
                Organisation,
                col(Organisation.id) == col(Membership.organisation_id),
                isouter=True,
            )
            .where(Membership.partnership_id == partnership.id, col(Membership.left_at).is_(None))
        )
        return _sorted_members(_member_view(m, o) for m, o in rows.all())

    async def _active_member(
        self,
        session: AsyncSession,
        partnership: Partnership,
        user_id: int,
        display_name: str | None,
    ) -> Membership:
        member = (
            await session.exec(
                select(Membership).where(
                    Membership.partnership_id == partnership.id,
                    Membership.user_id == user_id,
                    col(Membership.left_at).is_(None),
                )
            )
        ).first()
        if member is None:
            who = display_name or "That person"
            raise NotFound(f"{who} isn't a member of {partnership.name}.")
        return member

    async def _ensure_other_convener(
        self, session: AsyncSession, partnership: Partnership, member: Membership
    ) -> None:
        others = (
            await session.exec(
                select(func.count())
                .select_from(Membership)
                .where(
                    Membership.partnership_id == partnership.id,
                    col(Membership.left_at).is_(None),
                    col(Membership.is_convener).is_(True),
                    Membership.id != member.id,
                )
            )
        ).one()
        if not others:
            raise UserFacingError(
                f"{member.display_name or 'This person'} is the last convener of "
                f"{partnership.name}. Make someone else a convener first."
            )

    async def _member_event(
        self,
        session: AsyncSession,
        partnership: Partnership,
        actor: Actor,
        member: Membership,
        org: Organisation | None,
        kind: str,
    ) -> MemberView:
        view = _member_view(member, org)
        who = view.display_name or f"User {view.user_id}"
        verb = {
            "member.joined": f"{who} joined as {view.describe()}.",
            "member.updated": f"{who} is now {view.describe()}.",
            "member.left": f"{who} left the partnership.",
        }[kind]
        await log.record(
            session,
            partnership,
            kind,
            verb,
            actor_id=actor.user_id,
            payload=view.snapshot(active=kind != "member.left"),
        )
        return view


# --------------------------------------------------------------------------- helpers


# Settings whose values are vocabulary words (`social_enterprise` → "social enterprise");
# anything else (a time zone, a purpose) is shown exactly as stored.
LABELLED_SETTINGS = frozenset({"agreement_rule", "relationship"})


def show_value(value: Any, key: str | None = None) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if key in LABELLED_SETTINGS:
        return label(str(value))
    return str(value)


def _check_role(
    capacity: str | None, mandate: str | None, org: Organisation | None
) -> tuple[str, str | None]:
    """Defaults and consistency: representative with an organisation, individual without."""
    cap = capacity or (Capacity.representative if org else Capacity.individual)
    if org is None and cap in NEEDS_ORGANISATION:
        raise UserFacingError(f"A {label(cap)} speaks for an organisation: choose one.")
    if org is not None and cap in OWN_CAPACITY:
        raise UserFacingError(
            f"{label(cap).capitalize()} means taking part in one's own capacity; "
            "leave out the organisation, or choose representative or substitute."
        )
    if mandate and org is None:
        raise UserFacingError(
            "A mandate says what a person may commit their organisation to; "
            "it needs an organisation."
        )
    return str(cap), mandate


def _partner_view(link: PartnerOrganisation, org: Organisation) -> PartnerView:
    assert org.id is not None
    return PartnerView(
        link.partnership_id, org.id, org.name, org.sector, link.status, link.joined_at, link.left_at
    )


def _partner_snapshot(view: PartnerView) -> dict[str, Any]:
    return {
        "organisation_id": view.organisation_id,
        "organisation": view.name,
        "sector": view.sector,
        "status": view.status,
        "active": view.active,
    }


def _member_view(member: Membership, org: Organisation | None) -> MemberView:
    return MemberView(
        user_id=member.user_id,
        display_name=member.display_name,
        organisation_id=member.organisation_id,
        organisation=org.name if org else None,
        capacity=member.capacity,
        mandate=member.mandate,
        is_convener=member.is_convener,
    )


def _sorted_members(members: Any) -> list[MemberView]:
    return sorted(
        members,
        key=lambda m: (
            not m.is_convener,
            (m.organisation or "~").casefold(),
            m.display_name.casefold(),
        ),
    )
