"""Which prompt a partnership is asked next.

- **Rotation** goes through the themes in the library's order (`bot.prompts.THEMES`), one theme
  per post, continuing from the theme of the partnership's last rotated post (a fixed-theme
  schedule or a `/reflect now` with a theme does not move the rotation on).
- **Within a theme**, the prompt chosen is the one this partnership has been asked least often,
  ties broken by the library's order and then the partnership's own prompts in the order they
  were added. So no prompt repeats until every prompt of the theme has been used, a newly added
  prompt comes up before any prompt of its theme repeats, and the choice is deterministic. Only
  delivered posts count.
- **Relationships to co-production** (Sancino & Jacklin-Jarvis 2016): a library prompt marked
  with a relationship (`relationship = "enabler"` in `library.toml`) is a candidate only while
  the partnership holds that relationship. When a relationship is added, the next rotated post
  asks its prompt (the one asked least often, as above) in place of the theme in rotation,
  once: until a prompt of that relationship has been delivered since it was added. That post
  does not move the rotation on (it is stored as not rotated), so the themes resume where they
  were. Several added at once are asked in the order they were added, one post each. A
  relationship removed and added again is asked about again.
- **Who sees the answers** comes with the prompt: a library prompt marked sensitive is
  anonymous, any other named; a partnership's own prompt as it was added.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import BindParameter, bindparam
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.prompts import THEMES, LibraryPrompt, prompts_for, relationship_prompts
from bot.services.reflection.views import ChosenPrompt
from bot.services.reflection.visibility import as_visibility, default_for
from db.models import PartnershipRelationship, PromptPost, ReflectionPrompt

# Built once: every scheduled post asks these, and building a statement costs more CPU than
# SQLite running it.
_PARTNERSHIP: BindParameter[int] = bindparam("partnership_id")
_THEME: BindParameter[str] = bindparam("theme")
_OWN = (
    select(ReflectionPrompt)
    .where(
        col(ReflectionPrompt.partnership_id) == _PARTNERSHIP, col(ReflectionPrompt.theme) == _THEME
    )
    .order_by(col(ReflectionPrompt.id))
)
_HELD = select(PartnershipRelationship.relationship, PartnershipRelationship.added_at).where(
    col(PartnershipRelationship.partnership_id) == _PARTNERSHIP,
    col(PartnershipRelationship.removed_at).is_(None),
)
_LAST_ROTATED = (
    select(PromptPost.theme)
    .where(
        col(PromptPost.partnership_id) == _PARTNERSHIP,
        col(PromptPost.message_id).is_not(None),
        col(PromptPost.rotation).is_(True),
    )
    .order_by(col(PromptPost.posted_at).desc(), col(PromptPost.id).desc())
    .limit(1)
)
_TIMES_USED = (
    select(PromptPost.library_prompt_id, PromptPost.custom_prompt_id, func.count())
    .where(
        col(PromptPost.partnership_id) == _PARTNERSHIP,
        col(PromptPost.theme) == _THEME,
        col(PromptPost.message_id).is_not(None),
    )
    .group_by(col(PromptPost.library_prompt_id), col(PromptPost.custom_prompt_id))
)


async def choose(session: AsyncSession, partnership_id: int, theme: str | None) -> ChosenPrompt:
    """The next prompt for the partnership: of `theme`, or of the next theme in rotation."""
    rotation = theme is None or theme not in THEMES
    held = await _held(session, partnership_id)
    if rotation:
        unasked = await _relationship_unasked(session, partnership_id, held)
        if unasked:
            return await _least_used(session, partnership_id, unasked, rotation=False)
        theme = await _next_theme(session, partnership_id)
    assert theme is not None
    own = (
        await session.exec(_OWN, params={"partnership_id": partnership_id, "theme": theme})
    ).all()
    candidates = [
        _library(p, rotation=rotation)
        for p in prompts_for(theme)
        if p.relationship is None or p.relationship in held
    ] + [
        ChosenPrompt(
            p.theme,
            p.text,
            "",
            custom_id=p.id,
            rotation=rotation,
            visibility=as_visibility(p.visibility),
        )
        for p in own
    ]
    used = await _times_used(session, partnership_id, theme)
    return min(candidates, key=lambda c: used[c.ref])


async def _held(session: AsyncSession, partnership_id: int) -> dict[str, datetime]:
    """The relationships the partnership holds now, with when each was added."""
    rows = await session.exec(_HELD, params={"partnership_id": partnership_id})
    return dict(rows.all())


def _library(p: LibraryPrompt, *, rotation: bool) -> ChosenPrompt:
    return ChosenPrompt(
        p.theme,
        p.text,
        p.concept,
        library_id=p.id,
        rotation=rotation,
        visibility=default_for(sensitive=p.sensitive),
    )


async def _least_used(
    session: AsyncSession,
    partnership_id: int,
    prompts: tuple[LibraryPrompt, ...],
    *,
    rotation: bool,
) -> ChosenPrompt:
    """The prompt of `prompts` (all of one theme) asked least often, the first on a tie."""
    used = await _times_used(session, partnership_id, prompts[0].theme)
    return min((_library(p, rotation=rotation) for p in prompts), key=lambda c: used[c.ref])


async def _relationship_unasked(
    session: AsyncSession, partnership_id: int, held: dict[str, datetime]
) -> tuple[LibraryPrompt, ...]:
    """The prompts of the earliest added relationship the partnership holds whose prompts were
    not delivered since it was added; none when every held one has been asked about."""
    for relationship, added_at in sorted(held.items(), key=lambda item: item[1]):
        prompts = relationship_prompts(relationship)
        if not prompts:
            continue
        asked = (
            await session.exec(
                select(func.count())
                .select_from(PromptPost)
                .where(
                    PromptPost.partnership_id == partnership_id,
                    col(PromptPost.message_id).is_not(None),
                    col(PromptPost.posted_at) >= added_at,
                    col(PromptPost.library_prompt_id).in_([p.id for p in prompts]),
                )
            )
        ).one()
        if not asked:
            return prompts
    return ()


async def _next_theme(session: AsyncSession, partnership_id: int) -> str:
    """The theme after the one of the partnership's last rotated post (the first if none)."""
    last = (await session.exec(_LAST_ROTATED, params={"partnership_id": partnership_id})).first()
    keys = list(THEMES)
    return keys[(keys.index(last) + 1) % len(keys)] if last in keys else keys[0]


async def _times_used(session: AsyncSession, partnership_id: int, theme: str) -> Counter[str]:
    """How often each prompt of the theme was delivered to the partnership, by its ref."""
    rows = (
        await session.exec(_TIMES_USED, params={"partnership_id": partnership_id, "theme": theme})
    ).all()
    used: Counter[str] = Counter()
    for library_id, custom_id, n in rows:
        used[library_id or f"own-{custom_id}"] += n
    return used
