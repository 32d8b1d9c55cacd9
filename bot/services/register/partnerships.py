"""Partnerships themselves: create (in two steps, around the channel), read, configure,
archive."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import UserFacingError
from bot.services.access import (
    Actor,
    AheadPlans,
    PartnershipRef,
    may_create_partnerships,
    resolve,
    visible_partnerships,
)
from bot.services.guide.checklist import present_read, setup_checklist
from bot.services.register import coproduction, events, lookup, rules
from bot.services.register.base import RegisterBase
from bot.services.register.views import CreateDraft, PartnershipInfo, partner_view
from bot.services.text import choice, clean_text
from bot.services.timeutil import zone
from bot.services.vocab import (
    NAME_MAX,
    ORG_NAME_MAX,
    PURPOSE_MAX,
    SPEAKS_FOR_ORGANISATION,
    Capacity,
    PartnerStatus,
    Relationship,
    Sector,
    label,
)
from db.ahead import read_ahead
from db.engine import retrying_conflicts, transaction
from db.models import Membership, Organisation, PartnerOrganisation, Partnership, name_key

#: What `/partnership info` read after the gate, per partnership as named (this process's own).
_INFO_PLANS = AheadPlans()


class PartnershipCommands(RegisterBase):
    async def prepare_create(
        self,
        actor: Actor,
        name: str,
        purpose: str,
        relationship: str | None = None,
        timezone: str | None = None,
        *,
        organisation: str | None = None,
        sector: str | None = None,
        capacity: str | None = None,
    ) -> CreateDraft:
        """Check everything before any channel is made, so bad input leaves nothing behind.

        With `organisation`, the creator will speak for it (`capacity`: representative, the
        default, or substitute); `sector` is needed when the server doesn't know it yet."""
        if not may_create_partnerships(actor, self.admin_role_name):
            raise UserFacingError(
                "Creating a partnership needs the Manage Channels permission "
                f"or the “{self.admin_role_name}” role."
            )
        org_name = (
            clean_text(organisation, what="organisation name", limit=ORG_NAME_MAX)
            if organisation is not None
            else None
        )
        sector_value = choice(sector, Sector, what="sector")
        capacity_value = choice(capacity, Capacity, what="capacity")
        if org_name is None and (sector_value or capacity_value):
            raise UserFacingError(
                f"A {'sector' if sector_value else 'capacity'} is about the organisation you "
                "speak for: give `organisation` too, or leave it out to take part in your own "
                "capacity."
            )
        if capacity_value is not None and capacity_value not in SPEAKS_FOR_ORGANISATION:
            raise UserFacingError(
                "When you create a partnership for your organisation you are its "
                "representative or substitute. Other capacities can be given later by "
                "another convener with `/member update`."
            )
        draft = CreateDraft(
            name=clean_text(name, what="name", limit=NAME_MAX),
            purpose=clean_text(purpose, what="purpose", limit=PURPOSE_MAX, multiline=True),
            relationship=choice(relationship, Relationship, what="relationship")
            or Relationship.unclear.value,
            timezone=(timezone or self.default_timezone).strip(),
            organisation=org_name,
            sector=sector_value,
            capacity=(capacity_value or Capacity.representative.value) if org_name else None,
        )
        zone(draft.timezone)
        async with self.sessions() as session:
            await rules.ensure_name_free(session, actor.guild_id, draft.name)
            if org_name is not None:
                draft = await _with_known_organisation(session, actor.guild_id, draft)
        return draft

    async def create(self, actor: Actor, draft: CreateDraft, channel_id: int | None) -> Partnership:
        """Save a prepared partnership with its channel; the creator is its first convener.

        With an organisation, it joins as a core partner (registered in the server if new) and
        the creator as its representative (or substitute), all in the same transaction, each
        change with its log entry."""
        try:
            return await retrying_conflicts(lambda: self._create(actor, draft, channel_id))
        except IntegrityError:
            raise UserFacingError(
                f"There is already a partnership called “{draft.name}” in this server."
            ) from None

    async def _create(
        self, actor: Actor, draft: CreateDraft, channel_id: int | None
    ) -> Partnership:
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            await rules.ensure_name_free(session, actor.guild_id, draft.name)
            partnership = Partnership(
                guild_id=actor.guild_id,
                name=draft.name,
                name_key=name_key(draft.name),
                purpose=draft.purpose,
                relationship=draft.relationship,
                timezone=draft.timezone,
                channel_id=channel_id,
                created_by=actor.user_id,
                created_at=now,
            )
            session.add(partnership)
            await session.flush()
            await events.partnership_created(session, partnership, actor, draft, channel_id, at=now)
            if draft.relationship != Relationship.unclear:
                await coproduction.add(
                    session, partnership, actor, draft.relationship, at=now, logged=False
                )
            org = None
            if draft.organisation is not None:
                org = await _join_as_core(session, actor, partnership, draft, at=now)
            member = Membership(
                partnership_id=partnership.id,  # type: ignore[arg-type]
                user_id=actor.user_id,
                display_name=actor.display_name,
                organisation_id=org.id if org else None,
                capacity=draft.capacity if org and draft.capacity else Capacity.individual,
                is_convener=True,
                joined_at=now,
            )
            session.add(member)
            await session.flush()
            await events.member_changed(
                session, partnership, actor, member, org, "member.joined", at=now
            )
        return partnership

    async def info(self, actor: Actor, ref: PartnershipRef) -> PartnershipInfo:
        """A partnership with its current partners and members and what its setup still lacks,
        for anyone in it."""
        async with self.sessions() as session:
            # One trip (SQLite's thread, or PostgreSQL) for the gate and the four reads below,
            # when the reads made last time for this partnership (`AheadPlans`) still hold.
            access = await resolve(
                session, actor, ref, ahead=_INFO_PLANS.get(actor, ref), last=True
            )
            pid = access.partnership.id
            assert pid is not None
            reads = [*lookup.current_views_read(pid), *present_read(access.partnership)]
            _INFO_PLANS.remember(actor, ref, reads)
            await read_ahead(session, reads, last=True)
            partners, members, held = await lookup.current_views(session, access.partnership)
            return PartnershipInfo(
                access.partnership,
                partners,
                members,
                await setup_checklist(session, access.partnership, known=(partners, members)),
                held,
            )

    async def list_visible(self, actor: Actor) -> list[Partnership]:
        """The partnerships this person belongs to (all of the server's, for its managers)."""
        async with self.sessions() as session:
            return await visible_partnerships(session, actor)

    async def autocomplete(self, actor: Actor, current: str, *, limit: int = 25) -> list[str]:
        """Names of visible partnerships: those starting with `current` first, then the rest
        containing it."""
        key = name_key(current)
        names = [p.name for p in await self.list_visible(actor)]
        starts = [n for n in names if name_key(n).startswith(key)]
        within = [n for n in names if key in name_key(n) and n not in starts]
        return (starts + within)[:limit]

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
        retention_months: int | None = None,
        research_consent: bool | None = None,
        announcements: bool | None = None,
        digest: str | None = None,
        phases: str | None = None,
        levels: str | None = None,
    ) -> tuple[Partnership, events.Changes]:
        """Change settings; returns the partnership and {setting: (old, new)} for what changed
        (nothing is logged or announced when every setting already had its value).

        `retention_months` 0 keeps everything (stored as none); `research_consent` allows the
        command line's pseudonymised research export. Both are logged like any setting.
        `announcements` (a goal agreed, a status or progress changed: one line in the channel)
        and `digest` (weekly or off) too; the digest's schedule follows the setting through
        `DigestService.follow_setting`, called once this has committed.

        `relationship` adds that relationship to those the partnership holds (logged as
        `partnership.relationship_added`; see `coproduction`); the change reads
        `relationships` (held before, held now). `phases` and `levels` are words separated by
        commas (`none` clears), stored as `citizen_phases` and `coproduction_levels`."""
        wanted = rules.wanted_settings(
            agreement_rule=agreement_rule,
            anonymity_threshold=anonymity_threshold,
            timezone=timezone,
            relationship=relationship,
            count_individuals=count_individuals,
            purpose=purpose,
            retention_months=retention_months,
            research_consent=research_consent,
            announcements=announcements,
            digest=digest,
            phases=phases,
            levels=levels,
        )
        relationship_wanted = wanted.pop("relationship", None)
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, convener=True, writable=True)
            partnership = access.partnership
            changes: events.Changes = {
                key: (_setting(partnership, key), value)
                for key, value in wanted.items()
                if _setting(partnership, key) != value
            }
            added = await _relationship_added(
                session, partnership, actor, relationship_wanted, at=self.clock.now()
            )
            if not changes and added is None:
                return partnership, {}
            if "anonymity_threshold" in changes:
                await rules.ensure_threshold_may_change(
                    session, partnership, changes["anonymity_threshold"][1]
                )
            for key, (_old, new) in changes.items():
                # No retention is stored as none, and read as 0.
                setattr(partnership, key, None if key == "retention_months" and not new else new)
            session.add(partnership)
            if changes:
                await events.partnership_configured(
                    session, partnership, actor, changes, at=self.clock.now()
                )
        await self._changed(partnership)
        return partnership, changes | ({"relationships": added} if added else {})

    async def archive(self, actor: Actor, ref: PartnershipRef) -> Partnership:
        """Archive: read-only from now on, history kept. Its channel follows (`channel_state`)."""
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, convener=True, writable=True)
            partnership = access.partnership
            partnership.archived_at = now
            session.add(partnership)
            await events.partnership_archived(session, partnership, actor, at=now)
        await self._changed(partnership)
        return partnership


async def _relationship_added(
    session: AsyncSession,
    partnership: Partnership,
    actor: Actor,
    relationship: str | None,
    *,
    at: datetime,
) -> tuple[list[str], list[str]] | None:
    """`configure`'s `relationship`: added to those held, unless held already (then nothing
    changes). Unclear changes nothing while none is held; while some are, it says how to
    remove them rather than removing them all at once. Returns (held before, held now)."""
    if relationship is None:
        return None
    before = [h.relationship for h in await coproduction.held(session, partnership)]
    if relationship == Relationship.unclear:
        if before:
            raise UserFacingError(
                f"{partnership.name} holds {', '.join(label(r) for r in before)}. To leave "
                "it unclear, remove each with `/partnership relationship remove`."
            )
        return None
    if relationship in before:
        return None
    await coproduction.add(session, partnership, actor, relationship, at=at)
    return before, [*before, relationship]


def _setting(partnership: Partnership, key: str) -> object:
    """A setting as `configure` compares it: no retention reads as 0 months."""
    value = getattr(partnership, key)
    return (value or 0) if key == "retention_months" else value


async def _with_known_organisation(
    session: AsyncSession, guild_id: int, draft: CreateDraft
) -> CreateDraft:
    """The draft with the server's own name and sector of its organisation, when the server
    knows it; a new organisation needs a sector."""
    assert draft.organisation is not None
    org = await lookup.organisation_named(session, guild_id, draft.organisation)
    if org is None:
        if draft.sector is None:
            raise UserFacingError(
                f"“{draft.organisation}” is new in this server, so give its `sector` too "
                f"({', '.join(label(s) for s in Sector)})."
            )
        return draft
    note = (
        f"{org.name} is already registered in this server as {label(org.sector)}; "
        "I kept that sector."
        if draft.sector is not None and draft.sector != org.sector
        else None
    )
    return replace(draft, organisation=org.name, sector=org.sector, note=note)


async def _join_as_core(
    session: AsyncSession,
    actor: Actor,
    partnership: Partnership,
    draft: CreateDraft,
    *,
    at: datetime,
) -> Organisation:
    """The creator's organisation joins the new partnership as a core partner, registered in
    the server first if it is new (by then it may have been, by someone else: its sector is
    then the server's)."""
    assert draft.organisation is not None
    org = await lookup.organisation_named(session, actor.guild_id, draft.organisation)
    if org is None:
        org = Organisation(
            guild_id=actor.guild_id,
            name=draft.organisation,
            name_key=name_key(draft.organisation),
            sector=draft.sector or Sector.other,
            created_at=at,
        )
        session.add(org)
        await session.flush()
    link = PartnerOrganisation(
        partnership_id=partnership.id,  # type: ignore[arg-type]
        organisation_id=org.id,  # type: ignore[arg-type]
        status=PartnerStatus.core,
        joined_at=at,
    )
    session.add(link)
    await session.flush()
    await events.partner_changed(
        session, partnership, actor, partner_view(link, org), "partner.joined", at=at
    )
    return org
