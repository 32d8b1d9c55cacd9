"""PostgreSQL through asyncpg, with a command's guessed reads sent as one statement.

Each statement on PostgreSQL is a round trip to the server, and asyncpg sends a statement with
parameters only once the one before has answered (it has no pipeline). An endorse made
fourteen round trips, a `/goal list` six, most of them reads the command could have named
before it began (`db.ahead.read_ahead`). Here those reads become one SELECT whose columns are
arrays, each read's parameters numbered on after the previous read's:

    SELECT _ahead_1.*, _ahead_2.* FROM
        (SELECT array_agg(_ahead."id") AS _1, array_agg(_ahead."name") AS _2
         FROM (<read 1>) AS _ahead) AS _ahead_1,
        (SELECT ARRAY(SELECT _ahead FROM (<read 2>) AS _ahead) AS _1) AS _ahead_2

A read whose columns are all of PostgreSQL's plain types (`_COLUMN_TYPES`: numbers, text,
times, json…) comes back as one array per column, which asyncpg decodes with one codec for the
whole array; its rows are the columns zipped. Any other read comes back as one array of its
rows, each a record, whose fields asyncpg decodes one by one, by the type each carries: half as
much work again (a `/goal list`'s 72 rows took 0.35–0.43 ms of the client's CPU as records,
0.23–0.26 ms as columns, rows made included). An aggregate without GROUP BY reads its
subquery's rows as they come, all its arrays alike, and PostgreSQL never merges a subquery that
has an ORDER BY into the query around it, so each read's rows keep its own order either way.
Each read's rows then wait on the connection for SQLAlchemy to run it, with the column names and
types it had when it last ran alone (`_DESCRIPTIONS`). So a read is combined only once it has
run alone once in this process, and only when its columns are of built-in types (asyncpg
decodes them without asking the server), its SQL holds no quoted text (its parameters are
renumbered in the SQL's text) and it reads, never locks.

A read session's last reads (`read_ahead(…, last=True)`) run outside a transaction: the one
statement is its own consistent snapshot, and the session's end then has nothing to roll back,
so a `/goal list` is one round trip. Inside a write, they run in its transaction as any read.

A write whose result nobody reads (`db.ahead.write_behind`) waits for the transaction's next
statement. When that is an INSERT of values into another table (it reads no table), the write
goes with it in the same statement, as a data-modifying WITH: `WITH _behind_1 AS (UPDATE …)
INSERT INTO …`. PostgreSQL runs both in one snapshot, so the INSERT can't see the write, and
it reads nothing that could show it. Before any other statement, and before the COMMIT, the
write runs alone first, as it would have; a rollback drops it.

`db.engine.create_engine` uses this driver for every `postgresql+asyncpg` URL (registered as
`postgresql+partnerbot_asyncpg`); everything else is SQLAlchemy's asyncpg dialect unchanged:
the same connections, transactions, prepared statements, streams and errors.
"""

from __future__ import annotations

import collections
import re
from typing import Any

from asyncpg.protocol.protocol import BUILTIN_TYPE_OID_MAP
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.postgresql.asyncpg import (
    AsyncAdapt_asyncpg_connection,
    AsyncAdapt_asyncpg_cursor,
    AsyncAdapt_asyncpg_dbapi,
    PGDialect_asyncpg,
)
from sqlalchemy.util.concurrency import await_

from db.ahead import Noted, key

DRIVER = "partnerbot_asyncpg"

_PLACEHOLDER = re.compile(r"\$(\d+)")
#: A read may begin with WITH; one whose WITH writes is no read.
_WRITES = re.compile(r"\b(INSERT INTO|UPDATE|DELETE FROM)\b")
#: PostgreSQL's own types have object ids below this; a database's own types (an enum, a
#: domain) above it, and asyncpg would have to ask the server how to decode them.
_FIRST_USER_OID = 16384
_ALIAS = "_ahead"
_COMBINED_PREFIX = f"SELECT {_ALIAS}_1.*"
#: Types whose values a read may come back in as one array per column: PostgreSQL's own
#: scalar types (no arrays, records or pseudo-types), by object id.
_COLUMN_TYPES = frozenset(
    oid
    for oid, name in BUILTIN_TYPE_OID_MAP.items()
    if name
    in (
        "bool int2 int4 int8 float4 float8 numeric text varchar bpchar char name date time timetz "
        "timestamp timestamptz interval uuid bytea oid json jsonb"
    ).split()
)

#: SQL of a statement run alone → its cursor description, for reads that may be combined (see
#: the module's docstring), or None for a statement that may not. Bounded: statements built
#: once are few; one built per call (a list of ids of varying length) only fills it up to the
#: bound.
_DESCRIPTIONS: dict[str, list[tuple[Any, ...]] | None] = {}
_DESCRIPTIONS_MAX = 1000
#: SQL of a read in `_DESCRIPTIONS` → its columns' names, when it comes back as one array per
#: column (`columns_of`), or None.
_COLUMNS: dict[str, list[str] | None] = {}
#: The reads' SQL and parameter counts → the combined statement's SQL, or None when they
#: can't be combined.
_COMBINED: dict[tuple[tuple[str, int], ...], str | None] = {}
_COMBINED_MAX = 500


#: A write that may go in a WITH (`write_behind`): a plain UPDATE, INSERT or DELETE, its table.
_PLAIN_WRITE = re.compile(r"(?:UPDATE|INSERT INTO|DELETE FROM) (\w+) ")
#: A statement a write may go with: an INSERT of values, no query in it, its table.
_VALUES_INSERT = re.compile(r"INSERT INTO (\w+) \([\w, ]*\) VALUES \(")
#: The writes' SQL and parameter counts, and the INSERT's → the statement of them all, or None
#: when they can't go together.
_WITH_WRITES: dict[tuple[tuple[tuple[str, int], ...], str, int], str | None] = {}
_WITH_WRITES_MAX = 200


def with_writes(writes: list[tuple[str, int]], insert: str, count: int) -> str | None:
    """The INSERT (`count` parameters) with the writes (SQL, number of parameters) before it
    in its WITH, parameters numbered on from write to write and then the INSERT's; None when
    they may not go together (see the module's docstring)."""
    shape = (tuple(writes), insert, count)
    if shape in _WITH_WRITES:
        return _WITH_WRITES[shape]
    merged: str | None = None
    target = _VALUES_INSERT.match(insert)
    if target and "SELECT" not in insert and "'" not in insert:
        parts: list[str] = []
        offset = 0
        for n, (sql, params) in enumerate(writes, start=1):
            write = _PLAIN_WRITE.match(sql)
            renumbered = _renumbered(sql, params, offset)
            if (
                write is None
                or write.group(1) == target.group(1)
                or renumbered is None
                or "'" in sql
                or "SELECT" in sql
            ):
                parts = []
                break
            parts.append(f"_behind_{n} AS ({renumbered})")
            offset += params
        last = _renumbered(insert, count, offset) if parts else None
        if last is not None:
            merged = f"WITH {', '.join(parts)} {last}"
    if len(_WITH_WRITES) < _WITH_WRITES_MAX:
        _WITH_WRITES[shape] = merged
    return merged


def is_combined(operation: str) -> bool:
    """Whether this is a statement of reads combined here."""
    return operation.startswith(_COMBINED_PREFIX)


def _combinable(operation: str, description: Any) -> bool:
    return (
        bool(description)
        and (operation.startswith("SELECT ") or operation.startswith("WITH "))
        and not _WRITES.search(operation)
        and not is_combined(operation)
        and "'" not in operation
        and " FOR UPDATE" not in operation
        and " FOR SHARE" not in operation
        and " FOR NO KEY UPDATE" not in operation
        and " FOR KEY SHARE" not in operation
        and all(column[1] < _FIRST_USER_OID for column in description)
    )


def _renumbered(sql: str, count: int, offset: int) -> str | None:
    """The read's SQL with its parameters $1…$count numbered from `offset` + 1, or None if
    its placeholders are not exactly those."""
    numbers = {int(n) for n in _PLACEHOLDER.findall(sql)}
    if numbers != set(range(1, count + 1)):
        return None
    if not offset:
        return sql
    return _PLACEHOLDER.sub(lambda m: f"${int(m.group(1)) + offset}", sql)


def combined_sql(reads: list[tuple[str, int]]) -> str | None:
    """One SELECT of the reads (SQL, number of parameters), or None if one can't be part of
    it. Each read gives one column per column of its own (`columns_of`), or one of records."""
    shape = tuple(reads)
    if shape in _COMBINED:
        return _COMBINED[shape]
    parts: list[str] = []
    offset = 0
    for n, (sql, count) in enumerate(reads, start=1):
        renumbered = _renumbered(sql, count, offset)
        if renumbered is None:
            parts = []
            break
        names = columns_of(sql)
        if names:
            arrays = ", ".join(
                f"array_agg({_ALIAS}.{_quoted(name)}) AS _{i}" for i, name in enumerate(names, 1)
            )
            parts.append(f"(SELECT {arrays} FROM ({renumbered}) AS {_ALIAS}) AS {_ALIAS}_{n}")
        else:
            parts.append(
                f"(SELECT ARRAY(SELECT {_ALIAS} FROM ({renumbered}) AS {_ALIAS}) AS _1)"
                f" AS {_ALIAS}_{n}"
            )
        offset += count
    combined = (
        "SELECT "
        + ", ".join(f"{_ALIAS}_{n}.*" for n in range(1, len(parts) + 1))
        + " FROM "
        + ", ".join(parts)
        if parts
        else None
    )
    # Kept once every read's columns are known (as `read` asks), so a read's form never
    # changes after its statement is made.
    if len(_COMBINED) < _COMBINED_MAX and all(sql in _DESCRIPTIONS for sql, _count in reads):
        _COMBINED[shape] = combined
    return combined


def columns_of(sql: str) -> list[str] | None:
    """The names of the read's columns when it may come back as one array per column: each
    of a type in `_COLUMN_TYPES`, no two of the same name; else None (an array of records)."""
    if sql in _COLUMNS:
        return _COLUMNS[sql]
    description = _DESCRIPTIONS.get(sql)
    if not description:
        return None  # not learned yet: not kept, it may be soon
    names: list[str] | None = [column[0] for column in description]
    if len(set(names or ())) != len(description) or any(
        column[1] not in _COLUMN_TYPES for column in description
    ):
        names = None
    _COLUMNS[sql] = names  # bounded as `_DESCRIPTIONS` is, whose keys these are
    return names


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rows(arrays: Any, start: int, description: list[tuple[Any, ...]], sql: str) -> Any:
    """A read's rows from the combined statement's row, from `start`; and where its arrays
    end. As columns (`columns_of`): zipped, an aggregate of no rows being NULL; else records."""
    if columns_of(sql):
        end = start + len(description)
        if arrays[start] is None:
            return [], end
        return list(zip(*arrays[start:end], strict=True)), end
    return [tuple(row) for row in arrays[start]], start + 1


class CombinedReadsCursor(AsyncAdapt_asyncpg_cursor):
    """asyncpg's cursor, which also notes a statement without running it (`read_ahead`'s
    noting), serves a read from what was read ahead, and learns each combinable read's
    description when it runs alone."""

    __slots__ = ()

    def execute(self, operation: Any, parameters: Any = None) -> None:
        # Always through `await_`, even when nothing runs: SQLAlchemy's async layer expects
        # each statement to pass through the event loop.
        await_(self._execute_or_serve(operation, parameters))

    async def _execute_or_serve(self, operation: Any, parameters: Any) -> None:
        adapt = self._adapt_connection
        assert isinstance(adapt, CombinedReadsConnection)
        if adapt.recording is not None:
            adapt.recording.append(key(operation, parameters or ()))
            self._description = None
            self._rows = collections.deque()
            self._rowcount = -1
            return
        if adapt.ahead:
            ready = adapt.ahead.pop(key(operation, parameters or ()), None)
            if ready is not None:
                description, rows = ready
                self._description = description  # type: ignore[assignment]
                self._rows = collections.deque(rows)
                self._rowcount = len(rows)
                return
            adapt.ahead.clear()  # another statement (maybe a write): what was read is stale
        if adapt.behind:
            operation, parameters = await adapt.write_behind_with(operation, parameters)
        await self._prepare_and_execute(operation, parameters)
        if operation not in _DESCRIPTIONS and len(_DESCRIPTIONS) < _DESCRIPTIONS_MAX:
            columns = self._description
            _DESCRIPTIONS[operation] = (
                list(columns or ()) if _combinable(operation, columns) else None
            )

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        adapt = self._adapt_connection
        assert isinstance(adapt, CombinedReadsConnection)
        adapt.ahead.clear()
        if adapt.behind:
            await_(adapt.run_behind())
        return super().executemany(operation, seq_of_parameters)


class CombinedReadsConnection(AsyncAdapt_asyncpg_connection):
    """asyncpg's connection, which runs `read_ahead`'s reads as one statement."""

    __slots__ = ("ahead", "behind", "recording")
    _cursor_cls = CombinedReadsCursor  # type: ignore[assignment]
    reads_ahead = True  # `db.ahead.AheadReads`
    writes_behind = True  # `db.ahead.write_behind`

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recording: list[Noted] | None = None
        self.ahead: dict[Noted, tuple[list[tuple[Any, ...]], list[Any]]] = {}
        #: Writes whose results nobody reads (`write_behind`), not run yet.
        self.behind: list[Noted] = []

    def take(self, read: Noted) -> tuple[list[tuple[Any, ...]], list[Any]] | None:
        """`db.ahead.AheadReads.take`: a read waiting in `ahead`, as `CombinedReadsCursor`
        would serve it."""
        return self.ahead.pop(key(*read), None)

    async def write_behind_with(self, operation: str, parameters: Any) -> tuple[str, Any]:
        """The statement to run for `operation`: with the writes left behind in its WITH when
        they may go together; else they run now, alone, and it is `operation` itself."""
        writes, self.behind = self.behind, []
        values = tuple(parameters or ())
        merged = with_writes([(sql, len(v or ())) for sql, v in writes], operation, len(values))
        if merged is None:
            self.behind = writes
            await self.run_behind()
            return operation, parameters
        return merged, tuple(v for _sql, write in writes for v in write or ()) + values

    async def run_behind(self) -> None:
        """The writes left behind, each alone, in order."""
        writes, self.behind = self.behind, []
        cursor = CombinedReadsCursor(self)
        for sql, values in writes:
            # As any statement: in the transaction (its BEGIN if not yet sent), an error
            # translated.
            await cursor._prepare_and_execute(sql, values)

    async def read(self, connection: Any, reads: list[Noted], *, end: bool = False) -> None:
        known = [_DESCRIPTIONS.get(sql) for sql, _values in reads]
        if None in known:
            return  # one may not be combined, or has not run alone yet: each runs when asked
        if self.behind:
            await self.run_behind()  # the reads must see them
        sql = combined_sql([(sql, len(values or ())) for sql, values in reads])
        if sql is None:
            return
        values = tuple(value for _sql, read_values in reads for value in read_values or ())
        outside = end and self._transaction is None and self.isolation_level != "autocommit"
        if outside:
            # No BEGIN: `_start_transaction` does nothing for this one statement.
            saved, self.isolation_level = self.isolation_level, "autocommit"
        try:
            # Through SQLAlchemy, so an error is translated, and a dropped connection noticed,
            # as for any statement.
            arrays = (await connection.exec_driver_sql(sql, values)).one()
        finally:
            if outside:
                self.isolation_level = saved
        ahead = {}
        at = 0
        for read, description in zip(reads, known, strict=True):
            rows, at = _rows(arrays, at, description or [], read[0])
            ahead[key(*read)] = (description or [], rows)
        self.ahead = ahead

    def rollback(self) -> None:
        self.ahead.clear()
        self.behind.clear()
        super().rollback()

    def commit(self) -> None:
        self.ahead.clear()
        if self.behind:
            await_(self.run_behind())
        super().commit()


class CombinedReadsDBAPI(AsyncAdapt_asyncpg_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> CombinedReadsConnection:
        creator_fn = kw.pop("async_creator_fn", self.asyncpg.connect)
        cache_size = kw.pop("prepared_statement_cache_size", 100)
        name_func = kw.pop("prepared_statement_name_func", None)
        return await_(  # type: ignore[no-any-return]
            CombinedReadsConnection.create(
                self,
                creator_fn(*arg, **kw),
                prepared_statement_cache_size=cache_size,
                prepared_statement_name_func=name_func,
            )
        )


class CombinedReadsDialect(PGDialect_asyncpg):
    driver = DRIVER
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> CombinedReadsDBAPI:  # type: ignore[override]
        return CombinedReadsDBAPI(__import__("asyncpg"))


registry.register(f"postgresql.{DRIVER}", __name__, "CombinedReadsDialect")
