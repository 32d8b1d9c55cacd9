"""What a test's database work sends: the SQL statements run through an engine, and the trips
made to aiosqlite's thread (SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import event
from sqlalchemy.dialects.postgresql.asyncpg import (
    AsyncAdapt_asyncpg_connection,
    AsyncAdapt_asyncpg_cursor,
)

from db.engine import SessionFactory
from db.postgres_driver import CombinedReadsConnection, is_combined
from db.sqlite_driver import OneTripConnection


@contextmanager
def statements_run(
    sessions: SessionFactory, *, starting: str = "", noted: bool = True
) -> Iterator[list[str]]:
    """The SQL statements run through the sessions' engine meanwhile, those starting with
    `starting` (any case) only when given. `noted=False`: not those `read_ahead` only notes, nor
    the one statement that runs them together on PostgreSQL (they run in its trip, and are
    counted when the session takes their rows)."""
    bind = sessions.kw["bind"].sync_engine
    seen: list[str] = []
    prefix = starting.upper()

    def record(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not noted and (
            getattr(conn.connection.dbapi_connection, "recording", None) is not None
            or is_combined(statement)
        ):
            return
        if statement.lstrip().upper().startswith(prefix):
            seen.append(statement)

    # A read `db.ahead.rows` takes from what was read ahead runs no statement through the
    # engine: it is counted as it is taken, as the session running it would have been.
    takes = {driver: driver.take for driver in (OneTripConnection, CombinedReadsConnection)}

    def counted_take(driver: Any) -> Any:
        take = takes[driver]

        def taken(self: Any, read: tuple[str, Any]) -> Any:
            ready = take(self, read)
            if ready is not None and read[0].lstrip().upper().startswith(prefix):
                seen.append(read[0])
            return ready

        return taken

    event.listen(bind, "before_cursor_execute", record)
    for driver in takes:
        driver.take = counted_take(driver)  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        event.remove(bind, "before_cursor_execute", record)
        for driver, take in takes.items():
            driver.take = take  # type: ignore[method-assign]


def count_trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The functions sent to aiosqlite's thread from now on, by name (SQLite only)."""
    sent: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        sent.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return sent


def count_postgres_trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The round trips to PostgreSQL from now on: each statement (its SQL, as sent), each BEGIN
    (noted as it goes, inside its first statement's trip) and each COMMIT."""
    sent: list[str] = []
    execute = AsyncAdapt_asyncpg_cursor._prepare_and_execute
    begin = AsyncAdapt_asyncpg_connection._start_transaction
    commit = AsyncAdapt_asyncpg_connection.commit

    async def counted_execute(self: Any, operation: str, parameters: Any) -> Any:
        sent.append(operation)
        return await execute(self, operation, parameters)

    async def counted_begin(self: Any) -> None:
        if self.isolation_level != "autocommit":
            sent.append("BEGIN")
        await begin(self)

    def counted_commit(self: Any) -> None:
        if self._transaction is not None:
            sent.append("COMMIT")
        commit(self)

    monkeypatch.setattr(AsyncAdapt_asyncpg_cursor, "_prepare_and_execute", counted_execute)
    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "_start_transaction", counted_begin)
    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "commit", counted_commit)
    return sent
