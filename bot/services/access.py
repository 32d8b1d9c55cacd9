"""Who may see and do what. Decided here, once, for every command and view.

- People with Manage Server act as conveners of every partnership in their server.
- Conveners (a flag on a membership) configure, archive, manage partners and members.
- Active members read, propose and answer.
- Anyone else learns nothing, not even whether a partnership of that name exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import Forbidden, NotFound, UserFacingError
from db.models import Membership, Partnership, name_key


@dataclass(frozen=True)
class Actor:
    """The person acting, as the service layer needs to know them."""

    guild_id: int
    user_id: int
    display_name: str = ""
    manage_guild: bool = False
    manage_channels: bool = False
    role_names: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Where:
    """Where a command was used: its channel and, for a thread, the thread's parent channel."""

    channel_id: int | None = None
    parent_id: int | None = None

    @property
    def channel_ids(self) -> list[int]:
        return [c for c in (self.channel_id, self.parent_id) if c is not None]


@dataclass(frozen=True)
class PartnershipRef:
    """A partnership as a command names it: by the `partnership` option, or by where it is used."""

    name: str | None = None
    where: Where = field(default_factory=Where)


@dataclass(frozen=True)
class Access:
    partnership: Partnership
    membership: Membership | None  # None for a server manager who is not a member

    @property
    def is_convener(self) -> bool:
        return self.membership is not None and self.membership.is_convener


def not_found(name: str | None) -> NotFound:
    if name:
        return NotFound(f"I can't find a partnership called “{name}” that you belong to.")
    return NotFound("I can't find that partnership among the ones you belong to.")


NO_PARTNERSHIP_HERE = (
    "Which partnership? Use this command in a partnership's channel, "
    "or choose one with the `partnership` option."
)


async def active_membership(
    session: AsyncSession, partnership_id: int, user_id: int
) -> Membership | None:
    return (
        await session.exec(
            select(Membership).where(
                Membership.partnership_id == partnership_id,
                Membership.user_id == user_id,
                col(Membership.left_at).is_(None),
            )
        )
    ).first()


async def find_partnership(
    session: AsyncSession, guild_id: int, ref: PartnershipRef
) -> Partnership | None:
    if ref.name and ref.name.strip():
        return (
            await session.exec(
                select(Partnership).where(
                    Partnership.guild_id == guild_id,
                    Partnership.name_key == name_key(ref.name),
                )
            )
        ).first()
    ids = ref.where.channel_ids
    if not ids:
        return None
    return (
        await session.exec(
            select(Partnership).where(
                Partnership.guild_id == guild_id, col(Partnership.channel_id).in_(ids)
            )
        )
    ).first()


async def resolve(
    session: AsyncSession,
    actor: Actor,
    ref: PartnershipRef,
    *,
    convener: bool = False,
    writable: bool = False,
) -> Access:
    """Find the partnership a command means and check the actor may use it.

    `convener`: the action needs a convener. `writable`: it changes something, so an archived
    partnership refuses it.
    """
    named = bool(ref.name and ref.name.strip())
    partnership = await find_partnership(session, actor.guild_id, ref)
    if partnership is None:
        if named:
            raise not_found(ref.name)
        raise UserFacingError(NO_PARTNERSHIP_HERE)
    assert partnership.id is not None
    membership = await active_membership(session, partnership.id, actor.user_id)
    if membership is None and not actor.manage_guild:
        # Same answer as for a partnership that does not exist: non-members learn nothing.
        if named:
            raise not_found(ref.name)
        raise NotFound("This channel belongs to a partnership you are not a member of.")
    access = Access(partnership, membership)
    if convener and not (actor.manage_guild or access.is_convener):
        raise Forbidden(f"Only the conveners of {partnership.name} can do that.")
    if writable and partnership.is_archived:
        raise UserFacingError(
            f"{partnership.name} is archived, so it can't be changed. "
            "Its channel and history are kept."
        )
    return access


async def visible_partnerships(
    session: AsyncSession, actor: Actor, *, include_archived: bool = True
) -> list[Partnership]:
    """The partnerships this person may see: the ones they belong to, or all for server managers."""
    query = select(Partnership).where(Partnership.guild_id == actor.guild_id)
    if not actor.manage_guild:
        query = query.join(Membership, col(Membership.partnership_id) == col(Partnership.id)).where(
            Membership.user_id == actor.user_id, col(Membership.left_at).is_(None)
        )
    if not include_archived:
        query = query.where(col(Partnership.archived_at).is_(None))
    query = query.order_by(col(Partnership.name_key))
    return list((await session.exec(query)).all())


def may_create_partnerships(actor: Actor, admin_role_name: str) -> bool:
    return (
        actor.manage_channels
        or actor.manage_guild
        or name_key(admin_role_name) in {name_key(r) for r in actor.role_names}
    )
