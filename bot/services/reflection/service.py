"""Reflective prompts (domain notes §4): a partnership's own prompts, posts, and answers.

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

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import NotFound, UserFacingError
from bot.prompts import THEMES, prompts_for
from bot.services import log, redaction
from bot.services.access import (
    Actor,
    PartnershipRef,
    Where,
    authorize_by_id,
    resolve,
    visible_partnerships,
)
from bot.services.clock import Clock, SystemClock
from bot.services.reflection import rotation
from bot.services.reflection.parsing import (
    clean_answer,
    clean_prompt,
    parse_post_ref,
    parse_theme,
    prompt_key,
    theme_label,
)
from bot.services.reflection.views import (
    AnswerResult,
    AnswerView,
    ChosenPrompt,
    GoneNotice,
    PostDraft,
    draft_of,
)
from bot.services.text import message_link, name_of, one_line
from bot.services.timeutil import as_utc, zone
from db import queries
from db.engine import SessionFactory, transaction
from db.models import Partnership, PromptAnswer, PromptPost, ReflectionPrompt


class ReflectionService:
    def __init__(self, sessions: SessionFactory, *, clock: Clock | None = None) -> None:
        self.sessions = sessions
        self.clock = clock or SystemClock()

    # ---- prompts

    async def add_prompt(
        self, actor: Actor, ref: PartnershipRef, theme: str, text: str
    ) -> ReflectionPrompt:
        """The partnership's own prompt, added to a theme by a convener."""
        theme_key = parse_theme(theme, allow_rotation=False)
        assert theme_key is not None
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
                )
                session.add(prompt)
                await session.flush()
                await log.record(
                    session,
                    partnership,
                    "prompt.added",
                    f"{name_of(actor.display_name)} added a reflective prompt on "
                    f"{theme_label(theme_key)}: “{value}”",
                    actor_id=actor.user_id,
                    payload={"prompt_id": prompt.id, "theme": theme_key, "text": value},
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
        self, actor: Actor, ref: PartnershipRef, theme: str | None = None
    ) -> PostDraft:
        """Choose a prompt for `/reflect now` and record it, not yet delivered."""
        theme_key = parse_theme(theme)
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, convener=True, writable=True)
            partnership = access.partnership
            if partnership.channel_id is None:
                raise UserFacingError(
                    f"{partnership.name} has no channel, so there is nowhere to post a prompt."
                )
            chosen = await rotation.choose(session, access.partnership_id, theme_key)
            post = self._new_post(partnership, chosen, posted_by=actor.user_id)
            session.add(post)
            await session.flush()
            return draft_of(post, partnership, actor_name=name_of(actor.display_name))

    async def prepare_scheduled(
        self,
        *,
        occurrence_id: int,
        schedule_id: int,
        partnership_id: int,
        theme: str | None,
        late: bool,
        due_at: datetime,
    ) -> PostDraft:
        """The post for one occurrence: the one already made for it, or a new one."""
        for _ in range(2):
            try:
                async with transaction(self.sessions) as session:
                    partnership = await session.get(Partnership, partnership_id)
                    if partnership is None:
                        raise NotFound("The partnership no longer exists.")
                    existing = (
                        await session.exec(
                            select(PromptPost).where(PromptPost.occurrence_id == occurrence_id)
                        )
                    ).first()
                    if existing is not None:
                        return draft_of(existing, partnership, resumed=True)
                    chosen = await rotation.choose(session, partnership_id, theme)
                    post = self._new_post(
                        partnership,
                        chosen,
                        schedule_id=schedule_id,
                        occurrence_id=occurrence_id,
                        late=late,
                        due_at=due_at,
                    )
                    session.add(post)
                    await session.flush()
                    return draft_of(post, partnership)
            except IntegrityError:
                continue  # another attempt made it first: read that one
        raise RuntimeError(f"Could not prepare the post for occurrence {occurrence_id}")

    def _new_post(
        self, partnership: Partnership, chosen: ChosenPrompt, **fields: Any
    ) -> PromptPost:
        return PromptPost(
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
            await log.record(
                session,
                partnership,
                "prompt.posted",
                _posted_summary(post, draft, partnership),
                actor_id=post.posted_by,
                payload={
                    "post_id": post.id,
                    "prompt": draft.prompt_ref,
                    "theme": post.theme,
                    "text": post.text,
                    "schedule_id": post.schedule_id,
                    "occurrence_id": post.occurrence_id,
                    "late": post.late,
                    "due_at": post.due_at.isoformat() if post.due_at else None,
                    "channel_id": channel_id,
                    "message_id": message_id,
                },
                message_link=message_link(partnership.guild_id, channel_id, message_id),
                at=now,
            )
            return draft

    async def mark_thread(self, post_id: int, thread_id: int) -> None:
        async with transaction(self.sessions) as session:
            post = await session.get(PromptPost, post_id)
            if post is not None and post.thread_id is None:
                post.thread_id = thread_id
                session.add(post)

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

    # ---- answers

    async def answer_target(self, actor: Actor, post_ref: int | str) -> PostDraft:
        """The post a person wants to answer, if they may (checked before the form opens)."""
        async with self.sessions() as session:
            post, partnership = await self._post_for(session, actor, post_ref)
            return draft_of(post, partnership)

    async def answer(self, actor: Actor, post_ref: int | str, text: str) -> AnswerResult:
        """A member's answer to a delivered prompt, kept in the log."""
        value = clean_answer(text)
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            post, partnership = await self._post_for(session, actor, post_ref)
            answer = PromptAnswer(
                post_id=post.id,  # type: ignore[arg-type]
                partnership_id=partnership.id,  # type: ignore[arg-type]
                user_id=actor.user_id,
                display_name=actor.display_name[:100],
                text=value,
                created_at=now,
            )
            session.add(answer)
            await session.flush()
            author = name_of(actor.display_name)
            await log.record(
                session,
                partnership,
                "prompt.answered",
                f"{author} answered the reflective prompt “{post.text}”: {value}",
                actor_id=actor.user_id,
                payload={
                    "post_id": post.id,
                    "answer_id": answer.id,
                    "theme": post.theme,
                    "prompt": post.text,
                    "answer": value,
                },
                message_link=message_link(partnership.guild_id, post.channel_id, post.message_id),
                at=now,
            )
            return AnswerResult(
                answer.id,  # type: ignore[arg-type]
                draft_of(post, partnership),
                actor.user_id,
                author,
                value,
            )

    async def answers(self, post_id: int) -> list[AnswerView]:
        """A post's answers in the order given; a text removed at its author's request, or
        older than the partnership's retention period, reads as its marker."""
        async with self.sessions() as session:
            post = await session.get(PromptPost, post_id)
            partnership = (
                await session.get(Partnership, post.partnership_id) if post is not None else None
            )
            if partnership is None:
                return []
            removed = await redaction.load(session, partnership, self.clock.now())
            rows = (
                await session.exec(
                    select(PromptAnswer)
                    .where(
                        PromptAnswer.post_id == post_id,
                        PromptAnswer.partnership_id == partnership.id,
                    )
                    .order_by(col(PromptAnswer.id))
                )
            ).all()
        views = []
        for row in rows:
            assert row.id is not None
            marker = removed.answer_text(row.id, row.created_at)
            views.append(
                AnswerView(
                    id=row.id,
                    post_id=row.post_id,
                    user_id=row.user_id,
                    display_name=row.display_name,
                    text=marker or row.text,
                    created_at=row.created_at,
                    removed=marker is not None,
                )
            )
        return views

    async def post_choices(
        self, actor: Actor, where: Where, current: str, *, limit: int = 25
    ) -> list[tuple[str, str]]:
        """(name, value) pairs for `/reflect respond prompt`: recent prompts this person may answer.

        The prompt whose thread the command is used in comes first, then the prompts of the
        partnership whose channel it is used in, then the rest, newest first.
        """
        text = current.strip().lstrip("#").casefold()
        async with self.sessions() as session:
            partnerships = {
                p.id: p for p in await visible_partnerships(session, actor, include_archived=False)
            }
            if not partnerships:
                return []
            posts = (
                await session.exec(
                    select(PromptPost)
                    .where(
                        PromptPost.guild_id == actor.guild_id,
                        col(PromptPost.partnership_id).in_(list(partnerships)),
                        col(PromptPost.message_id).is_not(None),
                    )
                    .order_by(col(PromptPost.posted_at).desc(), col(PromptPost.id).desc())
                    .limit(200)
                )
            ).all()
        here = set(where.channel_ids)

        def rank(post: PromptPost) -> int:
            if post.thread_id in here:
                return 0
            if partnerships[post.partnership_id].channel_id in here:
                return 1
            return 2

        found = []
        for post in sorted(posts, key=rank):  # stable: newest first within each rank
            posted = post.posted_at.date().isoformat() if post.posted_at else ""
            name = f"#{post.id} {posted} {theme_label(post.theme)}: {post.text}"
            if text and text not in name.casefold():
                continue
            found.append((one_line(name, 100), str(post.id)))
        return found[:limit]

    # ---- helpers

    async def _post_for(
        self, session: AsyncSession, actor: Actor, post_ref: int | str
    ) -> tuple[PromptPost, Partnership]:
        """A delivered post, for a member of its partnership; others learn nothing."""
        post_id = post_ref if isinstance(post_ref, int) else parse_post_ref(post_ref)
        missing = NotFound(f"I can't find prompt #{post_id} among your partnerships' prompts.")
        post = (
            await session.exec(
                select(PromptPost).where(
                    PromptPost.id == post_id,
                    PromptPost.guild_id == actor.guild_id,
                    col(PromptPost.message_id).is_not(None),
                )
            )
        ).first()
        if post is None:
            raise missing
        access = await authorize_by_id(session, actor, post.partnership_id, writable=True)
        if access is None:
            raise missing
        return post, access.partnership


def _posted_summary(post: PromptPost, draft: PostDraft, partnership: Partnership) -> str:
    """The log sentence for a delivered prompt: who posted it, and whether it came late."""
    if post.posted_by is not None:
        return (
            f"{draft.actor_name or 'A convener'} posted a reflective prompt on "
            f"{draft.theme_label}: “{post.text}”"
        )
    summary = f"A scheduled reflective prompt on {draft.theme_label} was posted: “{post.text}”"
    if post.late and post.due_at is not None:
        due = as_utc(post.due_at).astimezone(zone(partnership.timezone))
        summary += (
            f" It was posted late; it was due at {due:%Y-%m-%d %H:%M} ({partnership.timezone})."
        )
    return summary
