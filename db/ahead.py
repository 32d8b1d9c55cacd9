"""Several reads of a command sent to the database together (`read_ahead`).

A command's reads are mostly known before it runs them: what it read the last time it was
asked the same way (`bot.services.access.AheadPlans`), or what needs nothing read before it.
`read_ahead` notes their SQL and values, without running them, and hands them to the
connection's driver to run together:

- SQLite (`db.sqlite_driver`): in one trip to aiosqlite's thread;
- PostgreSQL (`db.postgres_driver`): as one statement, one round trip to the server.

Each one's rows then wait on the connection until SQLAlchemy runs that very statement with
those very values, which then makes no trip of its own. Any other statement run first (a write,
or a read that was not guessed) drops what waits, so a wrong guess costs a trip, never a
stale answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Protocol, cast

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Session
from sqlalchemy.util import EMPTY_DICT
from sqlmodel.ext.asyncio.session import AsyncSession

from db.engine import WRITE_OPTION

#: (SQL, parameters): a statement as the driver runs it.
Noted = tuple[str, Any]


def key(operation: str, parameters: Any) -> Noted:
    """How a statement waiting on a connection is found again: its SQL and its values."""
    return operation, tuple(parameters) if parameters is not None else None


class AheadReads(Protocol):
    """What a driver's connection has for `read_ahead` (`reads_ahead` says it has it: a class
    attribute, as a check of the protocol itself costs microseconds on every command)."""

    reads_ahead: ClassVar[bool]
    #: While `read_ahead` notes its statements: (SQL, parameters) of each, not run.
    recording: list[Noted] | None
    #: What was read ahead, by `key`, until another statement runs or the transaction ends.
    ahead: dict[Noted, Any]
    #: Writes left for the next statement or the COMMIT (`write_behind`), on a driver whose
    #: connection has `writes_behind`.
    behind: list[Noted]

    async def read(self, connection: Any, reads: list[Noted], *, end: bool = False) -> None:
        """Run `reads` together on `connection` (SQLAlchemy's); each then waits in `ahead` for
        its statement. `end`: they are the last reads of a read transaction."""

    def take(self, read: Noted) -> tuple[Sequence[Any], Sequence[Sequence[Any]]] | None:
        """The cursor description and raw rows of `read` (as noted), taken from `ahead`, if it
        waits there; what running it would have served (`rows`)."""


async def read_ahead(
    session: AsyncSession, reads: Sequence[tuple[Any, dict[str, Any]]], *, last: bool = False
) -> None:
    """Runs these SELECTs (statement, parameters) of the session's transaction together (see
    the module's docstring); when the session then runs each one (the same statement with the
    same values, before any other statement), its rows are there without a trip. Only for
    reads: a statement noted here does not run until then. The statements are built once
    (module constants).

    `last`: the session means to read nothing more (a read session, not a write
    `transaction`): SQLite's trip also ends its transaction, and PostgreSQL runs the reads
    outside one (a single statement is its own consistent snapshot), so the session's end makes
    no trip of its own. Anything it does read afterwards (an uncommon case) still works, in a
    transaction of its own."""
    connection, raw = await _connection_of(session)
    if not getattr(raw, "reads_ahead", False) or len(reads) < 2:
        return
    adapt = cast(AheadReads, raw)
    sync = connection.sync_connection
    options = sync.get_execution_options() if last and sync is not None else EMPTY_DICT
    end = last and not options.get(WRITE_OPTION, False)
    pending: list[Noted] = []
    for statement, parameters in reads:
        pending += await noted(connection, adapt, statement, parameters)
    if adapt.ahead and all(key(*read) in adapt.ahead for read in pending):
        return  # all read ahead already (`resolve`'s `ahead`): no trip
    await adapt.read(connection, pending, end=end)


async def rows(
    session: AsyncSession, statement: Any, parameters: dict[str, Any]
) -> Sequence[Sequence[Any]]:
    """The rows of a SELECT of plain columns (no ORM entity), each a sequence of its columns'
    values: what `session.exec(statement, params=parameters).all()` gives.

    When `read_ahead` read this very statement with these values and its rows still wait on
    the connection, they are made here from what the driver read, each value through its
    column's own result processor (what SQLAlchemy's result applies), without SQLAlchemy's
    execution of the statement, which costs about 0.1 ms even with no trip to make. With
    nothing read ahead, or with changes waiting to be flushed (a statement on the ORM's classes
    flushes them first), the session runs it. A statement that selects an ORM entity raises
    TypeError, whichever way it would have run."""
    if statement not in _PLAIN:
        _check_plain(statement)
    connection, raw = await _connection_of(session)
    adapt = cast(AheadReads, raw)
    if getattr(raw, "reads_ahead", False) and adapt.ahead and not _unflushed(session):
        found = await noted(connection, adapt, statement, parameters)
        ready = adapt.take(found[0]) if len(found) == 1 else None
        if ready is not None:
            description, waiting = ready
            processors = _processors(connection.dialect, statement, found[0][0], description)
            if not processors:
                return waiting
            return [
                tuple(
                    [
                        value if p is None else p(value)
                        for p, value in zip(processors, row, strict=True)
                    ]
                )
                for row in waiting
            ]
    return (await session.exec(statement, params=parameters)).all()


#: Where a session keeps its connection and the driver's, once `_connection_of` has found them,
#: until its transaction ends (`_forget`).
_HELD = "db.ahead.connection"


async def _connection_of(session: AsyncSession) -> tuple[AsyncConnection, Any]:
    """The session's connection (its transaction begun) and the driver's connection under it.
    Finding them takes two hand-overs to SQLAlchemy's greenlet (about 30 µs); a command's reads
    ask several times in one transaction, so the session keeps them until it ends."""
    held = session.info.get(_HELD)
    if held is not None:
        return held  # type: ignore[no-any-return]
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).dbapi_connection
    session.info[_HELD] = (connection, raw)
    return connection, raw


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, _transaction: Any) -> None:
    """A transaction ended (committed, rolled back, closed, or a savepoint): the connection
    may go back to the pool, or another be used next."""
    session.info.pop(_HELD, None)


#: Statements `rows` has found to select plain columns (by identity: statements are built once);
#: emptied when it holds 256.
_PLAIN: set[Any] = set()


def _check_plain(statement: Any) -> None:
    if any(isinstance(found["type"], type) for found in statement.column_descriptions):
        raise TypeError("db.ahead.rows reads plain columns, not ORM entities: use session.exec")
    if len(_PLAIN) >= 256:
        _PLAIN.clear()
    _PLAIN.add(statement)


def _unflushed(session: AsyncSession) -> bool:
    """Whether running a statement would flush changes first (`rows` then lets it)."""
    sync = session.sync_session
    return bool(sync.autoflush and (sync.new or sync.deleted or sync.dirty))


#: (dialect, SQL) → each result column's processor (None: the value as the driver gives it),
#: or () when no column has one. Built on a statement's first `rows`; at most 256 kept.
_PROCESSORS: dict[tuple[str, str], tuple[Any, ...]] = {}


def _processors(
    dialect: Any, statement: Any, sql: str, description: Sequence[Any]
) -> tuple[Any, ...]:
    found = _PROCESSORS.get((dialect.name, sql))
    if found is not None:
        return found
    columns = list(statement.selected_columns)
    if len(columns) != len(description):
        raise TypeError("db.ahead.rows: the statement's columns are not the rows' columns")
    made = tuple(
        column.type._cached_result_processor(dialect, entry[1])
        for column, entry in zip(columns, description, strict=True)
    )
    found = made if any(p is not None for p in made) else ()
    if len(_PROCESSORS) < 256:
        _PROCESSORS[(dialect.name, sql)] = found
    return found


async def write_behind(session: AsyncSession, statement: Any, parameters: dict[str, Any]) -> None:
    """A write of the session's transaction whose result nobody reads (no RETURNING, its row
    count unused): rather than making a round trip of its own, it waits for the transaction's
    next statement or its COMMIT, and runs first. SQLite's driver runs it in that statement's
    trip to aiosqlite's thread; PostgreSQL's, in that statement itself when that is an INSERT
    of values, else alone just before (`db.postgres_driver`). On another driver it runs now.
    An error it raises comes from that next statement or the COMMIT, and fails the
    transaction all the same."""
    connection, raw = await _connection_of(session)
    if not getattr(raw, "writes_behind", False):
        await connection.execute(statement, parameters)
        return
    adapt = cast(AheadReads, raw)
    writes = await noted(connection, adapt, statement, parameters)
    adapt.ahead.clear()  # what was read ahead may be what this changes
    adapt.behind += writes


async def noted(
    connection: Any, adapt: AheadReads, statement: Any, parameters: dict[str, Any]
) -> list[Noted]:
    """The SQL and values the statement runs as, without running it."""
    known = _SQL.get((connection.dialect.name, statement), False)
    if isinstance(known, tuple):
        sql, names, own = known
        values = {**own, **parameters}
        return [(sql, tuple(values[name] for name in names))]
    values_key = _values_key(parameters)
    by_values = (connection.dialect.name, statement, values_key)
    if known is None and values_key is not None:
        again = _NOTED.get(by_values)
        if again is not None:
            return again
    seen: list[Noted] = []
    adapt.recording = seen
    try:
        (await connection.execute(statement, parameters)).close()
    finally:
        adapt.recording = None
    if known is False:  # not tried yet (compiling again each time would cost more)
        _learn(statement, parameters, connection.dialect, seen)
    if values_key is not None and _SQL.get(by_values[:2], False) is None:
        if len(_NOTED) >= _NOTED_MAX:
            _NOTED.clear()
        _NOTED[by_values] = seen
    return seen


#: A statement that can't be noted from its SQL alone (a list of values expanded into it, or
#: values converted on their way) → what it was noted as, by its values: a command's plan notes
#: the same reads with the same values each time (an endorse's reads of its goal's neighbours,
#: twice per endorse), and noting one runs it through SQLAlchemy's execution (about 0.1 ms).
#: The same statement, values and dialect give the same SQL and values. Bounded: emptied when
#: full.
_NOTED: dict[tuple[str, Any, tuple[Any, ...] | None], list[Noted]] = {}
_NOTED_MAX = 512


def _values_key(parameters: dict[str, Any]) -> tuple[Any, ...] | None:
    """The values as a key (a list as a tuple), or None when one can't be (a dict, say). Each
    value's type goes with it: `1` and `True` are equal, and would be sent as they came."""
    try:
        key = tuple(
            sorted(
                (name, type(value), tuple(value) if isinstance(value, list) else value)
                for name, value in parameters.items()
            )
        )
        hash(key)
    except TypeError:
        return None
    return key


#: A statement → its SQL, its parameters' names in their order and the values it holds itself,
#: once these are known to give what SQLAlchemy runs: the next `read_ahead` of it skips
#: SQLAlchemy's execution (about 0.1 ms each). None: it can't be noted so, it is run to be.
#: By dialect: the same statement compiles to other SQL on each database.
_SQL: dict[tuple[str, Any], tuple[str, tuple[str, ...], dict[str, Any]] | None] = {}


def _learn(statement: Any, parameters: dict[str, Any], dialect: Any, seen: list[Noted]) -> None:
    """Keeps the statement's SQL when compiling it gives what SQLAlchemy ran and its values
    pass as they are (no conversion, no list expanded); otherwise it is noted by running it."""
    if len(_SQL) >= 200:  # for statements built once: a statement built per call is not kept
        return
    compiled = statement.compile(dialect=dialect)
    names = tuple(compiled.positiontup or ())
    which = (dialect.name, statement)
    _SQL[which] = None
    if any(compiled._bind_processors.get(name) for name in names) or any(
        compiled.binds[name].expanding for name in names
    ):
        return
    own = {n: compiled.binds[n].effective_value for n in names if n not in parameters}
    values = {**own, **parameters}
    if seen == [(compiled.string, tuple(values[n] for n in names))]:
        _SQL[which] = (compiled.string, names, own)
