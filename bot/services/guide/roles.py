"""Where a person stands, as the guide speaks of it: their role in one partnership, found
through the access gate, and the partnerships they belong to."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.access import Access
from bot.services.guide.checklist import Checklist, setup_checklist
from bot.services.vocab import OWN_CAPACITY, SPEAKS_FOR_ORGANISATION, Capacity
from db.models import Organisation


class Role(StrEnum):
    """The roles the guide has first steps for."""

    convener = "convener"
    representative = "representative"  # a representative or a substitute
    own_capacity = "own_capacity"  # an individual or a citizen
    facilitator = "facilitator"
    observer = "observer"
    manager = "manager"  # Manage Server: acts as a convener without being a member
    newcomer = "newcomer"  # not a member, and not a server manager


# Whose steps come first when a person holds several roles in several partnerships.
ROLE_ORDER = (
    Role.convener,
    Role.manager,
    Role.representative,
    Role.own_capacity,
    Role.facilitator,
    Role.observer,
    Role.newcomer,
)


@dataclass(frozen=True)
class Standing:
    """A person's place in one partnership: the role the guide's steps are for, and what it
    says about them (their capacity, organisation and mandate, whether their own voice counts).
    `checklist` is the partnership's setup checklist for those who may act as conveners, and
    empty for everyone else."""

    partnership_id: int
    partnership: str
    channel_id: int | None
    archived: bool
    role: Role
    is_convener: bool
    capacity: str | None
    organisation: str | None
    mandate: str | None
    counted: bool
    checklist: Checklist


def role_of(access: Access) -> Role:
    """The role whose steps fit this person here: a convener first (whatever their capacity),
    then by capacity; a server manager who is not a member acts as a convener."""
    member = access.membership
    if member is None:
        return Role.manager if access.may_convene else Role.newcomer
    if member.is_convener:
        return Role.convener
    if member.capacity in SPEAKS_FOR_ORGANISATION:
        return Role.representative
    if member.capacity in OWN_CAPACITY:
        return Role.own_capacity
    if member.capacity == Capacity.facilitator:
        return Role.facilitator
    return Role.observer


async def standing(session: AsyncSession, access: Access) -> Standing:
    """This person's standing in the partnership the gate let them into."""
    p = access.partnership
    member = access.membership
    organisation = None
    if member is not None and member.organisation_id is not None:
        org = await session.get(Organisation, member.organisation_id)
        organisation = org.name if org else None
    checklist = await setup_checklist(session, p) if access.may_convene else Checklist(())
    return Standing(
        partnership_id=access.partnership_id,
        partnership=p.name,
        channel_id=p.channel_id,
        archived=p.is_archived,
        role=role_of(access),
        is_convener=access.is_convener,
        capacity=member.capacity if member else None,
        organisation=organisation,
        mandate=member.mandate if member else None,
        counted=bool(member and member.capacity in OWN_CAPACITY and p.count_individuals),
        checklist=checklist,
    )
