"""The async engine and session factory, with SQLite tuned for a bot."""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import URL, event, make_url
from sqlalchemy.exc import DisconnectionError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

SessionFactory = async_sessionmaker[AsyncSession]

SQLITE_BUSY_TIMEOUT_MS = 10_000
# A write of this process waits this long for its turn (`_sqlite_write_turn`): long enough for
# a burst of hundreds of writes to drain, in order.
SQLITE_WRITE_QUEUE_SECONDS = 120.0
# PostgreSQL: a write waiting longer than this for a row lock gives up, so a command still
# answers within Discord's three seconds (with "busy, try again") instead of timing out.
POSTGRES_LOCK_TIMEOUT_MS = 2_000
# PostgreSQL pool, per process: connections kept open, and extra ones opened under load and
# closed after use (settings DB_POOL_SIZE and DB_MAX_OVERFLOW). Several processes on one server
# need up to processes x (size + overflow) connections under the server's max_connections.
DEFAULT_POOL_SIZE = 10
DEFAULT_MAX_OVERFLOW = 20
# A burst (a whole partnership answering a check-in at once) queues for a connection: a
# longer wait than the default 30 s, so none is turned away.
POSTGRES_POOL_TIMEOUT_S = 120.0
# A PostgreSQL connection that sat in the pool longer than this is checked before use
# (`_check_after_idle`); one used more recently is not. SQLAlchemy's `pool_pre_ping` checks every
# time, which on asyncpg is three round trips (BEGIN, an empty query, ROLLBACK) before every
# command's own: a third of those of `/goal list`.
POSTGRES_CHECK_AFTER_IDLE_S = 5.0


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # aiosqlite's adapter: let SQLAlchemy drive transactions, then tune the connection.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


WRITE_OPTION = "partnerbot_write"
#: How a read transaction begins: deferred, so it never waits behind a writer.
READ_BEGIN = "BEGIN"


def _sqlite_on_begin(conn: Any) -> None:
    # Writers take the lock at BEGIN, so concurrent writers queue on busy_timeout instead of
    # failing with "database is locked" when a read transaction upgrades to a write. Readers
    # begin deferred, so they never wait behind a writer (WAL lets them read meanwhile).
    begin = "BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else READ_BEGIN
    dbapi = conn.connection.dbapi_connection
    if hasattr(dbapi, "begin_with_next"):
        dbapi.begin_with_next = begin  # `db.sqlite_driver`: sent with the first statement
    else:
        conn.exec_driver_sql(begin)


def _driver_of(url: str) -> str | URL:
    """aiosqlite URLs run on `db.sqlite_driver` (one trip to aiosqlite's thread per statement),
    asyncpg URLs on `db.postgres_driver` (a command's guessed reads in one statement)."""
    parsed = make_url(url)
    if parsed.drivername == "sqlite+aiosqlite":
        import db.sqlite_driver  # registers the dialect

        return parsed.set(drivername=f"sqlite+{db.sqlite_driver.DRIVER}")
    if parsed.drivername == "postgresql+asyncpg":
        import db.postgres_driver  # registers the dialect

        return parsed.set(drivername=f"postgresql+{db.postgres_driver.DRIVER}")
    return url


def create_engine(
    url: str,
    *,
    echo: bool = False,
    pool_size: int = DEFAULT_POOL_SIZE,
    max_overflow: int = DEFAULT_MAX_OVERFLOW,
) -> AsyncEngine:
    # Errors never carry SQL parameters: they hold members' reflections and comments, and
    # error messages end up in logs.
    kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
    if is_sqlite(url):
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    else:
        # A connection the server or a proxy dropped is noticed (and replaced) before use, when
        # it has been idle (`_check_after_idle`). The pool hands out the connection used last,
        # so under load the same few are reused and the rest stay idle (and get checked).
        kwargs["pool_use_lifo"] = True
        kwargs["pool_size"] = pool_size
        kwargs["max_overflow"] = max_overflow
        kwargs["pool_timeout"] = POSTGRES_POOL_TIMEOUT_S
        kwargs["connect_args"] = {
            "server_settings": {"lock_timeout": str(POSTGRES_LOCK_TIMEOUT_MS)}
        }
    engine = create_async_engine(_driver_of(url), **kwargs)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_on_begin)
    else:
        pool = engine.sync_engine.pool
        event.listen(pool, "checkin", _note_idle_since)
        event.listen(pool, "checkout", _check_after_idle)
    return engine


_IDLE_SINCE = "partnerbot_idle_since"


def _note_idle_since(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info[_IDLE_SINCE] = time.monotonic()


def _check_after_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Before a pooled connection idle for longer than `POSTGRES_CHECK_AFTER_IDLE_S` is used,
    ping it; if the server or a proxy dropped it, the pool replaces it with a new one
    (`DisconnectionError`), and the command goes on, unaware. A new connection, or one used
    moments ago, goes straight to its command."""
    since = record.info.get(_IDLE_SINCE)
    if since is None or time.monotonic() - since < POSTGRES_CHECK_AFTER_IDLE_S:
        return
    try:
        dbapi_connection.ping()
    except Exception as exc:
        raise DisconnectionError("the pooled connection was dropped while idle") from exc


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


# SQLite has one writer at a time. Writers of one process queue here, in order, rather than on
# SQLite's busy handler, which polls with growing sleeps: under a burst (hundreds of check-ins
# at once) some waited out the busy timeout and failed with "database is locked". The busy
# timeout still covers writers in other processes (the command line).
_sqlite_writers: weakref.WeakKeyDictionary[
    AsyncEngine, dict[asyncio.AbstractEventLoop, asyncio.Lock]
] = weakref.WeakKeyDictionary()


def _writer_lock(engine: AsyncEngine) -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    locks = _sqlite_writers.setdefault(engine, {})
    lock = locks.get(loop)
    if lock is None:
        for old in [other for other in locks if other.is_closed()]:
            del locks[old]
        lock = locks[loop] = asyncio.Lock()
    return lock


@asynccontextmanager
async def _sqlite_write_turn(factory: SessionFactory) -> AsyncIterator[None]:
    engine = factory.kw.get("bind")
    if not isinstance(engine, AsyncEngine) or engine.dialect.name != "sqlite":
        yield
        return
    lock = _writer_lock(engine)
    try:
        await asyncio.wait_for(lock.acquire(), SQLITE_WRITE_QUEUE_SECONDS)
    except TimeoutError:
        # As SQLite itself says it: a write that could not have its turn.
        raise OperationalError("BEGIN IMMEDIATE", None, Exception("database is locked")) from None
    try:
        yield
    finally:
        lock.release()


@asynccontextmanager
async def transaction(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """One session and one write transaction: committed on success, rolled back on any error.

    Every change goes through here; a plain `factory()` session is for reading. On SQLite the
    process's writers take turns (`_sqlite_write_turn`), so a burst of writes queues instead
    of failing on the database lock.
    """
    async with _sqlite_write_turn(factory), factory() as session, session.begin():
        await session.connection(execution_options={WRITE_OPTION: True})
        yield session
        await _insert_queued(session)


_QUEUED = "partnerbot_queued_inserts"


def insert_at_end(session: AsyncSession, statement: Any, values: dict[str, Any]) -> None:
    """Queue a row for `statement` (an INSERT returning nothing) in a `transaction`: it is
    written as the transaction ends, with the rows queued for the same statement in one
    statement. A burst's outcomes recorded together (each post's log entry) then make one
    trip to the database, not one each."""
    session.info.setdefault(_QUEUED, {}).setdefault(statement, []).append(values)


async def _insert_queued(session: AsyncSession) -> None:
    queued = session.info.pop(_QUEUED, None)
    for statement, rows in (queued or {}).items():
        await session.exec(statement, params=rows)


T = TypeVar("T")


async def retrying_conflicts(work: Callable[[], Awaitable[T]], *, attempts: int = 3) -> T:
    """Run a write (`work` opens its own `transaction`) that may lose a race on a unique
    constraint to a writer it could not queue behind (an organisation registered for the server
    by two partnerships at once). The retry sees the row the other writer committed and answers
    as the sequential case does."""
    for attempt in range(1, attempts + 1):
        try:
            return await work()
        except IntegrityError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")
