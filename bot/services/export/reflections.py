"""The reflections of an export: prompts delivered in the period, each with how many current
answers (not replaced or withdrawn) it had by the end of the period and who sees them; the
answers themselves only for the internal audience, and only as their visibility allows: named
ones with author and organisation; anonymous ones without author, organisation or time, and only
once they were released by the end of the period (when answers from at least *k* organisations
first existed, people in their own capacity counting together as one: the moment they began to
be shown on Discord; like an agreement, a release stays); private ones never.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bot.services.export.document import AnswerRow, ReflectionRow
from bot.services.export.history import History
from bot.services.export.lens import Lens
from bot.services.export.links import logged_links
from bot.services.export.streams import Window
from bot.services.redaction import Redactions
from bot.services.reflection.visibility import Visibility, as_visibility
from bot.services.timeutil import as_utc
from db.models import Partnership, PromptAnswer, PromptPost


def _posts(since: bool) -> SelectOfScalar[PromptPost]:
    """The partnership's delivered prompts up to `end` (and from `start`, `since`), in order."""
    query = select(PromptPost).where(
        col(PromptPost.guild_id) == bindparam("guild_id"),
        col(PromptPost.partnership_id) == bindparam("partnership_id"),
        col(PromptPost.message_id).is_not(None),
        col(PromptPost.posted_at).is_not(None),
        col(PromptPost.posted_at) <= bindparam("end"),
    )
    if since:
        query = query.where(col(PromptPost.posted_at) >= bindparam("start"))
    return query.order_by(col(PromptPost.posted_at))


# `_posts` built once for each (about half a millisecond, on every export), bound as it runs.
_POSTS = {since: _posts(since) for since in (False, True)}


async def reflection_rows(
    session: AsyncSession,
    p: Partnership,
    window: Window,
    lens: Lens,
    history: History,
    redactions: Redactions,
) -> list[ReflectionRow]:
    values = {"guild_id": p.guild_id, "partnership_id": p.id, "end": window.end}
    if window.start is not None:
        values["start"] = window.start
    posts = (await session.exec(_POSTS[window.start is not None], params=values)).all()
    if not posts:
        return []
    answers: dict[int, list[PromptAnswer]] = defaultdict(list)
    for answer in (
        await session.exec(
            select(PromptAnswer)
            .where(
                col(PromptAnswer.post_id).in_([post.id for post in posts]),
                col(PromptAnswer.replaced_at).is_(None),
                col(PromptAnswer.withdrawn_at).is_(None),
            )
            .order_by(col(PromptAnswer.created_at), col(PromptAnswer.id))
        )
    ).all():
        if as_utc(answer.created_at) <= window.end:
            answers[answer.post_id].append(answer)
    posted = await logged_links(session, p, kinds=["prompt.posted"], key="post_id")
    rows = []
    for post in posts:
        assert post.id is not None and post.posted_at is not None
        given = answers.get(post.id, [])
        own_prompt = post.library_prompt_id is None
        visibility = as_visibility(post.visibility)
        released = post.released_at is not None and as_utc(post.released_at) <= window.end
        withheld = visibility is Visibility.anonymous and not released
        rows.append(
            ReflectionRow(
                post_id=post.id,
                theme=post.theme,
                prompt=lens.text(post.text) if own_prompt else post.text,
                posted_at=post.posted_at,
                answer_count=len(given),
                answers=_answers(given, visibility, lens, history, redactions)
                if lens.internal and not withheld
                else [],
                link=lens.link(posted.get(post.id)),
                visibility=visibility.value,
                answers_withheld=withheld,
            )
        )
    return rows


def _answers(
    given: list[PromptAnswer],
    visibility: Visibility,
    lens: Lens,
    history: History,
    redactions: Redactions,
) -> list[AnswerRow]:
    """The answers an internal export shows, as their visibility allows: named ones in the
    order given, with author and organisation; anonymous ones in the order of their words,
    with neither (nor a time); private ones never."""
    if visibility is Visibility.private:
        return []
    if visibility is Visibility.named:
        return [_answer(a, lens, history, redactions) for a in given]
    rows = [
        AnswerRow(
            author=None,
            organisation=None,
            text=lens.text(redactions.answer_text(a.id, a.created_at) or a.text),
            at=None,
        )
        for a in given
    ]
    return sorted(rows, key=lambda row: row.text.casefold())


def _answer(
    answer: PromptAnswer, lens: Lens, history: History, redactions: Redactions
) -> AnswerRow:
    marker = redactions.answer_text(answer.id, answer.created_at)
    spell = history.spell_at(answer.user_id, answer.created_at)
    organisation = None
    if spell is not None and spell.speaks_for is not None:
        organisation = lens.organisation(spell.speaks_for, spell.organisation)
    return AnswerRow(
        author=lens.person(answer.user_id, answer.display_name),
        organisation=organisation,
        text=lens.text(marker or answer.text),
        at=answer.created_at,
    )
