"""The HTML report: one self-contained page with the Markdown export's content and pictures.

Rendered from `templates/report.html.j2` by Jinja2 with autoescape on, so every piece of user
text is escaped; the only markup handed to the template is the charts' SVG, rebuilt by
`charts.sanitise_svg` from drawing elements alone. The page has inline CSS, charts inline (SVG,
and the trust trend as a PNG data URI), no scripts and no outside assets, and a Content
Security Policy that would refuse both anyway.

The template is rendered with `generate_async`, reading the document's note and log streams a
batch at a time (their rows made by `html_rows`) and writing each chunk as it comes, so memory
does not grow with the log. The charts,
drawn from the small parts of the document, are drawn first, in a worker thread (matplotlib
blocks). `charts` (matplotlib, most of a second to import) is imported there by the first
report drawn, not with this module: the command line's other formats never load it, and the
event loop never waits for the import.
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from bot.services.export.document import Document
from bot.services.export.layout import (
    HEADINGS,
    NOTE_SECTIONS,
    SECTIONS,
    TRUST_COLUMNS,
    Layout,
)
from bot.services.export.writers import html_rows
from bot.services.export.writers.html_rows import message_link
from bot.services.notes.vocab import NoteKind

if TYPE_CHECKING:
    from bot.services.export.charts import Chart

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
TEMPLATE = "report.html.j2"
CHUNK = 64 * 1024  # bytes gathered before each write
PERIOD_NOTES: tuple[tuple[str, str], ...] = (
    (NoteKind.decision, "decisions"),
    (NoteKind.action, "actions"),
    (NoteKind.small_win, "small_wins"),
    (NoteKind.risk, "risks"),
    (NoteKind.note, "notes"),
)


@functools.cache
def environment() -> Environment:
    """One environment per process: the template is compiled once."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        enable_async=True,
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )


def _draw(document: Document, layout: Layout) -> list[Chart]:
    """The report's charts (on a worker thread), `charts` imported here: see the docstring."""
    from bot.services.export import charts

    return charts.draw(document, layout)


async def write(document: Document, out: BinaryIO) -> None:
    layout = Layout(document.header)
    drawn = await asyncio.to_thread(_draw, document, layout)
    meeting = None
    if layout.minutes:
        meeting = next((m for m in document.meetings if m.id == document.header.meeting_id), None)
    titles = {goal.id: goal.title for goal in document.goals}
    template = environment().get_template(TEMPLATE)
    buffer: list[bytes] = []
    size = 0
    async for chunk in template.generate_async(
        L=layout,
        header=document.header,
        header_lines=layout.header_lines(),
        document=document,
        meeting=meeting,
        note_rows=html_rows.notes(
            document, layout, meeting_id=document.header.meeting_id, minutes=layout.minutes
        ),
        log_rows=lambda: html_rows.log(document, layout),
        charts={chart.key: chart for chart in drawn},
        # The charts' SVG is markup made here from matplotlib's drawing, not user text.
        svg={chart.key: Markup(chart.svg) for chart in drawn if chart.svg is not None},
        sections=SECTIONS,
        headings=HEADINGS,
        note_sections=NOTE_SECTIONS,
        period_notes=PERIOD_NOTES,
        trust_columns=TRUST_COLUMNS,
        titles=titles,
        goal_links=[
            link for link in document.links if link.from_goal in titles and link.to_goal in titles
        ],
        link=message_link,
    ):
        data = chunk.encode("utf-8")
        buffer.append(data)
        size += len(data)
        if size >= CHUNK:
            out.write(b"".join(buffer))
            buffer, size = [], 0
    out.write(b"".join(buffer))
