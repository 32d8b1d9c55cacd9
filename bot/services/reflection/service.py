"""Reflective prompts (domain notes §4): a partnership's own prompts, posts, and answers
(`answers.py`, who sees them: `visibility.py`).

The rules live here; the cog posts on Discord, the schedule engine (`bot.scheduling`) decides
when, and the schedules themselves are kept by `bot.services.schedules` (kind "prompt", see
`kind.py`). Every change writes an event to the partnership log in the same transaction.

Decisions:

- **Which prompt** comes next is `rotation.choose` (see its notes).
- **A scheduled post belongs to its occurrence** (one post per occurrence): a retried or
  recovered occurrence reuses the same post, so it shows the same prompt, its Reflect button
  carries the same id, and a post already delivered is never sent again.
- **A post counts once delivered**: until Discord has its message it does not move the
  rotation on and cannot be answered; one that could not be delivered is discarded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import NotFound, UserFacingError
from bot.prompts import THEMES, prompts_for
from bot.services import log
from bot.services.access import Actor, PartnershipRef, resolve
from bot.services.clock import Clock, SystemClock
from bot.services.reflection import rotation
from bot.services.reflection.answers import Answering
from bot.services.reflection.parsing import clean_prompt, parse_theme, prompt_key, theme_label
from bot.services.reflection.views import (
    ChosenPrompt,
    GoneNotice,
    PostDraft,
    ScheduledPost,
    draft_of,
)
from bot.services.reflection.visibility import Visibility, parse_visibility, short_words
from bot.services.text import message_link, name_of
from bot.services.timeutil import as_utc, zone
from db import queries
from db.engine import SessionFactory, insert_at_end, transaction
from db.models import Event, Partnership, PromptPost, ReflectionPrompt

# Statements of every scheduled post, built once (building one costs more than running it).
# An UPDATE's columns to set come with its parameters.
_POSTS = PromptPost.__table__  # type: ignore[attr-defined]
# A claim batch's posts in one INSERT, each row's id matched to its post by its occurrence
# (unique): asked to return the rows in order, SQLAlchemy inserts them one at a time on SQLite.
_INSERT_POSTS = insert(_POSTS).returning(_POSTS.c.id, _POSTS.c.occurrence_id)
_INSERT_POSTS_IN_ORDER = insert(_POSTS).returning(_POSTS.c.id, sort_by_parameter_order=True)
_RECORD_POSTED = update(_POSTS).where(
    _POSTS.c.id == bindparam("post_id"), _POSTS.c.message_id.is_(None)
)
_RECORD_THREAD = update(_POSTS).where(
    _POSTS.c.id == bindparam("post_id"), _POSTS.c.thread_id.is_(None)
)
_INSERT_EVENT = insert(Event.__table__)  # type: ignore[attr-defined]


class ReflectionService(Answering):
    def __init__(self, sessions: SessionFactory, *, clock: Clock | None = None) -> None:
        self.sessions = sessions
        self.clock = clock or SystemClock()

    # ---- prompts

    async def add_prompt(
        self,
        actor: Actor,
        ref: PartnershipRef,
        theme: str,
        text: str,
        visibility: str | None = None,
    ) -> ReflectionPrompt:
        """The partnership's own prompt, added to a theme by a convener, with who sees its
        answers (named unless chosen)."""
        theme_key = parse_theme(theme, allow_rotation=False)
        assert theme_key is not None
        chosen = parse_visibility(visibility) or Visibility.named
        value = clean_prompt(text)
        key = prompt_key(value)
        if any(prompt_key(p.text) == key for t in THEMES for p in prompts_for(t)):
            raise UserFacingError("That prompt is already in the built-in library.")
        try:
            async with transaction(self.sessions) as session:
                access = await resolve(session, actor, ref, convener=True, writable=True)
                partnership = access.partnership
                taken = (
                    await session.exec(
                        select(ReflectionPrompt.id).where(
                            ReflectionPrompt.partnership_id == partnership.id,
                            ReflectionPrompt.text_key == key,
                        )
                    )
                ).first()
                if taken is not None:
                    raise UserFacingError(f"{partnership.name} already has that prompt.")
                prompt = ReflectionPrompt(
                    partnership_id=access.partnership_id,
                    theme=theme_key,
                    text=value,
                    text_key=key,
                    created_by=actor.user_id,
                    created_at=self.clock.now(),
                    visibility=chosen.value,
                )
                session.add(prompt)
                await session.flush()
                answers = "" if chosen is Visibility.named else f" (answers: {short_words(chosen)})"
                payload: dict[str, Any] = {
                    "prompt_id": prompt.id,
                    "theme": theme_key,
                    "text": value,
                }
                if chosen is not Visibility.named:
                    payload["visibility"] = chosen.value
                await log.record(
                    session,
                    partnership,
                    "prompt.added",
                    f"{name_of(actor.display_name)} added a reflective prompt on "
                    f"{theme_label(theme_key)}{answers}: “{value}”",
                    actor_id=actor.user_id,
                    payload=payload,
                    at=prompt.created_at,
                )
                return prompt
        except IntegrityError:
            raise UserFacingError("The partnership already has that prompt.") from None

    async def choose_prompt(self, partnership_id: int, theme: str | None = None) -> ChosenPrompt:
        """The prompt the partnership would be asked next (see `rotation`)."""
        async with self.sessions() as session:
            return await rotation.choose(session, partnership_id, theme)

    # ---- posts

    async def prepare_now(
        self,
        actor: Actor,
        ref: PartnershipRef,
        theme: str | None = None,
        visibility: str | None = None,
    ) -> PostDraft:
        """Choose a prompt for `/reflect now` and record it, not yet delivered. `visibility`
        overrides the prompt's own default."""
        theme_key = parse_theme(theme)
        chosen_visibility = parse_visibility(visibility)
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, convener=True, writable=True)
            partnership = access.partnership
            if partnership.channel_id is None:
                raise UserFacingError(
                    f"{partnership.name} has no channel, so there is nowhere to post a prompt."
                )
            chosen = await rotation.choose(session, access.partnership_id, theme_key)
            post = self._new_post(partnership, chosen, chosen_visibility, posted_by=actor.user_id)
            session.add(post)
            await session.flush()
            return draft_of(post, partnership, actor_name=name_of(actor.display_name))

    async def prepare_scheduled(self, ask: ScheduledPost) -> PostDraft:
        """The post for one occurrence (a retried or recovered one): the one already made for
        it, or a new one. A schedule's `visibility` (None: each prompt's own) overrides the
        prompt's default."""
        for _ in range(2):
            try:
                async with transaction(self.sessions) as session:
                    partnership = await session.get(Partnership, ask.partnership_id)
                    if partnership is None:
                        raise NotFound("The partnership no longer exists.")
                    existing = (
                        await session.exec(
                            select(PromptPost).where(PromptPost.occurrence_id == ask.occurrence_id)
                        )
                    ).first()
                    if existing is not None:
                        return draft_of(existing, partnership, resumed=True)
                    return (await self.prepare_claimed(session, [(ask, partnership)]))[0]
            except IntegrityError:
                continue  # another attempt made it first: read that one
        raise RuntimeError(f"Could not prepare the post for occurrence {ask.occurrence_id}")

    async def prepare_claimed(
        self, session: AsyncSession, asks: Sequence[tuple[ScheduledPost, Partnership]]
    ) -> list[PostDraft]:
        """The new posts for occurrences claimed in the caller's transaction (so they have
        none yet), each with its partnership as read there: the schedule engine calls this with
        a claim of one or several, choosing their prompts together (`rotation.choose_many`) and
        inserting them in one statement. A schedule's `visibility` overrides each prompt's
        default."""
        if not asks:
            return []
        chosen = await rotation.choose_many(
            session,
            [(partnership.id, ask.theme) for ask, partnership in asks],  # type: ignore[misc]
        )
        posts = [
            self._new_post(
                partnership,
                prompt,
                parse_visibility(ask.visibility),
                schedule_id=ask.schedule_id,
                occurrence_id=ask.occurrence_id,
                late=ask.late,
                due_at=ask.due_at,
            )
            for (ask, partnership), prompt in zip(asks, chosen, strict=True)
        ]
        values = [post.model_dump(exclude={"id"}) for post in posts]
        occurrences = {post.occurrence_id for post in posts}
        if None in occurrences or len(occurrences) < len(posts):
            inserted = await session.exec(_INSERT_POSTS_IN_ORDER, params=values)
            for post, post_id in zip(posts, inserted.scalars().all(), strict=True):
                post.id = int(post_id)
        else:
            inserted = await session.exec(_INSERT_POSTS, params=values)
            ids = {occurrence: post_id for post_id, occurrence in inserted}
            for post in posts:
                post.id = int(ids[post.occurrence_id])
        return [
            draft_of(post, partnership) for post, (_, partnership) in zip(posts, asks, strict=True)
        ]

    def _new_post(
        self,
        partnership: Partnership,
        chosen: ChosenPrompt,
        visibility: Visibility | None,
        **fields: Any,
    ) -> PromptPost:
        return PromptPost(
            visibility=(visibility or chosen.visibility).value,
            guild_id=partnership.guild_id,
            partnership_id=partnership.id,  # type: ignore[arg-type]
            library_prompt_id=chosen.library_id,
            custom_prompt_id=chosen.custom_id,
            theme=chosen.theme,
            concept=chosen.concept,
            text=chosen.text,
            rotation=chosen.rotation,
            created_at=self.clock.now(),
            **fields,
        )

    async def mark_posted(
        self, post_id: int, *, channel_id: int, message_id: int, actor_name: str = ""
    ) -> PostDraft:
        """Record delivery and log it, once: a second call returns what was recorded."""
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            post = await session.get(PromptPost, post_id, with_for_update=True)
            if post is None:
                raise NotFound("That prompt no longer exists.")
            partnership = await session.get(Partnership, post.partnership_id)
            assert partnership is not None
            if post.message_id is not None:
                return draft_of(post, partnership)
            post.channel_id = channel_id
            post.message_id = message_id
            post.posted_at = now
            session.add(post)
            draft = draft_of(post, partnership, actor_name=actor_name)
            await session.exec(_INSERT_EVENT, params=_posted_event(draft, now))
            return draft

    async def record_posted(
        self,
        session: AsyncSession,
        draft: PostDraft,
        *,
        channel_id: int,
        message_id: int,
        thread_id: int | None,
    ) -> None:
        """`mark_posted` and `mark_thread` at once, in the caller's `transaction` (the schedule
        engine's, recording the occurrence's outcome), without reading the post: its draft
        says what the log needs. Once: a post already recorded keeps its message."""
        now = self.clock.now()
        recorded = await session.exec(
            _RECORD_POSTED,
            params={
                "post_id": draft.post_id,
                "channel_id": channel_id,
                "message_id": message_id,
                "posted_at": now,
                "thread_id": thread_id,
            },
        )
        if recorded.rowcount != 1:
            if thread_id is not None:
                await session.exec(
                    _RECORD_THREAD, params={"post_id": draft.post_id, "thread_id": thread_id}
                )
            return
        posted = replace(draft, channel_id=channel_id, message_id=message_id, thread_id=thread_id)
        # Written as the transaction ends, with the other posts' entries recorded in it.
        insert_at_end(session, _INSERT_EVENT, _posted_event(posted, now))

    async def mark_thread(self, post_id: int, thread_id: int) -> None:
        """Record the post's discussion thread, unless one is recorded: one UPDATE, no read."""
        async with transaction(self.sessions) as session:
            await session.exec(_RECORD_THREAD, params={"post_id": post_id, "thread_id": thread_id})

    async def discard(self, post_id: int) -> None:
        """Forget a chosen prompt that could not be delivered (never one that was)."""
        async with transaction(self.sessions) as session:
            post = await session.get(PromptPost, post_id)
            if post is not None and post.message_id is None:
                await session.delete(post)

    async def gone_notice(self, partnership_id: int, schedule_id: int) -> GoneNotice:
        """Whom to tell that a schedule paused because its channel is gone: the conveners."""
        async with self.sessions() as session:
            partnership = await session.get(Partnership, partnership_id)
            if partnership is None:
                return GoneNotice("", schedule_id)
            ids = await queries.convener_user_ids(session, partnership_id=partnership_id)
            return GoneNotice(partnership.name, schedule_id, ids)


def _posted_event(draft: PostDraft, at: datetime) -> dict[str, Any]:
    """The log entry of a delivered post (`draft`, with its channel and message): the values
    of its row (no `Event` built: this runs once per post, in every burst)."""
    assert draft.channel_id is not None and draft.message_id is not None
    return {
        "guild_id": draft.guild_id,
        "partnership_id": draft.partnership_id,
        "kind": "prompt.posted",
        "actor_id": draft.posted_by,
        "occurred_at": at,
        "summary": _posted_summary(draft),
        "payload": {
            "post_id": draft.post_id,
            "prompt": draft.prompt_ref,
            "theme": draft.theme,
            "text": draft.text,
            "schedule_id": draft.schedule_id,
            "occurrence_id": draft.occurrence_id,
            "late": draft.late,
            "due_at": draft.due_at.isoformat() if draft.due_at else None,
            "visibility": draft.visibility.value,
            "channel_id": draft.channel_id,
            "message_id": draft.message_id,
        },
        "message_link": message_link(draft.guild_id, draft.channel_id, draft.message_id),
    }


def _posted_summary(draft: PostDraft) -> str:
    """The log sentence for a delivered prompt: who posted it, and whether it came late."""
    if draft.posted_by is not None:
        return (
            f"{draft.actor_name or 'A convener'} posted a reflective prompt on "
            f"{draft.theme_label}: “{draft.text}”" + _answers_words(draft)
        )
    summary = f"A scheduled reflective prompt on {draft.theme_label} was posted: “{draft.text}”"
    if draft.late and draft.due_at is not None:
        due = as_utc(draft.due_at).astimezone(zone(draft.timezone))
        summary += f" It was posted late; it was due at {due:%Y-%m-%d %H:%M} ({draft.timezone})."
    return summary + _answers_words(draft)


def _answers_words(draft: PostDraft) -> str:
    """Who sees the answers, for the log sentence of a post whose answers are not named."""
    if draft.visibility is Visibility.anonymous:
        return f" Answers are shown without names once {draft.k} organisations have answered."
    if draft.visibility is Visibility.private:
        return " Answers are private: each is seen only by its author."
    return ""
