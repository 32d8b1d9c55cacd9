"""The parts of an export that grow with the log: its notes and the log itself. The log is
read from the database once per export, at the first stream read, into a spool on disk
(`spool`), a batch of rows at a time, so memory does not grow with the log; every stream then
reads the spool, so a writer may read them in any order and more than once.

Notes are the `note.<kind>` entries (never `note.action_done` itself); an action's state is
derived: done once a `note.action_done` entry names it by the end of the period, overdue when
its due date is before the period's last day (today, for a period that runs to now), else open.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from bot.services.export import trust as trust_rows
from bot.services.export.document import (
    LogBrief,
    LogRow,
    NoteRow,
    Person,
    StoredEntry,
    brief,
    filled,
)
from bot.services.export.goal_rows import GoalSection
from bot.services.export.history import History
from bot.services.export.lens import Lens
from bot.services.export.sentences import Context, sentence
from bot.services.export.spool import LOG, LogQuery, Raw, Spool, entry, moment
from bot.services.export.spool import payload as decoded
from bot.services.notes import DONE, OPEN, OVERDUE, NoteKind
from bot.services.notes.vocab import EVENT_PREFIX, is_note
from bot.services.redaction import Redactions
from bot.services.trust.events import CLOSED as TRUST_CLOSED
from db.engine import SessionFactory
from db.models import Partnership

# A log entry as read for an export: a row with the attributes of `Event` it needs.
Entry = Any
# An action's kind, as plain text: compared with each note's (quicker than the enum member).
_ACTION = NoteKind.action.value
# What a stream of the log gives for each entry (`Streams._stored_log`).
_Item = TypeVar("_Item")


@dataclass(frozen=True)
class Window:
    """Which entries an export covers: a period, or one meeting (from its start to its end)."""

    start: datetime | None
    end: datetime
    meeting_id: int | None = None

    def belongs(self, event: Entry) -> bool:
        if self.meeting_id is None:
            return True
        return event.id == self.meeting_id or event.payload.get("meeting_id") == self.meeting_id


@dataclass
class Streams:
    sessions: SessionFactory
    partnership: Partnership
    window: Window
    lens: Lens
    redactions: Redactions
    history: History
    goals: GoalSection
    k: int
    # Actions closed by the end of the period: action id → when (small: one per action).
    done: dict[int, datetime] = field(default_factory=dict)
    # The day against which an action is overdue.
    today: date = date.min
    # Trust rounds: round id → (opened at, pairwise), for closed rounds' log entries.
    rounds: dict[int, tuple[datetime, bool]] = field(default_factory=dict)
    # The one read of the log that every stream reads from (`spool`).
    spool: Spool = field(default_factory=Spool)

    def __post_init__(self) -> None:
        # Asked for each row: answered once.
        self._redacting = self.redactions.any

    async def _raw(self, name: str) -> AsyncIterator[list[Raw]]:
        """The spool's batches of one file (`LOG` or a note kind), read from the database at
        the first call."""
        p = self.partnership
        assert p.id is not None
        window = self.window
        await self.spool.fill(
            self.sessions,
            LogQuery(p.guild_id, p.id, window.start, window.end),
            keep=window.belongs if window.meeting_id is not None else None,
        )
        for batch in self.spool.batches(name):
            yield batch
            await asyncio.sleep(0)  # a batch at a time: others run between

    async def _notes_raw(self, kind: str | None) -> AsyncIterator[list[Raw]]:
        if kind is not None:
            async for batch in self._raw(EVENT_PREFIX + kind.removeprefix(EVENT_PREFIX)):
                yield batch
            return
        async for batch in self._raw(LOG):
            notes = [raw for raw in batch if is_note(raw[1])]
            if notes:
                yield notes

    # ---- notes

    async def notes(self, kind: str | None = None) -> AsyncIterator[NoteRow]:
        """The notes of one kind (note, decision, action, small_win, risk), or of every kind:
        each from its decoded entry (`note_row`), whatever the export shows."""
        note_row = self.note_row
        async for batch in self._notes_raw(kind):
            for raw in batch:
                yield note_row(entry(raw))

    async def note_batches(self, kind: str | None = None) -> AsyncIterator[list[NoteRow]]:
        """`notes`, a batch at a time."""
        if self._redacting:
            note_row = self.note_row
            async for batch in self._notes_raw(kind):
                yield [note_row(entry(raw)) for raw in batch]
            return
        # Nothing removed: each note made straight from its spooled row, its payload as read
        # (and, when everything shows as stored, its text, author and link as they are).
        if self._as_stored:
            stored_note = self._stored_note
            async for batch in self._notes_raw(kind):
                yield [stored_note(raw) for raw in batch]
            return
        note = self._shown_note
        async for batch in self._notes_raw(kind):
            yield [
                note(raw[0], raw[1], raw[2], moment(raw[3]), decoded(raw[5]) or {}, raw[6])
                for raw in batch
            ]

    def note_row(self, event: Entry) -> NoteRow:
        assert event.id is not None
        if self._redacting:
            _summary, payload = self.redactions.event(event)
        else:  # nothing removed: the payload as read (a fresh dict for each row read)
            payload = event.payload or {}
        return self._shown_note(
            event.id, event.kind, event.actor_id, event.occurred_at, payload, event.message_link
        )

    def _shown_note(
        self,
        number: int,
        event_kind: str,
        actor_id: int | None,
        at: datetime,
        payload: dict[str, Any],
        link: str | None,
    ) -> NoteRow:
        """A note, its text, author and link shown through the lens."""
        lens = self.lens
        return self._note(
            number,
            event_kind,
            at,
            payload,
            lens.text(str(payload.get("text") or "")),
            lens.person(actor_id),
            lens.link(link) if link is not None else None,
        )

    def _stored_note(self, raw: Raw) -> NoteRow:
        """A spooled note when everything shows as stored (`_as_stored`): its text, author and
        link as they are (what the plain lens gives)."""
        payload = decoded(raw[5]) or {}
        text = payload.get("text")
        return self._note(
            raw[0],
            raw[1],
            moment(raw[3]),
            payload,
            str(text) if text else "",
            self.lens.person(raw[2]),
            raw[6],
        )

    def _note(
        self,
        number: int,
        event_kind: str,
        at: datetime,
        payload: dict[str, Any],
        text: str,
        author: Person | None,
        link: str | None,
    ) -> NoteRow:
        """A note as this export shows it, from its entry (`payload`: redaction applied) and
        its text, author and link as this export shows them: which goal it names (if this
        audience may see it), its owner, and an action's state."""
        get = payload.get
        kind = event_kind.removeprefix(EVENT_PREFIX)
        goal_id = get("goal_id")
        goal_title = None
        if goal_id is not None:
            goal_id, goal_title = self._goal(goal_id, get("goal_title"))
        owner_id = get("owner_id")
        owner = organisation = None
        if owner_id is not None:
            owner, organisation = self._owner(owner_id, get("owner_name"), at)
        due = get("due")
        due = _day(due) if due else None
        state = done_at = None
        if kind == _ACTION:
            done_at = self.done.get(number)
            if done_at is not None:
                state = DONE
            elif due is not None and due < self.today:
                state = OVERDUE
            else:
                state = OPEN
        review_on, phase, meeting_id = get("review_on"), get("phase"), get("meeting_id")
        return filled(
            NoteRow,
            {
                "id": number,
                "kind": kind,
                "text": text,
                "at": at,
                "author": author,
                "goal_id": goal_id,
                "goal_title": goal_title,
                "review_on": _day(review_on) if review_on else None,
                "owner": owner,
                "owner_organisation": organisation,
                "due": due,
                "phase": str(phase) if phase else None,
                "state": state,
                "done_at": done_at,
                "meeting_id": _int(meeting_id) if meeting_id is not None else None,
                "link": link,
            },
        )

    def _goal(self, value: Any, stored_title: Any) -> tuple[int | None, str | None]:
        """The goal a note names, and its title, as this audience may see them (none: a
        hidden goal)."""
        goal_id = _int(value)
        if goal_id is None or not self.goals.shown(goal_id):
            return None, None
        title = self.goals.titles.get(goal_id) or self.lens.title(stored_title, f"Goal {goal_id}")
        return goal_id, title

    def _owner(self, value: Any, name: Any, at: datetime) -> tuple[Person | None, str | None]:
        """An action's owner as this export shows them, and the organisation they spoke for."""
        owner_id = _int(value)
        if owner_id is None:
            return None, None
        return self.lens.person(owner_id, name), self.speaks_for(owner_id, at)

    def speaks_for(self, user_id: int | None, moment: datetime) -> str | None:
        """The organisation a person spoke for at `moment`, as this export names it."""
        spell = self.history.spell_at(user_id, moment)
        if spell is None or spell.speaks_for is None:
            return None
        return self.lens.organisation(spell.speaks_for, spell.organisation)

    # ---- the log

    async def log(self) -> AsyncIterator[LogRow]:
        log_row = self.log_row
        async for batch in self._raw(LOG):
            for raw in batch:
                row = log_row(entry(raw))
                if row is not None:
                    yield row

    async def log_batches(self, payloads: bool = True) -> AsyncIterator[list[LogRow]]:
        """`log`, a batch at a time. `payloads=False`: for a writer that shows no payload,
        rows whose `payload` is left empty, and no payload decoded that the row's summary
        does not need."""
        if not self._as_stored:
            log_row = self.log_row
            async for batch in self._raw(LOG):
                rows = [log_row(entry(raw)) for raw in batch]
                yield [row for row in rows if row is not None]
            return
        # Each entry as it is, its payload as read (or none).
        person = self.lens.person
        stored = decoded if payloads else _no_payload

        def row(raw: Raw) -> LogRow:
            return filled(
                LogRow,
                {
                    "id": raw[0],
                    "at": moment(raw[3]),
                    "kind": raw[1],
                    "actor": person(raw[2]),
                    "summary": raw[4],
                    "payload": stored(raw[5]) or {},
                    "link": raw[6],
                },
            )

        async for made in self._stored_log(row, _same):
            yield made

    async def log_briefs(self) -> AsyncIterator[list[LogBrief]]:
        """The log as `LogBrief`s (what `log_batches(payloads=False)` gives, without a row
        object when the entry shows as stored), a batch at a time."""
        if not self._as_stored:
            async for rows in self.log_batches(payloads=False):
                yield [brief(row) for row in rows]
            return
        async for briefs in self._stored_log(_brief, brief):
            yield briefs

    async def log_stored(self) -> AsyncIterator[list[StoredEntry | LogRow]]:
        """The log, a batch at a time, each entry that shows as stored as a `StoredEntry` (its
        time and payload as read, its actor as this export shows them), any other (every
        entry, unless the log shows as stored; a trust round's closing) as its `LogRow`."""
        if not self._as_stored:
            async for rows in self.log_batches():
                yield list(rows)
            return
        person = self.lens.person

        def stored(raw: Raw) -> StoredEntry | LogRow:
            return (raw[0], raw[1], person(raw[2]), raw[3], raw[4], raw[5], raw[6])

        async for items in self._stored_log(stored, _same):
            yield items

    async def _stored_log(
        self, make: Callable[[Raw], _Item], told: Callable[[LogRow], _Item]
    ) -> AsyncIterator[list[_Item]]:
        """The log when it shows as stored (`_as_stored`: nothing redacted, no goal hidden, the
        plain lens, so a link is as stored), a batch at a time: each entry as `make` gives it
        from its spooled row, but a trust round's closing, told as the threshold allows, as
        `told` gives it from its `LogRow`."""
        log_row = self.log_row
        async for batch in self._raw(LOG):
            items = [make(raw) for raw in batch if raw[1] != TRUST_CLOSED]
            if len(items) < len(batch):  # a round's closing among them: each in its place
                items = []
                for raw in batch:
                    if raw[1] != TRUST_CLOSED:
                        items.append(make(raw))
                    elif (row := log_row(entry(raw))) is not None:
                        items.append(told(row))
            yield items

    @property
    def _as_stored(self) -> bool:
        """Whether a log entry shows as stored (`log_row` then reads no payload but a trust
        round's closing)."""
        return not self._redacting and not self.goals.hidden and self.lens.plain

    def log_row(self, event: Entry) -> LogRow | None:
        assert event.id is not None
        lens = self.lens
        if self._redacting:
            summary, payload = self.redactions.event(event)
        else:  # nothing removed: the entry as read (a fresh payload for each row read)
            summary, payload = event.summary, event.payload or {}
        # An entry naming a goal this audience may not see: a goal's own entries are left
        # out; any other (a decision about it) is told again without naming it.
        names_hidden = bool(self.goals.hidden) and not all(
            self.goals.shown(_int(payload.get(key))) for key in ("goal_id", "other_id")
        )
        if names_hidden and event.kind.startswith("goal."):
            return None
        if event.kind == TRUST_CLOSED:
            summary, payload = self._trust_closed(event, payload)
        elif names_hidden or not lens.plain:
            ctx = Context(
                lens=lens,
                partnership=self.partnership.name,
                speaks_for=lambda user_id: self.speaks_for(user_id, event.occurred_at),
                goal_shown=self.goals.shown,
            )
            found = sentence(event.kind, payload, ctx)
            if found is None:
                return None
            summary = found
            if not self.goals.shown(_int(payload.get("goal_id"))):
                payload = {k: v for k, v in payload.items() if k not in ("goal_id", "goal_title")}
            payload = lens.payload(payload)
        link = event.message_link
        return filled(
            LogRow,
            {
                "id": event.id,
                "at": event.occurred_at,
                "kind": event.kind,
                "actor": lens.person(event.actor_id),
                "summary": summary,
                "payload": payload,
                "link": lens.link(link) if link is not None else None,
            },
        )

    def _trust_closed(self, event: Entry, payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        round_id = _int(payload.get("round_id")) or 0
        opened_at, pairwise = self.rounds.get(round_id, (None, False))
        row, _withheld = trust_rows.round_row(
            payload, closed_at=event.occurred_at, opened_at=opened_at, pairwise=pairwise, k=self.k
        )
        return trust_rows.closed_summary(row, self.k), trust_rows.closed_payload(row, self.k)


def _no_payload(_stored: Any) -> dict[str, Any]:
    return {}


def _brief(raw: Raw) -> LogBrief:
    """A spooled entry that shows as stored, as its `LogBrief`."""
    return (raw[0], moment(raw[3]), raw[1], raw[4], raw[6])


def _same(row: LogRow) -> LogRow:
    return row


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
