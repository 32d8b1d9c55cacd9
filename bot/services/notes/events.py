"""What a note writes in the partnership log: its sentence and its payload, one function a kind.

Notes are events themselves (`note.note`, `note.decision`, `note.action`, `note.small_win`,
`note.risk`); closing an action is a new event (`note.action_done`) naming the action's event,
so the log stays append-only and an action's state is derived from it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import log
from bot.services.access import Actor
from bot.services.notes.views import NoteDraft
from bot.services.notes.vocab import ACTION_DONE, ARTICLE, NoteKind, event_kind
from bot.services.text import jsonable, name_of
from db.models import Event, Partnership


def noted_summary(actor: Actor, draft: NoteDraft) -> str:
    who = name_of(actor.display_name)
    kind = NoteKind(draft.kind)
    if kind == NoteKind.note:
        sentence = f"{who} noted: “{draft.text}”."
    elif kind == NoteKind.action:
        sentence = (
            f"{who} recorded an action for {name_of(draft.owner_name)}, due "
            f"{draft.due.isoformat() if draft.due else 'unset'}: “{draft.text}”."
        )
    else:
        sentence = f"{who} recorded {ARTICLE[kind]}: “{draft.text}”."
    if draft.goal_id is not None:
        sentence += f" It concerns goal #{draft.goal_id} “{draft.goal_title}”."
    if draft.review_on is not None:
        sentence += f" It is to be reviewed on {draft.review_on.isoformat()}."
    if draft.phase is not None:
        sentence += f" It concerns the {draft.phase} phase of co-production."
    return sentence


def noted_payload(
    draft: NoteDraft, link: str | None, meeting_id: int | None = None
) -> dict[str, Any]:
    return {
        "text": draft.text,
        "goal_id": draft.goal_id,
        "goal_title": draft.goal_title,
        "review_on": jsonable(draft.review_on),
        "owner_id": draft.owner_id,
        "owner_name": draft.owner_name,
        "due": jsonable(draft.due),
        # A small win's co-production phase; None: not said.
        "phase": draft.phase,
        "message_link": link,
        # The meeting open when it was logged (`bot.services.meetings`), if any.
        "meeting_id": meeting_id,
    }


async def noted(
    session: AsyncSession,
    partnership: Partnership,
    actor: Actor,
    draft: NoteDraft,
    link: str | None,
    *,
    at: datetime,
    meeting_id: int | None = None,
) -> Event:
    return await log.record(
        session,
        partnership,
        event_kind(draft.kind),
        noted_summary(actor, draft),
        actor_id=actor.user_id,
        payload=noted_payload(draft, link, meeting_id),
        message_link=link,
        at=at,
    )


async def action_done(
    session: AsyncSession,
    partnership: Partnership,
    actor: Actor,
    action: Event,
    text: str,
    *,
    at: datetime,
) -> Event:
    """`text` is the action's text as it may be read now (its marker, once removed)."""
    return await log.record(
        session,
        partnership,
        ACTION_DONE,
        f"{name_of(actor.display_name)} closed action #{action.id}: “{text}”.",
        actor_id=actor.user_id,
        payload={"action_id": action.id, "text": text, "owner_id": action.payload.get("owner_id")},
        message_link=action.message_link,
        at=at,
    )
