"""PostgreSQL's pool checks a connection before use only when it has sat idle
(`db.engine._check_after_idle`): a command right after another spends no round trips on a
check, and a connection the server dropped while idle is replaced, not failed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from db import engine as engine_module


@pytest.fixture
def pings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the pool's checks (asyncpg: BEGIN, an empty query, ROLLBACK)."""
    counted: list[int] = []
    real = AsyncAdapt_asyncpg_connection.ping

    def ping(self: Any) -> None:
        counted.append(1)
        real(self)

    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "ping", ping)
    return counted


async def backend(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def terminate(url: str, pid: int) -> None:
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await admin.dispose()


async def test_a_connection_used_moments_ago_is_not_checked_again(
    pg: AsyncEngine, pings: list[int], monkeypatch: pytest.MonkeyPatch
):
    first = await backend(pg)
    for _ in range(5):
        assert await backend(pg) == first  # the same pooled connection
    assert pings == []
    # Idle longer than the limit (here: any time at all): checked once before its next use.
    monkeypatch.setattr(engine_module, "POSTGRES_CHECK_AFTER_IDLE_S", 0.0)
    assert await backend(pg) == first
    assert pings == [1]


async def test_a_connection_dropped_while_idle_is_replaced_before_use(
    pg: AsyncEngine, postgres_url: str, pings: list[int], monkeypatch: pytest.MonkeyPatch
):
    first = await backend(pg)
    await terminate(postgres_url, first)
    monkeypatch.setattr(engine_module, "POSTGRES_CHECK_AFTER_IDLE_S", 0.0)
    second = await backend(pg)  # no error: the check found it gone, the pool opened another
    assert second != first
    assert pings == [1]


async def test_without_the_check_a_dropped_connection_fails_its_command(
    pg: AsyncEngine, postgres_url: str, pings: list[int]
):
    # What the check saves a command from, shown by a connection used moments ago.
    first = await backend(pg)
    await terminate(postgres_url, first)
    with pytest.raises(DBAPIError):
        await backend(pg)
    assert pings == []
    assert await backend(pg) != first  # the pool replaced it after the failure
