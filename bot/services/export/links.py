"""Where a record was posted, as the log recorded it.

Exports link a goal to its card and a prompt to its post through the message link the log
stored when they were posted, never rebuilt from today's server and channel: a partnership moved
to another server (`partnerbot import`) keeps links to where its messages really are.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import Event, Partnership

# The log entries that carry a goal's card link.
GOAL_LINKED_KINDS = (
    "goal.proposed",
    "goal.shared",
    "goal.stance",
    "goal.updated",
    "goal.agreed",
)


async def logged_links(
    session: AsyncSession, p: Partnership, *, kinds: Sequence[str], key: str
) -> dict[int, str]:
    """{record id: the latest message link logged for it} over entries of `kinds` whose payload
    names the record under `key`."""
    rows = (
        await session.exec(
            select(Event.payload, Event.message_link)
            .where(
                Event.guild_id == p.guild_id,
                Event.partnership_id == p.id,
                col(Event.kind).in_(list(kinds)),
                col(Event.message_link).is_not(None),
            )
            .order_by(col(Event.occurred_at), col(Event.id))
        )
    ).all()
    found: dict[int, str] = {}
    for payload, link in rows:
        record = (payload or {}).get(key)
        if isinstance(record, int) and link:
            found[record] = link
    return found
