"""Shared reads: each written once, used by every feature.

Keyword-only functions that take ids and return rows. They never raise user errors and never
check permissions: deciding what a missing row means, and who may see it, is the caller's job
(the access gate in `bot/services/access/`, or the feature service).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import String, and_, bindparam, cast, func
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import REGCLASS
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db import ahead
from db.models import (
    Event,
    Membership,
    Organisation,
    PartnerOrganisation,
    Partnership,
    TrustAnswer,
    TrustRating,
    TrustRound,
    name_key,
)

Partner = tuple[PartnerOrganisation, Organisation]


# ---- ids

# The sequence by a parameter cast to its type: no quoted text in the SQL, so the read can go
# with others in one statement (`db.postgres_driver`).
_NEXT_ID = sa_select(func.nextval(cast(bindparam("sequence", type_=String), REGCLASS)))


def next_id_read(table: str) -> tuple[Any, dict[str, Any]]:
    """PostgreSQL: the next id of `table` (from its serial's sequence, `<table>_id_seq`), as a
    read that can go with others (`db.ahead.read_ahead`). A row whose id is known before its
    INSERT needs nothing back from it, so the INSERT can wait for the transaction's next
    statement (`db.ahead.write_behind`). An id taken and not used leaves a gap in the ids, as
    a rolled-back INSERT does."""
    return _NEXT_ID, {"sequence": f"{table}_id_seq"}


async def next_id(session: AsyncSession, table: str) -> int | None:
    """`next_id_read`'s id on PostgreSQL; None on SQLite, which has no sequences (its INSERT
    returns the id, and its writes go to its thread in one trip anyway)."""
    if (await session.connection()).dialect.name != "postgresql":
        return None
    statement, params = next_id_read(table)
    return int((await session.exec(statement, params=params)).scalar_one())


# ---- partnerships


#: A row lock to take with a read: None, "update" (exclusive) or "share".
Lock = str | None


def locked(statement: Any, lock: Lock) -> Any:
    """`statement`, locking the rows it reads (PostgreSQL's FOR UPDATE or FOR SHARE) and
    reading them afresh, past what the session holds, once the lock is held."""
    if lock is None:
        return statement
    return statement.with_for_update(read=lock == "share").execution_options(populate_existing=True)


# The partnership by name or by channel, built once for each lock (building a statement costs
# more than running it); only the values change.
_NAMED = {
    lock: locked(
        select(Partnership).where(
            col(Partnership.guild_id) == bindparam("guild_id"),
            col(Partnership.name_key) == bindparam("key"),
        ),
        lock,
    )
    for lock in (None, "update", "share")
}
_IN_CHANNELS = {
    lock: locked(
        select(Partnership).where(
            col(Partnership.guild_id) == bindparam("guild_id"),
            col(Partnership.channel_id).in_(bindparam("key", expanding=True)),
        ),
        lock,
    )
    for lock in (None, "update", "share")
}


_LOCKED_BY_ID = {
    lock: locked(select(Partnership).where(col(Partnership.id) == bindparam("key")), lock)
    for lock in ("update", "share")
}


async def lock_partnership_row(session: AsyncSession, *, partnership_id: int, lock: str) -> None:
    """Lock the partnership's row (`lock`: "update" or "share") and read it afresh into the
    session's object, if it holds one."""
    await session.exec(_LOCKED_BY_ID[lock], params={"key": partnership_id})


async def partnership_named(
    session: AsyncSession, *, guild_id: int, name: str, lock: Lock = None
) -> Partnership | None:
    """The partnership by name; `lock` as in `locked`."""
    params = {"guild_id": guild_id, "key": name_key(name)}
    return (await session.exec(_NAMED[lock], params=params)).first()


def _partnership_with_membership(which: Any) -> Any:
    return (
        select(Partnership, Membership)
        .join(
            Membership,
            and_(
                col(Membership.partnership_id) == col(Partnership.id),
                col(Membership.user_id) == bindparam("user_id"),
                col(Membership.left_at).is_(None),
            ),
            isouter=True,
        )
        .where(col(Partnership.guild_id) == bindparam("guild_id"), which)
    )


# Every command reads its partnership this way: the statements are built once (building one
# costs more than running it), only the values change.
_BY_ID = _partnership_with_membership(col(Partnership.id) == bindparam("key"))
_BY_NAME = _partnership_with_membership(col(Partnership.name_key) == bindparam("key"))
_BY_CHANNEL = _partnership_with_membership(
    col(Partnership.channel_id).in_(bindparam("key", expanding=True))
)


async def partnership_with_membership(
    session: AsyncSession,
    *,
    guild_id: int,
    user_id: int,
    name: str | None = None,
    channel_ids: Sequence[int] = (),
    partnership_id: int | None = None,
) -> tuple[Partnership, Membership | None] | None:
    """The partnership by id, by name (`partnership_named`) or by channel
    (`partnership_in_channels`), with `user_id`'s current membership of it, in one statement."""
    read = partnership_with_membership_read(
        guild_id=guild_id,
        user_id=user_id,
        name=name,
        channel_ids=channel_ids,
        partnership_id=partnership_id,
    )
    return await partnership_with_membership_by(session, read) if read is not None else None


async def partnership_with_membership_by(
    session: AsyncSession, read: tuple[Any, dict[str, Any]]
) -> tuple[Partnership, Membership | None] | None:
    """`partnership_with_membership`, from its read (`partnership_with_membership_read`)."""
    statement, params = read
    row = (await session.exec(statement, params=params)).first()
    return (row[0], row[1]) if row is not None else None


def partnership_with_membership_read(
    *,
    guild_id: int,
    user_id: int,
    name: str | None = None,
    channel_ids: Sequence[int] = (),
    partnership_id: int | None = None,
) -> tuple[Any, dict[str, Any]] | None:
    """The statement and values `partnership_with_membership` runs (for
    `db.ahead.read_ahead`), or None when it would run none."""
    key: Any
    if partnership_id is not None:
        statement, key = _BY_ID, partnership_id
    elif name is not None:
        statement, key = _BY_NAME, name_key(name)
    elif channel_ids:
        statement, key = _BY_CHANNEL, list(channel_ids)
    else:
        return None
    return statement, {"guild_id": guild_id, "user_id": user_id, "key": key}


async def partnership_in_channels(
    session: AsyncSession, *, guild_id: int, channel_ids: Sequence[int], lock: Lock = None
) -> Partnership | None:
    """The partnership whose channel is one of `channel_ids` (a channel, or a thread's parent);
    `lock` as in `locked`."""
    if not channel_ids:
        return None
    params = {"guild_id": guild_id, "key": list(channel_ids)}
    return (await session.exec(_IN_CHANNELS[lock], params=params)).first()


# ---- memberships


_ACTIVE_MEMBERSHIP = select(Membership).where(
    col(Membership.partnership_id) == bindparam("partnership_id"),
    col(Membership.user_id) == bindparam("user_id"),
    col(Membership.left_at).is_(None),
)


async def active_membership(
    session: AsyncSession, *, partnership_id: int, user_id: int
) -> Membership | None:
    statement, params = active_membership_read(partnership_id=partnership_id, user_id=user_id)
    return (await session.exec(statement, params=params)).first()


def active_membership_read(*, partnership_id: int, user_id: int) -> tuple[Any, dict[str, Any]]:
    """The statement and values `active_membership` runs (for `db.ahead.read_ahead`)."""
    return _ACTIVE_MEMBERSHIP, {"partnership_id": partnership_id, "user_id": user_id}


_ACTIVE_MEMBERS = (
    select(Membership, Organisation)
    .join(Organisation, col(Organisation.id) == col(Membership.organisation_id), isouter=True)
    .where(
        col(Membership.partnership_id) == bindparam("partnership_id"),
        col(Membership.left_at).is_(None),
    )
    .order_by(col(Membership.id))
)


def active_members_read(*, partnership_id: int) -> tuple[Any, dict[str, Any]]:
    """The statement and values `active_members` runs (for `db.ahead.read_ahead`)."""
    return _ACTIVE_MEMBERS, {"partnership_id": partnership_id}


async def active_members(
    session: AsyncSession, *, partnership_id: int
) -> list[tuple[Membership, Organisation | None]]:
    """Current members with the organisation each speaks for (None in their own capacity)."""
    rows = await session.exec(_ACTIVE_MEMBERS, params={"partnership_id": partnership_id})
    return list(rows.all())


async def convener_user_ids(session: AsyncSession, *, partnership_id: int) -> list[int]:
    """Current conveners, in the order they joined."""
    rows = await session.exec(
        select(Membership.user_id)
        .where(
            Membership.partnership_id == partnership_id,
            col(Membership.left_at).is_(None),
            col(Membership.is_convener).is_(True),
        )
        .order_by(col(Membership.id))
    )
    return list(rows.all())


async def convening_partnership_ids(
    session: AsyncSession, *, user_id: int, partnership_ids: Sequence[int]
) -> set[int]:
    """Which of `partnership_ids` this person currently convenes."""
    if not partnership_ids:
        return set()
    rows = await session.exec(
        select(Membership.partnership_id).where(
            Membership.user_id == user_id,
            col(Membership.left_at).is_(None),
            col(Membership.is_convener).is_(True),
            col(Membership.partnership_id).in_(partnership_ids),
        )
    )
    return set(rows.all())


async def count_other_conveners(
    session: AsyncSession, *, partnership_id: int, excluding_membership_id: int | None
) -> int:
    return (
        await session.exec(
            select(func.count())
            .select_from(Membership)
            .where(
                Membership.partnership_id == partnership_id,
                col(Membership.left_at).is_(None),
                col(Membership.is_convener).is_(True),
                Membership.id != excluding_membership_id,
            )
        )
    ).one()


# ---- organisations and partners


async def organisation_named(
    session: AsyncSession, *, guild_id: int, name: str
) -> Organisation | None:
    return (
        await session.exec(
            select(Organisation).where(
                Organisation.guild_id == guild_id, Organisation.name_key == name_key(name)
            )
        )
    ).first()


def _partners(*, include_former: bool) -> Any:
    query = (
        select(PartnerOrganisation, Organisation)
        .join(Organisation, col(Organisation.id) == col(PartnerOrganisation.organisation_id))
        .where(col(PartnerOrganisation.partnership_id) == bindparam("partnership_id"))
        .order_by(col(Organisation.name_key))
    )
    return query if include_former else query.where(col(PartnerOrganisation.left_at).is_(None))


_PARTNERS = {former: _partners(include_former=former) for former in (False, True)}


def partners_read(
    *, partnership_id: int, include_former: bool = False
) -> tuple[Any, dict[str, Any]]:
    """The statement and values `partners` runs (for `db.ahead.read_ahead`)."""
    return _PARTNERS[include_former], {"partnership_id": partnership_id}


async def partners(
    session: AsyncSession, *, partnership_id: int, include_former: bool = False
) -> list[Partner]:
    """The partnership's partner organisations (current ones unless `include_former`), by name."""
    statement, params = partners_read(partnership_id=partnership_id, include_former=include_former)
    rows = await session.exec(statement, params=params)
    return list(rows.all())


class PartnerRow(NamedTuple):
    """A current partner organisation as a goal web reads it: plain values, no ORM objects."""

    organisation_id: int
    name: str
    status: str
    joined_at: datetime


_PO = PartnerOrganisation.__table__  # type: ignore[attr-defined]
_ORG = Organisation.__table__  # type: ignore[attr-defined]
# `partners`' current partners, by name, on the tables' columns (a core SELECT: no ORM objects,
# and nothing pending is flushed first). Built once.
_PARTNER_ROWS: Any = (
    sa_select(_ORG.c.id, _ORG.c.name, _PO.c.status, _PO.c.joined_at)
    .join(_ORG, _ORG.c.id == _PO.c.organisation_id)
    .where(_PO.c.partnership_id == bindparam("partnership_id"), _PO.c.left_at.is_(None))
    .order_by(_ORG.c.name_key)
)


def partner_rows_read(*, partnership_id: int) -> tuple[Any, dict[str, Any]]:
    """The statement and values `partner_rows` runs (for `db.ahead.read_ahead`)."""
    return _PARTNER_ROWS, {"partnership_id": partnership_id}


async def partner_rows(session: AsyncSession, *, partnership_id: int) -> list[PartnerRow]:
    """The partnership's current partner organisations, by name, as `PartnerRow`s."""
    statement, params = partner_rows_read(partnership_id=partnership_id)
    return [PartnerRow(*row) for row in await ahead.rows(session, statement, params)]


async def active_partner_named(
    session: AsyncSession, *, partnership_id: int, guild_id: int, name: str
) -> Partner | None:
    """A current partner organisation of the partnership, by name in any case."""
    return (
        await session.exec(
            select(PartnerOrganisation, Organisation)
            .join(Organisation, col(Organisation.id) == col(PartnerOrganisation.organisation_id))
            .where(
                PartnerOrganisation.partnership_id == partnership_id,
                Organisation.guild_id == guild_id,
                Organisation.name_key == name_key(name),
                col(PartnerOrganisation.left_at).is_(None),
            )
        )
    ).first()


async def active_partner_of(
    session: AsyncSession, *, partnership_id: int, organisation_id: int
) -> Partner | None:
    """The organisation's current partner link to the partnership, if it is a partner now."""
    return (
        await session.exec(
            select(PartnerOrganisation, Organisation)
            .join(Organisation, col(Organisation.id) == col(PartnerOrganisation.organisation_id))
            .where(
                PartnerOrganisation.partnership_id == partnership_id,
                PartnerOrganisation.organisation_id == organisation_id,
                col(PartnerOrganisation.left_at).is_(None),
            )
        )
    ).first()


async def organisation_names(session: AsyncSession, *, ids: Sequence[int]) -> dict[int, str]:
    """Organisations' names by id."""
    if not ids:
        return {}
    rows = await session.exec(
        select(Organisation.id, Organisation.name).where(col(Organisation.id).in_(list(ids)))
    )
    return {org_id: name for org_id, name in rows.all() if org_id is not None}


# ---- trust check-ins


_OPEN_TRUST_ROUND = (
    select(TrustRound)
    .where(
        col(TrustRound.partnership_id) == bindparam("partnership_id"),
        col(TrustRound.closed_at).is_(None),
    )
    .order_by(col(TrustRound.id).desc())
)


async def open_trust_round(session: AsyncSession, *, partnership_id: int) -> TrustRound | None:
    """The partnership's check-in round that has not closed yet, if any."""
    statement, params = open_trust_round_read(partnership_id=partnership_id)
    return (await session.exec(statement, params=params)).first()


def open_trust_round_read(*, partnership_id: int) -> tuple[Any, dict[str, Any]]:
    """The statement and values `open_trust_round` runs (for `db.ahead.read_ahead`)."""
    return _OPEN_TRUST_ROUND, {"partnership_id": partnership_id}


async def trust_rounds_have_answers(session: AsyncSession, *, partnership_id: int) -> bool:
    """Whether any check-in round of the partnership has an answer or a rating (the anonymity
    threshold may be lowered only until then)."""
    rounds = select(TrustRound.id).where(TrustRound.partnership_id == partnership_id)
    for model in (TrustAnswer, TrustRating):
        found = (
            await session.exec(
                select(model.id).where(col(model.round_id).in_(rounds.scalar_subquery())).limit(1)
            )
        ).first()
        if found is not None:
            return True
    return False


# The log entry that closes an action (`bot.services.notes`), naming it by `action_id`.
ACTION_CLOSED = "note.action_done"


async def closed_actions(
    session: AsyncSession,
    *,
    guild_id: int,
    partnership_id: int,
    until: datetime | None = None,
) -> dict[int, datetime]:
    """{action's log entry id: when it was closed} for the partnership's actions closed (by
    `until`, if given). An action's state is derived from the log: done once a close names it."""
    query = select(Event.payload, Event.occurred_at).where(
        Event.guild_id == guild_id,
        Event.partnership_id == partnership_id,
        Event.kind == ACTION_CLOSED,
    )
    if until is not None:
        query = query.where(Event.occurred_at <= until)
    return closed_from((await session.exec(query.order_by(col(Event.occurred_at)))).all())


def closed_from(
    closes: Iterable[tuple[Mapping[str, Any] | None, datetime]],
) -> dict[int, datetime]:
    """`closed_actions` from the close entries' payloads and times, oldest first (for a reader
    that has read them with other entries)."""
    closed: dict[int, datetime] = {}
    for payload, at in closes:
        action = (payload or {}).get("action_id")
        if action is not None:
            closed.setdefault(int(action), at)
    return closed
