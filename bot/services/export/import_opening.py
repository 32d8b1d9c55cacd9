"""The opening of an export to import: read before anything is written (format, schema version,
whether it can be imported, the header), and checked, so a file that can't be imported is
refused early with a one-line reason (`ImportRefused`). See `importer`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bot.errors import UserFacingError
from bot.services.export.document import SCHEMA_VERSION
from bot.services.export.json_reader import BrokenJson, JsonReader
from bot.services.export.writers.json_doc import FORMAT


class ImportRefused(UserFacingError):
    """The file was not imported; nothing was written. The message says why, in one line."""


@dataclass(frozen=True)
class Opening:
    """What a document says before its content: enough to refuse it early."""

    format: Any = None
    schema_version: Any = None
    importable: Any = None
    header: Any = None


def open_export(path: Path) -> TextIO:
    try:
        return path.open(encoding="utf-8", newline="")
    except OSError as error:
        raise ImportRefused(f"Cannot read {path}: {error.strerror or error}.") from None


def read_opening(path: Path) -> Opening:
    """Format, schema version, importable and header, wherever they are in the document."""
    wanted = {"format", "schema_version", "importable", "header"}
    found: dict[str, Any] = {}
    with open_export(path) as source:
        reader = JsonReader(source)
        try:
            for key in reader.keys():
                if key in wanted:
                    found[key] = reader.value()
                    if wanted <= found.keys():
                        break
                else:
                    reader.skip()
        except (BrokenJson, UnicodeDecodeError) as error:
            raise ImportRefused(f"{path.name} is not a complete JSON document: {error}.") from None
    return Opening(**found)


def check_opening(opening: Opening, name: str) -> None:
    if opening.format != FORMAT:
        raise ImportRefused(f"{name} is not a Partnerbot export (its format is not {FORMAT}).")
    version = opening.schema_version
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ImportRefused(f"{name} has no readable schema version.")
    if version > SCHEMA_VERSION:
        raise ImportRefused(
            f"{name} was written by a newer Partnerbot (schema version {version}; this one "
            f"reads up to {SCHEMA_VERSION}). Upgrade Partnerbot, then import it."
        )
    if opening.importable is not True:
        header = opening.header if isinstance(opening.header, dict) else {}
        if header.get("pseudonymised"):
            why = "it is pseudonymised"
        elif header.get("audience") == "external":
            why = "it was written for the external audience"
        elif header.get("since") or header.get("until") or header.get("meeting_id"):
            why = "it covers a period or a meeting, not the whole partnership"
        else:
            why = "it holds no records"
        raise ImportRefused(
            f"{name} can't be imported: {why}. Import an internal JSON export "
            "(`/export json` or `partnerbot export --format json`, audience internal)."
        )
