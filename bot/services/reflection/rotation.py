"""Which prompt a partnership is asked next.

- **Rotation** goes through the themes in the library's order (`bot.prompts.THEMES`), one theme
  per post, continuing from the theme of the partnership's last rotated post (a fixed-theme
  schedule or a `/reflect now` with a theme does not move the rotation on).
- **Within a theme**, the prompt chosen is the one this partnership has been asked least often,
  ties broken by the library's order and then the partnership's own prompts in the order they
  were added. So no prompt repeats until every prompt of the theme has been used, a newly added
  prompt comes up before any prompt of its theme repeats, and the choice is deterministic. Only
  delivered posts count.
- **Who sees the answers** comes with the prompt: a library prompt marked sensitive is
  anonymous, any other named; a partnership's own prompt as it was added.
"""

from __future__ import annotations

from collections import Counter

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.prompts import THEMES, prompts_for
from bot.services.reflection.views import ChosenPrompt
from bot.services.reflection.visibility import as_visibility, default_for
from db.models import PromptPost, ReflectionPrompt


async def choose(session: AsyncSession, partnership_id: int, theme: str | None) -> ChosenPrompt:
    """The next prompt for the partnership: of `theme`, or of the next theme in rotation."""
    rotation = theme is None or theme not in THEMES
    if rotation:
        theme = await _next_theme(session, partnership_id)
    assert theme is not None
    own = (
        await session.exec(
            select(ReflectionPrompt)
            .where(
                ReflectionPrompt.partnership_id == partnership_id,
                ReflectionPrompt.theme == theme,
            )
            .order_by(col(ReflectionPrompt.id))
        )
    ).all()
    candidates = [
        ChosenPrompt(
            p.theme,
            p.text,
            p.concept,
            library_id=p.id,
            rotation=rotation,
            visibility=default_for(sensitive=p.sensitive),
        )
        for p in prompts_for(theme)
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


async def _next_theme(session: AsyncSession, partnership_id: int) -> str:
    """The theme after the one of the partnership's last rotated post (the first if none)."""
    last = (
        await session.exec(
            select(PromptPost.theme)
            .where(
                PromptPost.partnership_id == partnership_id,
                col(PromptPost.message_id).is_not(None),
                col(PromptPost.rotation).is_(True),
            )
            .order_by(col(PromptPost.posted_at).desc(), col(PromptPost.id).desc())
            .limit(1)
        )
    ).first()
    keys = list(THEMES)
    return keys[(keys.index(last) + 1) % len(keys)] if last in keys else keys[0]


async def _times_used(session: AsyncSession, partnership_id: int, theme: str) -> Counter[str]:
    """How often each prompt of the theme was delivered to the partnership, by its ref."""
    rows = (
        await session.exec(
            select(PromptPost.library_prompt_id, PromptPost.custom_prompt_id, func.count())
            .where(
                PromptPost.partnership_id == partnership_id,
                PromptPost.theme == theme,
                col(PromptPost.message_id).is_not(None),
            )
            .group_by(col(PromptPost.library_prompt_id), col(PromptPost.custom_prompt_id))
        )
    ).all()
    used: Counter[str] = Counter()
    for library_id, custom_id, n in rows:
        used[library_id or f"own-{custom_id}"] += n
    return used
