"""The partnership log and goal stances refuse UPDATE and DELETE, in the database itself."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.services.access import Actor
from bot.services.register import RegisterService
from db.engine import SessionFactory, create_engine, transaction
from db.models import Goal, GoalStance

convener = Actor(1, 10, "Ada", manage_channels=True)


async def _with_history(sessions: SessionFactory) -> int:
    register = RegisterService(sessions, default_timezone="Europe/London", admin_role_name="x")
    draft = await register.prepare_create(convener, "Riverside", "purpose")
    partnership = await register.create(convener, draft, 42)
    assert partnership.id is not None
    return partnership.id


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE event SET summary = 'rewritten'",
        "UPDATE event SET occurred_at = occurred_at",
        "DELETE FROM event",
        "DELETE FROM partnership",  # its CASCADE would reach the log
    ],
)
async def test_the_log_refuses_changes(sessions: SessionFactory, db_url: str, statement: str):
    await _with_history(sessions)
    engine = create_engine(db_url)
    try:
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as conn:
                await conn.execute(text(statement))
        async with engine.connect() as conn:
            kept = (await conn.execute(text("SELECT summary FROM event"))).scalars().all()
        assert kept and "rewritten" not in kept
    finally:
        await engine.dispose()


async def test_stances_refuse_changes_but_new_ones_are_added(sessions: SessionFactory, db_url):
    partnership_id = await _with_history(sessions)
    async with transaction(sessions) as session:
        goal = Goal(partnership_id=partnership_id, title="G", title_key="g", proposed_by=10)
        session.add(goal)
        await session.flush()
        assert goal.id is not None
        for stance in ("reservations", "agree"):
            session.add(
                GoalStance(goal_id=goal.id, user_id=10, capacity="individual", stance=stance)
            )
    engine = create_engine(db_url)
    try:
        for statement in ("UPDATE goal_stance SET stance = 'object'", "DELETE FROM goal_stance"):
            with pytest.raises(DBAPIError, match="append-only"):
                async with engine.begin() as conn:
                    await conn.execute(text(statement))
        async with engine.connect() as conn:
            stances = (await conn.execute(text("SELECT stance FROM goal_stance ORDER BY id"))).all()
        assert [s[0] for s in stances] == ["reservations", "agree"]
    finally:
        await engine.dispose()
