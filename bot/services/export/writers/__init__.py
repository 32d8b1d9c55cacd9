"""One writer per format. A writer lays out a `Document` it is given (privacy and redaction are
already applied) into a binary file object, reading the document's streams row by row."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import BinaryIO

from bot.services.export.document import Document, Format
from bot.services.export.writers import csv_zip, html, json_doc, markdown

Writer = Callable[[Document, BinaryIO], Awaitable[None]]

WRITERS: dict[Format, Writer] = {
    Format.markdown: markdown.write,
    Format.html: html.write,
    Format.csv: csv_zip.write,
    Format.json: json_doc.write,
}
# The file name's ending for each format.
SUFFIX: dict[Format, str] = {
    Format.markdown: "md",
    Format.html: "html",
    Format.csv: "zip",
    Format.json: "json",
}
# Whether the format reads the notes one kind at a time (a section or a file each): the JSON
# document reads them all at once, in the log's order, so its spool keeps no file per kind.
NOTES_BY_KIND: dict[Format, bool] = {
    Format.markdown: True,
    Format.html: True,
    Format.csv: True,
    Format.json: False,
}
