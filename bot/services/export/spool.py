"""One read of the log for a whole export, kept on disk: the writers then read the notes (a
section per kind) and the log (all of it, later) from the spool, never from the database
again, and memory stays one batch of rows whatever the log's length.

`Spool.fill` reads the export's entries (`LogQuery`: one partnership, one period, oldest
first) once, `BATCH` rows at a time, as plain tuples (`Raw`), and writes each batch to
anonymous temporary files: every entry to the log's file, each note also to its kind's file.

- **SQLite**: read with the standard library's `sqlite3` on a worker thread (the event loop is
  never blocked, and no row goes through SQLAlchemy), the stored text of `occurred_at` and
  `payload` kept as it is: a row's payload is decoded only by what needs it (`entry`).
- **PostgreSQL** (or an SQLite database that is not a file): a server-side cursor through
  SQLAlchemy Core (`yield_per`), a batch at a time, each row as the same tuple of the same
  text: the time written by the database as SQLite stores it (`to_char`, in UTC) and the
  payload as its stored text (`payload::text`). Decoding each row's aware datetime and JSON
  in the driver, then pickling and unpickling them, took about 2.5 s of a 100k-entry export.

The rows are exactly those, in exactly the order, of the query the export made before: scoped
to the partnership's server and partnership, `start <= occurred_at <= end`, by time then id.
"""

from __future__ import annotations

import asyncio
import pickle
import re
import sqlite3
import tempfile
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any, NamedTuple

from sqlalchemy import String, Text, cast, func, select, type_coerce
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from bot.services.export.jsontext import iso_utc, loads
from bot.services.notes.vocab import is_note
from db.engine import SessionFactory
from db.models import Event

BATCH = 500
_EVENTS = Event.__table__  # type: ignore[attr-defined]
LOG = ""  # the log's file (a note kind's file is keyed by its kind, `note.decision` …)
# A raw entry: id, kind, actor id, occurred_at, summary, payload, message link. The time and
# the payload are SQLite's stored text, on PostgreSQL too (`stored_text`); on another
# database, the driver's datetime and dict.
Raw = tuple[int, str, int | None, Any, str, Any, str | None]

_SQL = (
    "SELECT id, kind, actor_id, occurred_at, summary, payload, message_link FROM event "
    "WHERE guild_id = ? AND partnership_id = ?{since} AND occurred_at <= ? "
    "ORDER BY occurred_at, id"
)


class Entry(NamedTuple):
    """A log entry as an export reads it: the attributes of `Event` it needs."""

    id: int
    kind: str
    actor_id: int | None
    occurred_at: datetime
    summary: str
    payload: dict[str, Any]
    message_link: str | None


def moment(value: Any) -> datetime:
    """A raw entry's time, as SQLAlchemy hands it back: aware, in UTC."""
    if type(value) is str:
        # SQLite's stored text (`YYYY-MM-DD HH:MM:SS.ffffff`, naive UTC): read with its offset
        # added, which is several times quicker than reading it and then setting the zone.
        try:
            return datetime.fromisoformat(value + "+00:00")
        except ValueError:
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
    if value.tzinfo is UTC:
        return value  # type: ignore[no-any-return]
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQLite's stored text of a time (`sqlite_moment`): naive UTC, with microseconds.
STORED_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}")


def stored_iso(value: Any) -> str:
    """`moment(value).isoformat()` of a raw entry's time: SQLite's stored text is rewritten
    as that would write it (`YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`, the microseconds only when
    there are some) without reading it."""
    if type(value) is str and STORED_TIME.fullmatch(value):
        if value.endswith(".000000"):
            return f"{value[:10]}T{value[11:19]}+00:00"
        return f"{value[:10]}T{value[11:26]}+00:00"
    return iso_utc(moment(value))


def payload(value: Any) -> Any:
    """A raw entry's payload, decoded (as SQLAlchemy's JSON type decodes it: `json.loads`)."""
    if type(value) is str:
        return loads(value)
    return value


def entry(raw: Raw) -> Entry:
    """A raw entry with its time and payload decoded."""
    return Entry(raw[0], raw[1], raw[2], moment(raw[3]), raw[4], payload(raw[5]), raw[6])


def sqlite_moment(value: datetime) -> str:
    """A moment as SQLAlchemy stores it in SQLite (naive UTC text), to compare stored times."""
    utc = value.astimezone(UTC) if value.tzinfo is not None else value
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d} {utc.hour:02d}:{utc.minute:02d}:"
        f"{utc.second:02d}.{utc.microsecond:06d}"
    )


@dataclass(frozen=True)
class LogQuery:
    """Which entries: one partnership's, `start <= occurred_at <= end` (no start: from the
    first)."""

    guild_id: int
    partnership_id: int
    start: datetime | None
    end: datetime


class Spool:
    """The export's entries on disk: the log's file, and a file per kind of note.

    `by_kind=False`: no file per kind (for a writer that reads every note from the log, as the
    JSON export does): a kind's batches are then picked from the log's file as it is read."""

    def __init__(self, *, by_kind: bool = True) -> None:
        self.by_kind = by_kind
        self._files: dict[str, IO[bytes]] = {}
        self._lock = asyncio.Lock()
        self.filled = False
        # Closed with the spool, however it ends (an export that fails half-way, a test).
        self._finalizer = weakref.finalize(self, _close, self._files)

    def close(self) -> None:
        self._finalizer()

    async def fill(self, sessions: SessionFactory, query: LogQuery, keep: Any = None) -> None:
        """Read the entries once (later calls return at once). `keep(entry) -> bool`, when
        given, picks the entries kept (each then decoded)."""
        async with self._lock:
            if self.filled:
                return
            path = _sqlite_file(sessions)
            if path is not None:
                await asyncio.to_thread(self._fill_sqlite, path, query, keep)
            else:
                await self._fill_streamed(sessions, query, keep)
            self.filled = True

    def batches(self, name: str = LOG) -> Iterator[list[Raw]]:
        """The raw entries of one file (`LOG`, or a note kind), a batch at a time."""
        if name != LOG and not self.by_kind:
            if not is_note(name):
                return  # a kind of entry that has no file of its own
            for batch in self.batches(LOG):
                kept = [raw for raw in batch if raw[1] == name]
                if kept:
                    yield kept
            return
        file = self._files.get(name)
        if file is None:
            return
        file.seek(0)
        load = pickle.load
        while True:
            try:
                yield load(file)
            except EOFError:
                return

    # ---- filling

    def _fill_sqlite(self, path: str, query: LogQuery, keep: Any) -> None:
        """On a worker thread: the query through `sqlite3`, into the files."""
        since = " AND occurred_at >= ?" if query.start is not None else ""
        parameters: list[Any] = [query.guild_id, query.partnership_id]
        if query.start is not None:
            parameters.append(sqlite_moment(query.start))
        parameters.append(sqlite_moment(query.end))
        conn = sqlite3.connect(path, check_same_thread=False)
        try:
            conn.execute("PRAGMA query_only = ON")
            cursor = conn.execute(_SQL.format(since=since), parameters)
            writer = _Writer(self._files, self.by_kind)
            while batch := cursor.fetchmany(BATCH):
                writer.add(batch, keep)
            writer.flush()
        finally:
            conn.close()

    async def _fill_streamed(self, sessions: SessionFactory, query: LogQuery, keep: Any) -> None:
        writer = _Writer(self._files, self.by_kind)
        async with sessions() as session:
            connection = await session.connection()
            at, stored = stored_text(
                connection.dialect.name, _EVENTS.c.occurred_at, _EVENTS.c.payload
            )
            statement = select(
                col(Event.id),
                col(Event.kind),
                col(Event.actor_id),
                at,
                col(Event.summary),
                stored,
                col(Event.message_link),
            ).where(
                col(Event.guild_id) == query.guild_id,
                col(Event.partnership_id) == query.partnership_id,
            )
            if query.start is not None:
                statement = statement.where(col(Event.occurred_at) >= query.start)
            statement = statement.where(col(Event.occurred_at) <= query.end).order_by(
                col(Event.occurred_at), col(Event.id)
            )
            result = await connection.stream(statement.execution_options(yield_per=BATCH))
            async for rows in result.partitions():
                writer.add([tuple(row) for row in rows], keep)  # type: ignore[misc]
        writer.flush()


def stored_text(
    dialect: str, time: ColumnElement[Any], stored: ColumnElement[Any]
) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """An entry's time and payload columns read as the text SQLite stores (`Raw`), so that no
    row's datetime or JSON is decoded before something needs it (`moment`, `payload`).

    On PostgreSQL: the time in UTC, written as SQLAlchemy writes it in SQLite, and the
    payload's stored text (a `json` column keeps the text it was given). On SQLite: the stored
    text itself. On another database: the columns as they are, decoded by the driver.
    """
    if dialect == "postgresql":
        utc = func.timezone("UTC", time)
        return func.to_char(utc, "YYYY-MM-DD HH24:MI:SS.US", type_=String), cast(stored, Text)
    if dialect == "sqlite":
        return type_coerce(time, String), type_coerce(stored, String)
    return time, stored


class _Writer:
    """Batches into the spool's files: every entry to the log's, each note to its kind's
    (`by_kind`)."""

    def __init__(self, files: dict[str, IO[bytes]], by_kind: bool) -> None:
        self.files = files
        self.by_kind = by_kind
        self.notes: dict[str, list[Raw]] = {}

    def _dump(self, name: str, rows: list[Raw]) -> None:
        file = self.files.get(name)
        if file is None:
            file = self.files[name] = tempfile.TemporaryFile(prefix="partnerbot-export-")
        pickle.dump(rows, file, protocol=pickle.HIGHEST_PROTOCOL)

    def add(self, batch: list[Raw], keep: Any) -> None:
        if keep is not None:
            batch = [raw for raw in batch if keep(entry(raw))]
            if not batch:
                return
        self._dump(LOG, batch)
        if not self.by_kind:
            return
        notes = self.notes
        for raw in batch:
            kind = raw[1]
            if is_note(kind):
                rows = notes.get(kind)
                if rows is None:
                    rows = notes[kind] = []
                rows.append(raw)
                if len(rows) >= BATCH:
                    self._dump(kind, rows)
                    notes[kind] = []

    def flush(self) -> None:
        for kind, rows in self.notes.items():
            if rows:
                self._dump(kind, rows)
        self.notes = {}
        for file in self.files.values():
            file.flush()


def _close(files: dict[str, IO[bytes]]) -> None:
    for file in files.values():
        file.close()
    files.clear()


def _sqlite_file(sessions: SessionFactory) -> str | None:
    """The SQLite file the sessions use, or None (PostgreSQL, an in-memory database)."""
    bind = sessions.kw.get("bind")
    url = getattr(bind, "url", None)
    if url is None or url.get_backend_name() != "sqlite":
        return None
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return str(database)
