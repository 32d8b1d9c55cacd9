"""Prompts chosen for several partnerships at once (`rotation.choose_many`, a burst's claim)
are the ones chosen for each alone, and the posts recorded for them the same rows."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import select

from bot.prompts import RELATIONSHIPS, THEMES
from bot.services.access import Actor, PartnershipRef
from bot.services.reflection import ReflectionService, ScheduledPost, rotation
from bot.services.register import RegisterService
from db.engine import SessionFactory
from db.models import Partnership, PromptPost

GUILD = 1000
convener = Actor(GUILD, 2, "Bea", manage_channels=True)
_message_ids = itertools.count(900_000)
DUE = datetime(2027, 3, 16, 9, tzinfo=UTC)


class Clock:
    """Each reading a minute after the last: posts and changes are ordered by time."""

    def __init__(self) -> None:
        self.moment = datetime(2027, 3, 15, 12, tzinfo=UTC)

    def now(self) -> datetime:
        self.moment += timedelta(minutes=1)
        return self.moment


class Fixed:
    def now(self) -> datetime:
        return DUE


async def varied_partnerships(sessions: SessionFactory, clock: Clock) -> list[Partnership]:
    """Partnerships with varied histories: posts rotated, of fixed themes and undelivered; own
    prompts; relationships added, asked about, removed."""
    service = ReflectionService(sessions, clock=clock)
    register = RegisterService(
        sessions, default_timezone="Europe/London", admin_role_name="x", clock=clock
    )
    rng = random.Random(14)
    themes = list(THEMES)
    made = []
    for n in range(6):
        draft = await register.prepare_create(convener, f"P{n}", "Joined-up early help")
        made.append(await register.create(convener, draft, 5000 + n))
    for n, partnership in enumerate(made):
        ref = PartnershipRef(name=partnership.name)
        for step in range(rng.randrange(0, 14)):
            roll = rng.random()
            if roll < 0.1:
                await service.add_prompt(convener, ref, rng.choice(themes), f"Own {n}.{step}?")
            elif roll < 0.2:
                relationship = rng.choice(RELATIONSHIPS)
                try:
                    await register.add_relationship(convener, ref, relationship)
                except Exception:
                    await register.remove_relationship(convener, ref, relationship)
            else:
                theme = rng.choice(themes) if roll < 0.35 else None
                post = await service.prepare_now(convener, ref, theme)
                if roll < 0.9:  # the rest never delivered: they do not count
                    await service.mark_posted(
                        post.post_id, channel_id=5000 + n, message_id=next(_message_ids)
                    )
    if made:
        await register.add_relationship(convener, PartnershipRef(name=made[0].name), "enabler")
    return made


def asks_for(partnerships: list[Partnership]) -> list[tuple[Partnership, str | None]]:
    """Rotation for each, a fixed theme for some, and two of one partnership's schedules."""
    themes = list(THEMES)
    asks: list[tuple[Partnership, str | None]] = [(p, None) for p in partnerships]
    asks += [(p, themes[i % len(themes)]) for i, p in enumerate(partnerships[::2])]
    asks += [(partnerships[1], None), (partnerships[0], "not-a-theme")]
    return asks


def as_row(post: PromptPost) -> dict[str, Any]:
    return post.model_dump(exclude={"id"})


async def test_prompts_chosen_together_are_those_chosen_one_at_a_time(sessions):
    partnerships = await varied_partnerships(sessions, Clock())
    asks = [(p.id, theme) for p, theme in asks_for(partnerships)]
    async with sessions() as session:
        together = await rotation.choose_many(session, asks)
        alone = [await rotation.choose(session, pid, theme) for pid, theme in asks]
        backwards = await rotation.choose_many(session, asks[::-1])
    assert together == alone
    assert backwards == together[::-1]
    # The state exercised every step: relationships asked about, rotation, fixed themes.
    assert {c.rotation for c in together} == {True, False}
    assert any(c.theme == "coproduction" and not c.rotation for c in together)
    assert len({c.theme for c in together}) > 2


async def test_posts_recorded_together_are_the_rows_recorded_one_at_a_time(sessions):
    clock = Clock()
    partnerships = await varied_partnerships(sessions, clock)
    service = ReflectionService(sessions, clock=Fixed())
    scheduled = [
        ScheduledPost(
            partnership,
            occurrence_id=None,  # type: ignore[arg-type]
            schedule_id=None,  # type: ignore[arg-type]
            theme=theme,
            late=i % 3 == 0,
            due_at=DUE,
            visibility="anonymous" if i % 4 == 0 else None,
        )
        for i, (partnership, theme) in enumerate(asks_for(partnerships))
    ]
    rows = []
    for batches in ([scheduled], [[one] for one in scheduled]):
        async with sessions() as session:
            before = set((await session.exec(select(PromptPost.id))).all())
            drafts = [d for batch in batches for d in await service.prepare_claimed(session, batch)]
            posts = (await session.exec(select(PromptPost).order_by(PromptPost.id))).all()
            new = [post for post in posts if post.id not in before]
            assert [post.id for post in new] == [draft.post_id for draft in drafts]
            rows.append([as_row(post) for post in new])
            await session.rollback()
    assert rows[0] == rows[1]
    assert len(rows[0]) == len(scheduled)
