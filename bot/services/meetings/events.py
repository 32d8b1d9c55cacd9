"""What a meeting writes in the partnership log, and how the open meeting is read back from it.

`meeting.started` (payload: title, message link), `meeting.attended` (meeting id, user,
organisation) and `meeting.ended` (meeting id). The log is append-only, so a meeting's state is
derived: open while no `meeting.ended` names its `meeting.started`.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import log
from bot.services.access import Actor
from bot.services.text import name_of
from db.models import Event, Partnership

STARTED = "meeting.started"
ATTENDED = "meeting.attended"
ENDED = "meeting.ended"
OWN_CAPACITY_LABEL = "own capacity"


async def open_meeting(session: AsyncSession, partnership: Partnership) -> Event | None:
    """The partnership's open meeting: its latest `meeting.started`, unless a `meeting.ended`
    names it. Only one meeting is open at a time, so the latest start is the only candidate."""
    found = await log.events(session, partnership, kinds=[STARTED], newest_first=True, limit=1)
    latest = found[0] if found else None
    if latest is None:
        return None
    ends = await _since(session, partnership, ENDED, latest)
    return None if any(e.payload.get("meeting_id") == latest.id for e in ends) else latest


async def attendees(session: AsyncSession, partnership: Partnership, meeting: Event) -> list[Event]:
    """The `meeting.attended` events of one meeting, in the order people arrived."""
    rows = await _since(session, partnership, ATTENDED, meeting)
    return [e for e in rows if e.payload.get("meeting_id") == meeting.id]


async def during(session: AsyncSession, partnership: Partnership, meeting: Event) -> list[Event]:
    """The notes that belong to a meeting (their payload names it), oldest first."""
    query = (
        select(Event)
        .where(
            Event.guild_id == partnership.guild_id,
            Event.partnership_id == partnership.id,
            col(Event.kind).startswith("note."),
            Event.occurred_at >= meeting.occurred_at,
        )
        .order_by(col(Event.occurred_at), col(Event.id))
    )
    rows = (await session.exec(query)).all()
    return [e for e in rows if e.payload.get("meeting_id") == meeting.id]


async def _since(
    session: AsyncSession, partnership: Partnership, kind: str, meeting: Event
) -> list[Event]:
    query = (
        select(Event)
        .where(
            Event.guild_id == partnership.guild_id,
            Event.partnership_id == partnership.id,
            Event.kind == kind,
            Event.occurred_at >= meeting.occurred_at,
        )
        .order_by(col(Event.occurred_at), col(Event.id))
    )
    return list((await session.exec(query)).all())


async def started(
    session: AsyncSession,
    partnership: Partnership,
    actor: Actor,
    title: str,
    link: str | None,
    *,
    at: datetime,
) -> Event:
    return await log.record(
        session,
        partnership,
        STARTED,
        f"{name_of(actor.display_name)} started the meeting “{title}”.",
        actor_id=actor.user_id,
        payload={"title": title, "message_link": link},
        message_link=link,
        at=at,
    )


async def attended(
    session: AsyncSession,
    partnership: Partnership,
    actor: Actor,
    meeting: Event,
    organisation_id: int | None,
    organisation: str,
    *,
    at: datetime,
) -> Event:
    title = str(meeting.payload.get("title") or "")
    return await log.record(
        session,
        partnership,
        ATTENDED,
        f"{name_of(actor.display_name)} attended the meeting “{title}” ({organisation}).",
        actor_id=actor.user_id,
        payload={
            "meeting_id": meeting.id,
            "user_id": actor.user_id,
            "display_name": actor.display_name,
            "organisation_id": organisation_id,
            "organisation": organisation,
        },
        message_link=meeting.message_link,
        at=at,
    )


async def ended(
    session: AsyncSession, partnership: Partnership, actor: Actor, meeting: Event, *, at: datetime
) -> Event:
    title = str(meeting.payload.get("title") or "")
    return await log.record(
        session,
        partnership,
        ENDED,
        f"{name_of(actor.display_name)} ended the meeting “{title}”.",
        actor_id=actor.user_id,
        payload={"meeting_id": meeting.id, "title": title},
        message_link=meeting.message_link,
        at=at,
    )
