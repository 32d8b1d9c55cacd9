"""Migration 0013 carries each partnership's one relationship over to its history, on SQLite
and PostgreSQL: one current row per partnership whose relationship was said, none for unclear."""

from __future__ import annotations

from sqlalchemy import text

from db.engine import create_engine
from db.migrate import upgrade
from tests.db.test_name_keys import empty_url  # noqa: F401  (the fixture)

PARTNERSHIP = (
    "INSERT INTO partnership (id, guild_id, name, name_key, purpose, relationship, "
    "agreement_rule, anonymity_threshold, count_individuals, timezone, citizen_phases, "
    "created_by, created_at, announcements, digest) VALUES (:id, 1, :name, :key, '', :rel, "
    "'consensus', 3, false, 'Europe/London', '[\"design\"]', :by, CURRENT_TIMESTAMP, true, 'off')"
)


async def test_each_stated_relationship_becomes_a_current_row(empty_url: str):  # noqa: F811
    await upgrade(empty_url, "0012")
    engine = create_engine(empty_url)
    try:
        async with engine.begin() as conn:
            for row_id, rel in ((1, "enabler"), (2, "unclear"), (3, "antecedent")):
                await conn.execute(
                    text(PARTNERSHIP),
                    {
                        "id": row_id,
                        "name": f"P{row_id}",
                        "key": f"p{row_id}",
                        "rel": rel,
                        "by": 100 + row_id,
                    },
                )
        await upgrade(empty_url)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT partnership_id, relationship, added_by, removed_at "
                        "FROM partnership_relationship ORDER BY partnership_id"
                    )
                )
            ).all()
            kept = (
                await conn.execute(
                    text("SELECT relationship, coproduction_levels FROM partnership WHERE id = 1")
                )
            ).one()
            phase = (
                await conn.execute(text("SELECT count(*) FROM goal WHERE phase IS NULL"))
            ).one()
    finally:
        await engine.dispose()
    assert [tuple(r) for r in rows] == [(1, "enabler", 101, None), (3, "antecedent", 103, None)]
    assert kept[0] == "enabler"
    assert kept[1] in ([], "[]")
    assert phase[0] == 0
