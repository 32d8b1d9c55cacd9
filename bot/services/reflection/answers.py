"""Answers to reflective prompts: given, replaced, withdrawn, shown on Discord, read back, and a
person's own record (`/reflect mine`). Who sees an answer is the post's visibility
(`visibility.py`).

Decisions:

- **One current answer per person and post.** Answering again (`/reflect respond` or the
  Reflect button) adds a new answer and marks the earlier one replaced; `/reflect withdraw`
  marks the current one withdrawn. Rows are never deleted, so a redaction or an export can still
  name them; a replaced or withdrawn answer's text reads as its marker everywhere
  (`bot.services.redaction`).
- **The log never ties an anonymous or private answer to its author.** A named answer is a
  `prompt.answered` entry with its author and text, as before. An anonymous or private one is
  a `prompt.answered` entry with no actor and no text ("An anonymous answer … was given"),
  so the log can count answers without saying whose, and the moment an anonymous answer is
  shown can't be matched to a name in the log. The text of an anonymous answer lives only in
  its answer row, and is shown (in the thread, in exports) without a name and only once the
  threshold is met; a private answer's text only ever reaches its author.
- **Anonymous answers are released once**: in the transaction of the answer that brings
  current answers to *k* distinct organisations (people in their own capacity count together
  as one), the post is marked released and every current answer not yet shown is taken to be
  shown, in random order. After that each new answer is shown as it comes. The partnership's
  row is locked by every answer, so two answers at once release the post once. An answer
  withdrawn or replaced before the release does not count toward *k*; once released, a post
  stays released (what was shown has been read), and a withdrawn answer's message is edited to
  say it was withdrawn.
- **Showing is claimed, then recorded**: an answer to show gets `shown_at` in the answer's own
  transaction, with a timer a minute later (`late_shows`); its message id is recorded once
  posted (`mark_shown`). A show that did not reach Discord is posted when that timer fires
  (`show_late`).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import NotFound, UserFacingError
from bot.services import log, redaction
from bot.services.access import (
    Access,
    Actor,
    PartnershipRef,
    Where,
    authorize_by_id,
    find,
    resolve,
    visible_partnerships,
)
from bot.services.clock import Clock
from bot.services.reflection import late_shows
from bot.services.reflection.answer_rows import (
    answer_state,
    article,
    current_answer,
    log_answer,
    shows_after,
)
from bot.services.reflection.parsing import clean_answer, parse_post_ref, theme_label
from bot.services.reflection.views import (
    AnswerResult,
    AnswerView,
    MyAnswer,
    PostDraft,
    Shown,
    Withdrawn,
    draft_of,
)
from bot.services.reflection.visibility import Visibility, as_visibility
from bot.services.text import name_of, one_line
from bot.services.trust.privacy import threshold
from db.engine import SessionFactory, transaction
from db.models import Partnership, PromptAnswer, PromptPost

WITHDRAWN = "prompt.withdrawn"
# `/reflect mine` lists this many of a person's answers, newest first.
MINE_LIMIT = 20


class Answering:
    """`ReflectionService`'s part that keeps answers and says what Discord should show."""

    sessions: SessionFactory
    clock: Clock

    async def answer_target(self, actor: Actor, post_ref: int | str) -> PostDraft:
        """The post a person wants to answer, if they may (checked before the form opens)."""
        async with self.sessions() as session:
            post, access = await self._post_for(session, actor, post_ref, writable=True)
            return draft_of(post, access.partnership)

    async def answer(self, actor: Actor, post_ref: int | str, text: str) -> AnswerResult:
        """A member's answer to a delivered prompt (replacing their earlier one, if any), kept
        as the post's visibility says, with what Discord should show now."""
        value = clean_answer(text)
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            post, access = await self._post_for(session, actor, post_ref, writable=True)
            partnership = access.partnership
            visibility = as_visibility(post.visibility)
            previous = await current_answer(session, post, actor.user_id)
            answer = PromptAnswer(
                post_id=post.id,  # type: ignore[arg-type]
                partnership_id=partnership.id,  # type: ignore[arg-type]
                user_id=actor.user_id,
                display_name=actor.display_name[:100],
                text=value,
                created_at=now,
                visibility=visibility.value,
                organisation_id=access.organisation_id,
            )
            if previous is not None:
                previous.replaced_at = now
                if previous.message_id is not None:
                    # The message that showed the earlier answer shows this one from now on.
                    answer.shown_at = previous.shown_at
                    answer.channel_id, answer.message_id = previous.channel_id, previous.message_id
                    previous.channel_id = previous.message_id = None
                session.add(previous)
            session.add(answer)
            await session.flush()
            author = name_of(actor.display_name)
            await log_answer(session, partnership, post, answer, author, previous, now)
            shows, is_released, groups = await shows_after(
                session, partnership, post, answer, author, now
            )
            assert answer.id is not None
            return AnswerResult(
                answer.id,
                draft_of(post, partnership),
                actor.user_id,
                author,
                value,
                visibility=visibility,
                replaced=previous is not None,
                shows=shows,
                released=is_released,
                organisations=groups,
            )

    async def withdraw(self, actor: Actor, post_ref: int | str) -> Withdrawn:
        """Withdraw the person's current answer to a post. Allowed in an archived partnership
        too: taking one's words back outlives the partnership's work."""
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            post, access = await self._post_for(session, actor, post_ref)
            partnership = access.partnership
            current = await current_answer(session, post, actor.user_id)
            if current is None:
                raise UserFacingError(
                    f"You have no answer to prompt #{post.id} to withdraw: nothing was changed."
                )
            assert current.id is not None and post.id is not None
            current.withdrawn_at = now
            session.add(current)
            visibility = as_visibility(current.visibility)
            edit = None
            if current.message_id is not None and current.channel_id is not None:
                edit = Shown(
                    current.id,
                    post.id,
                    partnership.guild_id,
                    current.channel_id,
                    current.message_id,
                    "",
                    None if visibility is not Visibility.named else name_of(actor.display_name),
                    gone="withdrawn",
                )
            about = f"the reflective prompt “{post.text}”"
            payload: dict[str, Any] = {"post_id": post.id, "theme": post.theme, "prompt": post.text}
            if visibility is Visibility.named:
                payload["answer_id"] = current.id
                summary = f"{name_of(actor.display_name)} withdrew their answer to {about}."
                actor_id: int | None = actor.user_id
            else:
                payload["visibility"] = visibility.value
                summary = f"{article(visibility)} answer to {about} was withdrawn by its author."
                actor_id = None
            await log.record(
                session, partnership, WITHDRAWN, summary, actor_id=actor_id, payload=payload, at=now
            )
            return Withdrawn(current.id, draft_of(post, partnership), visibility, edit)

    async def mark_shown(self, answer_id: int, *, channel_id: int, message_id: int) -> Shown | None:
        """Record the message that shows an answer. If the answer was withdrawn or replaced
        while it was being posted, the message must say so: that edit is returned."""
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            row = await session.get(PromptAnswer, answer_id, with_for_update=True)
            post = await session.get(PromptPost, row.post_id) if row is not None else None
            if row is None or post is None or row.id is None:
                return None
            gone = "withdrawn" if row.withdrawn_at else "replaced" if row.replaced_at else None
            if gone is not None:
                named = as_visibility(row.visibility) is Visibility.named
                return Shown(
                    row.id,
                    row.post_id,
                    post.guild_id,
                    channel_id,
                    message_id,
                    "",
                    name_of(row.display_name) if named else None,
                    gone=gone,
                )
            row.channel_id, row.message_id = channel_id, message_id
            row.shown_at = row.shown_at or now
            session.add(row)
            return None

    async def show_late(self, answer_id: int) -> Shown | None:
        """An anonymous answer's late show, when its timer fires: the answer to post again, or
        None when it was shown, withdrawn or replaced, or is too old to try (`late_shows`)."""
        async with transaction(self.sessions) as session:
            return await late_shows.take(session, answer_id, self.clock.now())

    async def answers(self, post_id: int) -> list[AnswerView]:
        """A post's current answers as anyone in the partnership may read them: named ones
        with their author; anonymous ones without, and only once shown; never a private one.
        A text removed at its author's request, or older than the retention period, reads as
        its marker."""
        async with self.sessions() as session:
            post = await session.get(PromptPost, post_id)
            partnership = (
                await session.get(Partnership, post.partnership_id) if post is not None else None
            )
            if post is None or partnership is None:
                return []
            visibility = as_visibility(post.visibility)
            if visibility is Visibility.private:
                return []
            removed = await redaction.load(session, partnership, self.clock.now())
            query = select(PromptAnswer).where(
                PromptAnswer.post_id == post_id,
                PromptAnswer.partnership_id == partnership.id,
                col(PromptAnswer.replaced_at).is_(None),
                col(PromptAnswer.withdrawn_at).is_(None),
            )
            if visibility is Visibility.anonymous:
                if post.released_at is None:
                    return []
                query = query.where(col(PromptAnswer.shown_at).is_not(None))
            rows = (await session.exec(query.order_by(col(PromptAnswer.id)))).all()
        views = []
        for row in rows:
            assert row.id is not None
            marker = removed.answer_text(row.id, row.created_at)
            named = visibility is Visibility.named
            views.append(
                AnswerView(
                    id=row.id,
                    post_id=row.post_id,
                    user_id=row.user_id if named else None,
                    display_name=row.display_name if named else "",
                    text=marker or row.text,
                    created_at=row.created_at,
                    removed=marker is not None,
                )
            )
        return views

    async def mine(self, actor: Actor, ref: PartnershipRef) -> tuple[str | None, list[MyAnswer]]:
        """The person's own current answers, newest first (at most `MINE_LIMIT`): in the
        partnership named or implied by where they ask, else in all of theirs in this server.
        Returns that partnership's name (None: all of them) and the answers."""
        async with self.sessions() as session:
            scoped = bool(ref.name and ref.name.strip())
            scoped = scoped or await find(session, actor.guild_id, ref) is not None
            if scoped:
                access = await resolve(session, actor, ref)
                partnerships = [access.partnership]
            else:
                partnerships = await visible_partnerships(session, actor)
            by_id = {p.id: p for p in partnerships if p.id is not None}
            if not by_id:
                return (None, [])
            rows = (
                await session.exec(
                    select(PromptAnswer, PromptPost)
                    .join(PromptPost, col(PromptPost.id) == col(PromptAnswer.post_id))
                    .where(
                        PromptPost.guild_id == actor.guild_id,
                        col(PromptAnswer.partnership_id).in_(list(by_id)),
                        PromptAnswer.user_id == actor.user_id,
                        col(PromptAnswer.replaced_at).is_(None),
                        col(PromptAnswer.withdrawn_at).is_(None),
                    )
                    .order_by(col(PromptAnswer.created_at).desc(), col(PromptAnswer.id).desc())
                    .limit(MINE_LIMIT)
                )
            ).all()
            now = self.clock.now()
            removed = {
                pid: await redaction.load(session, by_id[pid], now)
                for pid in {row.partnership_id for row, _ in rows}
            }
        found = []
        for row, post in rows:
            assert row.id is not None and post.id is not None
            p = by_id[row.partnership_id]
            visibility = as_visibility(row.visibility)
            marker = removed[row.partnership_id].answer_text(row.id, row.created_at)
            found.append(
                MyAnswer(
                    answer_id=row.id,
                    post_id=post.id,
                    partnership=p.name,
                    theme=post.theme,
                    prompt=post.text,
                    own_prompt=post.library_prompt_id is None,
                    text=marker or row.text,
                    answered_at=row.created_at,
                    visibility=visibility,
                    state=answer_state(row, post, visibility),
                    k=threshold(p.anonymity_threshold),
                )
            )
        return (partnerships[0].name if scoped else None, found)

    async def post_choices(
        self, actor: Actor, where: Where, current: str, *, limit: int = 25
    ) -> list[tuple[str, str]]:
        """(name, value) pairs for `/reflect respond prompt`: recent prompts this person may answer.

        The prompt whose thread the command is used in comes first, then the prompts of the
        partnership whose channel it is used in, then the rest, newest first.
        """
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
        return _choices(posts, partnerships, where, current, limit)

    async def answered_choices(
        self, actor: Actor, where: Where, current: str, *, limit: int = 25
    ) -> list[tuple[str, str]]:
        """(name, value) pairs for `/reflect withdraw prompt`: the prompts this person has a
        current answer to, ranked as `post_choices` ranks them."""
        async with self.sessions() as session:
            partnerships = {p.id: p for p in await visible_partnerships(session, actor)}
            if not partnerships:
                return []
            posts = (
                await session.exec(
                    select(PromptPost)
                    .join(PromptAnswer, col(PromptAnswer.post_id) == col(PromptPost.id))
                    .where(
                        PromptPost.guild_id == actor.guild_id,
                        col(PromptPost.partnership_id).in_(list(partnerships)),
                        PromptAnswer.user_id == actor.user_id,
                        col(PromptAnswer.replaced_at).is_(None),
                        col(PromptAnswer.withdrawn_at).is_(None),
                    )
                    .order_by(col(PromptPost.posted_at).desc(), col(PromptPost.id).desc())
                    .limit(200)
                )
            ).all()
        return _choices(posts, partnerships, where, current, limit)

    # ---- helpers

    async def _post_for(
        self, session: AsyncSession, actor: Actor, post_ref: int | str, *, writable: bool = False
    ) -> tuple[PromptPost, Access]:
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
        access = await authorize_by_id(session, actor, post.partnership_id, writable=writable)
        if access is None:
            raise missing
        return post, access


def _choices(
    posts: Any, partnerships: dict[Any, Partnership], where: Where, current: str, limit: int
) -> list[tuple[str, str]]:
    text = current.strip().lstrip("#").casefold()
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
