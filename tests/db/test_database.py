"""The database layer: SQLite tuning, migrations that match the models, aware UTC times."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from db.engine import SessionFactory, create_engine, transaction
from db.migrate import head_revisions, upgrade
from db.models import Membership, Partnership, metadata


async def test_sqlite_connections_are_tuned(tmp_path: Path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.connect() as conn:
            fk = (await conn.execute(text("PRAGMA foreign_keys"))).scalar()
            mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
            busy = (await conn.execute(text("PRAGMA busy_timeout"))).scalar()
        assert (fk, mode, busy) == (1, "wal", 10_000)
    finally:
        await engine.dispose()


async def test_migrations_create_exactly_the_models(db_url: str):
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
            )
            heads = await conn.run_sync(
                lambda sync: set(MigrationContext.configure(sync).get_current_heads())
            )
        assert diff == [], f"models and migrations differ: {diff}"
        assert heads == head_revisions()
    finally:
        await engine.dispose()


async def test_upgrade_works_from_any_folder_and_twice(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    await upgrade(url)
    await upgrade(url)  # idempotent
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            tables = {r[0] for r in await conn.execute(text("SELECT name FROM sqlite_master"))}
        assert {"partnership", "membership", "event", "alembic_version"} <= tables
    finally:
        await engine.dispose()


async def test_times_come_back_aware_utc_and_snowflakes_fit(sessions: SessionFactory):
    snowflake = 1_234_567_890_123_456_789
    async with transaction(sessions) as s:
        p = Partnership(
            guild_id=snowflake,
            name="X",
            name_key="x",
            purpose="p",
            timezone="Europe/London",
            created_by=snowflake,
            channel_id=snowflake,
        )
        s.add(p)
    async with sessions() as s:
        loaded = await s.get(Partnership, p.id)
    assert loaded is not None and loaded.guild_id == snowflake
    assert loaded.created_at.tzinfo is not None
    assert loaded.created_at.utcoffset() == UTC.utcoffset(datetime.now(UTC))


async def test_foreign_keys_are_enforced(sessions: SessionFactory):
    with pytest.raises(IntegrityError):
        async with transaction(sessions) as s:
            s.add(Membership(partnership_id=999_999, user_id=1))


async def test_sqlite_writers_lock_at_begin_and_readers_do_not(tmp_path: Path):
    """A write transaction holds the database's write lock from its first statement (BEGIN
    IMMEDIATE, sent with it); a read transaction holds none."""
    import sqlite3

    from db.engine import create_session_factory

    path = tmp_path / "x.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    sessions = create_session_factory(engine)

    def another_writer_may_begin() -> bool:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError as error:
            assert "locked" in str(error)
            return False
        finally:
            other.close()

    try:
        async with transaction(sessions) as s:
            await s.exec(text("SELECT 1"))  # type: ignore[call-overload]
            assert not another_writer_may_begin()
        async with sessions() as s:
            await s.exec(text("SELECT 1"))  # type: ignore[call-overload]
            assert another_writer_may_begin()
        assert another_writer_may_begin()
    finally:
        await engine.dispose()
