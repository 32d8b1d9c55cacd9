"""The database layer: SQLite tuning, migrations that match the models, aware UTC times."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from db.engine import SessionFactory, create_engine, insert_at_end, transaction
from db.migrate import head_revisions, upgrade
from db.models import Membership, Partnership, metadata
from tests.statements import statements_run


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


def _partnership(n: int) -> dict[str, Any]:
    row = Partnership(
        guild_id=1,
        name=f"Queued {n}",
        name_key=f"queued {n}",
        purpose="p",
        timezone="UTC",
        created_by=1,
    )
    return row.model_dump(exclude={"id"})


async def test_rows_queued_in_a_transaction_are_written_together_as_it_ends(
    sessions: SessionFactory,
):
    insert_rows = insert(Partnership.__table__)  # type: ignore[attr-defined]
    with statements_run(sessions, starting="INSERT INTO PARTNERSHIP") as writes:
        async with transaction(sessions) as s:
            for n in range(3):
                insert_at_end(s, insert_rows, _partnership(n))
            assert writes == []  # not yet: as the transaction ends
        with pytest.raises(RuntimeError):
            async with transaction(sessions) as s:
                insert_at_end(s, insert_rows, _partnership(9))
                raise RuntimeError("the transaction fails: what it queued is not written")
    assert len(writes) == 1  # the three rows in one statement
    async with sessions() as s:
        names = (await s.exec(select(Partnership.name).order_by(Partnership.id))).all()
    assert names == ["Queued 0", "Queued 1", "Queued 2"]


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
