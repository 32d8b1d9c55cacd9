"""Alembic, driven from code: a `Config` built here, so it works from any working folder."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Passed as an attribute, not an ini option, so a password with '%' needs no escaping.
    config.attributes["database_url"] = database_url
    return config


def upgrade_sync(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


async def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema up to `revision`, off the event loop (Alembic runs its own loop)."""
    await asyncio.to_thread(upgrade_sync, database_url, revision)


def head_revisions() -> set[str]:
    """The newest revision. The chain is linear (a test checks there is exactly one head): a new
    migration's `down_revision` is the current head, never a branch of its own."""
    return set(ScriptDirectory.from_config(alembic_config("")).get_heads())


async def current_revisions(database_url: str) -> set[str]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda sync_conn: set(MigrationContext.configure(sync_conn).get_current_heads())
            )
    finally:
        await engine.dispose()
