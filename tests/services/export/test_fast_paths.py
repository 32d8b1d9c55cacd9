"""The exports' per-row shortcuts give exactly what the general path gives."""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from collections.abc import AsyncIterator
from dataclasses import FrozenInstanceError, fields, replace
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

import pytest
from markupsafe import Markup, escape

from bot.services.export import codebook, spool
from bot.services.export.document import (
    Audience,
    LogRow,
    NoteRow,
    Person,
    StoredEntry,
    filled,
)
from bot.services.export.layout import Layout
from bot.services.export.writers.csv_zip import (
    _CELL_BY_TYPE,
    COMPRESS_LEVEL,
    FORMULA_STARTS,
    Sheet,
    cell,
    iso,
)
from bot.services.export.writers.html_rows import escape_text
from bot.services.export.writers.json_doc import (
    _stream,
    dumps,
    note_bytes,
    plain,
    row_bytes,
    row_object,
    stored_bytes,
)
from bot.services.export.writers.markdown import inert
from bot.services.redaction import Redactions
from tests.export_sample import HTML_ATTACK, sample

MOMENTS = [
    datetime(2026, 3, 29, 0, 59, 59),  # naive, as SQLite hands it back: UTC
    datetime(2026, 3, 29, 1, 0, 1, 123456, tzinfo=UTC),
    datetime(2026, 10, 25, 1, 30, tzinfo=timezone(timedelta(hours=-5))),
    datetime(2026, 7, 1, 9, 30, tzinfo=timezone(timedelta(0), "Z")),  # zero, not UTC itself
]


def _general(moment: datetime) -> str:
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(UTC).isoformat(timespec="seconds")


def test_iso_matches_the_conversion_it_skips() -> None:
    for moment in MOMENTS:
        assert iso(moment) == _general(moment)
    assert iso(MOMENTS[0]) == "2026-03-29T00:59:59+00:00"
    assert iso(MOMENTS[2]) == "2026-10-25T06:30:00+00:00"


def test_cells_by_type_match_the_general_cell() -> None:
    values: list[object] = [None, True, False, 0, -3, 1.5, "", "plain", date(2026, 1, 2)]
    values += [f"{start}1+1" for start in FORMULA_STARTS] + [f"a{s}" for s in FORMULA_STARTS]
    values += MOMENTS
    for value in values:
        fast = _CELL_BY_TYPE[type(value)]
        assert fast(value) == cell(value), value
    assert _CELL_BY_TYPE[str]("=1+1") == "'=1+1"
    assert _CELL_BY_TYPE[str]("1=1") == "1=1"


def test_local_time_text_matches_strftime() -> None:
    layout = Layout(sample().header)
    start = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    for step in range(0, 60 * 30, 7):  # across the clocks going forward
        moment = start + timedelta(minutes=step)
        local = layout.local(moment)
        assert layout.when(moment) == f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
    assert layout.when(datetime(2026, 7, 1, 9, 5, tzinfo=UTC)) == "2026-07-01 10:05 BST"


def test_redactions_know_when_nothing_is_removed() -> None:
    assert not Redactions().any
    assert Redactions(events=frozenset({1})).any
    assert Redactions(cutoff=datetime(2026, 1, 1, tzinfo=UTC)).any
    assert Redactions(withdrawn=frozenset({2})).any
    assert Redactions(replaced=frozenset({3})).any


def test_local_time_text_is_right_across_every_kind_of_zone_change() -> None:
    """`when` remembers a day's offset: a day with a change in it (whole hours, half an hour on
    Lord Howe Island, a zone far from UTC) and naive, aware and out-of-order times still read
    as strftime reads them."""
    for name in ("Europe/London", "Australia/Lord_Howe", "Pacific/Kiritimati", "America/St_Johns"):
        layout = Layout(replace(sample().header, timezone=name))
        moments: list[datetime] = []
        for day in ((3, 7), (3, 28), (4, 4), (10, 3), (10, 24), (10, 31)):  # each zone's changes
            start = datetime(2026, *day, 12, tzinfo=UTC)
            moments += [start + timedelta(minutes=m) for m in range(0, 60 * 48, 13)]
        moments += [m.replace(tzinfo=None) for m in moments[::50]] + moments[::-37]
        for moment in moments:
            local = layout.local(moment)
            assert layout.when(moment) == f"{local:%Y-%m-%d %H:%M} {local.tzname()}", (name, moment)
    assert Layout(sample().header).when(datetime(9999, 12, 31, 23, 59, tzinfo=UTC)) == (
        "9999-12-31 23:59 GMT"
    )


def test_json_rows_match_the_general_conversion() -> None:
    """`row_object` looks only at the fields that may hold a time, a date or a person: the
    result is what the general `plain` makes of the whole row."""
    person = Person("Ada <b>", 900000000000000001)
    at = datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
    notes = [
        NoteRow(id=1, kind="note", text="t", at=at, author=None),
        NoteRow(
            id=2,
            kind="action",
            text="t",
            at=MOMENTS[2],
            author=person,
            goal_id=3,
            goal_title="g",
            review_on=date(2026, 4, 1),
            owner=person,
            owner_organisation="Council",
            due=date(2026, 5, 1),
            phase="design",
            state="done",
            done_at=MOMENTS[0],
            meeting_id=4,
            link="https://discord.com/channels/1/2/3",
        ),
    ]
    logs = [
        LogRow(
            id=5,
            at=at,
            kind="goal.agreed",
            actor=person,
            summary="s",
            payload={"a": [1]},
            link=None,
        ),
        LogRow(id=6, at=MOMENTS[0], kind="k", actor=None, summary="s", payload={}, link="x"),
    ]
    for row in [*notes, *logs]:
        assert row_object(row) == plain(row)
        assert dumps(row_object(row)) == dumps(plain(row))
        # Written by orjson from the row's own fields, or (another zone's time) the general way.
        assert row_bytes(row, json_values=True) == dumps(plain(row))
        assert row_bytes(row, json_values=False) == dumps(plain(row))
    # A note through its own quick check: the same bytes, whatever its fields hold (a time in
    # another zone, or where a date should be, a text orjson refuses: the general way).
    odd = [
        replace(notes[1], at=at.astimezone(timezone(timedelta(hours=-5)))),
        replace(notes[1], done_at=datetime(2026, 3, 2, 9, 5)),  # naive: UTC
        replace(notes[1], due=datetime(2026, 5, 1, 12, tzinfo=timezone(timedelta(hours=2)))),
        replace(notes[1], review_on=datetime(2026, 4, 1, 8, tzinfo=UTC)),
        replace(notes[0], text="lone \ud800 surrogate"),
        replace(notes[0], owner=Person("Bo", 2**70)),
    ]
    for note in [*notes, *odd]:
        assert note_bytes(note) == dumps(plain(note)) == row_bytes(note, json_values=True)


def test_html_text_escapes_as_markupsafe_does() -> None:
    class Kind(StrEnum):
        odd = "<&'\">"

    values: list[object] = [None, 7, -3, 10**30, True, 1.5, Kind.odd, Markup("<b>kept</b>")]
    values += ["", "plain"]
    values += [HTML_ATTACK, "a & b < c > d ' e \" f", "&amp; already"]
    for value in values:
        assert escape_text(value) == str(escape(value)), value


def test_markdown_text_with_nothing_to_escape_is_only_flattened() -> None:
    assert inert("Entry 1: we  agree\nto meet") == "Entry 1: we agree to meet"
    assert inert("see WWW.example.org") == "see WWW\\[\\.\\]example\\.org"
    assert inert("a w. b") == "a w\\. b"


def test_every_stream_column_makes_an_empty_cell_of_none() -> None:
    """`Sheet.write_objects` writes None as an empty cell without asking the column's converter:
    every converter it can plan, for every audience, would have made the same."""
    for header in (
        sample().header,
        replace(sample().header, audience=Audience.external),
        replace(sample().header, pseudonymised=True, keep_text=False),
    ):
        archive = zipfile.ZipFile(io.BytesIO(), "w")
        for file in [*codebook.NOTE_FILES.values(), codebook.LOG]:
            with Sheet(archive, file, header, {}) as sheet:
                _read, converters = sheet._plan_objects()
                assert converters
                assert [convert(None) for convert in converters] == [""] * len(converters)


def test_rows_filled_at_once_are_the_rows_init_makes() -> None:
    """`filled` gives the object the dataclass's own `__init__` gives (equal, same fields in the
    same order, still frozen)."""
    at = datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
    note = NoteRow(
        id=7, kind="action", text="t", at=at, author=Person("Ada", 1), due=date(2026, 4, 1)
    )
    values = {f.name: getattr(note, f.name) for f in fields(NoteRow)}
    made = filled(NoteRow, dict(values))
    assert made == note and repr(made) == repr(note) and vars(made) == vars(note)
    assert list(vars(made)) == [f.name for f in fields(NoteRow)]
    log = LogRow(id=1, at=at, kind="note.note", actor=None, summary="s", payload={}, link=None)
    assert filled(LogRow, {f.name: getattr(log, f.name) for f in fields(LogRow)}) == log
    try:
        made.text = "changed"  # type: ignore[misc]
    except FrozenInstanceError:
        pass
    else:
        raise AssertionError("a filled row is not frozen")


def test_payloads_decode_as_json_loads_does() -> None:
    for text in ('{"a": 1, "b": [null, "é"]}', ' {"a": 1}', '{"a": 1} ', "null", "[1, 2]", '"x"'):
        assert spool.payload(text) == json.loads(text), text
    for text in ("", '{"a": 1} x', "\ufeff{}", "{"):
        with pytest.raises(json.JSONDecodeError):
            spool.payload(text)
    decoded = {"a": 1}
    assert spool.payload(decoded) is decoded  # PostgreSQL's driver decoded it already


def test_csv_files_are_deflated_at_the_quickest_level_and_read_back_the_same() -> None:
    header = sample().header
    rows = [
        LogRow(i, datetime(2026, 3, 2, tzinfo=UTC), "note.note", None, f"s {i}", {"n": i}, None)
        for i in range(2000)
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        with Sheet(archive, codebook.LOG, header, {}) as sheet:
            sheet.write_objects(rows)
    with zipfile.ZipFile(buffer) as archive:
        (info,) = archive.infolist()
        data = archive.read(info)
    assert info.compress_type == zipfile.ZIP_DEFLATED and data.count(b"\n") == 2001

    def deflated(level: int) -> int:
        deflate = zlib.compressobj(level, zlib.DEFLATED, -15)
        return len(deflate.compress(data) + deflate.flush())

    assert COMPRESS_LEVEL == 1
    assert deflated(COMPRESS_LEVEL) == info.compress_size
    assert deflated(6) != info.compress_size  # zlib's default level would differ


def test_local_time_text_is_right_at_the_edges_of_days_zones_and_years() -> None:
    """`when`'s minute table: local days before and after the UTC day, offsets of seconds (old
    local mean time), years around 1000 and at the ends of the calendar, as strftime reads them."""
    cases = {
        "Europe/Amsterdam": [datetime(1900, 6, 1, h, 59, 31, tzinfo=UTC) for h in range(24)],
        "America/Los_Angeles": [datetime(1000, 1, 1, h, 5, tzinfo=UTC) for h in range(12)],
        "Pacific/Kiritimati": [datetime(2026, 5, 1, h, 59, 59, tzinfo=UTC) for h in range(24)]
        + [datetime(9999, 12, 30, 23, 59, tzinfo=UTC)],
        "Asia/Kathmandu": [datetime(2026, 5, 1, h, 14, 59, tzinfo=UTC) for h in range(24)],
        "America/Adak": [datetime(1, 1, 2, h, 30, tzinfo=UTC) for h in range(24)],
    }
    for name, moments in cases.items():
        layout = Layout(replace(sample().header, timezone=name))
        for moment in moments:
            local = layout.local(moment)
            want = (
                f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
                if local.year >= 1000
                else f"{local.year}-{local.month:02d}-{local.day:02d} "
                f"{local.hour:02d}:{local.minute:02d} {local.tzname()}"
            )
            assert layout.when(moment) == want, (name, moment)


def stored_entries(*more: str) -> tuple[list[StoredEntry], list[LogRow]]:
    """Log entries as spooled (their time and payload as read, from SQLite's text or the
    driver's values; `more` payloads as stored text besides) and as their `LogRow`s."""
    times = [
        "2026-03-29 00:59:59.000000",
        "2026-03-29 01:00:01.123456",
        "2026-03-29 01:00:01.000010",
        "2026-03-29 01:00:01",  # not SQLAlchemy's text: read as before
        *MOMENTS,
    ]
    payloads = [
        '{"b": 1, "a": "=x"}',
        "{}",
        "null",
        "[1, 2.5]",
        '{"n": 1e400}',
        {"z": [1]},
        None,
        "[]",
        '{"big": 123456789012345678901234567890}',
        '{"é": "\\u00e9"}',
        *more,
    ]
    people = [None, Person("Ada", 1), Person("=Eve", 2)]
    texts = ["a summary", "=SUM(A1)", "-1", ""]
    links = [None, "https://discord.com/channels/1/2/3", "@link"]
    stored: list[StoredEntry] = [
        (
            n,
            f"note.{n % 3}" if n % 5 else "+kind",
            people[n % 3],
            times[n % len(times)],
            texts[n % 4],
            payloads[n % len(payloads)],
            links[n % 3],
        )
        for n in range(80)
    ]
    rows = [
        LogRow(
            id=s[0],
            at=spool.moment(s[3]),
            kind=s[1],
            actor=s[2],
            summary=s[4],
            payload=spool.payload(s[5]) or {},
            link=s[6],
        )
        for s in stored
    ]
    return stored, rows


def test_log_cells_made_from_stored_entries_are_those_of_their_rows() -> None:
    """`Sheet.write_stored`: a `StoredEntry`'s cells (its time and payload as read, from
    SQLite's text or the driver's values) are the cells its `LogRow` makes, a `LogRow` among
    them kept in its place, for every header that shows the log as stored."""
    stored, rows = stored_entries()
    mixed = [
        row if n % 7 == 0 else entry
        for n, (entry, row) in enumerate(zip(stored, rows, strict=True))
    ]
    for header in (
        sample().header,
        replace(sample().header, keep_text=not sample().header.keep_text),
    ):
        made = []
        for write in ("objects", "stored", "mixed"):
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as archive:
                with Sheet(archive, codebook.LOG, header, {}) as sheet:
                    if write == "objects":
                        sheet.write_objects(rows)
                    else:
                        sheet.write_stored(list(stored) if write == "stored" else mixed)
            with zipfile.ZipFile(buffer) as archive:
                made.append(archive.read("log.csv"))
        assert made[0].count(b"\n") == 81
        assert made[1] == made[0] and made[2] == made[0]


def test_note_cells_are_those_write_objects_makes() -> None:
    """`Sheet.write_notes`: each note file's cells, made straight from its notes, are the cells
    `write_objects` makes, and the values a vocabulary does not list are noted alike, for every
    audience and whether text is kept."""
    people = [None, Person("Ada", 1), Person("=Eve", 2)]
    texts = ["a note", "=SUM(A1)", "-1", "", "@here"]
    at = datetime(2026, 3, 2, 9, 5, 7, 123, tzinfo=UTC)
    notes = [
        NoteRow(
            id=n,
            kind=["action", "decision", "+odd", "small_win", ""][n % 5],
            text=texts[n % 5],
            at=MOMENTS[n % len(MOMENTS)] if n % 3 else at,
            author=people[n % 3],
            goal_id=[None, 4, 7][n % 3],
            goal_title=[None, "=Goal", "Goal 7", ""][n % 4],
            review_on=None if n % 2 else date(2026, 5, n % 28 + 1),
            owner=people[(n + 1) % 3],
            owner_organisation=[None, "Food Bank", "-Council"][n % 3],
            due=None if n % 4 else date(2026, 4, 1),
            phase=[None, "design", "+made up", "delivery"][n % 4],
            state=[None, "open", "overdue", "done", "=lost"][n % 5],
            done_at=None if n % 5 else at + timedelta(days=n),
            meeting_id=None if n % 3 else n * 11,
            link=[None, "https://discord.com/channels/1/2/3", "=link"][n % 3],
        )
        for n in range(60)
    ]
    for header in (
        sample().header,
        replace(sample().header, keep_text=not sample().header.keep_text),
        replace(sample().header, audience=Audience.external),
        replace(sample().header, pseudonymised=True, keep_text=False),
        replace(sample().header, pseudonymised=True, keep_text=True),
    ):
        for file in codebook.NOTE_FILES.values():
            made, noted = [], []
            for write in ("objects", "notes"):
                unlisted: dict[tuple[str, str], set[str]] = {}
                buffer = io.BytesIO()
                with zipfile.ZipFile(buffer, "w") as archive:
                    with Sheet(archive, file, header, unlisted) as sheet:
                        if write == "objects":
                            sheet.write_objects(notes)
                        else:
                            sheet.write_notes(notes[:25])
                            sheet.write_notes(notes[25:])
                with zipfile.ZipFile(buffer) as archive:
                    made.append(archive.read(file.name))
                noted.append(unlisted)
            assert made[0].count(b"\n") == 61
            assert made[1] == made[0], (file.name, header)
            assert noted[1] == noted[0] and (file.name, "kind") in noted[0]


def test_a_day_the_zone_changes_in_is_looked_up_once() -> None:
    """`when` on a day whose offset changes (a clock change) takes the general path for each
    moment, and looks the day up once however many moments fall in it."""
    layout = Layout(replace(sample().header, timezone="Europe/London"))
    looked_up: list[datetime] = []
    day = layout._day

    def counted(start: datetime) -> object:
        looked_up.append(start)
        return day(start)

    layout._day = counted  # type: ignore[method-assign]
    clock_change = datetime(2026, 3, 29, tzinfo=UTC)
    moments = [clock_change - timedelta(hours=2) + timedelta(minutes=7 * n) for n in range(600)]
    for _ in range(2):  # as two streams of the log pass the same days
        for moment in moments:
            local = layout.local(moment)
            assert layout.when(moment) == f"{local:%Y-%m-%d %H:%M} {local.tzname()}", moment
    days = sorted({m.replace(hour=0, minute=0) for m in moments})
    assert len(days) == 4 and looked_up == days  # each day once, in order
    assert layout._days[clock_change] is None


def test_stored_times_read_as_isoformat_writes_them() -> None:
    """`spool.stored_iso` rewrites SQLite's stored text as `isoformat` writes the time it
    stands for (microseconds only when there are some), and converts anything else."""
    start = datetime(1, 1, 1, tzinfo=UTC)
    for step in range(0, 10**7, 9973):
        moment = start + timedelta(days=step / 3.7, microseconds=step % 3 * 1234)
        text = spool.sqlite_moment(moment)
        assert spool.stored_iso(text) == moment.isoformat(), text
    for moment in MOMENTS:
        assert spool.stored_iso(moment) == spool.moment(moment).isoformat()
    assert spool.stored_iso("2026-03-29 01:00:01") == "2026-03-29T01:00:01+00:00"


async def test_json_log_rows_from_stored_entries_are_those_of_their_rows() -> None:
    """The JSON log written from stored entries (`stored_bytes`, the general path for what
    orjson can't write so) is byte for byte the one written from their `LogRow`s, a `LogRow`
    among them kept in its place."""
    stored, rows = stored_entries('{"lone": "\\ud800"}')
    mixed: list[Any] = [
        row if n % 7 == 0 else entry
        for n, (entry, row) in enumerate(zip(stored, rows, strict=True))
    ]

    async def batches(items: list[Any]) -> AsyncIterator[list[Any]]:
        for start in range(0, len(items), 9):
            yield items[start : start + 9]

    made = []
    for items in (rows, stored, mixed):
        buffer = io.BytesIO()
        await _stream(buffer, "log", batches(items), json_values=True)
        made.append(buffer.getvalue())
    assert made[0].count(b"\n") == 82  # the key's line, a line per entry, the close
    assert made[1] == made[0] and made[2] == made[0]
    assert stored_bytes(stored[8]) is None  # an integer beyond 64 bits: the general path
