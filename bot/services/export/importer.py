"""`partnerbot import`: load a partnership from a JSON export into a server, all or nothing.

The file is read twice, a piece at a time (`json_reader`): first its opening (format, schema
version, whether it can be imported, the header), then its `records`, table by table, parents
first, inserted in ONE transaction. Every row gets a new id and every reference follows it:
foreign keys, the ids inside log payloads and occurrence results (`PAYLOAD_REFERENCES`, and
a partnership's own prompt named `own-<id>`), and the numbers the log's sentences name
(`goal #12 “…”`, `action #40`, `round #3`, schedule `#5`), so `/log show`, `/goal show 3` and
the sentences agree in the new server. Events keep their `occurred_at`; message links stay as
they were (the messages are in the old server).

In the new server:

- the partnership has no channel (`channel_id` None): the server's channel is not the old one;
- an organisation already registered there under the same name (compared as names are) is
  reused, keeping its sector; any other is registered;
- active schedules arrive paused, so nothing posts before a convener resumes them;
- a partnership of the same name is refused, as `/partnership create` refuses it.

Refused, with nothing written: a file that is not a Partnerbot export or is broken, one that
cannot be imported (external audience, pseudonymised: no records), one written by a newer
Partnerbot (a higher schema version; the opening is checked first, in `import_opening`), a
partnership whose name is taken. The file is trusted as the database is: values are checked for
their types by the database, not against the vocabularies again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Date, DateTime, Table, func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.export.import_opening import (
    ImportRefused,
    Opening,
    check_opening,
    open_export,
    read_opening,
)
from bot.services.export.json_reader import BrokenJson, JsonReader
from bot.services.export.records import (
    OWN_PROMPT,
    PAYLOAD_REFERENCES,
    TABLES,
    exported_columns,
    references,
    table_of,
)
from db.engine import SessionFactory, transaction
from db.models import ScheduleState, name_key

__all__ = [
    "IMPORTED_PAUSE",
    "ImportRefused",
    "ImportResult",
    "Opening",
    "check_opening",
    "import_document",
    "read_opening",
]

BATCH = 500
IMPORTED_PAUSE = (
    "Imported from another server: paused so that nothing is posted before a convener resumes it."
)
# What the result calls each table, for people.
TABLE_WORDS = {
    "partnership": "partnership",
    "partnership_relationship": "relationships to co-production (with their history)",
    "organisation": "organisations",
    "partner_organisation": "partner organisations",
    "membership": "members",
    "goal": "goals",
    "goal_stance": "stances",
    "goal_perception": "organisations' readings of goals",
    "goal_link": "goal links",
    "reflection_prompt": "own prompts",
    "schedule": "schedules",
    "occurrence": "schedule occurrences",
    "prompt_post": "prompts posted",
    "prompt_answer": "reflection answers",
    "trust_round": "check-in rounds",
    "event": "log entries",
    "redaction": "redactions",
    "action_reminder": "action reminders sent",
}


@dataclass(frozen=True)
class ImportResult:
    partnership: str
    partnership_id: int
    guild_id: int
    counts: dict[str, int]  # table → rows imported, in import order
    organisations_created: list[str] = field(default_factory=list)
    organisations_reused: list[str] = field(default_factory=list)
    schedules_paused: int = 0

    def lines(self) -> list[str]:
        """What was imported, for the command line."""
        out = [
            f"Imported “{self.partnership}” into server {self.guild_id} "
            f"(partnership #{self.partnership_id})."
        ]
        for table, count in self.counts.items():
            if table not in ("partnership", "organisation"):
                out.append(f"  {TABLE_WORDS[table]}: {count}")
        out.append(
            f"  organisations: {len(self.organisations_created)} registered"
            + (
                f", {len(self.organisations_reused)} already in the server and reused "
                f"({', '.join(self.organisations_reused)})"
                if self.organisations_reused
                else ""
            )
        )
        if self.schedules_paused:
            out.append(
                f"{self.schedules_paused} schedule(s) arrived paused: nothing is posted until a "
                "convener resumes them (/reflect resume, /trust resume)."
            )
        out.append(
            "The partnership has no channel in this server yet: goals, prompts and check-in "
            "invitations that need one say so until it has one."
        )
        return out


async def import_document(
    sessions: SessionFactory, path: Path, guild_id: int, *, now: datetime
) -> ImportResult:
    """Load the partnership in the JSON export at `path` into server `guild_id` (see the
    module's docstring); raises `ImportRefused`, having written nothing, when it can't."""
    check_opening(read_opening(path), path.name)
    try:
        with open_export(path) as source:
            async with transaction(sessions) as session:
                loader = _Loader(session, guild_id, now)
                reader = JsonReader(source)
                for key in reader.keys():
                    if key == "records":
                        await _load_records(reader, loader)
                    else:
                        reader.skip()
                reader.end()
                await loader.finish()
                if "partnership" not in loader.ids:
                    raise ImportRefused(
                        f"{path.name} holds no partnership record, so nothing was imported."
                    )
                return loader.result()
    except (BrokenJson, UnicodeDecodeError) as error:
        raise ImportRefused(
            f"{path.name} is not a complete JSON document: {error}. Nothing was imported."
        ) from None
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise ImportRefused(
            f"The database refused the import, so nothing was imported: {reason}"
        ) from None


async def _load_records(reader: JsonReader, loader: _Loader) -> None:
    if reader.peek() != "{":
        raise ImportRefused("The export holds no records, so nothing was imported.")
    last = -1
    for table in reader.keys():
        if table not in TABLES:
            raise ImportRefused(f"The export's records have an unknown table “{table}”.")
        if TABLES.index(table) <= last:
            raise ImportRefused(
                f"The export's records are out of order at “{table}”: each table must come "
                "after those it refers to, as Partnerbot writes them."
            )
        last = TABLES.index(table)
        for row in reader.items():
            await loader.add(table, row)
        await loader.flush()


def _broken(table: str, row: Any, what: str) -> ImportRefused:
    number = row.get("id") if isinstance(row, dict) else None
    return ImportRefused(f"The export's {table} record {number} {what}; nothing was imported.")


def _time_type(column: Column[Any]) -> type | None:
    """datetime or date for a column of times or dates (through a decorated type), else None."""
    kind = getattr(column.type, "impl_instance", column.type)
    if isinstance(kind, DateTime):
        return datetime
    if isinstance(kind, Date):
        return date
    return None


def _when(value: Any, python_type: type) -> Any:
    """A JSON value of a datetime or date column as Python holds it."""
    if value is None or not isinstance(value, str):
        return value
    if python_type is datetime:
        moment = datetime.fromisoformat(value)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return date.fromisoformat(value)


class _Loader:
    """Inserts records in batches, remembering each old id's new one per table."""

    def __init__(self, session: AsyncSession, guild_id: int, now: datetime) -> None:
        self.session = session
        self.guild_id = guild_id
        self.now = now
        self.ids: dict[str, dict[int, int]] = {}
        self.counts: dict[str, int] = {}
        self.pending: list[tuple[int, dict[str, Any]]] = []
        self.pending_table: str | None = None
        self.pending_ids: set[int] = set()
        self.partnership_name = ""
        self.created: list[str] = []
        self.reused: list[str] = []
        self.paused = 0
        # Occurrences whose result names a row loaded after them (the post or round it made):
        # (old occurrence id, its result as exported), followed once everything is in.
        self.later: list[tuple[int, dict[str, Any]]] = []

    def result(self) -> ImportResult:
        [new_id] = self.ids["partnership"].values()
        return ImportResult(
            partnership=self.partnership_name,
            partnership_id=new_id,
            guild_id=self.guild_id,
            counts=dict(self.counts),
            organisations_created=self.created,
            organisations_reused=self.reused,
            schedules_paused=self.paused,
        )

    def new_id(self, table: str, old: Any) -> int | None:
        if isinstance(old, bool) or not isinstance(old, int):
            return None
        return self.ids.get(table, {}).get(old)

    # ---- rows

    async def add(self, table: str, row: Any) -> None:
        if not isinstance(row, dict) or not isinstance(row.get("id"), int):
            raise _broken(table, row, "is not a record with an id")
        if row["id"] in self.ids.get(table, {}) or (
            table == self.pending_table and row["id"] in self.pending_ids
        ):
            raise _broken(table, row, "comes twice")
        if table == "partnership":
            await self._partnership(row)
            return
        if table == "organisation":
            await self._organisation(row)
            return
        if table == "event" and self._names_pending_event(row):
            await self.flush()
        values = self._values(table, row)
        if table == "event":
            values["payload"] = self._payload(row.get("payload"), table, row)
            values["summary"] = renumber(
                str(row.get("summary") or ""), str(row.get("kind")), row["payload"] or {}, self
            )
        elif table == "occurrence":
            values["result"] = self._payload(row.get("result"), table, row)
            if any(key in values["result"] for key in ("post_id", "round_id")):
                self.later.append((row["id"], row["result"]))
        elif table == "schedule" and values.get("state") == ScheduleState.active:
            values["state"] = ScheduleState.paused.value
            values["paused_reason"] = IMPORTED_PAUSE
            handled = values.get("handled_until")
            values["handled_until"] = max(handled, self.now) if handled else self.now
            self.paused += 1
        if "guild_id" in table_of(table).c:
            values["guild_id"] = self.guild_id
        if self.pending_table != table:
            await self.flush()
            self.pending_table = table
        self.pending.append((row["id"], values))
        self.pending_ids.add(row["id"])
        if len(self.pending) >= BATCH:
            await self.flush()

    async def finish(self) -> None:
        """Follow what could not be followed in order: an occurrence's post or round."""
        await self.flush()
        table = table_of("occurrence")
        conn = await self.session.connection()
        for old, result in self.later:
            new = self.new_id("occurrence", old)
            moved = self._payload(result, "occurrence", {"id": old})
            await conn.execute(table.update().where(table.c.id == new).values(result=moved))

    async def flush(self) -> None:
        if not self.pending:
            return
        assert self.pending_table is not None
        table = table_of(self.pending_table)
        keys = {k for _, values in self.pending for k in values}
        params = [{k: values.get(k) for k in keys} for _, values in self.pending]
        conn = await self.session.connection()
        if conn.dialect.name == "sqlite":
            # SQLite gives RETURNING rows in no promised order, so a batch would come back one
            # row at a time. This transaction is the only writer (BEGIN IMMEDIATE), so the next
            # ids are known: the ones SQLite would choose.
            top = await conn.execute(select(func.coalesce(func.max(table.c.id), 0)))
            first = top.scalar_one() + 1
            new_ids = list(range(first, first + len(params)))
            for values, new in zip(params, new_ids, strict=True):
                values["id"] = new
            await conn.execute(insert(table), params)
        else:
            statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
            new_ids = list((await conn.execute(statement, params)).scalars())
        mapping = self.ids.setdefault(self.pending_table, {})
        for (old, _), new in zip(self.pending, new_ids, strict=True):
            mapping[old] = new
        self.counts[self.pending_table] = self.counts.get(self.pending_table, 0) + len(new_ids)
        self.pending, self.pending_ids = [], set()

    def _names_pending_event(self, row: dict[str, Any]) -> bool:
        """Whether this event names another still waiting in the batch (an action closed, a
        meeting attended soon after it started): that one needs its new id first."""
        payload = row.get("payload")
        if not isinstance(payload, dict) or self.pending_table != "event":
            return False
        return any(
            isinstance(payload.get(key), int) and payload[key] in self.pending_ids
            for key, target in PAYLOAD_REFERENCES.items()
            if target == "event"
        )

    def _values(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        """The row's columns for the insert: references followed, times parsed."""
        refs = references(table)
        values: dict[str, Any] = {}
        for column in exported_columns(table):
            name = column.name
            if name == "id":
                continue
            if name not in row and column.server_default is not None:
                continue  # a column newer than the export: the database's default applies
            value = row.get(name)
            if name not in row and column.default is not None and column.default.is_scalar:
                # A column added since the file was written: its default, as for a new row.
                value = column.default.arg  # type: ignore[attr-defined]
            if name in refs and value is not None:
                value = self.new_id(refs[name], value)
                if value is None and not column.nullable:
                    raise _broken(table, row, f"names a missing {refs[name]} in {name}")
            python_type = _time_type(column)
            if python_type is not None:
                try:
                    value = _when(value, python_type)
                except ValueError:
                    raise _broken(table, row, f"has an unreadable time in {name}") from None
            if value is None and not column.nullable:
                raise _broken(table, row, f"lacks {name}")
            values[name] = value
        return values

    def _payload(self, payload: Any, table: str, row: dict[str, Any]) -> dict[str, Any]:
        """A log payload (or an occurrence's result) with the ids of stored rows followed; an
        id whose row did not come along becomes null rather than name another row."""
        if payload is None:
            return {}
        if not isinstance(payload, dict):
            raise _broken(table, row, "has a payload that is not an object")
        moved = dict(payload)
        for key, target in PAYLOAD_REFERENCES.items():
            if key in moved and moved[key] is not None:
                moved[key] = self.new_id(target, moved[key])
        # Where a delivery names its prompt ("own-3"; elsewhere "prompt" is the prompt's text).
        prompt = moved.get("prompt")
        names_prompt = table == "occurrence" or row.get("kind") == "prompt.posted"
        if names_prompt and isinstance(prompt, str) and prompt.startswith(OWN_PROMPT):
            old = prompt.removeprefix(OWN_PROMPT)
            if old.isdigit():
                new = self.new_id("reflection_prompt", int(old))
                moved["prompt"] = f"{OWN_PROMPT}{new}" if new is not None else None
        return moved

    # ---- the partnership and its organisations

    async def _partnership(self, row: dict[str, Any]) -> None:
        if "partnership" in self.ids:
            raise _broken("partnership", row, "is a second partnership")
        name = row.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _broken("partnership", row, "has no name")
        key = name_key(name)
        table = table_of("partnership")
        conn = await self.session.connection()
        taken = await conn.execute(
            select(table.c.id).where(table.c.guild_id == self.guild_id, table.c.name_key == key)
        )
        if taken.first() is not None:
            raise ImportRefused(
                f"Server {self.guild_id} already has a partnership called “{name}”, so nothing "
                "was imported. Rename or archive that one first, or import into another server."
            )
        values = self._values("partnership", row)
        values.update(guild_id=self.guild_id, name_key=key, channel_id=None, research_salt=None)
        await self._insert_one("partnership", row["id"], values)
        self.partnership_name = name

    async def _organisation(self, row: dict[str, Any]) -> None:
        name = row.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _broken("organisation", row, "has no name")
        key = name_key(name)
        table = table_of("organisation")
        conn = await self.session.connection()
        found = await conn.execute(
            select(table.c.id, table.c.name).where(
                table.c.guild_id == self.guild_id, table.c.name_key == key
            )
        )
        existing = found.first()
        if existing is not None:
            self.ids.setdefault("organisation", {})[row["id"]] = existing[0]
            self.reused.append(existing[1])
            return
        values = self._values("organisation", row)
        values.update(guild_id=self.guild_id, name_key=key)
        await self._insert_one("organisation", row["id"], values)
        self.created.append(name)

    async def _insert_one(self, table_name: str, old: int, values: dict[str, Any]) -> None:
        await self.flush()
        table: Table = table_of(table_name)
        statement = insert(table).values(**values).returning(table.c.id)
        conn = await self.session.connection()
        new = (await conn.execute(statement)).scalar_one()
        self.ids.setdefault(table_name, {})[old] = new
        self.counts[table_name] = self.counts.get(table_name, 0) + 1


# ---- the numbers the log's sentences name

# For each kind of entry, the fragments of its sentence that name a stored row's number:
# (payload key of the id, payload key of the title or None, the fragment's shape).
_NUMBERED: list[tuple[str, str, str | None, str]] = [
    ("goal.", "goal_id", "title", "goal #{id} “{title}”"),
    ("goal.", "other_id", "other_title", "goal #{id} “{title}”"),
    ("note.", "goal_id", "goal_title", "goal #{id} “{title}”"),
    ("note.action_done", "action_id", None, "closed action #{id}: “"),
    ("trust.round_closed", "round_id", None, "round #{id} closed"),
    ("schedule.", "schedule_id", None, "(#{id})"),
    ("schedule.", "schedule_id", None, "#{id} ("),
    ("schedule.paused", "schedule_id", None, "Schedule {id} was paused"),
]


def renumber(summary: str, kind: str, payload: dict[str, Any], loader: _Loader) -> str:
    """The entry's sentence with the numbers of the rows it names changed to their new ones,
    in one pass (so a number changed is never changed again)."""
    swaps: dict[str, str] = {}
    for prefix, key, title_key, shape in _NUMBERED:
        if not kind.startswith(prefix):
            continue
        old = payload.get(key)
        new = loader.new_id(PAYLOAD_REFERENCES[key], old)
        if new is None or new == old:
            continue
        title = str(payload.get(title_key) or "") if title_key else ""
        before = shape.format(id=old, title=title)
        after = shape.format(id=new, title=title)
        swaps[before] = after
        # A sentence that opens with a goal capitalises its first letter only (`Goal #12
        # “Shared data”`).
        swaps[_capital(before)] = _capital(after)
    if not swaps:
        return summary
    pattern = re.compile("|".join(re.escape(s) for s in sorted(swaps, key=len, reverse=True)))
    return pattern.sub(lambda match: swaps[match.group(0)], summary)


def _capital(fragment: str) -> str:
    """The fragment as it opens a sentence: its first letter capital, the rest as written
    (a goal's title keeps its case)."""
    return fragment[:1].upper() + fragment[1:]
