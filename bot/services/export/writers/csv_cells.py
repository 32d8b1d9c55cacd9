"""The cells of the CSV export: how one value is written, and how a column of a stream's rows
(the notes, the log) is read and written without building a mapping per row, or (`note_cells`,
`stored_log_cells`) without a step per cell."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from operator import attrgetter, itemgetter
from typing import Any

from bot.services.export import jsontext
from bot.services.export.document import NoteRow, Person, StoredEntry
from bot.services.export.jsontext import iso_utc_seconds
from bot.services.export.spool import STORED_TIME, moment, payload

# What a spreadsheet may take as the start of a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


_FORMULA_FIRST = frozenset(FORMULA_STARTS)


def neutralise(text: str) -> str:
    """Text that would begin a formula in a spreadsheet, made inert by a leading `'`."""
    # Every formula start is one character: only the first is looked at.
    return f"'{text}" if text[:1] in _FORMULA_FIRST else text


def iso(moment: datetime) -> str:
    """A moment in ISO 8601 with its offset, in UTC (a naive time is taken as UTC)."""
    zone = moment.tzinfo
    if zone is UTC or zone is None:  # a naive time (as SQLite hands it back) is UTC
        return iso_utc_seconds(moment)
    return iso_utc_seconds(moment.astimezone(UTC))


def _quoted(text: str) -> str:
    """A cell that needs quoting, quoted as the csv module quotes it (its quotes doubled)."""
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    return '"' + text + '"'


def csv_text(rows: Iterable[Sequence[str]]) -> str:
    """What `csv.writer` (the excel dialect the files use: comma, `"`, quoted only where
    needed, lines ending in CR LF) writes of these rows of text cells, made by joining the
    cells: two to four times quicker, as the csv module copies and checks each character one
    at a time.

    A cell is quoted when it holds a comma, a quote or a line break, and its quotes doubled
    (the csv module's rule on Python 3.11 to 3.13; `tests/services/export/test_csv_text.py`
    compares the two on awkward text). A row of one empty cell is `""`, as the csv module
    writes it. A cell that is not text raises TypeError, before anything is returned."""
    lines: list[str] = []
    append = lines.append
    for row in rows:
        line = ",".join(row)
        if (
            '"' in line
            or "\n" in line
            or "\r" in line
            or line.count(",") != len(row) - 1  # a comma inside a cell
        ):
            line = ",".join(
                [
                    text
                    if '"' not in text and "," not in text and "\n" not in text and "\r" not in text
                    else _quoted(text)
                    for text in row
                ]
            )
        elif not line and len(row) == 1:
            line = '""'
        append(line)
    append("")  # the last row's line break
    return "\r\n".join(lines) if len(lines) > 1 else ""


def _blank(_value: object) -> str:
    return ""


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _record(value: dict[str, Any] | list[Any]) -> str:
    """A record (a log entry's payload) as JSON text: keys sorted, compact (`jsontext.dumps`)."""
    return neutralise(jsontext.dumps(value, default=str))


# The common cell types, by exact type (a subclass takes the general path in `cell`).
_CELL_BY_TYPE: dict[type, Callable[[Any], str]] = {
    type(None): _blank,
    str: neutralise,
    bool: _flag,
    int: repr,
    float: repr,
    datetime: iso,
    date: date.isoformat,
    dict: _record,
    list: _record,
}


def cell(value: object) -> str:
    """One cell: text neutralised, numbers as numbers, booleans as true/false, times and dates
    in ISO, records as JSON text (keys sorted, compact, `jsontext.dumps`)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return _record(value)
    return neutralise(str(value))


def any_cell(value: object, _by_type: Any = _CELL_BY_TYPE.get) -> str:
    """`cell`, by exact type first."""
    fast = _by_type(type(value))
    return fast(value) if fast is not None else cell(value)


def not_listed(value: Any, known: frozenset[str]) -> bool:
    """Whether a vocabulary column's value is one its vocabulary does not list (an empty cell
    is not a value): the codebook names such values."""
    return value is not None and value != "" and value not in known


def person_name(person: Person | None) -> str:
    return "" if person is None else any_cell(person.name)


def person_id(person: Person | None) -> str:
    return "" if person is None else any_cell(person.user_id)


# Columns read from a person field of a row: column → (the row's field, the cell made of it).
PERSON_COLUMNS: dict[str, tuple[str, Callable[[Any], str]]] = {
    "author": ("author", person_name),
    "author_user_id": ("author", person_id),
    "owner": ("owner", person_name),
    "owner_user_id": ("owner", person_id),
    "actor": ("actor", person_name),
    "actor_user_id": ("actor", person_id),
}


def row_reader(fields: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The named fields of a row, as a tuple (one call, however many fields)."""
    if len(fields) == 1:
        get = attrgetter(fields[0])
        return lambda row: (get(row),)
    return attrgetter(*fields)


def stored_time(value: Any) -> str:
    """`iso(moment(value))` of a raw entry's time (`spool.moment`): SQLite's stored text is
    rewritten as that would write it (`YYYY-MM-DDTHH:MM:SS+00:00`) without reading it."""
    if type(value) is str and STORED_TIME.fullmatch(value):
        return f"{value[:10]}T{value[11:19]}+00:00"
    return iso(moment(value))


def stored_payload(value: Any) -> str:
    """The cell of a raw entry's payload as the log shows it (decoded, `{}` when empty): a
    flat object's stored text written again sorted in one step (`jsontext.flat_sorted`; JSON
    text that starts with `{` is no formula)."""
    if type(value) is str:
        text = jsontext.flat_sorted(value)
        if text is not None:
            return text
    decoded = payload(value) or {}
    return _record(decoded) if type(decoded) is dict else any_cell(decoded)


def _text(value: Any) -> str:
    return neutralise(value) if type(value) is str else any_cell(value)


# The log's columns, in its file's order, as read from a `StoredEntry` (`stored_log_cells`).
STORED_LOG = ("id", "at", "kind", "actor", "actor_user_id", "summary", "payload", "link")


def stored_log_cells(
    plan: list[tuple[str, bool, frozenset[str] | None]],
) -> Callable[[StoredEntry], list[str]] | None:
    """For the log's file, shown with `plan` (a `Sheet`'s: each column's name, whether it is
    left empty, its vocabulary): the cells of a `StoredEntry`, the same as those of the entry's
    `LogRow`. None when a column is one this does not know, or a vocabulary's."""
    if any(name not in STORED_LOG or known is not None for name, _blank, known in plan):
        return None
    # Each shown column: its place in `STORED_LOG`, or None when left empty.
    picks = [None if empty else STORED_LOG.index(name) for name, empty, _known in plan]
    every = picks == list(range(len(STORED_LOG)))
    people: dict[Person | None, tuple[str, str]] = {None: ("", "")}

    def cells(stored: StoredEntry) -> list[str]:
        number, kind, actor, at, summary, value, link = stored
        person = people.get(actor)
        if person is None:
            person = people[actor] = (person_name(actor), person_id(actor))
        row = [
            repr(number) if type(number) is int else any_cell(number),
            stored_time(at),
            _text(kind),
            person[0],
            person[1],
            _text(summary),
            stored_payload(value),
            "" if link is None else _text(link),
        ]
        if every:
            return row
        return ["" if pick is None else row[pick] for pick in picks]

    return cells


# A note's fields, in `NoteRow`'s order: the columns of every note file are among them (or
# a person's name or id, `PERSON_COLUMNS`).
NOTE_FIELDS = (
    "id",
    "kind",
    "text",
    "at",
    "author",
    "goal_id",
    "goal_title",
    "review_on",
    "owner",
    "owner_organisation",
    "due",
    "phase",
    "state",
    "done_at",
    "meeting_id",
    "link",
)
# The cells `note_cells` makes of a note, in this order: a cell per field, a person's as
# their name and their id; then an empty cell (for a column left empty).
NOTE_CELLS = tuple(
    cell
    for name in NOTE_FIELDS
    for cell in ((name, f"{name}_user_id") if f"{name}_user_id" in PERSON_COLUMNS else (name,))
)


def _number(value: Any) -> str:
    return repr(value) if type(value) is int else any_cell(value)


def _moment(value: Any) -> str:
    return iso(value) if type(value) is datetime else any_cell(value)


def _day(value: Any) -> str:
    return value.isoformat() if type(value) is date else any_cell(value)


def note_cells(
    plan: list[tuple[str, bool, frozenset[str] | None]],
    unlisted: Callable[[str, Any], None],
) -> Callable[[NoteRow], Sequence[str]] | None:
    """For a note file, shown with `plan` (a `Sheet`'s: each column's name, whether it is left
    empty, its vocabulary): the cells of a `NoteRow`, the same as `Sheet.write_objects` makes
    of it, each vocabulary column's value that its vocabulary does not list handed to
    `unlisted(column, value)`. None when a column is one this does not know."""
    if any(name not in NOTE_CELLS for name, _blank, _known in plan):
        return None
    vocabularies = {name: known for name, _empty, known in plan if known is not None}
    if not vocabularies.keys() <= {"kind", "state", "phase"}:
        return None
    kinds, states, phases = (vocabularies.get(name) for name in ("kind", "state", "phase"))
    blank = len(NOTE_CELLS)
    places = [blank if empty else NOTE_CELLS.index(name) for name, empty, _known in plan]
    pick = itemgetter(*places) if len(places) > 1 else lambda row: (row[places[0]],)
    read = attrgetter(*NOTE_FIELDS)
    people: dict[Person | None, tuple[str, str]] = {None: ("", "")}

    def person(someone: Person) -> tuple[str, str]:
        found = people[someone] = (person_name(someone), person_id(someone))
        return found

    def listed(name: str, value: Any, known: frozenset[str] | None) -> None:
        if known is not None and not_listed(value, known):
            unlisted(name, value)

    def cells(note: NoteRow) -> Sequence[str]:
        (
            number,
            kind,
            text,
            at,
            author,
            goal,
            title,
            review_on,
            owner,
            organisation,
            due,
            phase,
            state,
            done_at,
            meeting,
            link,
        ) = read(note)
        if kinds is None or kind not in kinds:
            listed("kind", kind, kinds)
        if state is not None and (states is None or state not in states):
            listed("state", state, states)
        if phase is not None and (phases is None or phase not in phases):
            listed("phase", phase, phases)
        by = people.get(author) or person(author)
        owns = people.get(owner) or person(owner)
        row = (
            repr(number) if type(number) is int else any_cell(number),
            neutralise(kind) if type(kind) is str else any_cell(kind),
            neutralise(text) if type(text) is str else any_cell(text),
            iso(at) if type(at) is datetime else any_cell(at),
            *by,
            "" if goal is None else _number(goal),
            "" if title is None else _text(title),
            "" if review_on is None else _day(review_on),
            *owns,
            "" if organisation is None else _text(organisation),
            "" if due is None else _day(due),
            "" if phase is None else _text(phase),
            "" if state is None else _text(state),
            "" if done_at is None else _moment(done_at),
            "" if meeting is None else _number(meeting),
            "" if link is None else _text(link),
            "",
        )
        return pick(row)  # type: ignore[no-any-return]

    return cells
