"""Fixtures of the database tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_engine


@pytest.fixture
async def pg(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the tests' PostgreSQL database with one connection, so every statement of a
    test goes through the same one."""
    engine = create_engine(postgres_url, pool_size=1, max_overflow=0)
    try:
        yield engine
    finally:
        await engine.dispose()
