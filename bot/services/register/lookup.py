"""The register rows a change works on, found through `db.queries`, and the views read from them.

A missing partner or member becomes a `NotFound` that says what to do; who may look is not
decided here (that is `bot.services.access`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import NotFound
from bot.services.register.views import (
    HeldRelationship,
    MemberView,
    PartnerView,
    member_view,
    partner_view,
    sorted_members,
)
from db import ahead, queries
from db.models import (
    Membership,
    Organisation,
    PartnerOrganisation,
    Partnership,
    PartnershipRelationship,
)


def _id(partnership: Partnership) -> int:
    assert partnership.id is not None
    return partnership.id


async def active_partner(
    session: AsyncSession, partnership: Partnership, name: str
) -> tuple[PartnerOrganisation, Organisation]:
    """A current partner organisation, by name in any case."""
    found = await queries.active_partner_named(
        session, partnership_id=_id(partnership), guild_id=partnership.guild_id, name=name
    )
    if found is None:
        raise NotFound(
            f"“{name}” isn't a current partner organisation of {partnership.name}. "
            "Add it first with `/partner add`."
        )
    return found


async def active_member(
    session: AsyncSession, partnership: Partnership, user_id: int, display_name: str | None
) -> Membership:
    """A current member; `display_name` names them in the error when they are not one."""
    member = await queries.active_membership(
        session, partnership_id=_id(partnership), user_id=user_id
    )
    if member is None:
        who = display_name or "That person"
        raise NotFound(f"{who} isn't a member of {partnership.name}.")
    return member


async def organisation_of(session: AsyncSession, member: Membership) -> Organisation | None:
    """The organisation a member speaks for, or None in their own capacity."""
    if member.organisation_id is None:
        return None
    return await session.get(Organisation, member.organisation_id)


async def membership_row(
    session: AsyncSession, partnership: Partnership, user_id: int
) -> Membership | None:
    """The person's membership row, current or past (one per person per partnership)."""
    return (
        await session.exec(
            select(Membership).where(
                Membership.partnership_id == partnership.id, Membership.user_id == user_id
            )
        )
    ).first()


async def partner_link(
    session: AsyncSession, partnership: Partnership, organisation: Organisation
) -> PartnerOrganisation | None:
    """The organisation's link to the partnership, current or past (one per pair)."""
    return (
        await session.exec(
            select(PartnerOrganisation).where(
                PartnerOrganisation.partnership_id == partnership.id,
                PartnerOrganisation.organisation_id == organisation.id,
            )
        )
    ).first()


async def partners(
    session: AsyncSession, partnership: Partnership, *, include_former: bool = False
) -> list[PartnerView]:
    """Partner organisations by name: current ones, or every one that ever took part."""
    rows = await queries.partners(
        session, partnership_id=_id(partnership), include_former=include_former
    )
    return [partner_view(link, org) for link, org in rows]


async def members(session: AsyncSession, partnership: Partnership) -> list[MemberView]:
    """Current members, conveners first."""
    rows = await queries.active_members(session, partnership_id=_id(partnership))
    return sorted_members(member_view(m, o) for m, o in rows)


async def organisation_named(
    session: AsyncSession, guild_id: int, name: str
) -> Organisation | None:
    """An organisation registered in the server, by name in any case."""
    return await queries.organisation_named(session, guild_id=guild_id, name=name)


# ---- the current partners, members and relationships as views, read as plain rows

# For reads (`/partnership info`): core SELECTs on the tables' columns, straight into the views,
# without ORM objects (nothing pending is flushed first: a change reads through the ORM above).
# Built once; only the partnership changes.
_PO = PartnerOrganisation.__table__  # type: ignore[attr-defined]
_ORG = Organisation.__table__  # type: ignore[attr-defined]
_MEMBER = Membership.__table__  # type: ignore[attr-defined]
_HELD = PartnershipRelationship.__table__  # type: ignore[attr-defined]
_PARTNER_VIEWS: Any = (  # PartnerView's fields, in order
    sa_select(
        _PO.c.partnership_id,
        _ORG.c.id,
        _ORG.c.name,
        _ORG.c.sector,
        _PO.c.status,
        _PO.c.joined_at,
        _PO.c.left_at,
        _PO.c.self_status,
        _PO.c.self_commitment,
        _PO.c.self_recorded_at,
    )
    .join(_ORG, _ORG.c.id == _PO.c.organisation_id)
    .where(_PO.c.partnership_id == bindparam("partnership_id"), _PO.c.left_at.is_(None))
    .order_by(_ORG.c.name_key)
)
_MEMBER_VIEWS: Any = (  # MemberView's fields, in order
    sa_select(
        _MEMBER.c.user_id,
        _MEMBER.c.display_name,
        _MEMBER.c.organisation_id,
        _ORG.c.name,
        _MEMBER.c.capacity,
        _MEMBER.c.mandate,
        _MEMBER.c.is_convener,
    )
    .outerjoin(_ORG, _ORG.c.id == _MEMBER.c.organisation_id)
    .where(_MEMBER.c.partnership_id == bindparam("partnership_id"), _MEMBER.c.left_at.is_(None))
    .order_by(_MEMBER.c.id)
)
_HELD_VIEWS: Any = (  # HeldRelationship's fields, in order
    sa_select(_HELD.c.relationship, _HELD.c.added_at, _HELD.c.added_by)
    .where(_HELD.c.partnership_id == bindparam("partnership_id"), _HELD.c.removed_at.is_(None))
    .order_by(_HELD.c.added_at, _HELD.c.id)
)


def current_views_read(partnership_id: int) -> list[tuple[Any, dict[str, Any]]]:
    """The statements `current_views` runs, with their values (`db.ahead.read_ahead`)."""
    values = {"partnership_id": partnership_id}
    return [(_PARTNER_VIEWS, values), (_MEMBER_VIEWS, values), (_HELD_VIEWS, values)]


async def current_views(
    session: AsyncSession, partnership: Partnership
) -> tuple[list[PartnerView], list[MemberView], list[HeldRelationship]]:
    """The current partners by name (`partners`), members conveners first (`members`) and the
    relationships held, oldest first (`coproduction.held`): the same views, for a read."""
    values = {"partnership_id": _id(partnership)}
    partners = [PartnerView(*row) for row in await ahead.rows(session, _PARTNER_VIEWS, values)]
    members = sorted_members(
        MemberView(*row) for row in await ahead.rows(session, _MEMBER_VIEWS, values)
    )
    held = [HeldRelationship(*row) for row in await ahead.rows(session, _HELD_VIEWS, values)]
    return partners, members, held
