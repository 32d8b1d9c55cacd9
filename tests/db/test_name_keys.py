"""Migration 0006 recomputes stored name keys the new way, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from db.engine import create_engine
from db.migrate import upgrade
from tests.conftest import BACKENDS, _admin


@pytest.fixture(params=BACKENDS)
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database with no tables at all, to migrate step by step."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'steps.db'}"
        return
    request.getfixturevalue("postgres_url")  # skips or fails as every PostgreSQL test does
    base = os.environ["TEST_DATABASE_URL"]
    name = f"pb_steps_{uuid.uuid4().hex[:8]}"
    await _admin(base, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


PARTNERSHIP = (
    "INSERT INTO partnership (id, guild_id, name, name_key, purpose, relationship, "
    "agreement_rule, anonymity_threshold, count_individuals, timezone, citizen_phases, "
    "created_by, created_at) VALUES (:id, 1, :name, :key, '', 'unclear', 'consensus', 3, "
    "false, 'Europe/London', '[]', 1, CURRENT_TIMESTAMP)"
)


async def test_stored_keys_are_recomputed_unless_two_names_would_merge(empty_url: str):
    await upgrade(empty_url, "0005")
    engine = create_engine(empty_url)
    try:
        async with engine.begin() as conn:
            rows = [
                (1, "ＲＩＶＥＲＳＩＤＥ", "ｒｉｖｅｒｓｉｄｅ"),  # fullwidth: key becomes riverside
                (2, "Cafe\u0301 Hub", "cafe\u0301 hub"),  # decomposed accent: café hub
                (3, "Old\u200bTown", "old\u200btown"),  # zero-width inside: oldtown
                (4, "OldTown", "oldtown"),  # ... but oldtown exists: both keep their keys
            ]
            for row_id, name, key in rows:
                await conn.execute(text(PARTNERSHIP), {"id": row_id, "name": name, "key": key})
        await upgrade(empty_url)
        async with engine.connect() as conn:
            keys = dict((await conn.execute(text("SELECT id, name_key FROM partnership"))).all())
    finally:
        await engine.dispose()
    assert keys == {1: "riverside", 2: "café hub", 3: "old\u200btown", 4: "oldtown"}
