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
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import BindParameter, bindparam
from sqlalchemy import select as select_columns
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.prompts import THEMES, LibraryPrompt, prompts_for, relationship_prompts
from bot.services.reflection.views import ChosenPrompt
from bot.services.reflection.visibility import as_visibility, default_for
from db.models import Partnership, PartnershipRelationship, PromptPost, ReflectionPrompt

# What a prompt is chosen for: a partnership, and a theme (None: the rotation's).
Ask = tuple[int, str | None]

# Built once: every scheduled post asks these, and building a statement costs more CPU than
# SQLite running it. Each reads several partnerships at once (`choose_many`).
_PARTNERSHIPS: BindParameter[list[int]] = bindparam("partnership_ids", expanding=True)
_THEMES: BindParameter[list[str]] = bindparam("themes", expanding=True)
_HELD = select(
    PartnershipRelationship.partnership_id,
    PartnershipRelationship.relationship,
    PartnershipRelationship.added_at,
).where(
    col(PartnershipRelationship.partnership_id).in_(_PARTNERSHIPS),
    col(PartnershipRelationship.removed_at).is_(None),
)
_LAST_ASKED = (
    select(PromptPost.partnership_id, PromptPost.library_prompt_id, func.max(PromptPost.posted_at))
    .where(
        col(PromptPost.partnership_id).in_(_PARTNERSHIPS),
        col(PromptPost.message_id).is_not(None),
        col(PromptPost.library_prompt_id).in_(bindparam("prompt_ids", expanding=True)),
    )
    .group_by(col(PromptPost.partnership_id), col(PromptPost.library_prompt_id))
)
# Each partnership's last rotated theme: one index lookup each, as `LIMIT 1` on its own.
_LAST_THEME = (
    select(PromptPost.theme)
    .where(
        col(PromptPost.partnership_id) == col(Partnership.id),
        col(PromptPost.message_id).is_not(None),
        col(PromptPost.rotation).is_(True),
    )
    .order_by(col(PromptPost.posted_at).desc(), col(PromptPost.id).desc())
    .limit(1)
    .correlate(Partnership)
    .scalar_subquery()
)
_LAST_ROTATED = select(Partnership.id, _LAST_THEME).where(col(Partnership.id).in_(_PARTNERSHIPS))
_OWN = (
    select(ReflectionPrompt)
    .where(
        col(ReflectionPrompt.partnership_id).in_(_PARTNERSHIPS),
        col(ReflectionPrompt.theme).in_(_THEMES),
    )
    .order_by(col(ReflectionPrompt.id))
)
_TIMES_USED = (
    select_columns(
        col(PromptPost.partnership_id),
        col(PromptPost.theme),
        col(PromptPost.library_prompt_id),
        col(PromptPost.custom_prompt_id),
        func.count(),
    )
    .where(
        col(PromptPost.partnership_id).in_(_PARTNERSHIPS),
        col(PromptPost.theme).in_(_THEMES),
        col(PromptPost.message_id).is_not(None),
    )
    .group_by(
        col(PromptPost.partnership_id),
        col(PromptPost.theme),
        col(PromptPost.library_prompt_id),
        col(PromptPost.custom_prompt_id),
    )
)


async def choose(session: AsyncSession, partnership_id: int, theme: str | None) -> ChosenPrompt:
    """The next prompt for the partnership: of `theme`, or of the next theme in rotation."""
    return (await choose_many(session, [(partnership_id, theme)]))[0]


async def choose_many(session: AsyncSession, asks: Sequence[Ask]) -> list[ChosenPrompt]:
    """`choose` for each ask, with one query per step for all of them (a burst's claim chooses
    a dozen prompts at once). The same choices as one at a time, in any order: only delivered
    posts count, and none is delivered while they are chosen."""
    if not asks:
        return []
    rotating = [theme is None or theme not in THEMES for _, theme in asks]
    held = await _held(session, {pid for pid, _ in asks})
    unasked = await _relationship_unasked(
        session, {pid: held[pid] for (pid, _), rot in zip(asks, rotating, strict=True) if rot}
    )
    last = await _last_rotated(
        session, {pid for (pid, _), rot in zip(asks, rotating, strict=True) if rot} - set(unasked)
    )
    themes: list[str] = []
    for (pid, theme), rot in zip(asks, rotating, strict=True):
        if not rot:
            assert theme is not None
            themes.append(theme)
        elif pid in unasked:
            themes.append(unasked[pid][0].theme)
        else:
            themes.append(_next_theme(last.get(pid)))
    keys = set(zip((pid for pid, _ in asks), themes, strict=True))
    # A relationship's prompts are all from the library: no own prompts to read for them.
    own_keys = {
        (pid, theme)
        for (pid, _), rot, theme in zip(asks, rotating, themes, strict=True)
        if not (rot and pid in unasked)
    }
    own = await _own(session, own_keys) if own_keys else {}
    used = await _times_used(session, keys)
    chosen: list[ChosenPrompt] = []
    for (pid, _), rot, theme in zip(asks, rotating, themes, strict=True):
        candidates: list[ChosenPrompt]
        if rot and pid in unasked:
            # A relationship not yet asked about: its prompt, in place of the theme in rotation.
            candidates = [_library(p, rotation=False) for p in unasked[pid]]
        else:
            candidates = [
                _library(p, rotation=rot)
                for p in prompts_for(theme)
                if p.relationship is None or p.relationship in held[pid]
            ] + [
                ChosenPrompt(
                    p.theme,
                    p.text,
                    "",
                    custom_id=p.id,
                    rotation=rot,
                    visibility=as_visibility(p.visibility),
                )
                for p in own.get((pid, theme), ())
            ]
        chosen.append(_least_used(candidates, used.get((pid, theme), Counter())))
    return chosen


def _least_used(candidates: list[ChosenPrompt], used: Counter[str]) -> ChosenPrompt:
    """The candidate asked least often, the first on a tie."""
    return min(candidates, key=lambda c: used[c.ref])


def _library(p: LibraryPrompt, *, rotation: bool) -> ChosenPrompt:
    return ChosenPrompt(
        p.theme,
        p.text,
        p.concept,
        library_id=p.id,
        rotation=rotation,
        visibility=default_for(sensitive=p.sensitive),
    )


async def _held(session: AsyncSession, partnership_ids: set[int]) -> dict[int, dict[str, datetime]]:
    """The relationships each partnership holds now, with when each was added."""
    held: dict[int, dict[str, datetime]] = {pid: {} for pid in partnership_ids}
    rows = await session.exec(_HELD, params={"partnership_ids": sorted(partnership_ids)})  # type: ignore[call-overload]
    for pid, relationship, added_at in rows.all():
        held[pid][relationship] = added_at
    return held


async def _relationship_unasked(
    session: AsyncSession, held: dict[int, dict[str, datetime]]
) -> dict[int, tuple[LibraryPrompt, ...]]:
    """For each partnership, the prompts of the earliest added relationship it holds whose
    prompts were not delivered since it was added; none listed when every held one has been
    asked about."""
    asking = {
        pid: [
            (prompts, added_at)
            for relationship, added_at in sorted(relationships.items(), key=lambda item: item[1])
            if (prompts := relationship_prompts(relationship))
        ]
        for pid, relationships in held.items()
    }
    asking = {pid: pending for pid, pending in asking.items() if pending}
    if not asking:
        return {}
    prompt_ids = sorted({p.id for pending in asking.values() for ps, _ in pending for p in ps})
    rows = await session.exec(
        _LAST_ASKED,  # type: ignore[call-overload]
        params={"partnership_ids": sorted(asking), "prompt_ids": prompt_ids},
    )
    last_asked = {(pid, prompt_id): at for pid, prompt_id, at in rows.all()}
    unasked: dict[int, tuple[LibraryPrompt, ...]] = {}
    for pid, pending in asking.items():
        for prompts, added_at in pending:
            times = (last_asked.get((pid, p.id)) for p in prompts)
            if not any(at is not None and at >= added_at for at in times):
                unasked[pid] = prompts
                break
    return unasked


async def _last_rotated(session: AsyncSession, partnership_ids: set[int]) -> dict[int, str | None]:
    """The theme of each partnership's last rotated post (None if none)."""
    if not partnership_ids:
        return {}
    rows = await session.exec(_LAST_ROTATED, params={"partnership_ids": sorted(partnership_ids)})  # type: ignore[call-overload]
    return {pid: theme for pid, theme in rows.all() if pid is not None}


def _next_theme(last: str | None) -> str:
    """The theme after `last`, the theme of the last rotated post (the first if none)."""
    keys = list(THEMES)
    return keys[(keys.index(last) + 1) % len(keys)] if last in keys else keys[0]


def _keyed(wanted: set[tuple[int, str]]) -> dict[str, list[int] | list[str]]:
    """The values of a read by (partnership, theme): the partnerships and the themes named
    (the rows are then kept only for the pairs wanted)."""
    return {
        "partnership_ids": sorted({pid for pid, _ in wanted}),
        "themes": sorted({theme for _, theme in wanted}),
    }


async def _own(
    session: AsyncSession, keys: Iterable[tuple[int, str]]
) -> dict[tuple[int, str], list[ReflectionPrompt]]:
    """Each partnership's own prompts of a theme, in the order they were added."""
    wanted = set(keys)
    params = _keyed(wanted)
    own: dict[tuple[int, str], list[ReflectionPrompt]] = {}
    for prompt in (await session.exec(_OWN, params=params)).all():  # type: ignore[call-overload]
        key = (prompt.partnership_id, prompt.theme)
        if key in wanted:
            own.setdefault(key, []).append(prompt)
    return own


async def _times_used(
    session: AsyncSession, keys: Iterable[tuple[int, str]]
) -> dict[tuple[int, str], Counter[str]]:
    """How often each prompt of a theme was delivered to a partnership, by its ref."""
    wanted = set(keys)
    params = _keyed(wanted)
    used: dict[tuple[int, str], Counter[str]] = {}
    rows = await session.exec(_TIMES_USED, params=params)  # type: ignore[call-overload]
    for pid, theme, library_id, custom_id, n in rows.all():
        if (pid, theme) in wanted:
            used.setdefault((pid, theme), Counter())[library_id or f"own-{custom_id}"] += n
    return used
