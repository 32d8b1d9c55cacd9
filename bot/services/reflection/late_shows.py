"""Anonymous answers Discord did not take at once, shown late by a timer (`bot.timers`).

An anonymous answer to show is taken (`shown_at`) in the transaction of the answer that shows
it, and posted by the command right after. In that same transaction it gets a timer of kind
`reflect.show`, due `SHOW_RETRY` after it was taken (unique per answer and time, so adding it
again is harmless). When the timer fires, `show_late` hands the answer out again only if it has
no message yet, is still current, and its answer or its post's release is younger than
`SHOW_GIVE_UP`; otherwise the timer is skipped (the usual case: the command posted it). A post
that fails again is retried with the timer engine's back-off. The timer engine runs each timer
once, in one process, so no other claim is needed.

Answers waiting to be shown from before these timers existed get theirs when the bot starts
(`seed_timers`), for the servers the process holds.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import timers
from bot.services.reflection.views import Shown
from bot.services.reflection.visibility import Visibility
from db.models import PromptAnswer, PromptPost

SHOW_TIMER = "reflect.show"
# An answer taken to be shown without a message this long after is shown again.
SHOW_RETRY = timedelta(seconds=60)
# A show is tried again while its answer, or its post's release, is younger than this; after
# that (a thread or channel gone for days) it is left. The answer stays in exports.
SHOW_GIVE_UP = timedelta(days=2)


async def add_timer(
    session: AsyncSession, post: PromptPost, answer: PromptAnswer, *, taken_at: datetime
) -> None:
    """The answer's late show, in the caller's transaction (harmless twice)."""
    assert answer.id is not None
    await timers.add(
        session,
        SHOW_TIMER,
        answer.id,
        taken_at + SHOW_RETRY,
        guild_id=post.guild_id,
        partnership_id=post.partnership_id,
        now=taken_at,
    )


def _waiting(now: datetime) -> list[ColumnElement[bool]]:
    """An anonymous answer of a released, delivered post, still current, with no message, whose
    answer or release is recent enough to try."""
    recent = now - SHOW_GIVE_UP
    return [
        col(PromptAnswer.visibility) == Visibility.anonymous.value,
        col(PromptPost.released_at).is_not(None),
        col(PromptPost.message_id).is_not(None),
        col(PromptAnswer.replaced_at).is_(None),
        col(PromptAnswer.withdrawn_at).is_(None),
        col(PromptAnswer.message_id).is_(None),
        or_(col(PromptPost.released_at) >= recent, col(PromptAnswer.created_at) >= recent),
    ]


async def take(session: AsyncSession, answer_id: int, now: datetime) -> Shown | None:
    """The answer to post again, taken now; None when there is nothing left to show."""
    found = (
        await session.exec(
            select(PromptAnswer, PromptPost)
            .join(PromptPost, col(PromptPost.id) == col(PromptAnswer.post_id))
            .where(col(PromptAnswer.id) == answer_id, *_waiting(now))
        )
    ).first()
    if found is None:
        return None
    row, post = found
    where = post.thread_id or post.channel_id
    if where is None or row.id is None or post.id is None:
        return None
    row.shown_at = row.shown_at or now
    session.add(row)
    return Shown(row.id, post.id, post.guild_id, where, None, row.text, None)


async def seed_timers(
    session: AsyncSession, now: datetime, held: timers.Held = timers.holds_every_server
) -> int:
    """Timers for the answers waiting to be shown from before these timers existed, in the
    servers `held` keeps (idempotent): how many answers."""
    rows = (
        await session.exec(
            select(PromptAnswer, PromptPost)
            .join(PromptPost, col(PromptPost.id) == col(PromptAnswer.post_id))
            .where(*_waiting(now), held(col(PromptPost.guild_id)))
        )
    ).all()
    for answer, post in rows:
        await add_timer(session, post, answer, taken_at=answer.shown_at or answer.created_at)
    return len(rows)
