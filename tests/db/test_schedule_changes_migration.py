"""Migration 0013 gives every schedule an `updated_at`: existing rows take their creation time,
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from db.engine import create_engine
from db.migrate import upgrade
from tests.db.test_name_keys import PARTNERSHIP, empty_url  # noqa: F401 - the fixture

SCHEDULE = (
    "INSERT INTO schedule (id, guild_id, partnership_id, kind, cadence, local_time, weekdays, "
    "holidays, options, state, created_by, created_at, handled_until) VALUES (:id, 1, 1, "
    "'prompt', 'daily', '09:00', '[]', '[]', '{}', :state, 1, :created, :created)"
)


async def test_existing_schedules_take_their_creation_time(empty_url: str):  # noqa: F811
    await upgrade(empty_url, "0012")
    made = [datetime(2026, 1, 5, 9, tzinfo=UTC), datetime(2026, 3, 1, 12, 30, tzinfo=UTC)]
    engine = create_engine(empty_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(PARTNERSHIP), {"id": 1, "name": "Riverside", "key": "x"})
            for row_id, (created, state) in enumerate(zip(made, ("active", "paused"), strict=True)):
                await conn.execute(
                    text(SCHEDULE),
                    {"id": row_id + 1, "state": state, "created": created.replace(tzinfo=None)},
                )
        await upgrade(empty_url)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(text("SELECT id, updated_at FROM schedule ORDER BY id"))
            ).all()
    finally:
        await engine.dispose()
    assert [row[0] for row in rows] == [1, 2]
    found = [
        row[1] if isinstance(row[1], datetime) else datetime.fromisoformat(row[1]) for row in rows
    ]
    assert [f.replace(tzinfo=None) for f in found] == [m.replace(tzinfo=None) for m in made]
