"""The HTML report's rows that grow with the log (the notes and the log), made here as escaped
text a batch at a time rather than by the template row by row: the same markup the template's
loops would make (`templates/report.html.j2`), every value escaped as `markupsafe.escape`
escapes it (`escape_text`), as Jinja2's autoescape does. The template writes each batch as it
comes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable

from markupsafe import Markup

from bot.services.export.document import Document, LogBrief, NoteRow
from bot.services.export.layout import Layout
from bot.services.notes.vocab import NoteKind

# A link this writer makes: a Discord message, and nothing else.
_MESSAGE_LINK = re.compile(r"https://discord\.com/channels/[0-9]{1,20}/[0-9]{1,20}/[0-9]{1,20}")

ACTION_HEAD = (
    '<table><thead><tr><th scope="col">#</th><th scope="col">Action</th>'
    '<th scope="col">Owner</th><th scope="col">Due</th><th scope="col">State</th>'
    '<th scope="col">Logged</th></tr></thead><tbody>'
)
LOG_HEAD = (
    '\n<table>\n<thead><tr><th scope="col">#</th><th scope="col">When</th>'
    '<th scope="col">Kind</th><th scope="col">Entry</th></tr></thead>\n<tbody>'
)


def escape_text(value: object) -> str:
    """`markupsafe.escape(value)` as plain text: the same characters escaped the same way,
    without a `Markup` made for each value (the batch is marked safe once, whole)."""
    if type(value) is not str:
        if type(value) is int:  # a number (an entry's, a meeting's): digits, maybe a sign
            return str(value)
        html = getattr(value, "__html__", None)
        if html is not None:
            return str(html())
        value = str(value)
    if "&" in value or "<" in value or ">" in value or "'" in value or '"' in value:
        return (
            value.replace("&", "&amp;")
            .replace(">", "&gt;")
            .replace("<", "&lt;")
            .replace("'", "&#39;")
            .replace('"', "&#34;")
        )
    return value


def message_link(link: str | None) -> str | None:
    """A Discord message link, or None for anything else (so no other address is linked)."""
    return link if link is not None and _MESSAGE_LINK.fullmatch(link) else None


def note_item(layout: Layout, note: NoteRow) -> str:
    """A note as a list item (the template's `note_item`)."""
    e = escape_text
    parts = [
        f'<li><span class="id">#{e(note.id)}</span> <time>{e(layout.when(note.at))}</time>: '
        f"{e(note.text)}"
    ]
    if layout.internal and note.author:
        parts.append(f' <span class="by">by {e(note.author.name)}</span>')
    goal = layout.goal_ref(note)
    if goal:
        parts.append(f" · goal {e(goal)}")
    if note.review_on:
        parts.append(f" · review on {e(layout.day(note.review_on))}")
    if note.phase:
        parts.append(f" · co-production phase {e(note.phase)}")
    if note.meeting_id is not None and not layout.minutes:
        parts.append(f" · in meeting #{e(note.meeting_id)}")
    link = message_link(note.link)
    if link:
        parts.append(f' · <a href="{e(link)}">message</a>')
    parts.append("</li>")
    return "".join(parts)


def action_row(layout: Layout, note: NoteRow) -> str:
    """An action as a table row (the template's `action_row`)."""
    e = escape_text
    link = message_link(note.link)
    linked = f' (<a href="{e(link)}">message</a>)' if link else ""
    return (
        f"<tr><td>#{e(note.id)}</td><td>{e(note.text)}{linked}</td>"
        f"<td>{e(layout.owner(note))}</td><td>{e(layout.day(note.due))}</td>"
        f'<td class="state-{e(note.state or "none")}">{e(layout.state(note))}</td>'
        f"<td>{e(layout.when(note.at))}</td></tr>"
    )


def log_row(layout: Layout, row: LogBrief) -> str:
    e = escape_text
    number, at, kind, summary, link = row
    shown = message_link(link)
    linked = f' (<a href="{e(shown)}">message</a>)' if shown else ""
    return (
        f"<tr><td>#{e(number)}</td><td>{e(layout.when(at))}</td><td>{e(kind)}</td>"
        f"<td>{e(summary)}{linked}</td></tr>"
    )


def notes(
    document: Document, layout: Layout, *, meeting_id: int | None = None, minutes: bool = False
) -> Callable[[str], AsyncIterator[Markup]]:
    """For a kind of note, its section's rows: a table of actions, else a list; `<p>None.</p>`
    when there is none. In minutes, only the notes logged during the meeting."""

    async def section(kind: str) -> AsyncIterator[Markup]:
        action = kind == NoteKind.action
        make: Callable[[Layout, NoteRow], str] = action_row if action else note_item
        first = True
        async for batch in document.notes_batched(kind):
            if minutes:
                batch = [note for note in batch if note.meeting_id == meeting_id]
            if not batch:
                continue
            head = (ACTION_HEAD if action else "<ul>") if first else ""
            first = False
            yield Markup(head + "".join(["\n" + make(layout, note) for note in batch]))
        if first:
            yield Markup("\n<p>None.</p>")
        else:
            yield Markup("</tbody></table>" if action else "</ul>")

    return section


async def log(document: Document, layout: Layout) -> AsyncIterator[Markup]:
    """The log's table, or a line saying it is empty."""
    first = True
    async for batch in document.log_briefed():
        if not batch:
            continue
        head = LOG_HEAD if first else ""
        first = False
        yield Markup(head + "".join(["\n" + log_row(layout, row) for row in batch]))
    yield Markup("\n<p>No entries in this period.</p>" if first else "\n</tbody>\n</table>")
