"""The Markdown export: minutes to paste, for one meeting or for a period.

A meeting export (`header.meeting_id` set) is the meeting's minutes: title, date, attendance by
organisation, and the decisions, actions, small wins, risks and notes logged during it. A
period export has a section per part of the record (`layout.SECTIONS`). Both open with the
header every export carries.

Every piece of user text goes through `inert`, so what people typed shows as they typed it and
never as Markdown: no links, no formatting, no headings or broken tables, no mentions. The file
is written line by line as the document's streams are read, so a long log never sits in memory.
"""

from __future__ import annotations

import functools
import re
from typing import BinaryIO

from bot.services.export.document import Document, MeetingRow, NoteRow
from bot.services.export.layout import HEADINGS, NONE, NOTE_SECTIONS, TRUST_COLUMNS, Layout
from bot.services.notes.vocab import NoteKind

# How a stance's referral reads after the stance (none: nothing).
REFERRAL_NOTE = {"pending": " (subject to referral)", "confirmed": " (confirmed after referral)"}

# Characters Markdown (CommonMark, GitHub's and Discord's) gives meaning to: each is escaped
# with a backslash, which every CommonMark renderer shows as the character itself.
METACHARACTERS = frozenset("\\`*_{}[]()#+-.!|<>~&$")
_SCHEME = re.compile(r"://")
_WWW = re.compile(r"(www)\.", re.IGNORECASE)
ZERO_WIDTH_SPACE = "\u200b"
# Each metacharacter gains its backslash, `@` and `<` their zero-width space (`<` both:
# escaped, then kept apart from what follows). Backslashes first, so the ones added after are
# not escaped again; each replacement only adds backslashes, zero-width spaces and its own
# character, so one `str.replace` per character present gives what one pass over the text would.
_REPLACEMENTS: tuple[tuple[str, str], ...] = (
    ("\\", "\\\\"),
    *((c, "\\" + c) for c in sorted(METACHARACTERS - {"\\", "<"})),
    ("<", "\\<" + ZERO_WIDTH_SPACE),
    ("@", "@" + ZERO_WIDTH_SPACE),
)
# Any character a replacement above applies to.
_ANY_SPECIAL = re.compile("[" + re.escape("".join(char for char, _ in _REPLACEMENTS)) + "]")
# A link this writer makes itself: a Discord message, and nothing else.
_MESSAGE_LINK = re.compile(r"https://discord\.com/channels/[0-9]{1,20}/[0-9]{1,20}/[0-9]{1,20}")


def inert(text: str | None) -> str:
    """User text as Markdown that shows exactly the words typed and does nothing else.

    - on one line: every run of whitespace (line breaks included) becomes one space, so a text
      can't start a heading, a list or a quote, or break a table row;
    - no live links: `://` becomes `[:]//` and `www.` becomes `www[.]` (the usual way of
      writing an address that must not be followed), and `<…>` autolinks are escaped;
    - no formatting: each of ``\\ ` * _ { } [ ] ( ) # + - . ! | < > ~ & $`` is escaped;
    - no mentions: `@` and `<` are followed by a zero-width space, so `@everyone`, `@here`,
      `<@123>`, `<@&1>` and `<#1>` stay text when pasted into Discord.
    """
    if not text:
        return ""
    flat = " ".join(text.split())
    if "://" in flat:
        flat = _SCHEME.sub("[:]//", flat)
    if "w." in flat or "W." in flat:  # what `www.` needs, in any case: a quicker test
        flat = _WWW.sub(r"\1[.]", flat)
    if _ANY_SPECIAL.search(flat) is None:  # most text: nothing to escape
        return flat
    for char, replacement in _REPLACEMENTS:
        if char in flat:
            flat = flat.replace(char, replacement)
    return flat


# `inert` for the short values a long log repeats (people's names, goals, states, kinds).
_inert_name = functools.lru_cache(maxsize=4096)(inert)


def message_link(link: str | None) -> str | None:
    """A Discord message link as a Markdown link, or None for anything else."""
    if link is None or not _MESSAGE_LINK.fullmatch(link):
        return None
    return f"[message](<{link}>)"


class _Writer:
    """Lines into a binary file, as UTF-8, one at a time."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out

    def line(self, text: str = "") -> None:
        self.out.write(text.encode("utf-8") + b"\n")

    def lines(self, texts: list[str]) -> None:
        """Several lines at once."""
        if texts:
            texts.append("")
            self.out.write("\n".join(texts).encode("utf-8"))

    def heading(self, level: int, text: str) -> None:
        self.line(f"{'#' * level} {text}")
        self.line()

    def table(self, headings: list[str]) -> None:
        self.line("| " + " | ".join(headings) + " |")
        self.line("|" + "---|" * len(headings))

    def row(self, cells: list[str]) -> None:
        self.line("| " + " | ".join(cell or NONE for cell in cells) + " |")


async def write(document: Document, out: BinaryIO) -> None:
    layout = Layout(document.header)
    w = _Writer(out)
    meeting = _meeting(document, layout)
    w.heading(1, inert(layout.title(meeting)))
    for line in layout.header_lines():
        w.line(f"- {line.label}: {inert(line.value) if line.user_text else line.value}")
    w.line()
    if layout.minutes:
        await _minutes(document, layout, w, meeting)
    else:
        await _period(document, layout, w)


def _meeting(document: Document, layout: Layout) -> MeetingRow | None:
    if not layout.minutes:
        return None
    return next((m for m in document.meetings if m.id == document.header.meeting_id), None)


# ---------------------------------------------------------------------------- minutes


async def _minutes(
    document: Document, layout: Layout, w: _Writer, meeting: MeetingRow | None
) -> None:
    w.heading(2, f"Meeting \\#{document.header.meeting_id}")
    if meeting is None:
        w.line("The meeting is not in this export.")
        w.line()
    else:
        w.line(f"- Title: {inert(meeting.title)}")
        w.line(f"- Date: {layout.day(meeting.started_at)}")
        w.line(f"- Started: {layout.when(meeting.started_at)}")
        w.line(f"- Ended: {layout.when(meeting.ended_at) if meeting.ended_at else 'open'}")
        if meeting.started_by is not None:
            w.line(f"- Started by: {inert(meeting.started_by.name)}")
        w.line()
        w.heading(3, "Attendance")
        _attendance(layout, w, meeting)
    for kind, heading in NOTE_SECTIONS:
        w.heading(3, heading)
        await _notes(document, layout, w, kind, meeting_id=document.header.meeting_id)


def _attendance(layout: Layout, w: _Writer, meeting: MeetingRow) -> None:
    groups = layout.attendance(meeting)
    if not groups:
        w.line("Nobody recorded their attendance.")
    for group in groups:
        w.line(f"- {inert(layout.attendance_line(group))}")
    w.line()


# ---------------------------------------------------------------------------- notes


async def _notes(
    document: Document, layout: Layout, w: _Writer, kind: str, *, meeting_id: int | None = None
) -> None:
    """The notes of one kind, as a table for actions and a list otherwise; in minutes, only
    those logged during the meeting."""
    any_row = False
    action = kind == NoteKind.action
    async for batch in document.notes_batched(kind):
        if meeting_id is not None:
            batch = [note for note in batch if note.meeting_id == meeting_id]
        if not batch:
            continue
        if not any_row and action:
            w.table(["#", "Action", "Owner", "Due", "State", "Logged"])
        any_row = True
        if action:
            w.lines([_row_text(_action_cells(layout, note)) for note in batch])
        else:
            w.lines([f"- {_note_line(layout, note)}" for note in batch])
    if not any_row:
        w.line("None.")
    w.line()


def _row_text(cells: list[str]) -> str:
    return "| " + " | ".join(cell or NONE for cell in cells) + " |"


def _action_cells(layout: Layout, note: NoteRow) -> list[str]:
    text = inert(note.text)
    link = message_link(note.link)
    return [
        f"\\#{note.id}",
        f"{text} ({link})" if link else text,
        _inert_name(layout.owner(note)),
        layout.day(note.due),
        _inert_name(layout.state(note)),
        layout.when(note.at),
    ]


def _note_line(layout: Layout, note: NoteRow) -> str:
    parts = [f"\\#{note.id} {layout.when(note.at)}: {inert(note.text)}"]
    if layout.internal and note.author is not None:
        parts.append(f"by {_inert_name(note.author.name)}")
    goal = layout.goal_ref(note)
    if goal is not None:
        parts.append(f"goal {_inert_name(goal)}")
    if note.review_on is not None:
        parts.append(f"review on {note.review_on.isoformat()}")
    if note.phase is not None:
        parts.append(f"co-production phase {_inert_name(note.phase)}")
    if note.meeting_id is not None and not layout.minutes:
        parts.append(f"in meeting \\#{note.meeting_id}")
    link = message_link(note.link)
    if link is not None:
        parts.append(link)
    return " · ".join(parts)


# ---------------------------------------------------------------------------- a period


async def _period(document: Document, layout: Layout, w: _Writer) -> None:
    _membership(document, layout, w)
    _goals(document, layout, w)
    _links(document, w)
    for kind, section in (
        (NoteKind.decision, "decisions"),
        (NoteKind.action, "actions"),
        (NoteKind.small_win, "small_wins"),
        (NoteKind.risk, "risks"),
        (NoteKind.note, "notes"),
    ):
        w.heading(2, HEADINGS[section])
        await _notes(document, layout, w, kind)
    _meetings(document, layout, w)
    _trust(document, layout, w)
    _reflections(document, layout, w)
    await _log(document, layout, w)


def _membership(document: Document, layout: Layout, w: _Writer) -> None:
    w.heading(2, HEADINGS["membership"])
    w.heading(3, "Organisations")
    if document.organisations:
        w.table(["Organisation", "Sector", "Status", "Joined", "Left"])
        for org in document.organisations:
            w.row(
                [
                    inert(org.name),
                    inert(layout.value(org.sector)),
                    inert(layout.value(org.status)),
                    layout.day(org.joined_at),
                    layout.day(org.left_at),
                ]
            )
    else:
        w.line("None.")
    w.line()
    w.heading(3, "Membership spells")
    w.line("Each row is one stretch of a person in one organisation and capacity.")
    w.line()
    if not document.spells:
        w.line("None.")
        w.line()
        return
    people = any(spell.person is not None for spell in document.spells)
    w.table(
        (["Person"] if people else [])
        + ["Organisation", "Capacity", "Mandate", "Convener", "From", "To"]
    )
    for spell in document.spells:
        w.row(
            ([inert(layout.person(spell.person))] if people else [])
            + [
                inert(spell.organisation or "own capacity"),
                inert(layout.value(spell.capacity)),
                inert(layout.value(spell.mandate)) if spell.mandate else NONE,
                "yes" if spell.convener else "no",
                layout.day(spell.start),
                layout.day(spell.end),
            ]
        )
    w.line()


def _goals(document: Document, layout: Layout, w: _Writer) -> None:
    w.heading(2, HEADINGS["goals"])
    if not document.goals:
        w.line("None.")
        w.line()
    for goal in document.goals:
        w.heading(3, f"Goal \\#{goal.id}: {inert(goal.title)}")
        if goal.description:
            w.line(inert(goal.description))
            w.line()
        w.line(f"- Level: {inert(layout.value(goal.level))}")
        w.line(f"- Status: {inert(layout.value(goal.status))}")
        w.line(f"- Agreed: {layout.when(goal.agreed_at) if goal.agreed else 'not yet'}")
        w.line(f"- Progress: {inert(layout.progress(goal))}")
        if goal.owner:
            w.line(f"- Owner: {inert(goal.owner)}")
        if goal.review_on is not None:
            w.line(f"- Review on: {goal.review_on.isoformat()}")
        if goal.phase is not None:
            w.line(f"- Co-production phase: {inert(goal.phase)}")
        w.line(f"- Proposed: {layout.when(goal.proposed_at)}")
        for dimension, value in goal.labels.items():
            w.line(f"- {inert(dimension.capitalize())}: {inert(layout.value(value))}")
        if goal.readings:
            w.line(f"- Organisations' own readings: {inert(layout.readings(goal))}")
        link = message_link(goal.link)
        if link is not None:
            w.line(f"- Card: {link}")
        w.line()
        if not goal.matrix:
            w.line("No stances yet.")
            w.line()
            continue
        w.line("Agreement matrix (the latest stance of each voice):")
        w.line()
        w.table(
            ["Voice", "Stance", "Counted", "Recorded"]
            + (["By", "Comment"] if layout.internal else [])
        )
        for cell in goal.matrix:
            w.row(
                [
                    inert(cell.voice),
                    inert(layout.value(cell.stance)) + REFERRAL_NOTE.get(cell.referral, ""),
                    "yes" if cell.counted else "no",
                    layout.when(cell.recorded_at),
                ]
                + (
                    [inert(layout.person(cell.recorded_by)), inert(cell.comment) or NONE]
                    if layout.internal
                    else []
                )
            )
        w.line()


def _links(document: Document, w: _Writer) -> None:
    w.heading(2, HEADINGS["links"])
    titles = {goal.id: goal.title for goal in document.goals}
    shown = [link for link in document.links if link.from_goal in titles and link.to_goal in titles]
    if not shown:
        w.line("None.")
    for link in shown:
        w.line(
            f"- \\#{link.from_goal} {inert(titles[link.from_goal])} "
            f"{inert(Layout.relation(link.relation))} "
            f"\\#{link.to_goal} {inert(titles[link.to_goal])}"
        )
    w.line()


def _meetings(document: Document, layout: Layout, w: _Writer) -> None:
    w.heading(2, HEADINGS["meetings"])
    if not document.meetings:
        w.line("None.")
        w.line()
    for meeting in document.meetings:
        ended = f" to {layout.when(meeting.ended_at)}" if meeting.ended_at else " (open)"
        w.heading(3, f"Meeting \\#{meeting.id}: {inert(meeting.title)}")
        w.line(f"{layout.when(meeting.started_at)}{ended}")
        w.line()
        _attendance(layout, w, meeting)


def _trust(document: Document, layout: Layout, w: _Writer) -> None:
    w.heading(2, HEADINGS["trust"])
    if not document.trust:
        w.line("No check-in round closed in this period.")
        w.line()
        return
    w.table(["Round", "Closed", "Organisations answered", *(h for _, h in TRUST_COLUMNS)])
    for r in document.trust:
        line = layout.trust_line(r)
        figures = line.figures if line.withheld is None else [line.withheld]
        figures += [""] * (len(TRUST_COLUMNS) - len(figures))
        w.row([f"\\#{r.round_id}", line.closed, str(line.answered), *figures])
    w.line()
    w.line(inert(layout.trust_legend()))
    w.line()


def _reflections(document: Document, layout: Layout, w: _Writer) -> None:
    w.heading(2, HEADINGS["reflections"])
    if not document.reflections:
        w.line("None.")
        w.line()
    for r in document.reflections:
        w.heading(3, f"Prompt \\#{r.post_id} ({inert(layout.value(r.theme))})")
        w.line(inert(r.prompt))
        w.line()
        answers = f"{r.answer_count} answer{'' if r.answer_count == 1 else 's'}"
        w.line(f"- Posted: {layout.when(r.posted_at)}; {answers}")
        link = message_link(r.link)
        if link is not None:
            w.line(f"- Post: {link}")
        note = layout.answers_note(r)
        if note is not None:
            w.line(f"- {inert(note)}")
        for answer in r.answers:
            by = inert(layout.answer_by(r, answer))
            when = f" ({layout.when(answer.at)})" if answer.at is not None else ""
            w.line(f"- {by}{when}: {inert(answer.text)}")
        w.line()


async def _log(document: Document, layout: Layout, w: _Writer) -> None:
    w.heading(2, HEADINGS["log"])
    any_row = False
    when = layout.when
    kinds: dict[str, str] = {}  # each kind escaped once
    async for batch in document.log_briefed():
        lines = []
        for number, at, kind_name, summary, link in batch:
            kind = kinds.get(kind_name)
            if kind is None:
                kind = kinds[kind_name] = inert(kind_name)
            shown = message_link(link) if link is not None else None
            tail = f" · {shown}" if shown else ""
            lines.append(f"- \\#{number} {when(at)} · {kind} · {inert(summary)}{tail}")
        any_row = any_row or bool(lines)
        w.lines(lines)
    if not any_row:
        w.line("No entries in this period.")
    w.line()
