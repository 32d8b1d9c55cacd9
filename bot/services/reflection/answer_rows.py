"""Answer rows, below the commands of `answers.py`: a person's current answer, the post's
current answers, an answer's log entry (named, or with neither author nor words), what Discord
should show after an answer (the release at *k* organisations), and an answer's state in words.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import log
from bot.services.reflection import late_shows
from bot.services.reflection.views import Shown
from bot.services.reflection.visibility import Visibility, as_visibility, released
from bot.services.text import message_link
from bot.services.trust.privacy import group_of, shuffled, threshold
from db.models import Partnership, PromptAnswer, PromptPost

# The log entries an answer writes: given (named, or with neither author nor words), and the
# moment a post's anonymous answers began to be shown.
ANSWERED = "prompt.answered"
RELEASED = "prompt.released"


def article(visibility: Visibility) -> str:
    return "An anonymous" if visibility is Visibility.anonymous else "A private"


async def current_answer(
    session: AsyncSession, post: PromptPost, user_id: int
) -> PromptAnswer | None:
    """The person's current answer to the post: neither replaced nor withdrawn."""
    return (
        await session.exec(
            select(PromptAnswer)
            .where(
                PromptAnswer.post_id == post.id,
                PromptAnswer.user_id == user_id,
                col(PromptAnswer.replaced_at).is_(None),
                col(PromptAnswer.withdrawn_at).is_(None),
            )
            .order_by(col(PromptAnswer.id).desc())
        )
    ).first()


async def current_answers(session: AsyncSession, post: PromptPost) -> list[PromptAnswer]:
    return list(
        (
            await session.exec(
                select(PromptAnswer)
                .where(
                    PromptAnswer.post_id == post.id,
                    col(PromptAnswer.replaced_at).is_(None),
                    col(PromptAnswer.withdrawn_at).is_(None),
                )
                .order_by(col(PromptAnswer.id))
            )
        ).all()
    )


async def log_answer(
    session: AsyncSession,
    partnership: Partnership,
    post: PromptPost,
    answer: PromptAnswer,
    author: str,
    previous: PromptAnswer | None,
    now: datetime,
) -> None:
    """The answer's log entry: with its author and text when named; otherwise neither."""
    visibility = as_visibility(answer.visibility)
    about = f"the reflective prompt “{post.text}”"
    payload: dict[str, Any] = {"post_id": post.id, "theme": post.theme, "prompt": post.text}
    actor_id: int | None = None
    if visibility is Visibility.named:
        actor_id = answer.user_id
        payload.update(answer_id=answer.id, answer=answer.text)
        if previous is not None:
            payload["replaces_id"] = previous.id
            summary = f"{author} replaced their answer to {about}: {answer.text}"
        else:
            summary = f"{author} answered {about}: {answer.text}"
    else:
        payload.update(visibility=visibility.value, replaced=previous is not None)
        done = "replaced by its author" if previous is not None else "given"
        if visibility is Visibility.anonymous:
            k = threshold(partnership.anonymity_threshold)
            summary = (
                f"An anonymous answer to {about} was {done}. Anonymous answers are shown "
                f"without names once {k} organisations have answered."
            )
        else:
            done = "replaced by its author" if previous is not None else "kept"
            summary = f"A private answer to {about} was {done}: only its author can read it."
    await log.record(
        session,
        partnership,
        ANSWERED,
        summary,
        actor_id=actor_id,
        payload=payload,
        message_link=message_link(partnership.guild_id, post.channel_id, post.message_id),
        at=now,
    )


async def shows_after(
    session: AsyncSession,
    partnership: Partnership,
    post: PromptPost,
    answer: PromptAnswer,
    author: str,
    now: datetime,
) -> tuple[tuple[Shown, ...], bool, int]:
    """What Discord should show after this answer, whether the post's anonymous answers are
    released, and from how many organisations (or the own-capacity group) current answers come.
    Every answer returned to be posted is taken (`shown_at`) here, and an anonymous one gets
    the timer that shows it late if Discord does not take it now (`late_shows`)."""
    assert answer.id is not None and post.id is not None
    visibility = as_visibility(answer.visibility)
    guild_id = partnership.guild_id
    if visibility is Visibility.private:
        return (), False, 0
    if visibility is Visibility.named:
        channel_id = answer.channel_id or post.thread_id
        if channel_id is None:
            return (), False, 0
        answer.shown_at = answer.shown_at or now
        session.add(answer)
        shown = Shown(
            answer.id, post.id, guild_id, channel_id, answer.message_id, answer.text, author
        )
        return (shown,), False, 0
    current = await current_answers(session, post)
    groups = len({group_of(a.organisation_id) for a in current})
    where = post.thread_id or post.channel_id
    assert where is not None  # a delivered post has its channel
    if answer.message_id is not None and answer.channel_id is not None:
        # It replaced an answer already shown: that message shows the new words.
        edit = Shown(
            answer.id, post.id, guild_id, answer.channel_id, answer.message_id, answer.text, None
        )
        return (edit,), True, groups
    if post.released_at is None:
        k = threshold(partnership.anonymity_threshold)
        if not released((group_of(a.organisation_id) for a in current), k):
            return (), False, groups
        post.released_at = now
        session.add(post)
        await log.record(
            session,
            partnership,
            RELEASED,
            f"Answers to the reflective prompt “{post.text}” are now shown without names: "
            f"{groups} organisations have answered (at least {k} were needed; people in their "
            "own capacity count together as one).",
            actor_id=None,
            payload={
                "post_id": post.id,
                "theme": post.theme,
                "prompt": post.text,
                "organisations": groups,
                "k": k,
            },
            at=now,
        )
        batch = shuffled(a for a in current if a.shown_at is None)
    else:
        batch = [answer]
    shows = []
    for row in batch:
        assert row.id is not None
        row.shown_at = now
        session.add(row)
        await late_shows.add_timer(session, post, row, taken_at=now)
        shows.append(Shown(row.id, post.id, guild_id, where, None, row.text, None))
    return tuple(shows), True, groups


def answer_state(row: PromptAnswer, post: PromptPost, visibility: Visibility) -> str:
    """Where an answer of one's own stands, in a few words."""
    if visibility is Visibility.private:
        return "only you"
    if visibility is Visibility.anonymous:
        return "shown without names" if post.released_at is not None else "waiting"
    return "shared" if row.message_id is not None else "not shared"
