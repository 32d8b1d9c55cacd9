"""Who may see and do what: the one gate. Decided in this package, once, for every command,
view and scheduled action.

`authorize` is the one gate: every service calls it (or `resolve`, which finds the partnership a
command names first) and asks the `Access` it returns what the actor is there. No service checks
membership, convener or "speaks for" itself.

- People with Manage Server act as conveners of every partnership in their server.
- Conveners (a flag on a membership) configure, archive, manage partners and members.
- Active members read, propose and answer.
- Anyone else learns nothing, not even whether a partnership of that name exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import Forbidden, NotFound, UserFacingError
from bot.services.vocab import SPEAKS_FOR_ORGANISATION, Capacity
from db import queries
from db.ahead import read_ahead
from db.engine import WRITE_OPTION
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
    """What the actor is in one partnership: found and checked by `authorize`, once."""

    actor: Actor
    partnership: Partnership
    membership: Membership | None  # None for a server manager who is not a member

    @property
    def partnership_id(self) -> int:
        assert self.partnership.id is not None
        return self.partnership.id

    @property
    def is_convener(self) -> bool:
        """A convener by the flag on their membership."""
        return self.membership is not None and self.membership.is_convener

    @property
    def may_convene(self) -> bool:
        """May act as a convener: a convener, or anyone with Manage Server."""
        return self.actor.manage_guild or self.is_convener

    @property
    def organisation_id(self) -> int | None:
        """The organisation this person speaks for here, as representative or substitute."""
        member = self.membership
        if member is None or member.capacity not in SPEAKS_FOR_ORGANISATION:
            return None
        return member.organisation_id

    @property
    def is_facilitator(self) -> bool:
        """A member with capacity facilitator: represents no organisation, answers no check-in,
        and may read named pairs of rounds opened with `named_pairs`."""
        return self.membership is not None and self.membership.capacity == Capacity.facilitator

    def speaks_for(self, organisation_id: int | None) -> bool:
        """Whether this person is the organisation's representative or substitute here."""
        return organisation_id is not None and self.organisation_id == organisation_id

    def owns(self, *, organisation_id: int | None, user_id: int | None) -> bool:
        """Whether this person speaks for the owner of a record owned by an organisation (its
        representative or substitute) or by a person (that person, as a current member).
        A record with neither owner (the whole collaboration's) is owned by nobody."""
        if organisation_id is not None:
            return self.speaks_for(organisation_id)
        return (
            user_id is not None
            and self.membership is not None
            and self.membership.user_id == user_id
        )

    def check_writable(self, changing: str = "it") -> None:
        """Refuse a change in an archived partnership; `changing` says what would have changed
        ("it", "its goals"). `authorize(writable=True)` asks this; a service that must first
        find the record a command names asks it afterwards, so "not found" still comes first."""
        if self.partnership.is_archived:
            raise UserFacingError(
                f"{self.partnership.name} is archived, so {changing} can't be changed. "
                "Its channel and history are kept."
            )


def not_found(name: str | None) -> NotFound:
    if name:
        return NotFound(f"I can't find a partnership called “{name}” that you belong to.")
    return NotFound("I can't find that partnership among the ones you belong to.")


NO_PARTNERSHIP_HERE = (
    "Which partnership? Use this command in a partnership's channel, "
    "or choose one with the `partnership` option."
)


async def find(
    session: AsyncSession, guild_id: int, ref: PartnershipRef, *, lock: queries.Lock = None
) -> Partnership | None:
    """The partnership a command means, by name or by where it was used. No permission check.
    `lock`: its row locked in the same statement (`queries.Lock`)."""
    if ref.name and ref.name.strip():
        return await queries.partnership_named(session, guild_id=guild_id, name=ref.name, lock=lock)
    return await queries.partnership_in_channels(
        session, guild_id=guild_id, channel_ids=ref.where.channel_ids, lock=lock
    )


class Unread:
    """`authorize`'s membership when it was not read beforehand."""


UNREAD = Unread()


async def authorize(
    session: AsyncSession,
    actor: Actor,
    partnership: Partnership,
    *,
    convener: bool = False,
    writable: bool = False,
    changing: str = "it",
    speaks_for: int | None = None,
    named: str | None = None,
    shared_lock: bool = False,
    membership: Membership | Unread | None = UNREAD,
    locked: bool = False,
) -> Access:
    """Check the actor may act on `partnership`, and say what they are there.

    - Non-members (without Manage Server) get the same answer as for a partnership that does
      not exist: they learn nothing, not even its name. `named` is the name they typed, if any.
    - `convener`: only conveners (or Manage Server holders) may do it.
    - `writable`: it changes something, so an archived partnership refuses it; `changing` says
      what would have changed ("it", "its goals").
    - `speaks_for`: only that organisation's representative or substitute may do it.
    - `shared_lock`: in a write, the partnership is locked shared (`lock`): for writes that
      change only the actor's own rows.
    - `membership`: the actor's current membership, when it was read with the partnership
      (`resolve`, where no lock is taken between the two).
    - `locked`: in a write, the partnership was read with its lock already (`resolve`).
    """
    if partnership.guild_id != actor.guild_id:
        raise not_found(named)
    assert partnership.id is not None
    if isinstance(membership, Unread):
        if not locked and await in_write_transaction(session):
            await lock(session, partnership, shared=shared_lock)
        membership = await queries.active_membership(
            session, partnership_id=partnership.id, user_id=actor.user_id
        )
    if membership is None and not actor.manage_guild:
        if named:
            raise not_found(named)
        raise NotFound("This channel belongs to a partnership you are not a member of.")
    access = Access(actor, partnership, membership)
    if convener and not access.may_convene:
        raise Forbidden(f"Only the conveners of {partnership.name} can do that.")
    if speaks_for is not None and not access.speaks_for(speaks_for):
        raise Forbidden(
            "Only that organisation's representative or substitute in "
            f"{partnership.name} can do that."
        )
    if writable:
        access.check_writable(changing)
    return access


async def in_write_transaction(session: AsyncSession) -> bool:
    """Whether `session` runs a write transaction (`db.engine.transaction`)."""
    connection = (await session.connection()).sync_connection
    return connection is not None and bool(connection.get_execution_options().get(WRITE_OPTION))


async def lock(session: AsyncSession, partnership: Partnership, *, shared: bool = False) -> None:
    """Serialise a partnership's writes: hold its row until the transaction ends, then read it
    afresh (it may have changed while we waited).

    Every write on a partnership passes the gate (or takes the lock itself, `lock_partnership`),
    so every write takes this lock first, and one partnership's read-check-write rules (the
    last convener, a schedule's holidays, one membership per person) hold on PostgreSQL as on
    SQLite, where writers already queue. A write touching two rows of a partnership (two
    goals) locks the partnership before either, so two such writes can't deadlock. SQLite has
    no row locks, and needs none: its writers hold the whole database from BEGIN IMMEDIATE.

    `shared`: a write that changes only its author's own rows (a check-in answer) takes the
    lock shared, so hundreds of them go side by side, while still waiting for, and holding
    off, a write that changes the partnership's state (closing the round).
    """
    assert partnership.id is not None
    await lock_partnership(session, partnership.id, shared=shared)


async def lock_partnership(
    session: AsyncSession, partnership_id: int, *, shared: bool = False
) -> None:
    """`lock` by the partnership's id: for a write reached through one of its records without
    the gate (`GoalService.attach_message`)."""
    if (await session.connection()).dialect.name == "sqlite":
        return  # its writers hold the database from BEGIN: what they read is current
    # One statement locks the row and reads it afresh (into the session's object, if held).
    await queries.lock_partnership_row(
        session, partnership_id=partnership_id, lock="share" if shared else "update"
    )


async def resolve(
    session: AsyncSession,
    actor: Actor,
    ref: PartnershipRef,
    *,
    convener: bool = False,
    writable: bool = False,
    changing: str = "it",
    shared_lock: bool = False,
    ahead: Sequence[tuple[Any, dict[str, Any]]] = (),
    last: bool = False,
    ahead_under_lock: bool = False,
) -> Access:
    """Find the partnership a command means (`find`) and check the actor may use it
    (`authorize`).

    `ahead`: reads the command expects to make next (what it read after the gate the last
    time it named this partnership so, `AheadPlans`), sent with the gate's own read, in one
    trip (`db.ahead.read_ahead`, `last` as there). What they read is used only if
    the command then runs those very statements with those very values, after the gate has let
    it in: a guess that no longer holds (the partnership renamed, a setting changed) costs a
    trip, never a wrong answer. A write that locks the partnership (PostgreSQL) sends them with
    the membership's read, once the lock is held, when `ahead_under_lock` says they come next
    there too (no other lock is taken before them)."""
    named = ref.name if ref.name and ref.name.strip() else None
    membership: Membership | Unread | None = UNREAD
    locked = await _locks_rows(session)
    if locked:
        # The partnership is found and locked in one statement (it is read afresh once the
        # lock is held); the membership is read after, under the lock.
        partnership = await find(
            session, actor.guild_id, ref, lock="share" if shared_lock else "update"
        )
        if partnership is not None and partnership.id is not None and ahead_under_lock:
            held = queries.active_membership_read(
                partnership_id=partnership.id, user_id=actor.user_id
            )
            await read_ahead(session, [held, *ahead])
    else:
        gate = queries.partnership_with_membership_read(
            guild_id=actor.guild_id,
            user_id=actor.user_id,
            name=named,
            channel_ids=() if named else ref.where.channel_ids,
        )
        found = None
        if gate is not None:
            if ahead:
                await read_ahead(session, [gate, *ahead], last=last)
            found = await queries.partnership_with_membership_by(session, gate)
        partnership, membership = found if found is not None else (None, UNREAD)
    if partnership is None:
        if named:
            raise not_found(named)
        raise UserFacingError(NO_PARTNERSHIP_HERE)
    return await authorize(
        session,
        actor,
        partnership,
        convener=convener,
        writable=writable,
        changing=changing,
        named=named,
        shared_lock=shared_lock,
        membership=membership,
        locked=locked,
    )


async def _locks_rows(session: AsyncSession) -> bool:
    """Whether `authorize` will lock the partnership's row (a write, on PostgreSQL)."""
    connection = await session.connection()
    return connection.dialect.name != "sqlite" and await in_write_transaction(session)


async def authorize_by_id(
    session: AsyncSession, actor: Actor, partnership_id: int, **checks: Any
) -> Access | None:
    """`authorize` for a partnership reached through one of its records (a goal, a post),
    or None when the actor may not see it, whatever the reason."""
    membership: Membership | Unread | None = UNREAD
    if await _locks_rows(session):
        partnership = await session.get(Partnership, partnership_id)
    else:
        found = await queries.partnership_with_membership(
            session, guild_id=actor.guild_id, user_id=actor.user_id, partnership_id=partnership_id
        )
        partnership, membership = found if found is not None else (None, UNREAD)
    if partnership is None or partnership.guild_id != actor.guild_id:
        return None
    try:
        return await authorize(session, actor, partnership, membership=membership, **checks)
    except NotFound:
        return None


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


async def convened_partnerships(session: AsyncSession, actor: Actor) -> dict[int, Partnership]:
    """The open partnerships this person may act on as a convener, by id: every one in the
    server for Manage Server holders, else those whose membership carries the flag."""
    visible = {
        p.id: p
        for p in await visible_partnerships(session, actor, include_archived=False)
        if p.id is not None
    }
    if actor.manage_guild:
        return visible
    convening = await queries.convening_partnership_ids(
        session, user_id=actor.user_id, partnership_ids=list(visible)
    )
    return {pid: p for pid, p in visible.items() if pid in convening}


def require_convener(access: Access, doing: str) -> None:
    """Only conveners may do this; `doing` completes "Only the conveners of X can …"."""
    if not access.may_convene:
        raise Forbidden(f"Only the conveners of {access.partnership.name} can {doing}.")
