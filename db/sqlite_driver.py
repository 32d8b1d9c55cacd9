"""SQLite through aiosqlite with one trip to its thread per statement.

SQLAlchemy's aiosqlite adapter makes four trips to aiosqlite's thread for each statement:
open a cursor, execute, fetch the rows, close the cursor. Each trip is a hand-over between the
event loop and that thread, and on a busy machine each costs far more than the statement
itself: a command's ten or so statements spent most of their time waiting for those
hand-overs. This adapter runs the whole statement in one function on the thread and hands
back the rows with the cursor's description, row count and last row id.

A stream (a server-side cursor: `yield_per`, `stream_results`) sends its statement and its
first `FIRST_ROWS` rows in one trip, each later batch in one more, and closes its cursor on the
thread in the trip that finds the rows' end (`OneTripServerSideCursor`): a stream of a few rows
is one trip, not five. An export's records read eighteen tables that way.

`db.engine.create_engine` uses it for every `sqlite+aiosqlite` URL (the dialect is registered
as `sqlite+partnerbot_aiosqlite`); nothing else changes: the same aiosqlite connection, the same
transactions, the same errors.

`db.ahead.read_ahead` sends several SELECTs of a transaction in one trip here: each one's rows
wait on the connection until SQLAlchemy runs that very statement, which then makes no trip of
its own; a read's last ones can end its transaction in the same trip. `write_behind` leaves a
write whose result nobody reads for the transaction's next trip (its next statement, or its
COMMIT).
"""

from __future__ import annotations

import collections
import logging
import sqlite3
from collections.abc import Sequence
from functools import partial
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

from db.ahead import key
from db.engine import READ_BEGIN

DRIVER = "partnerbot_aiosqlite"
log = logging.getLogger(__name__)


class _Done:
    """What is left of a cursor once its statement has run: what SQLAlchemy reads of it."""

    __slots__ = ("arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self.description = cursor.description
        self.rowcount = cursor.rowcount
        self.lastrowid = cursor.lastrowid
        self.arraysize = cursor.arraysize

    def close(self) -> None:
        """Already closed on the thread."""


def _run(
    conn: sqlite3.Connection,
    operation: str,
    parameters: Any,
    many: bool,
    begin: str | None,
    behind: Sequence[tuple[str, Any]] = (),
) -> tuple[_Done, list[Any] | None]:
    """On aiosqlite's thread: the transaction's BEGIN when it is the first statement, the
    writes left for this trip (`write_behind`), then the whole statement, its rows read and its
    cursor closed."""
    cursor = conn.cursor()
    try:
        _prologue(cursor, begin, behind)
        if many:
            cursor.executemany(operation, parameters)
        else:
            _execute(cursor, operation, parameters)
        rows = cursor.fetchall() if cursor.description else None
        return _Done(cursor), rows
    finally:
        cursor.close()


def _run_ahead(
    conn: sqlite3.Connection,
    reads: list[tuple[str, Any]],
    begin: str | None,
    behind: list[tuple[str, Any]],
    end: bool,
) -> list[tuple[_Done, list[Any] | None]]:
    """On aiosqlite's thread: the transaction's BEGIN and the writes left behind if pending,
    then each read, in order, then (`end`) the transaction's end."""
    done = []
    for index, (operation, parameters) in enumerate(reads):
        first = index == 0
        done.append(
            _run(
                conn,
                operation,
                parameters,
                False,
                begin if first else None,
                behind if first else (),
            )
        )
    if end:
        _rollback(conn)
    return done


def _commit(conn: sqlite3.Connection, begin: str | None, behind: list[tuple[str, Any]]) -> None:
    """On aiosqlite's thread: the writes left behind (and the BEGIN before them, if they are
    the transaction's only statements), then COMMIT."""
    cursor = conn.cursor()
    try:
        _prologue(cursor, begin, behind)
    finally:
        cursor.close()
    conn.commit()


def _execute(cursor: sqlite3.Cursor, operation: str, parameters: Any) -> None:
    """One statement, with its parameters if it has any."""
    if parameters is None:
        cursor.execute(operation)
    else:
        cursor.execute(operation, parameters)


def _prologue(cursor: sqlite3.Cursor, begin: str | None, behind: Sequence[tuple[str, Any]]) -> None:
    """What a trip runs before its own work: the transaction's BEGIN if pending, then the
    writes left for it (`write_behind`)."""
    if begin is not None:
        cursor.execute(begin)
    for write, values in behind:
        cursor.execute(write, values)


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statement makes one trip to the thread."""

    __slots__ = ()
    _awaitable_cursor_close = False

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No trip to open a cursor: the statement opens (and closes) its own on the thread.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()

    @property
    def description(self) -> Any:
        return self._cursor.description if self._cursor is not None else None

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount if self._cursor is not None else -1

    @property
    def lastrowid(self) -> int:
        return self._cursor.lastrowid if self._cursor is not None else None  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize if self._cursor is not None else 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        """Rows are read whole; the size is not used."""

    async def _trip(self, operation: Any, parameters: Any, many: bool) -> None:
        adapt = self._adapt_connection
        assert isinstance(adapt, OneTripConnection)
        if adapt.recording is not None and not many:
            # `read_ahead` noting the statement: nothing runs, the result has no rows.
            adapt.recording.append((operation, parameters))
            self._cursor = None  # type: ignore[assignment]
            self._rows = collections.deque()
            return
        if adapt.ahead:
            ready = None if many else adapt.ahead.pop(key(operation, parameters), None)
            if ready is not None:
                self._cursor, rows = ready  # type: ignore[assignment]
                self._rows = collections.deque(rows) if rows is not None else collections.deque()
                return
            adapt.ahead.clear()  # another statement (maybe a write): what was read ahead is stale
        async with adapt._execute_mutex:
            begin, behind = adapt.take_pending()
            done, rows = await self._connection._execute(
                _run, self._connection._conn, operation, parameters, many, begin, behind
            )
        self._cursor = done  # type: ignore[assignment]
        self._rows = collections.deque(rows) if rows is not None else collections.deque()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._trip(operation, parameters, False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._trip(operation, seq_of_parameters, True)

    async def _async_soft_close(self) -> None:
        """Nothing to close: the statement's cursor closed on the thread."""

    def close(self) -> None:
        self._rows.clear()

    def fetchall(self) -> Sequence[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows


#: Rows a server-side cursor's statement brings back with it, in the same trip.
FIRST_ROWS = 500


def _open(
    conn: sqlite3.Connection,
    operation: str,
    parameters: Any,
    begin: str | None,
    behind: Sequence[tuple[str, Any]],
    size: int,
) -> tuple[_Done, list[Any], sqlite3.Cursor | None]:
    """On aiosqlite's thread: a server-side cursor's statement (after the transaction's BEGIN
    and the writes left behind, if pending) and its first `size` rows; the cursor, still open
    when there may be more, else closed here."""
    cursor = conn.cursor()
    try:
        _prologue(cursor, begin, behind)
        _execute(cursor, operation, parameters)
        done = _Done(cursor)
        rows = cursor.fetchmany(size) if cursor.description else []
    except BaseException:
        cursor.close()
        raise
    if len(rows) < size:
        cursor.close()
        return done, rows, None
    return done, rows, cursor


def _more(cursor: sqlite3.Cursor, size: int | None) -> tuple[list[Any], sqlite3.Cursor | None]:
    """On aiosqlite's thread: the next `size` rows (None: all that are left); the cursor is
    closed here once they run out."""
    rows = cursor.fetchall() if size is None else cursor.fetchmany(size)
    if size is None or len(rows) < size:
        cursor.close()
        return rows, None
    return rows, cursor


def _close_cursor(cursor: sqlite3.Cursor) -> None:
    """On aiosqlite's thread: a cursor whose rows were not all read."""
    cursor.close()


class OneTripServerSideCursor(OneTripCursor):
    """A server-side cursor (a stream, `yield_per`): its statement comes back with its first
    rows in one trip, each later batch in one more, and the trip that finds the rows' end
    closes the cursor on the thread. (aiosqlite's own makes a trip to open the cursor, one
    to run the statement, one per batch, one more to find there are no more rows, and one to
    close it: five for a table of a few rows.)"""

    __slots__ = ("_open_cursor",)
    server_side = True

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        super().__init__(adapt_connection)
        #: The cursor on the thread while it may have rows left.
        self._open_cursor: sqlite3.Cursor | None = None

    async def _trip(self, operation: Any, parameters: Any, many: bool) -> None:
        adapt = self._adapt_connection
        assert isinstance(adapt, OneTripConnection)
        self.close()  # a cursor used again: what is left of its last statement goes
        if many or adapt.recording is not None:
            await super()._trip(operation, parameters, many)
            return
        adapt.ahead.clear()  # another statement: what was read ahead is stale
        async with adapt._execute_mutex:
            begin, behind = adapt.take_pending()
            done, rows, self._open_cursor = await self._connection._execute(
                _open, self._connection._conn, operation, parameters, begin, behind, FIRST_ROWS
            )
        self._cursor = done  # type: ignore[assignment]
        self._rows = collections.deque(rows)

    def _fetch(self, size: int | None) -> list[Any]:
        """Up to `size` rows that are not yet here (None: all of them), in one trip."""
        cursor = self._open_cursor
        if cursor is None or size == 0:
            return []
        rows, self._open_cursor = await_(self._fetch_async(cursor, size))
        return rows

    async def _fetch_async(
        self, cursor: sqlite3.Cursor, size: int | None
    ) -> tuple[list[Any], sqlite3.Cursor | None]:
        async with self._adapt_connection._execute_mutex:
            return await self._connection._execute(_more, cursor, size)  # type: ignore[no-any-return]

    def fetchone(self) -> Any:
        if not self._rows:
            self._rows.extend(self._fetch(1))
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        wanted = self.arraysize if size is None else size
        rows = self._rows
        if len(rows) < wanted:
            rows.extend(self._fetch(wanted - len(rows)))
        return [rows.popleft() for _ in range(min(wanted, len(rows)))]

    def fetchall(self) -> Sequence[Any]:
        self._rows.extend(self._fetch(None))
        return super().fetchall()

    def close(self) -> None:
        """The rows here are let go; a cursor still open on the thread is closed there,
        queued without waiting (as a rollback is: whatever runs next queues behind it)."""
        self._rows.clear()
        cursor, self._open_cursor = self._open_cursor, None
        aio = self._connection
        if cursor is not None and aio._connection:
            aio._tx.put_nowait((None, partial(_close_cursor, cursor)))


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """The connection: a transaction's BEGIN travels with its first statement, a transaction
    that ran nothing ends without a trip, a rollback is queued without waiting for it, and a
    write nobody reads (`write_behind`) travels with the next statement or the COMMIT."""

    __slots__ = ("ahead", "begin_with_next", "behind", "ended", "recording")
    _cursor_cls = OneTripCursor  # type: ignore[assignment]
    _ss_cursor_cls = OneTripServerSideCursor  # type: ignore[assignment]
    reads_ahead = True  # `db.ahead.AheadReads`
    writes_behind = True  # `db.ahead.write_behind`

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        #: The BEGIN to run before the next statement (`db.engine`'s begin listener sets it).
        self.begin_with_next: str | None = None
        #: Committed or rolled back, and no statement since: no transaction is open.
        self.ended = False
        #: While `read_ahead` notes its statements: (SQL, parameters) of each, not run.
        self.recording: list[tuple[str, Any]] | None = None
        #: What `read_ahead` read, by (SQL, parameters), until the transaction ends or another
        #: statement runs.
        self.ahead: dict[tuple[str, Any], tuple[_Done, list[Any] | None]] = {}
        #: Writes whose results nobody reads (`write_behind`), run first by the next trip.
        self.behind: list[tuple[str, Any]] = []

    def take_pending(self) -> tuple[str | None, list[tuple[str, Any]]]:
        """What the next trip runs before its own work (`_prologue`), taken for it: the
        transaction's BEGIN if pending and the writes left behind. The transaction is then
        open (not `ended`)."""
        begin, self.begin_with_next = self.begin_with_next, None
        behind, self.behind = self.behind, []
        self.ended = False
        return begin, behind

    async def read(
        self, connection: Any, reads: list[tuple[str, Any]], *, end: bool = False
    ) -> None:
        """Runs `reads` in one trip; each waits in `ahead` for its statement. `end`: a read
        transaction's last reads: the same trip ends it, so its end (the pool's reset) makes
        no trip of its own; a statement after them begins a new one."""
        async with self._execute_mutex:
            begin, behind = self.take_pending()
            done = await self._connection._execute(
                _run_ahead, self._connection._conn, reads, begin, behind, end
            )
        self.ahead = {key(*read): result for read, result in zip(reads, done, strict=True)}
        if end:
            self.ended = True
            self.begin_with_next = READ_BEGIN

    def take(self, read: tuple[str, Any]) -> tuple[Any, list[Any]] | None:
        """`db.ahead.AheadReads.take`: a read waiting in `ahead`, as `OneTripCursor` would
        serve it."""
        ready = self.ahead.pop(key(*read), None)
        if ready is None:
            return None
        done, rows = ready
        return done.description, rows if rows is not None else []

    def commit(self) -> None:
        self.ahead.clear()
        if self.behind:  # the writes left behind go with the COMMIT, in its trip
            # (a failure leaves the transaction open, for the rollback to end)
            begin, behind = self.take_pending()
            aio = self._connection
            try:
                await_(aio._execute(_commit, aio._conn, begin, behind))
            except Exception as error:
                self._handle_exception(error)
            self.ended = True
            return
        if self.begin_with_next is not None:
            self.begin_with_next = None  # nothing ran: nothing to commit
            return
        super().commit()
        self.ended = True

    def rollback(self) -> None:
        """Queued on the connection's thread, not waited for: whatever uses the connection
        next queues behind it, in order, so a read that ends (the usual rollback: a pooled
        connection is reset when returned) costs no hand-over. A failure is logged. Once the
        transaction has ended (the pool resets a connection as it comes back, after a commit or
        after the rollback that ended a read) nothing is open: no trip. Writes left behind are
        dropped: they were never run."""
        self.ahead.clear()
        self.behind.clear()
        if self.begin_with_next is not None:
            self.begin_with_next = None  # nothing ran: nothing to roll back
            return
        if self.ended:
            return
        aio = self._connection
        if not aio._connection:
            return
        # No future: aiosqlite's thread runs it and reports to nobody, so nothing touches the
        # event loop (which may be closing) from that thread.
        aio._tx.put_nowait((None, partial(_rollback, aio._conn)))
        self.ended = True


def _rollback(conn: sqlite3.Connection) -> None:
    """On aiosqlite's thread: end the transaction; a failure is logged."""
    try:
        conn.rollback()
    except sqlite3.Error as error:
        log.warning("SQLite rollback failed: %s", error)


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        connection = self.aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True  # as SQLAlchemy's adapter does: never hold up exit
        return OneTripConnection(self, await_(connection))


class OneTripDialect(SQLiteDialect_aiosqlite):
    driver = DRIVER
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> OneTripDBAPI:  # type: ignore[override]
        return OneTripDBAPI(__import__("aiosqlite"), __import__("sqlite3"))


registry.register(f"sqlite.{DRIVER}", __name__, "OneTripDialect")
