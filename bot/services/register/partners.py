"""Partner organisations: registered once per server, linked to partnerships, leaving and
coming back with their history kept."""

from __future__ import annotations

from bot.errors import UserFacingError
from bot.services.access import Actor, PartnershipRef, check_self_view, resolve
from bot.services.register import events, lookup
from bot.services.register.base import RegisterBase
from bot.services.register.views import MemberView, PartnerView, partner_view
from bot.services.text import choice, clean_text
from bot.services.vocab import (
    ORG_NAME_MAX,
    Commitment,
    PartnerStatus,
    Sector,
    label,
    status_phrase,
)
from db.engine import retrying_conflicts, transaction
from db.models import Organisation, PartnerOrganisation, Partnership, name_key


class PartnerCommands(RegisterBase):
    async def add_partner(
        self,
        actor: Actor,
        ref: PartnershipRef,
        organisation: str,
        sector: str,
        status: str | None = None,
    ) -> tuple[PartnerView, str | None]:
        """Add an organisation (registering it in the server if new, or bringing a former
        partner back); returns its view and a note when the server knew it by another sector."""
        org_name = clean_text(organisation, what="organisation name", limit=ORG_NAME_MAX)
        sector_value = choice(sector, Sector, what="sector")
        status_value = choice(status, PartnerStatus, what="status") or PartnerStatus.core.value
        if status_value == PartnerStatus.former:
            raise UserFacingError("A new partner can't start as former. Use `/partner remove`.")
        return await retrying_conflicts(
            lambda: self._add_partner(actor, ref, org_name, sector_value, status_value)
        )

    async def _add_partner(
        self,
        actor: Actor,
        ref: PartnershipRef,
        org_name: str,
        sector_value: str | None,
        status_value: str,
    ) -> tuple[PartnerView, str | None]:
        note = None
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, convener=True, writable=True)
            partnership = access.partnership
            org = await lookup.organisation_named(session, actor.guild_id, org_name)
            if org is None:
                org = Organisation(
                    guild_id=actor.guild_id,
                    name=org_name,
                    name_key=name_key(org_name),
                    sector=sector_value or Sector.other,
                    created_at=now,
                )
                session.add(org)
                await session.flush()
            elif org.sector != sector_value:
                note = (
                    f"{org.name} is already registered in this server as {label(org.sector)}; "
                    "I kept that sector."
                )
            link = await lookup.partner_link(session, partnership, org)
            if link is not None and link.left_at is None:
                raise UserFacingError(f"{org.name} is already a partner in {partnership.name}.")
            if link is None:
                link = PartnerOrganisation(
                    partnership_id=partnership.id,  # type: ignore[arg-type]
                    organisation_id=org.id,  # type: ignore[arg-type]
                    status=status_value,
                    joined_at=now,
                )
            else:  # rejoining after leaving: its earlier view of itself no longer stands
                link.status = status_value
                link.joined_at = now
                link.left_at = None
                link.self_status = link.self_commitment = None
                link.self_recorded_by = link.self_recorded_at = None
            session.add(link)
            await session.flush()
            view = partner_view(link, org)
            await events.partner_changed(
                session, partnership, actor, view, "partner.joined", at=now
            )
        await self._changed(partnership)
        return view, note

    async def remove_partner(
        self, actor: Actor, ref: PartnershipRef, organisation: str
    ) -> tuple[PartnerView, list[MemberView]]:
        """Mark an organisation former; returns it and the members who still represent it."""
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, convener=True, writable=True)
            partnership = access.partnership
            link, org = await lookup.active_partner(session, partnership, organisation)
            link.left_at = now
            link.status = PartnerStatus.former
            session.add(link)
            view = partner_view(link, org)
            await events.partner_changed(session, partnership, actor, view, "partner.left", at=now)
            remaining = [
                m for m in await lookup.members(session, partnership) if m.organisation_id == org.id
            ]
        await self._changed(partnership)
        return view, remaining

    async def set_partner_status(
        self, actor: Actor, ref: PartnershipRef, organisation: str, status: str
    ) -> PartnerView:
        """Change a current partner's status (core, associate, observer …), never to former."""
        status_value = choice(status, PartnerStatus, what="status")
        if status_value == PartnerStatus.former:
            raise UserFacingError("To mark a partner former, use `/partner remove`.")
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, convener=True, writable=True)
            partnership = access.partnership
            link, org = await lookup.active_partner(session, partnership, organisation)
            if link.status == status_value:
                raise UserFacingError(f"{org.name} is already {status_phrase(link.status)}.")
            old = link.status
            link.status = status_value  # type: ignore[assignment]
            session.add(link)
            view = partner_view(link, org)
            await events.partner_changed(
                session,
                partnership,
                actor,
                view,
                "partner.status_changed",
                at=self.clock.now(),
                old_status=old,
            )
        await self._changed(partnership)
        return view

    async def set_self_view(
        self,
        actor: Actor,
        ref: PartnershipRef,
        organisation: str,
        status: str,
        commitment: str | None = None,
    ) -> PartnerView:
        """Record how a current partner sees its own membership: its status (the statuses of
        `/partner status`) and, optionally, its commitment. Only its representative or
        substitute; the conveners' record (`status`) is unchanged."""
        status_value = choice(status, PartnerStatus, what="status")
        commitment_value = choice(commitment, Commitment, what="commitment")
        assert status_value is not None
        if status_value == PartnerStatus.former:
            raise UserFacingError(
                "An organisation that has left says so to a convener, who records it with "
                "`/partner remove`."
            )
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, writable=True)
            partnership = access.partnership
            link, org = await lookup.active_partner(session, partnership, organisation)
            assert org.id is not None
            check_self_view(access, org.id, org.name)
            before = (link.self_status, link.self_commitment)
            if before == (status_value, commitment_value):
                raise UserFacingError(f"That is already how {org.name} sees its membership.")
            now = self.clock.now()
            link.self_status = status_value
            link.self_commitment = commitment_value
            link.self_recorded_by = actor.user_id
            link.self_recorded_at = now
            session.add(link)
            view = partner_view(link, org)
            await events.self_viewed(session, partnership, actor, view, before=before, at=now)
        return view

    async def list_partners(
        self, actor: Actor, ref: PartnershipRef, *, include_former: bool = False
    ) -> tuple[Partnership, list[PartnerView]]:
        """A partnership's partner organisations by name, former ones too if asked."""
        async with self.sessions() as session:
            access = await resolve(session, actor, ref)
            partners = await lookup.partners(
                session, access.partnership, include_former=include_former
            )
            return access.partnership, partners

    async def autocomplete_partners(
        self, actor: Actor, ref: PartnershipRef, current: str, *, active_only: bool = True
    ) -> list[str]:
        """Partner names containing `current`, or none when the partnership can't be seen."""
        try:
            async with self.sessions() as session:
                access = await resolve(session, actor, ref)
                partners = await lookup.partners(
                    session, access.partnership, include_former=not active_only
                )
        except UserFacingError:
            return []
        key = name_key(current)
        return [p.name for p in partners if key in name_key(p.name)][:25]
