"""Migration 0021 adds `redaction.perception_id` (a reading whose origin detail was removed), on
SQLite and PostgreSQL: existing redactions keep their rows and name no reading, the column
cascades with its reading, and the downgrade takes it away again, keeping the rows."""

from __future__ import annotations

import asyncio

from alembic import command
from sqlalchemy import inspect, text

from db.engine import create_engine
from db.migrate import alembic_config, current_revisions, upgrade
from tests.db.test_coprod_migration import PARTNERSHIP
from tests.db.test_name_keys import empty_url  # noqa: F401  (the fixture)

BEFORE = "0020_timers"
EVENT = (
    "INSERT INTO event (id, guild_id, partnership_id, kind, actor_id, occurred_at, summary, "
    "payload) VALUES (7, 1, 1, 'goal.stance', 101, CURRENT_TIMESTAMP, 'Bea agrees.', '{}')"
)
REDACTION = (
    "INSERT INTO redaction (id, guild_id, partnership_id, event_id, redacted_by, reason, "
    "redacted_at) VALUES (3, 1, 1, 7, 101, 'author', CURRENT_TIMESTAMP)"
)


async def _redaction(url: str) -> tuple[list[str], list[dict], list[tuple]]:
    """The redaction table's columns, foreign keys and rows."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            columns = await conn.run_sync(
                lambda sync: [c["name"] for c in inspect(sync).get_columns("redaction")]
            )
            keys = await conn.run_sync(lambda sync: inspect(sync).get_foreign_keys("redaction"))
            rows = (await conn.execute(text("SELECT * FROM redaction ORDER BY id"))).all()
    finally:
        await engine.dispose()
    return columns, keys, [tuple(r._mapping.get(c) for c in ("id", "event_id")) for r in rows]


async def test_perception_id_is_added_and_taken_away_keeping_the_redactions(
    empty_url: str,  # noqa: F811
):
    await upgrade(empty_url, BEFORE)
    engine = create_engine(empty_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(PARTNERSHIP),
                {"id": 1, "name": "Hubs", "key": "hubs", "rel": "enabler", "by": 101},
            )
            await conn.execute(text(EVENT))
            await conn.execute(text(REDACTION))
    finally:
        await engine.dispose()
    columns, _keys, rows = await _redaction(empty_url)
    assert "perception_id" not in columns and rows == [(3, 7)]

    await upgrade(empty_url)
    columns, keys, rows = await _redaction(empty_url)
    assert "perception_id" in columns and rows == [(3, 7)]
    [reading] = [k for k in keys if k["constrained_columns"] == ["perception_id"]]
    assert reading["referred_table"] == "goal_perception"
    assert (reading.get("options") or {}).get("ondelete", "").upper() == "CASCADE"
    engine = create_engine(empty_url)
    try:
        async with engine.connect() as conn:
            kept = (await conn.execute(text("SELECT perception_id FROM redaction"))).scalar()
    finally:
        await engine.dispose()
    assert kept is None  # an existing redaction names no reading

    await asyncio.to_thread(_downgrade, empty_url, BEFORE)
    assert await current_revisions(empty_url) == {BEFORE}
    columns, keys, rows = await _redaction(empty_url)
    assert "perception_id" not in columns and rows == [(3, 7)]
    assert not [k for k in keys if k["referred_table"] == "goal_perception"]
    await upgrade(empty_url)  # and up again
    assert "perception_id" in (await _redaction(empty_url))[0]


def _downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)
