"""Migration 0013 (goal responses): individual-level goals that already existed were visible to
the whole partnership, so they count as shared when proposed; other goals are left as they
were, and stances already recorded stay."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from db.engine import create_engine
from db.migrate import upgrade
from tests.db.test_name_keys import PARTNERSHIP, empty_url

__all__ = ["empty_url"]  # the fixture, shared with test_name_keys

GOAL = (
    "INSERT INTO goal (id, partnership_id, title, title_key, description, level, origin, "
    "authenticity, relevance, content, overtness, status, proposed_by, proposed_at, updated_at) "
    "VALUES (:id, 1, :title, :title, '', :level, 'members', 'unassessed', 'unassessed', "
    "'substantive', 'explicit', 'proposed', 1, :at, :at)"
)
STANCE = (
    "INSERT INTO goal_stance (id, goal_id, user_id, display_name, capacity, stance, recorded_at) "
    "VALUES (1, 2, 5, 'Bea', 'citizen', 'agree', :at)"
)
AT = datetime(2026, 1, 1, 9, tzinfo=UTC)


async def test_existing_individual_goals_count_as_shared(empty_url: str):
    await upgrade(empty_url, "0012")
    engine = create_engine(empty_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(PARTNERSHIP), {"id": 1, "name": "Hubs", "key": "hubs"})
            for goal_id, level in ((1, "collaboration"), (2, "individual"), (3, "organisation")):
                await conn.execute(
                    text(GOAL),
                    {
                        "id": goal_id,
                        "title": f"g{goal_id}",
                        "level": level,
                        "at": AT,
                    },
                )
            await conn.execute(text(STANCE), {"at": AT})
        await upgrade(empty_url)
        async with engine.connect() as conn:
            shared = dict(
                (await conn.execute(text("SELECT id, shared_at IS NOT NULL FROM goal"))).all()
            )
            same = (
                await conn.execute(text("SELECT shared_at = proposed_at FROM goal WHERE id = 2"))
            ).scalar_one()
            stances = (await conn.execute(text("SELECT stance FROM goal_stance"))).scalars().all()
    finally:
        await engine.dispose()
    assert {k: bool(v) for k, v in shared.items()} == {1: False, 2: True, 3: False}
    assert bool(same)
    assert stances == ["agree"]
