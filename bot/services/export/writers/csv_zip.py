"""The CSV export: a zip with one CSV per kind of record, the header as a file of its own, and a
codebook describing every column and every vocabulary value (`bot.services.export.codebook`).

Each file is written straight into its zip entry, row by row, and the log and the notes are read
from the document's streams a batch of rows at a time, so memory does not grow with the log.
Files are UTF-8, comma-separated, quoted where needed (RFC 4180: the header and single rows by the
csv module, a stream's rows a batch at a time by `csv_text`, which writes the same text). Times are
ISO 8601 in UTC, dates ISO. Text that a spreadsheet would run as a formula is neutralised;
numbers are written as numbers. Which columns appear follows the header (see the codebook's
column types): no person columns for the external audience, no Discord ids, message links or
stored payloads when pseudonymised, and no free text unless the export keeps text.

Each file is deflated at level 1 (`COMPRESS_LEVEL`), zlib's quickest: the files inside the zip
are the same bytes whatever the level; only the zip is a little larger (deflating the log's 40
MB at zlib's default level took about 0.7 s of a 100k-entry export, at level 1 about 0.15 s).
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, BinaryIO

from bot.services.export import codebook, codebook_format
from bot.services.export.codebook_format import File
from bot.services.export.document import (
    AnswerRow,
    Attendee,
    Audience,
    Document,
    GoalRow,
    Header,
    LinkRow,
    LogRow,
    MeetingRow,
    MembershipSpell,
    NoteRow,
    OrganisationRow,
    Person,
    ReadingCount,
    ReflectionRow,
    StanceCell,
    StoredEntry,
    TrustRoundRow,
)
from bot.services.export.vocabularies import ColumnType
from bot.services.export.writers.csv_cells import (  # noqa: F401  (re-exported)
    _CELL_BY_TYPE,
    FORMULA_STARTS,
    PERSON_COLUMNS,
    _blank,
    any_cell,
    cell,
    csv_text,
    iso,
    neutralise,
    not_listed,
    note_cells,
    row_reader,
    stored_log_cells,
)
from bot.services.goals.vocab import DIMENSIONS
from bot.services.trust.vocab import ITEM_KEYS, OWN_ITEM

COMPRESS_LEVEL = 1  # zlib's quickest; the files inside are the same at any level
#: The codebook's text of its files (`Sheet.write_described`) by the columns an export shows
#: (audience, pseudonymised) and its files' names (kept with the files, which must be the same
#: ones); a handful at most.
_DESCRIBED: dict[tuple[Audience, bool, tuple[str, ...]], tuple[tuple[File, ...], str]] = {}
_DESCRIBED_MAX = 32


class Sheet:
    """One CSV file being written into the zip, with the columns this export shows."""

    def __init__(
        self,
        archive: zipfile.ZipFile,
        file: File,
        header: Header,
        unlisted: dict[tuple[str, str], set[str]],
    ) -> None:
        self.file = file
        self.columns = file.columns_for(header)
        self.unlisted = unlisted
        # For each column shown: its name, whether it is left empty (free text not kept), and
        # the values its vocabulary lists (None: not a vocabulary column).
        self._plan = [
            (
                c.name,
                c.type == ColumnType.free_text and not header.keep_text,
                frozenset(v.value for v in c.values) if c.values else None,
            )
            for c in self.columns
        ]
        info = zipfile.ZipInfo(file.name, date_time=_zip_time(header.generated_at))
        info.compress_type = zipfile.ZIP_DEFLATED
        if sys.version_info >= (3, 13):
            info.compress_level = COMPRESS_LEVEL
        else:  # the same attribute, private before 3.13
            info._compresslevel = COMPRESS_LEVEL  # type: ignore[attr-defined]
        info.external_attr = 0o644 << 16
        self._text = io.TextIOWrapper(archive.open(info, "w"), encoding="utf-8", newline="")
        self._csv = csv.writer(self._text)
        self._csv.writerow([c.name for c in self.columns])
        self._checked = False
        self._objects: tuple[Callable[[Any], tuple[Any, ...]], list[Callable[[Any], str]]] | None
        self._objects = None
        self._stored: Callable[[StoredEntry], list[str]] | None = None
        self._notes: Callable[[NoteRow], Sequence[str]] | None = None

    def __enter__(self) -> Sheet:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._text.close()

    def write(self, values: Mapping[str, object]) -> None:
        """One row: `values` holds every column the file declares, shown or not."""
        if not self._checked:
            declared = {c.name for c in self.file.columns}
            if set(values) != declared:
                raise ValueError(
                    f"{self.file.name}: row has {sorted(set(values) ^ declared)} unlike its "
                    "declared columns"
                )
            self._checked = True
        cells: list[str] = []
        append = cells.append
        by_type = _CELL_BY_TYPE.get
        for name, blank, known in self._plan:
            value = values[name]
            if blank:
                append("")
                continue
            if known is not None and not_listed(value, known):
                self._unlisted(name, value)
            fast = by_type(type(value))
            append(fast(value) if fast is not None else cell(value))
        self._csv.writerow(cells)

    def write_objects(self, rows: Iterable[Any]) -> None:
        """Rows read straight from their fields (a stream's `NoteRow`s, `LogRow`s): a column is
        the row's field of the same name, or a person's name or id (`PERSON_COLUMNS`). The
        same cells as `write` would make, without a mapping per row. Every column's converter
        makes an empty cell of None, so None is not handed to it."""
        if self._objects is None:
            self._objects = self._plan_objects()
        read, converters = self._objects
        # A column converted by `any_cell` is converted here the same way (by the value's exact
        # type, else `cell`) without a call to it for each cell.
        columns = [None if convert is any_cell else convert for convert in converters]
        by_type = _CELL_BY_TYPE.get
        self._text.write(
            csv_text(
                [
                    "" if value is None else (convert or by_type(type(value)) or cell)(value)
                    for convert, value in zip(columns, read(row), strict=True)
                ]
                for row in rows
            )
        )

    def write_notes(self, notes: list[NoteRow]) -> None:
        """Notes (`Document.notes_batched`): each one's cells made straight from it
        (`note_cells`), the same as `write_objects` would make."""
        if self._notes is None:
            self._notes = note_cells(self._plan, self._unlisted)
            if self._notes is None:
                raise ValueError(f"{self.file.name}: not a note file's columns")
        self._text.write(csv_text(map(self._notes, notes)))

    def write_described(
        self, header: Header, files: list[File], unlisted: dict[tuple[str, str], set[str]]
    ) -> None:
        """The codebook's rows for the files (`codebook_format.described`), as `write` writes
        them. Their text is the same for every export that shows the same columns of the same
        files and found no value outside a vocabulary, so it is made once for each such kind
        of export (`_DESCRIBED`) and then written as it is: about 4 ms an export."""
        shown = (header.audience, header.pseudonymised, tuple(file.name for file in files))
        kept = _DESCRIBED.get(shown) if not unlisted else None
        if kept is not None and all(a is b for a, b in zip(kept[0], files, strict=True)):
            text = kept[1]
        else:
            made = io.StringIO(newline="")
            writer, self._csv = self._csv, csv.writer(made)
            try:
                for values in codebook_format.described(header, files, unlisted):
                    self.write(values)
            finally:
                self._csv = writer
            text = made.getvalue()
            if not unlisted and len(_DESCRIBED) < _DESCRIBED_MAX:
                _DESCRIBED[shown] = (tuple(files), text)
        self._text.write(text)

    def _unlisted(self, name: str, value: Any) -> None:
        """A value of column `name` that its vocabulary does not list (for the codebook)."""
        self.unlisted.setdefault((self.file.name, name), set()).add(str(value))

    def write_stored(self, items: list[StoredEntry | LogRow]) -> None:
        """The log's rows (`Document.log_as_stored`): a `StoredEntry`'s cells made straight
        from it (`stored_log_cells`), the same as its `LogRow`'s would be; a `LogRow` as by
        `write_objects`."""
        if self._stored is None:
            self._stored = stored_log_cells(self._plan)
            if self._stored is None:
                raise ValueError(f"{self.file.name}: not the log's columns")
        stored = self._stored
        if all(type(item) is tuple for item in items):
            self._text.write(csv_text(map(stored, items)))  # type: ignore[arg-type]
            return
        for item in items:  # a row told otherwise among them: each in its place
            if type(item) is tuple:
                self._csv.writerow(stored(item))  # type: ignore[arg-type]
            else:
                self.write_objects([item])

    def _plan_objects(
        self,
    ) -> tuple[Callable[[Any], tuple[Any, ...]], list[Callable[[Any], str]]]:
        fields: list[str] = []
        converters: list[Callable[[Any], str]] = []
        for name, blank, known in self._plan:
            field, convert = PERSON_COLUMNS.get(name, (name, any_cell))
            if blank:
                convert = _blank
            elif known is not None:
                convert = self._listed(name, known, convert)
            fields.append(field)
            converters.append(convert)
        return row_reader(tuple(fields)), converters

    def _listed(
        self, name: str, known: frozenset[str], convert: Callable[[Any], str]
    ) -> Callable[[Any], str]:
        """`convert`, noting each value its vocabulary does not list (for the codebook)."""
        unlisted = self._unlisted

        def listed(value: Any) -> str:
            if not_listed(value, known):
                unlisted(name, value)
            return convert(value)

        return listed


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    utc = moment.astimezone(UTC) if moment.tzinfo else moment
    return (max(utc.year, 1980), utc.month, utc.day, utc.hour, utc.minute, utc.second)


# ---- rows: every declared column of a file, keyed by name


def _name(person: Person | None) -> str | None:
    return person.name if person else None


def _user_id(person: Person | None) -> int | None:
    return person.user_id if person else None


def header_row(header: Header) -> dict[str, object]:
    return {
        "partnership": header.partnership,
        "purpose": header.purpose,
        "timezone": header.timezone,
        "audience": header.audience,
        "k": header.k,
        "withheld": header.withheld,
        "generated_at": header.generated_at,
        "since": header.since,
        "until": header.until,
        "period": header.period,
        "meeting_id": header.meeting_id,
        "meeting_title": header.meeting_title,
        "exported_by": _name(header.exported_by),
        "exported_by_user_id": _user_id(header.exported_by),
        "pseudonymised": header.pseudonymised,
        "keep_text": header.keep_text,
        "agreement_rule": header.agreement_rule,
        "relationship": header.relationship,
        "schema_version": header.schema_version,
    }


def organisation_row(row: OrganisationRow) -> dict[str, object]:
    return {
        "key": row.key,
        "name": row.name,
        "sector": row.sector,
        "status": row.status,
        "joined_at": row.joined_at,
        "left_at": row.left_at,
        "self_status": row.self_status,
        "self_commitment": row.self_commitment,
    }


def spell_row(row: MembershipSpell) -> dict[str, object]:
    return {
        "person": _name(row.person),
        "person_user_id": _user_id(row.person),
        "organisation": row.organisation,
        "capacity": row.capacity,
        "mandate": row.mandate,
        "convener": row.convener,
        "start": row.start,
        "end": row.end,
    }


def goal_row(row: GoalRow) -> dict[str, object]:
    # `level` is the goal's own field; the other dimensions are its labels.
    dimensions = {name: row.labels.get(name) for name in DIMENSIONS} | {"level": row.level}
    return {
        "id": row.id,
        "title": row.title,
        "description": row.description,
        **dimensions,
        "owner": row.owner,
        "status": row.status,
        "progress": row.progress,
        "review_on": row.review_on,
        "phase": row.phase,
        "proposed_at": row.proposed_at,
        "agreed_at": row.agreed_at,
        "agreed": row.agreed,
        "link": row.link,
    }


def stance_row(goal: GoalRow, stance: StanceCell) -> dict[str, object]:
    return {
        "goal_id": goal.id,
        "voice": stance.voice,
        "organisation": stance.organisation,
        "stance": stance.stance,
        "counted": stance.counted,
        "referral": stance.referral,
        "recorded_at": stance.recorded_at,
        "recorded_by": _name(stance.recorded_by),
        "recorded_by_user_id": _user_id(stance.recorded_by),
        "comment": stance.comment,
    }


def reading_row(goal: GoalRow, reading: ReadingCount) -> dict[str, object]:
    return {
        "goal_id": goal.id,
        "dimension": reading.dimension,
        "reading": reading.reading,
        "organisations": reading.organisations,
    }


def link_row(row: LinkRow) -> dict[str, object]:
    return {"from_goal": row.from_goal, "to_goal": row.to_goal, "relation": row.relation}


def meeting_row(row: MeetingRow) -> dict[str, object]:
    return {
        "id": row.id,
        "title": row.title,
        "started_at": row.started_at,
        "ended_at": row.ended_at,
        "started_by": _name(row.started_by),
        "started_by_user_id": _user_id(row.started_by),
        "attendees": len(row.attendance),
    }


def attendance_row(meeting: MeetingRow, row: Attendee) -> dict[str, object]:
    return {
        "meeting_id": meeting.id,
        "person": _name(row.person),
        "person_user_id": _user_id(row.person),
        "organisation": row.organisation,
    }


def trust_row(row: TrustRoundRow) -> dict[str, object]:
    """A withheld round keeps its dates and count, and no figure drawn from its answers."""
    means = {f"mean_{key}": row.means.get(key) if row.shown else None for key in ITEM_KEYS}
    return {
        "round_id": row.round_id,
        "opened_at": row.opened_at,
        "closed_at": row.closed_at,
        "organisations_answered": row.organisations_answered,
        "shown": row.shown,
        **means,
        f"mean_{OWN_ITEM.key}": row.listened,
        "small_wins": row.small_wins if row.shown else None,
        "density": row.density,
        "reciprocity": row.reciprocity,
    }


def reflection_row(row: ReflectionRow) -> dict[str, object]:
    return {
        "post_id": row.post_id,
        "theme": row.theme,
        "prompt": row.prompt,
        "posted_at": row.posted_at,
        "answer_count": row.answer_count,
        "visibility": row.visibility,
        "answers_withheld": row.answers_withheld,
        "link": row.link,
    }


def answer_row(post_id: int, row: AnswerRow) -> dict[str, object]:
    return {
        "post_id": post_id,
        "author": _name(row.author),
        "author_user_id": _user_id(row.author),
        "organisation": row.organisation,
        "text": row.text,
        "at": row.at,
    }


# ---- the zip


async def write(document: Document, out: BinaryIO) -> None:
    header = document.header
    unlisted: dict[tuple[str, str], set[str]] = {}
    written: list[File] = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def sheet(file: File) -> Sheet:
            written.append(file)
            return Sheet(archive, file, header, unlisted)

        def fill(file: File, rows: Iterable[Mapping[str, object]]) -> None:
            with sheet(file) as out_sheet:
                for values in rows:
                    out_sheet.write(values)

        fill(codebook.HEADER, [header_row(header)])
        fill(codebook.ORGANISATIONS, map(organisation_row, document.organisations))
        fill(codebook.SPELLS, map(spell_row, document.spells))
        fill(codebook.GOALS, map(goal_row, document.goals))
        fill(
            codebook.STANCES,
            (stance_row(goal, stance) for goal in document.goals for stance in goal.matrix),
        )
        fill(
            codebook.READINGS,
            (reading_row(goal, reading) for goal in document.goals for reading in goal.readings),
        )
        fill(codebook.LINKS, map(link_row, document.links))
        for kind, file in codebook.NOTE_FILES.items():
            with sheet(file) as notes:
                async for batch in document.notes_batched(kind):
                    notes.write_notes(batch)
        fill(codebook.MEETINGS, map(meeting_row, document.meetings))
        fill(
            codebook.ATTENDANCE,
            (attendance_row(m, a) for m in document.meetings for a in m.attendance),
        )
        fill(codebook.TRUST_ROUNDS, map(trust_row, document.trust))
        fill(codebook.REFLECTIONS, map(reflection_row, document.reflections))
        if any(reflection.answers for reflection in document.reflections):
            fill(
                codebook.ANSWERS,
                (answer_row(r.post_id, a) for r in document.reflections for a in r.answers),
            )
        with sheet(codebook.LOG) as log:
            async for entries in document.log_as_stored():
                log.write_stored(entries)
        files = [*written, codebook.CODEBOOK]
        with sheet(codebook.CODEBOOK) as book:
            for values in codebook_format.about_rows(header):
                book.write(values)
            book.write_described(header, files, unlisted)
