"""The partnership log: one append-only table that every feature writes to and every view reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import Event, Partnership, stored

# On the table, not the mapped class: an ORM-enabled INSERT goes through the unit of work's
# bulk path, which copies and re-keys the statement on every call (half the cost of a write's
# log entry); this one is compiled once and cached.
_EVENTS = Event.__table__  # type: ignore[attr-defined]
_INSERT = insert(_EVENTS).returning(_EVENTS.c.id)


async def record(
    session: AsyncSession,
    partnership: Partnership,
    kind: str,
    summary: str,
    *,
    actor_id: int | None,
    payload: dict[str, Any] | None = None,
    message_link: str | None = None,
    at: datetime,
) -> Event:
    """Append an event in the caller's transaction, so it lands with the change or not at all.

    `at` is the service's clock reading (time is injected one way, see `bot.services.clock`).
    """
    assert partnership.id is not None
    values: dict[str, Any] = {
        "guild_id": partnership.guild_id,
        "partnership_id": partnership.id,
        "kind": kind,
        "actor_id": actor_id,
        "occurred_at": at,
        "summary": summary,
        "payload": payload or {},
        "message_link": message_link,
    }
    # One INSERT … RETURNING, not the unit of work's flush: the log is written on every change.
    # The entry is never changed afterwards (the table refuses it), so the returned object
    # needs no session.
    event_id = (await session.exec(_INSERT, params=values)).scalar_one()
    return stored(Event, id=event_id, **values)


async def events(
    session: AsyncSession,
    partnership: Partnership,
    *,
    kinds: Sequence[str] | None = None,
    prefix: str | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> list[Event]:
    """Events of one partnership (scoped by server too), in the order they happened."""
    query = select(Event).where(
        Event.guild_id == partnership.guild_id, Event.partnership_id == partnership.id
    )
    if kinds:
        query = query.where(col(Event.kind).in_(list(kinds)))
    if prefix:
        query = query.where(col(Event.kind).startswith(prefix))
    if until is not None:
        query = query.where(Event.occurred_at <= until)
    order = (col(Event.occurred_at), col(Event.id))
    query = query.order_by(*(o.desc() for o in order)) if newest_first else query.order_by(*order)
    if limit is not None:
        query = query.limit(limit)
    return list((await session.exec(query)).all())
