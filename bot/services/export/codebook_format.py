"""What a codebook is made of: a CSV file's columns (each column's type says where it is
shown, `Column.shown`), the files, and the rows of `codebook.csv` written from them. The export's
own files and columns are declared in `codebook`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from bot.services.export.document import Audience, Header
from bot.services.export.vocabularies import ColumnType, Value

NOT_IN_VOCABULARY = "not in this version's vocabulary; kept as recorded"


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    description: str
    concept: str = ""
    source: str = ""
    values: tuple[Value, ...] = ()

    def shown(self, header: Header) -> bool:
        """Whether this column is written at all for an export with this header."""
        people = header.audience == Audience.internal
        if self.type == ColumnType.person:
            return people
        if self.type == ColumnType.discord_id:
            return people and not header.pseudonymised
        if self.type in (ColumnType.link, ColumnType.json):
            return not header.pseudonymised
        return True


@dataclass(frozen=True)
class File:
    name: str
    description: str
    columns: tuple[Column, ...]

    def columns_for(self, header: Header) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if column.shown(header))


def about(header: Header) -> Iterator[str]:
    """What the codebook says of the export as a whole."""
    yield (
        f"A Partnerbot export of “{header.partnership}”, {header.period}, for the "
        f"{header.audience} audience (schema version {header.schema_version}). Times are ISO "
        "8601 in UTC; dates are YYYY-MM-DD in the partnership's time zone; an empty cell has no "
        "value. A text cell that would begin with =, +, -, @, a tab or a carriage return begins "
        "with ' so that no spreadsheet runs it as a formula."
    )
    if header.audience == Audience.external:
        yield (
            "External audience: no person is named anywhere; no reflection answers, stance "
            "comments, sensitive goal labels or individual-level goals."
        )
    if header.pseudonymised:
        yield (
            "Pseudonymised for research: people and organisations appear under stable salted "
            "pseudonyms (the same on every export), sectors are kept, and Discord ids, message "
            "links and stored payloads are left out; free text is "
            + ("kept." if header.keep_text else "left empty.")
        )


def rows(
    header: Header,
    files: Iterable[File],
    unlisted: Mapping[tuple[str, str], Iterable[str]] | None = None,
) -> Iterator[dict[str, str]]:
    """The codebook's rows for these files as written for this header; `unlisted` holds the
    values found in a vocabulary column that its vocabulary doesn't list, by (file, column)."""
    yield from about_rows(header)
    yield from described(header, files, unlisted or {})


def about_rows(header: Header) -> Iterator[dict[str, str]]:
    """The codebook's first rows: what it says of the export as a whole (`about`)."""
    for sentence in about(header):
        yield _row("*", description=sentence)


def _row(
    file: str, column: str = "", value: str = "", type: str = "", **rest: str
) -> dict[str, str]:
    blank = {"description": "", "concept": "", "source": ""}
    return {"file": file, "column": column, "value": value, "type": type} | blank | rest


def described(
    header: Header,
    files: Iterable[File],
    unlisted: Mapping[tuple[str, str], Iterable[str]],
) -> Iterator[dict[str, str]]:
    """The codebook's rows after what it says of the export as a whole (`about`): each file,
    its columns as shown for this header and their values. They depend on the header only by
    the columns it shows (`Column.shown`: its audience, whether pseudonymised)."""
    row = _row
    for file in files:
        yield row(file.name, type="file", description=file.description)
        for column in file.columns_for(header):
            yield row(
                file.name,
                column.name,
                type=column.type,
                description=column.description,
                concept=column.concept,
                source=column.source,
            )
            for value in column.values:
                yield row(
                    file.name,
                    column.name,
                    value.value,
                    "value",
                    description=value.meaning,
                    concept=value.concept,
                    source=value.source,
                )
            for found in sorted(unlisted.get((file.name, column.name), ())):
                yield row(file.name, column.name, found, "value", description=NOT_IN_VOCABULARY)
