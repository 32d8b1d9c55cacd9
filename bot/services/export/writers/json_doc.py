"""The JSON export: one document, written as it is read, one item at a time.

```
{"format": "partnerbot-export", "schema_version": 1, "importable": true,
 "header": {...}, "organisations": [...], "membership_spells": [...], "goals": [...],
 "goal_links": [...], "meetings": [...], "trust_rounds": [...], "reflections": [...],
 "notes": [...], "log": [...], "records": {"partnership": [...], ..., "event": [...]}}
```

The top-level keys come in that fixed order (what a reader checks first comes first), and
`records` holds its tables parents first, the order `partnerbot import` loads them in; inside
every other object the keys are sorted and written compactly (`{"a":1}`, by orjson:
`bot.services.export.jsontext`), so the same document is the same bytes. Each item is
on a line of its own. Text is kept exactly as given (UTF-8; JSON escapes only quotes,
backslashes and control characters): the document is already what the audience may see, and a
redacted text is its marker. Datetimes are ISO 8601 in UTC, dates ISO dates. `records` is null
when the document cannot be imported (the external audience, a pseudonymised export).
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, date, datetime
from enum import Enum
from operator import attrgetter
from typing import Any, BinaryIO

import orjson

from bot.services.export import jsontext
from bot.services.export.document import (
    SCHEMA_VERSION,
    Document,
    LogRow,
    NoteRow,
    Person,
    StoredEntry,
)
from bot.services.export.spool import moment, payload, stored_iso

FORMAT = "partnerbot-export"


def plain(value: Any) -> Any:
    """`value` as JSON holds it: dataclasses as objects, datetimes and dates as ISO text, a
    number that is not finite as null (JSON has none)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in _ordered(value)]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return _scalar(value)


def _ordered(items: Any) -> Any:
    return sorted(items, key=repr) if isinstance(items, set | frozenset) else items


def _scalar(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        zone = value.tzinfo
        if zone is UTC or zone is None:  # as the database hands times back (naive: UTC)
            return jsontext.iso_utc(value)
        return jsontext.iso_utc(value.astimezone(UTC))
    if isinstance(value, date):
        return value.isoformat()
    return value


# A dataclass's field names, by its type (looked up once per type, not once per row).
_FIELDS: dict[type, tuple[str, ...]] = {}


def _default(value: Any) -> Any:
    """What JSON can't hold by itself, converted as the encoder meets it (one level at a
    time, so a row of plain values costs nothing extra)."""
    names = _FIELDS.get(type(value))
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELDS[type(value)] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return {name: getattr(value, name) for name in names}
    if isinstance(value, set | frozenset):
        return list(_ordered(value))
    converted = _scalar(value)
    if converted is value:
        raise TypeError(f"{type(value).__name__} is not JSON")
    return converted


_OPTIONS: dict[str, Any] = {
    "sort_keys": True,
    "ensure_ascii": False,
    "allow_nan": False,
    "separators": jsontext.SEPARATORS,
}
# The standard library's encoder, for what orjson refuses (`dumps`): one for every value
# (`json.dumps` with options builds a new one per call).
_ENCODER = json.JSONEncoder(default=_default, **_OPTIONS)


def dumps(value: Any) -> bytes:
    """One value on one line, keys sorted, text exact, a number that is not finite as null.
    orjson writes it, calling `_default` for times, dates and dataclasses as the standard
    library would; what orjson refuses (an integer beyond 64 bits, a lone surrogate, a key that
    is not text) is written by the standard library, a lone surrogate as its JSON escape."""
    try:
        return orjson.dumps(value, default=_default, option=jsontext.GENERAL)
    except orjson.JSONEncodeError:
        pass
    try:
        text = _ENCODER.encode(value)
    except ValueError:  # a number that is not finite, somewhere: the slow, careful way
        text = json.dumps(plain(value), **_OPTIONS)
    return text.encode("utf-8", errors="backslashreplace")


def _moment(value: datetime) -> str:
    """`_scalar` for a datetime, the common case (aware UTC) first."""
    return jsontext.iso_utc(value) if value.tzinfo is UTC else _scalar(value)


def _person(person: Person) -> dict[str, Any]:
    return {"name": person.name, "user_id": person.user_id}


# What a stream's row may hold that JSON does not, by exact type, and its JSON value (what
# `_default` would give, without a call back from the encoder for each).
_CONVERT: dict[type, Callable[[Any], Any]] = {datetime: _moment, date: _scalar, Person: _person}
# A row type's field names, one getter reading them all, and the fields (by position) whose
# type admits a value `_CONVERT` changes.
_Plan = tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]], tuple[tuple[int, str], ...]]
_ROW_FIELDS: dict[type, _Plan] = {}
# Types whose values JSON holds as they are (no field of only these needs looking at).
_AS_IS: frozenset[Any] = frozenset({str, int, float, bool, type(None), dict, list})


def _as_is(hint: Any) -> bool:
    """Whether every type a field's hint admits is held by JSON as it is."""
    if hint in _AS_IS:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return all(_as_is(arg) for arg in typing.get_args(hint))
    return origin in _AS_IS


def _plan(
    kind: type,
) -> tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]], tuple[tuple[int, str], ...]]:
    names = tuple(f.name for f in dataclasses.fields(kind))
    try:
        hints = typing.get_type_hints(kind)
    except (NameError, TypeError):  # hints that do not resolve: look at every field
        hints = {}
    checked = tuple(
        (i, name) for i, name in enumerate(names) if name not in hints or not _as_is(hints[name])
    )
    read = attrgetter(*names) if len(names) > 1 else (lambda row: (getattr(row, names[0]),))
    return names, read, checked


def row_object(row: Any) -> dict[str, Any]:
    """A stream's row (a `NoteRow`, a `LogRow`) as the object JSON holds. Only the fields whose
    type admits a time, a date or a person are looked at (a value left as it is would come to
    the encoder's `_default`, which makes the same JSON, only more slowly)."""
    plan = _ROW_FIELDS.get(type(row))
    if plan is None:
        plan = _ROW_FIELDS[type(row)] = _plan(type(row))
    names, read, checked = plan
    out = dict(row.__dict__)  # a dataclass's fields, by name: copied in one step
    if len(out) != len(names):  # something else in it (never a stream's row): field by field
        out = dict(zip(names, read(row), strict=True))
    convert = _CONVERT.get
    for _i, name in checked:
        value = out[name]
        change = convert(type(value))
        if change is not None:
            out[name] = change(value)
    return out


# A stream's row written by orjson as it is (`row_bytes`): keys sorted, a naive time as UTC, a
# date as ISO, a `Person` as its fields (in their order, which is sorted, as `_person` has them).
_ROW_OPTIONS = jsontext.SORTED | orjson.OPT_NAIVE_UTC
_PERSON_SORTED = [f.name for f in dataclasses.fields(Person)] == ["name", "user_id"]
_NATIVE: frozenset[Any] = frozenset({type(None), date, Person})


def row_bytes(row: Any, json_values: bool) -> bytes:
    """`dumps(row_object(row))`. When the row's dict and list fields hold only JSON values
    (`json_values`, `Document.json_values`) and each field that may hold a time, a date or a
    person holds None, a date, a `Person` or a time that is naive or in UTC itself, orjson
    writes the row's fields as they are, which makes the same text without a Python step per
    field."""
    if json_values and _PERSON_SORTED:
        plan = _ROW_FIELDS.get(type(row))
        if plan is None:
            plan = _ROW_FIELDS[type(row)] = _plan(type(row))
        values = row.__dict__
        if len(values) == len(plan[0]):
            for _i, name in plan[2]:
                value = values[name]
                kind = type(value)
                if kind is datetime:
                    if value.tzinfo is not UTC and value.tzinfo is not None:
                        break
                elif kind not in _NATIVE:
                    break
            else:
                try:
                    return orjson.dumps(values, default=_default, option=_ROW_OPTIONS)
                except orjson.JSONEncodeError:
                    pass
    return dumps(row_object(row))


_NOTE_FIELDS = len(dataclasses.fields(NoteRow))
_PERSON_OR_NONE: frozenset[Any] = frozenset({Person, type(None)})
_DATE_OR_NONE: frozenset[Any] = frozenset({date, type(None)})


def _utc_or_none(moment: Any) -> bool:
    """Whether orjson writes this as `_moment` does: None, or a time naive or in UTC itself."""
    if moment is None:
        return True
    return type(moment) is datetime and (moment.tzinfo is UTC or moment.tzinfo is None)


def note_bytes(note: NoteRow) -> bytes:
    """`row_bytes(note, True)` for a note (the JSON export's notes, one per entry of a long
    log): its fields' types looked at one by one, not through the general plan."""
    values = note.__dict__
    if (
        _PERSON_SORTED
        and len(values) == _NOTE_FIELDS
        and _utc_or_none(values["at"])
        and _utc_or_none(values["done_at"])
        and type(values["author"]) in _PERSON_OR_NONE
        and type(values["owner"]) in _PERSON_OR_NONE
        and type(values["review_on"]) in _DATE_OR_NONE
        and type(values["due"]) in _DATE_OR_NONE
    ):
        try:
            return orjson.dumps(values, default=_default, option=_ROW_OPTIONS)
        except orjson.JSONEncodeError:  # an integer beyond 64 bits, a lone surrogate …
            pass
    return row_bytes(note, True)


def stored_bytes(stored: StoredEntry) -> bytes | None:
    """A log entry that shows as stored (`Document.log_as_stored`) written as `row_bytes`
    writes its `LogRow`, straight from its stored time and payload: no `LogRow`, no time read
    and written again. None when orjson can't write it so (`row_bytes` then does, from its
    `LogRow`)."""
    number, kind, actor, at, summary, value, link = stored
    decoded = payload(value)
    row = {
        "actor": None if actor is None else _person(actor),
        "at": stored_iso(at),
        "id": number,
        "kind": kind,
        "link": link,
        "payload": decoded or {},
        "summary": summary,
    }
    try:
        return orjson.dumps(row, option=jsontext.SORTED)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits, a lone surrogate …
        return None


async def write(document: Document, out: BinaryIO) -> None:
    records = document.records
    out.write(b'{"format": ' + dumps(FORMAT))
    out.write(b',\n"schema_version": ' + dumps(SCHEMA_VERSION))
    out.write(b',\n"importable": ' + dumps(records is not None))
    out.write(b',\n"header": ' + dumps(document.header))
    for key, rows in (
        ("organisations", document.organisations),
        ("membership_spells", document.spells),
        ("goals", document.goals),
        ("goal_links", document.links),
        ("meetings", document.meetings),
        ("trust_rounds", document.trust),
        ("reflections", document.reflections),
    ):
        _array(out, key, rows)
    json_values = document.json_values
    await _stream(out, "notes", document.notes_batched(None), json_values)
    if json_values:
        await _stream(out, "log", document.log_as_stored(), json_values)
    else:
        await _stream(out, "log", document.log_batched(), json_values)
    out.write(b',\n"records": ')
    if records is None:
        out.write(b"null")
    else:
        await _records(out, records())
    out.write(b"}\n")


def _array(out: BinaryIO, key: str, rows: Iterable[Any]) -> None:
    out.write(b",\n" + dumps(key) + b": [")
    first = True
    for row in rows:
        out.write(b"\n" if first else b",\n")
        out.write(dumps(row))
        first = False
    out.write(b"]" if first else b"\n]")


CHUNK = 64 * 1024  # bytes of a stream gathered before each write


async def _stream(
    out: BinaryIO, key: str, batches: AsyncIterator[list[Any]], json_values: bool
) -> None:
    out.write(b",\n" + dumps(key) + b": [")
    # Rows gathered in one buffer and written a chunk at a time: each text orjson makes holds a
    # few kilobytes whatever its length, so it is copied into the buffer and let go at once.
    buffer = bytearray()
    separator = b"\n"
    async for batch in batches:
        for row in batch:
            buffer += separator
            separator = b",\n"
            kind = type(row)
            if kind is NoteRow:
                buffer += note_bytes(row)
                continue
            made = stored_bytes(row) if kind is tuple else None
            buffer += made if made is not None else row_bytes(_told(row), json_values)
        if len(buffer) >= CHUNK:
            out.write(buffer)
            buffer = bytearray()  # (the writer may keep what it was given)
    buffer += b"]" if separator == b"\n" else b"\n]"
    out.write(buffer)


def _told(row: Any) -> Any:
    """A stream's row; a `StoredEntry` as its `LogRow`."""
    if type(row) is not tuple:
        return row
    number, kind, actor, at, summary, value, link = row
    decoded = payload(value)
    return LogRow(number, moment(at), kind, actor, summary, decoded or {}, link)


async def _records(out: BinaryIO, records: AsyncIterator[tuple[str, list[dict[str, Any]]]]) -> None:
    """`{"table": [row, ...], ...}` from batches of one table's rows, a table's together."""
    buffer = bytearray(b"{")
    done: set[str] = set()
    current: str | None = None
    separator = b"\n"
    async for table, rows in records:
        if table != current:
            if table in done:
                raise ValueError(f"The records of {table} must come together.")
            if current is not None:
                buffer += b"\n],"
            buffer += b"\n" + dumps(table) + b": ["
            done.add(table)
            current = table
            separator = b"\n"
        for row in rows:
            buffer += separator
            buffer += dumps(row)
            separator = b",\n"
        if len(buffer) >= CHUNK:
            out.write(buffer)
            buffer = bytearray()  # (the writer may keep what it was given)
    buffer += b"\n]}" if current is not None else b"}"
    out.write(buffer)
