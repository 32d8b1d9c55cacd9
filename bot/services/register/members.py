"""Members: who takes part, for whom they speak and how; past membership rebuilt from the
log."""

from __future__ import annotations

from datetime import date

from bot.errors import UserFacingError
from bot.services import log
from bot.services.access import Actor, PartnershipRef, check_standing_change, resolve
from bot.services.register import events, lookup, rules
from bot.services.register.base import RegisterBase
from bot.services.register.views import (
    HistoryEntry,
    MemberList,
    MemberView,
    member_view,
    sorted_members,
)
from bot.services.text import choice
from bot.services.timeutil import end_of_day, zone
from bot.services.vocab import Capacity, Mandate
from db.engine import transaction
from db.models import Membership, Organisation, Partnership


class MemberCommands(RegisterBase):
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
        """Add a person, speaking for a current partner `organisation` or in their own capacity.
        Someone who left comes back on their old membership, so their history stays one."""
        if is_bot:
            raise UserFacingError("Bots can't be members of a partnership.")
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, convener=True, writable=True)
            partnership = access.partnership
            org = None
            if organisation:
                _link, org = await lookup.active_partner(session, partnership, organisation)
            capacity_value, mandate_value = rules.check_role(
                choice(capacity, Capacity, what="capacity"),
                choice(mandate, Mandate, what="mandate"),
                org,
            )
            existing = await lookup.membership_row(session, partnership, user_id)
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
            member.joined_at = now
            member.left_at = None
            session.add(member)
            await session.flush()
            view = await events.member_changed(
                session, partnership, actor, member, org, "member.joined", at=now
            )
        await self._changed(partnership)
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
            if organisation or own_capacity or capacity or mandate:
                check_standing_change(access, user_id)
            partnership = access.partnership
            member = await lookup.active_member(session, partnership, user_id, display_name)
            org: Organisation | None
            if own_capacity:
                org = None
            elif organisation:
                _link, org = await lookup.active_partner(session, partnership, organisation)
            else:
                org = await lookup.organisation_of(session, member)
            capacity_value, mandate_value = rules.changed_role(member, org, capacity, mandate)
            if convener is False and member.is_convener:
                await rules.ensure_other_convener(session, partnership, member)
            before = member_view(member, None)
            member.organisation_id = org.id if org else None
            member.capacity = capacity_value
            member.mandate = mandate_value
            if convener is not None:
                member.is_convener = convener
            if display_name:
                member.display_name = display_name[:100]
            session.add(member)
            await session.flush()
            after = member_view(member, org)
            if (before.organisation_id, before.capacity, before.mandate, before.is_convener) == (
                after.organisation_id,
                after.capacity,
                after.mandate,
                after.is_convener,
            ):
                raise UserFacingError(f"{after.display_name} already has that role.")
            await events.member_changed(
                session, partnership, actor, member, org, "member.updated", at=self.clock.now()
            )
        await self._changed(partnership)
        return partnership, after

    async def remove_member(
        self, actor: Actor, ref: PartnershipRef, *, user_id: int, display_name: str | None = None
    ) -> Partnership:
        """Record that a person has left; their membership and history are kept. Returns the
        partnership they left."""
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, convener=True, writable=True)
            partnership = access.partnership
            member = await lookup.active_member(session, partnership, user_id, display_name)
            if member.is_convener:
                await rules.ensure_other_convener(session, partnership, member)
            org = await lookup.organisation_of(session, member)
            member.left_at = now
            session.add(member)
            await session.flush()
            await events.member_changed(
                session, partnership, actor, member, org, "member.left", at=now
            )
        await self._changed(partnership)
        return partnership

    async def list_members(
        self, actor: Actor, ref: PartnershipRef, as_of: date | None = None
    ) -> MemberList:
        """Members now, or at the end of `as_of` in the partnership's zone (from the log)."""
        async with self.sessions() as session:
            access = await resolve(session, actor, ref)
            partnership = access.partnership
            if as_of is None:
                return MemberList(partnership, await lookup.members(session, partnership), None)
            moment = end_of_day(as_of, zone(partnership.timezone))
            found = await log.events(session, partnership, kinds=events.MEMBER_EVENTS, until=moment)
        state: dict[int, MemberView] = {}
        for event in found:
            snap = event.payload
            if snap.get("active"):
                state[int(snap["user_id"])] = MemberView.from_snapshot(snap)
            else:
                state.pop(int(snap["user_id"]), None)
        return MemberList(partnership, sorted_members(state.values()), moment)

    async def history(
        self, actor: Actor, ref: PartnershipRef, *, limit: int = 50
    ) -> tuple[Partnership, list[HistoryEntry]]:
        """Membership and partner changes, newest first."""
        async with self.sessions() as session:
            access = await resolve(session, actor, ref)
            found = await log.events(
                session,
                access.partnership,
                kinds=(*events.MEMBER_EVENTS, *events.PARTNER_EVENTS),
                newest_first=True,
                limit=limit,
            )
        return access.partnership, [
            HistoryEntry(e.occurred_at, e.kind, e.summary, e.actor_id) for e in found
        ]
