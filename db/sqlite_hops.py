"""SQLite statements in one trip to aiosqlite's thread each, not four.

aiosqlite runs every call on its own thread, and SQLAlchemy's adapter makes four such calls per
statement (open a cursor, execute, fetch the rows, close the cursor), each a hand-over between
threads that costs more CPU than most of the bot's statements themselves. `OneTripCursor` does
the four in one call; results, row counts and errors are the same. A rollback with no transaction
open (the pool's, after a commit) makes no trip at all. `use_one_trip` puts both on a connection
(the engine's `connect` event, `db.engine`).
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

Result = tuple[Any, list[Any] | None, int, int | None]


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> Result:
    """On aiosqlite's thread: execute, fetch every row, close."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        return None  # nothing is left open on the other thread

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            return await_(self._trip(operation, parameters, many=False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        try:
            return await_(self._trip(operation, seq_of_parameters, many=True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _trip(self, operation: Any, parameters: Any, *, many: bool) -> None:
        connection = self._connection
        async with self._adapt_connection._execute_mutex:
            description, rows, rowcount, lastrowid = await connection._execute(
                _run, connection._conn, operation, parameters, many
            )
        self._description = description
        self._rows = collections.deque(rows or ())
        self._rowcount = rowcount
        self._lastrowid = lastrowid


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor

    def rollback(self) -> None:
        """No trip when there is nothing to roll back: the pool rolls back every connection
        it is given back, most of them just committed."""
        try:
            idle = not self._connection._conn.in_transaction
        except Exception:  # closed: let the adapter say so
            idle = False
        if not idle:
            super().rollback()


def use_one_trip(dbapi_connection: Any) -> None:
    """Make an aiosqlite connection's statements one trip each (a no-op for any other)."""
    if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection:
        dbapi_connection.__class__ = OneTripConnection
