"""Redaction, read side: which free text is removed, decided once here and joined by every view,
reply and export when it reads (issue 11 §4).

The partnership log is append-only, so removing a person's words never edits it: a `Redaction`
row names the log entry (and the stance, reflection answer or reading it recorded), and readers
replace the text through `Redactions`. A partnership's retention setting removes free text older
than its number of months the same way, at read time, so it needs no sweep and no second path.

Free text is what a person wrote: a note's text (and the closing entry that repeats an action's
text), a stance comment, a reflection answer, the origin detail of an organisation's own reading
of a goal (`/goal perceive`). Summaries are sentences that quote that text; the
quoted text is replaced inside them.

A reflection answer its author withdrew (`/reflect withdraw`) or replaced (answering again)
reads the same way, as its own marker, wherever its log entry or its row is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db import ahead
from db.models import Event, Partnership, PromptAnswer, Redaction

REMOVED = "removed at the author's request"
EXPIRED = "removed after the retention period"
WITHDRAWN = "withdrawn by its author"
REPLACED = "replaced by its author's later answer"
ANSWERED = "prompt.answered"
# Payload keys that hold a person's own words.
TEXT_KEYS = ("text", "comment", "answer", "origin_detail")
# Roughly a month, for the retention setting (months of 30.44 days; the exact day is not
# promised, the month is).
MONTH = timedelta(days=30.44)


def retention_cutoff(partnership: Partnership, now: datetime) -> datetime | None:
    """The moment before which free text is removed, or None when everything is kept."""
    months = partnership.retention_months
    if not months:
        return None
    return now - months * MONTH


@dataclass(frozen=True)
class Redactions:
    """One partnership's removed texts, loaded once per read (small: one row per request)."""

    events: frozenset[int] = field(default_factory=frozenset)
    stances: frozenset[int] = field(default_factory=frozenset)
    answers: frozenset[int] = field(default_factory=frozenset)
    # Organisations' readings of goals (`GoalPerception`) whose origin detail was removed.
    perceptions: frozenset[int] = field(default_factory=frozenset)
    cutoff: datetime | None = None
    # Reflection answers taken back by their author: withdrawn, or replaced by a later one.
    withdrawn: frozenset[int] = field(default_factory=frozenset)
    replaced: frozenset[int] = field(default_factory=frozenset)

    @property
    def any(self) -> bool:
        """Whether anything at all is removed (most partnerships: nothing, so an entry is read
        as it is without looking further)."""
        return bool(self.events or self.cutoff is not None or self.withdrawn or self.replaced)

    def _expired(self, at: datetime | None) -> bool:
        if self.cutoff is None or at is None:
            return False
        if at.tzinfo is None:  # SQLite hands back naive UTC
            at = at.replace(tzinfo=UTC)
        return at < self.cutoff

    def event_text(self, event: Event) -> str | None:
        """The marker replacing this entry's free text, or None when it is kept."""
        if not self.any:
            return None
        payload = event.payload or {}
        source = payload.get("action_id") if event.kind == "note.action_done" else None
        if event.id in self.events or (source is not None and source in self.events):
            return REMOVED
        if event.kind == ANSWERED:
            taken_back = self._taken_back(payload.get("answer_id"))
            if taken_back is not None:
                return taken_back
        if self._expired(event.occurred_at) and any(payload.get(k) for k in TEXT_KEYS):
            return EXPIRED
        return None

    def stance_comment(self, stance_id: int | None, recorded_at: datetime | None) -> str | None:
        if stance_id is not None and stance_id in self.stances:
            return REMOVED
        return EXPIRED if self._expired(recorded_at) else None

    def perception_detail(
        self, perception_id: int | None, recorded_at: datetime | None
    ) -> str | None:
        """The marker replacing a reading's origin detail, or None when it is kept."""
        if perception_id is not None and perception_id in self.perceptions:
            return REMOVED
        return EXPIRED if self._expired(recorded_at) else None

    def answer_text(self, answer_id: int | None, created_at: datetime | None) -> str | None:
        if answer_id is not None and answer_id in self.answers:
            return REMOVED
        taken_back = self._taken_back(answer_id)
        if taken_back is not None:
            return taken_back
        return EXPIRED if self._expired(created_at) else None

    def _taken_back(self, answer_id: object) -> str | None:
        if not isinstance(answer_id, int):
            return None
        if answer_id in self.withdrawn:
            return WITHDRAWN
        return REPLACED if answer_id in self.replaced else None

    def event(self, event: Event) -> tuple[str, dict[str, Any]]:
        """The entry's summary and payload as they may be read: free text replaced by its
        marker, inside the summary too. The row itself is never changed."""
        payload = dict(event.payload or {})
        if not self.any:
            return event.summary, payload
        marker = self.event_text(event)
        if marker is None:
            return event.summary, payload
        summary = event.summary
        for key in TEXT_KEYS:
            value = payload.get(key)
            if isinstance(value, str) and value:
                summary = summary.replace(value, marker)
                payload[key] = marker
        return summary, payload


# The four ids a reader needs, on the table's columns: no ORM objects, and no ORM compile
# and result machinery on each of the many reads of a card.
_TABLE = Redaction.__table__  # type: ignore[attr-defined]
_REDACTIONS: Any = sa_select(
    _TABLE.c.event_id, _TABLE.c.stance_id, _TABLE.c.answer_id, _TABLE.c.perception_id
).where(
    _TABLE.c.guild_id == bindparam("guild_id"),
    _TABLE.c.partnership_id == bindparam("partnership_id"),
)


def removals_read(partnership: Partnership) -> tuple[Any, dict[str, Any]]:
    """The statement and values of the removals `load` reads first (for
    `db.ahead.read_ahead`)."""
    return _REDACTIONS, {"guild_id": partnership.guild_id, "partnership_id": partnership.id}


# The partnership's reflection answers taken back (withdrawn or replaced): built once, the
# partnership bound as it runs.
_TAKEN_BACK = select(PromptAnswer.id, PromptAnswer.withdrawn_at).where(
    col(PromptAnswer.partnership_id) == bindparam("partnership_id"),
    or_(
        col(PromptAnswer.withdrawn_at).is_not(None),
        col(PromptAnswer.replaced_at).is_not(None),
    ),
)


async def load(
    session: AsyncSession, partnership: Partnership, now: datetime, *, answers: bool = True
) -> Redactions:
    """The partnership's removals as of `now`. `answers=False` leaves out the reflection
    answers taken back (withdrawn or replaced), for a reader that shows no answers (a goal's
    card)."""
    statement, params = removals_read(partnership)
    rows = await ahead.rows(session, statement, params)  # (event, stance, answer, perception)
    taken_back: list[tuple[int | None, datetime | None]] = []
    if answers:
        taken_back = list(
            (await session.exec(_TAKEN_BACK, params={"partnership_id": partnership.id})).all()
        )
    return Redactions(
        events=frozenset(row[0] for row in rows),
        stances=frozenset(row[1] for row in rows if row[1] is not None),
        answers=frozenset(row[2] for row in rows if row[2] is not None),
        perceptions=frozenset(row[3] for row in rows if row[3] is not None),
        cutoff=retention_cutoff(partnership, now),
        withdrawn=frozenset(i for i, w in taken_back if i is not None and w is not None),
        replaced=frozenset(i for i, w in taken_back if i is not None and w is None),
    )
