"""The parts of an export that grow with the log: its notes and the log itself, each read as a
stream straight from the database (a server-side cursor, 500 rows at a time), so memory does not
grow with the log. Each call opens its own session, so a writer may read them in any order and
more than once.

Notes are the `note.<kind>` entries (never `note.action_done` itself); an action's state is
derived: done once a `note.action_done` entry names it by the end of the period, overdue when
its due date is before the period's last day (today, for a period that runs to now), else open.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy import select as select_rows
from sqlmodel import col

from bot.services.export import trust as trust_rows
from bot.services.export.document import LogRow, NoteRow
from bot.services.export.goal_rows import GoalSection
from bot.services.export.history import History
from bot.services.export.lens import Lens
from bot.services.export.sentences import Context, sentence
from bot.services.notes import DONE, OPEN, OVERDUE, NoteKind
from bot.services.notes.vocab import ACTION_DONE, EVENT_PREFIX
from bot.services.redaction import Redactions
from bot.services.trust.events import CLOSED as TRUST_CLOSED
from db.engine import SessionFactory
from db.models import Event, Partnership

YIELD_PER = 500
# What an export reads of each log entry.
ENTRY_COLUMNS = tuple(
    col(c)
    for c in (
        Event.id,
        Event.kind,
        Event.actor_id,
        Event.occurred_at,
        Event.summary,
        Event.payload,
        Event.message_link,
    )
)
# A log entry as read for an export: a row with the attributes of `Event` it needs.
Entry = Any


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

    def _events(self) -> Select[Any]:
        p = self.partnership
        query = select_rows(*ENTRY_COLUMNS).where(
            col(Event.guild_id) == p.guild_id, col(Event.partnership_id) == p.id
        )
        if self.window.start is not None:
            query = query.where(col(Event.occurred_at) >= self.window.start)
        return query.where(col(Event.occurred_at) <= self.window.end).order_by(
            col(Event.occurred_at), col(Event.id)
        )

    async def _batches(self, query: Select[Any]) -> AsyncIterator[list[Entry]]:
        async with self.sessions() as session:
            # Plain rows, not ORM objects: building an object per entry would be most of an
            # export's time. A row reads like an `Event` (`entry.kind`, `entry.payload` …).
            result = await session.stream(query.execution_options(yield_per=YIELD_PER))
            # A batch at a time: one hop to the database driver per batch, not per row.
            if self.window.meeting_id is None:
                async for batch in result.partitions():
                    yield batch
            else:
                belongs = self.window.belongs
                async for batch in result.partitions():
                    yield [event for event in batch if belongs(event)]

    async def _stream(self, query: Select[Any]) -> AsyncIterator[Entry]:
        async for batch in self._batches(query):
            for event in batch:
                yield event

    # ---- notes

    def _notes_query(self, kind: str | None) -> Select[Any]:
        query = self._events().where(col(Event.kind).startswith(EVENT_PREFIX))
        query = query.where(col(Event.kind) != ACTION_DONE)
        if kind is not None:
            query = query.where(col(Event.kind) == EVENT_PREFIX + kind.removeprefix(EVENT_PREFIX))
        return query

    async def notes(self, kind: str | None = None) -> AsyncIterator[NoteRow]:
        """The notes of one kind (note, decision, action, small_win, risk), or of every kind."""
        note_row = self.note_row
        async for batch in self._batches(self._notes_query(kind)):
            for event in batch:
                yield note_row(event)

    async def note_batches(self, kind: str | None = None) -> AsyncIterator[list[NoteRow]]:
        """`notes`, a batch at a time."""
        note_row = self.note_row
        async for batch in self._batches(self._notes_query(kind)):
            yield [note_row(event) for event in batch]

    def note_row(self, event: Entry) -> NoteRow:
        assert event.id is not None
        lens = self.lens
        if self.redactions.any:
            _summary, payload = self.redactions.event(event)
        else:  # nothing removed: the payload as read (a fresh dict for each row read)
            payload = event.payload or {}
        get = payload.get
        kind = event.kind.removeprefix(EVENT_PREFIX)
        goal_id = _int(get("goal_id"))
        goal_title = None
        if goal_id is not None:
            if not self.goals.shown(goal_id):
                goal_id = None
            else:
                goal_title = self.goals.titles.get(goal_id) or lens.title(
                    get("goal_title"), f"Goal {goal_id}"
                )
        owner_id = _int(get("owner_id"))
        due = _day(get("due"))
        state = done_at = None
        if kind == NoteKind.action:
            done_at = self.done.get(event.id)
            if done_at is not None:
                state = DONE
            elif due is not None and due < self.today:
                state = OVERDUE
            else:
                state = OPEN
        phase = get("phase")
        link = event.message_link
        return NoteRow(
            id=event.id,
            kind=kind,
            text=lens.text(str(get("text") or "")),
            at=event.occurred_at,
            author=lens.person(event.actor_id),
            goal_id=goal_id,
            goal_title=goal_title,
            review_on=_day(get("review_on")),
            owner=lens.person(owner_id, get("owner_name")) if owner_id is not None else None,
            owner_organisation=(
                self.speaks_for(owner_id, event.occurred_at) if owner_id is not None else None
            ),
            due=due,
            phase=str(phase) if phase else None,
            state=state,
            done_at=done_at,
            meeting_id=_int(get("meeting_id")),
            link=lens.link(link) if link is not None else None,
        )

    def speaks_for(self, user_id: int | None, moment: datetime) -> str | None:
        """The organisation a person spoke for at `moment`, as this export names it."""
        spell = self.history.spell_at(user_id, moment)
        if spell is None or spell.speaks_for is None:
            return None
        return self.lens.organisation(spell.speaks_for, spell.organisation)

    # ---- the log

    async def log(self) -> AsyncIterator[LogRow]:
        log_row = self.log_row
        async for batch in self._batches(self._events()):
            for event in batch:
                row = log_row(event)
                if row is not None:
                    yield row

    async def log_batches(self) -> AsyncIterator[list[LogRow]]:
        """`log`, a batch at a time."""
        log_row = self.log_row
        async for batch in self._batches(self._events()):
            rows = [log_row(event) for event in batch]
            yield [row for row in rows if row is not None]

    def log_row(self, event: Entry) -> LogRow | None:
        assert event.id is not None
        lens = self.lens
        if self.redactions.any:
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
        return LogRow(
            id=event.id,
            at=event.occurred_at,
            kind=event.kind,
            actor=lens.person(event.actor_id),
            summary=summary,
            payload=payload,
            link=lens.link(link) if link is not None else None,
        )

    def _trust_closed(self, event: Entry, payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        round_id = _int(payload.get("round_id")) or 0
        opened_at, pairwise = self.rounds.get(round_id, (None, False))
        row, _withheld = trust_rows.round_row(
            payload, closed_at=event.occurred_at, opened_at=opened_at, pairwise=pairwise, k=self.k
        )
        return trust_rows.closed_summary(row, self.k), trust_rows.closed_payload(row, self.k)


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
