"""Shared fixtures: a migrated database per test, on SQLite and (when configured) PostgreSQL.

PostgreSQL runs when TEST_DATABASE_URL is set. Without it, those tests are skipped with a printed
reason, except under CI=true, where a missing PostgreSQL is a failure. Each pytest process makes
its own database beside the one named (so parallel runs never collide) and drops it at the end.
"""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from db.engine import SessionFactory, create_engine, create_session_factory
from db.migrate import upgrade_sync

T = TypeVar("T")
BACKENDS = ["sqlite", "postgresql"]


def off_loop(fn: Callable[..., T], *args: Any) -> T:
    """Run blocking set-up (Alembic runs its own event loop) in a thread of its own."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


@pytest.fixture(autouse=True)
def _heap_unfrozen() -> Iterator[None]:
    """A test that settles the heap (`bot.heap.settle`, as the bot and the command line do)
    leaves it as it found it: the rest of the run collects as usual."""
    yield
    if gc.get_freeze_count():
        gc.unfreeze()


def pytest_report_header(config: pytest.Config) -> list[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return [f"PostgreSQL tests: on ({make_url(url).render_as_string(hide_password=True)})"]
    return ["PostgreSQL tests: skipped, TEST_DATABASE_URL is not set"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (migrating each time is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    off_loop(upgrade_sync, f"sqlite+aiosqlite:///{path}")
    return path


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests must run.")
        pytest.skip("PostgreSQL tests skipped: set TEST_DATABASE_URL to run them.")
    name = f"pb_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    off_loop(asyncio.run, _admin(base, f'CREATE DATABASE "{name}"'))
    try:
        off_loop(upgrade_sync, url)
        yield url
    finally:
        off_loop(asyncio.run, _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _truncate_all(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            rows = await conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            )
            tables = ", ".join(f'"{r[0]}"' for r in rows)
            if tables:
                await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A freshly migrated, empty database for one test."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
        await _truncate_all(url)
        yield url


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[SessionFactory]:
    engine = create_engine(db_url)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()
