"""Prompts chosen for several partnerships at once (`rotation.choose_many`, a burst's claim)
are the ones chosen for each alone, and the posts recorded for them the same rows."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime
from typing import Any

from sqlmodel import select

from bot.prompts import RELATIONSHIPS, THEMES
from bot.services.access import Actor, PartnershipRef
from bot.services.reflection import ReflectionService, ScheduledPost, rotation
from bot.services.register import RegisterService
from db.engine import SessionFactory, transaction
from db.models import Occurrence, OccurrenceState, Partnership, PromptPost, Schedule
from tests.services.test_coproduction_prompts import Clock

GUILD = 1000
convener = Actor(GUILD, 2, "Bea", manage_channels=True)
_message_ids = itertools.count(900_000)
DUE = datetime(2027, 3, 16, 9, tzinfo=UTC)


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


async def claimed_occurrences(
    sessions: SessionFactory, partnerships: list[Partnership]
) -> list[int]:
    """An occurrence claimed for each partnership of `asks_for`, of a schedule of its own."""
    ids = []
    async with transaction(sessions) as session:
        for partnership, _ in asks_for(partnerships):
            schedule = Schedule(
                guild_id=GUILD,
                partnership_id=partnership.id,
                kind="prompt",
                created_by=convener.user_id,
                handled_until=DUE,
                cadence="weekly",
                local_time="09:30",
                weekdays=[0],
            )
            session.add(schedule)
            await session.flush()
            occurrence = Occurrence(
                schedule_id=schedule.id,  # type: ignore[arg-type]
                partnership_id=partnership.id,  # type: ignore[arg-type]
                due_at=DUE,
                state=OccurrenceState.claimed,
                claimed_at=DUE,
            )
            session.add(occurrence)
            await session.flush()
            ids.append((schedule.id, occurrence.id))
    return ids


async def test_posts_recorded_together_are_the_rows_recorded_one_at_a_time(sessions):
    partnerships = await varied_partnerships(sessions, Clock())
    claimed = await claimed_occurrences(sessions, partnerships)
    service = ReflectionService(sessions, clock=Fixed())
    for with_occurrences in (True, False):  # a post of /reflect now has no occurrence
        scheduled = [
            (
                ScheduledPost(
                    partnership.id,  # type: ignore[arg-type]
                    occurrence_id=occurrence_id if with_occurrences else None,  # type: ignore[arg-type]
                    schedule_id=schedule_id if with_occurrences else None,  # type: ignore[arg-type]
                    theme=theme,
                    late=i % 3 == 0,
                    due_at=DUE,
                    visibility="anonymous" if i % 4 == 0 else None,
                ),
                partnership,
            )
            for i, ((partnership, theme), (schedule_id, occurrence_id)) in enumerate(
                zip(asks_for(partnerships), claimed, strict=True)
            )
        ]
        rows = []
        for batches in ([scheduled], [[one] for one in scheduled]):
            async with sessions() as session:
                before = set((await session.exec(select(PromptPost.id))).all())
                drafts = [
                    d for batch in batches for d in await service.prepare_claimed(session, batch)
                ]
                posts = (await session.exec(select(PromptPost).order_by(PromptPost.id))).all()
                by_id = {post.id: post for post in posts if post.id not in before}
                # Each draft is its own post's, the posts in the order asked.
                assert [d.post_id for d in drafts] == sorted(by_id)
                for draft, (ask, _) in zip(drafts, scheduled, strict=True):
                    post = by_id[draft.post_id]
                    assert (post.occurrence_id, draft.occurrence_id) == (ask.occurrence_id,) * 2
                    assert (post.text, post.partnership_id) == (draft.text, ask.partnership_id)
                rows.append([as_row(by_id[d.post_id]) for d in drafts])
                await session.rollback()
        assert rows[0] == rows[1]
        assert len(rows[0]) == len(scheduled)
