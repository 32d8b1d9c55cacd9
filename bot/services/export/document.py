"""What an export holds, as plain data: the one shape every format is written from.

`bot.services.export.gather` builds a `Document` for one partnership, period, audience and
(optionally) meeting, with privacy and redaction already applied: a writer never decides what
may be shown, it only lays out what it is given. The parts that grow with the log (the log
itself and the notes) are async iterators over the log, read from the database once per export
(`streams`, `spool`) a batch at a time, so memory does not grow with the log; everything else is
small and held in lists.

People appear as `Person` (a display name, and the Discord id for internal exports); in the
external audience there is no `Person` anywhere (every field typed `Person | None` is None and
lists of people are empty), and in a pseudonymised export `name` is a stable pseudonym and
`user_id` is None. Organisations appear by name (a pseudonym when pseudonymised), always with
their sector.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

_Row = TypeVar("_Row")
# 2: reflections carry their visibility; an anonymous answer's record has no author.
SCHEMA_VERSION = 2


class Format(StrEnum):
    markdown = "markdown"
    html = "html"
    csv = "csv"
    json = "json"


class Audience(StrEnum):
    internal = "internal"  # everything the exporting member may see
    external = "external"  # boards, funders, residents: no person named anywhere


@dataclass(frozen=True)
class Person:
    name: str
    user_id: int | None = None  # None when pseudonymised


@dataclass(frozen=True)
class Header:
    """What every export opens with."""

    partnership: str
    purpose: str
    timezone: str
    audience: Audience
    k: int  # the anonymity threshold
    withheld: int  # aggregates withheld because fewer than k organisations stood behind them
    generated_at: datetime
    since: date | None  # the period, in the partnership's zone; None: from the start
    until: date | None  # None: up to now
    meeting_id: int | None = None
    meeting_title: str | None = None
    exported_by: Person | None = None  # internal only
    pseudonymised: bool = False
    keep_text: bool = True
    agreement_rule: str = "consensus"
    relationship: str = "unclear"
    schema_version: int = SCHEMA_VERSION

    @property
    def period(self) -> str:
        start = self.since.isoformat() if self.since else "the start"
        end = self.until.isoformat() if self.until else "now"
        return f"{start} to {end}"


@dataclass(frozen=True)
class OrganisationRow:
    key: str  # stable within the document: the organisation's id, or its pseudonym
    name: str
    sector: str
    status: str  # core, associate, observer … (its latest status in this partnership)
    joined_at: datetime
    left_at: datetime | None
    # How it saw its own membership at the end of the period (`/partner self-view`).
    self_status: str | None = None
    self_commitment: str | None = None


@dataclass(frozen=True)
class MembershipSpell:
    """One continuous stretch of a person in one organisation and capacity (a change of
    organisation, capacity or mandate starts a new spell)."""

    person: Person | None  # None for the external audience
    organisation: str | None  # None: in their own capacity
    capacity: str
    mandate: str | None
    convener: bool
    start: datetime
    end: datetime | None


@dataclass(frozen=True)
class StanceCell:
    """The latest stance of one voice on one goal, as of the export's end."""

    voice: str  # the organisation's name, or the person's (internal) / "a person" (external)
    organisation: str | None
    stance: str
    counted: bool
    recorded_at: datetime
    recorded_by: Person | None
    comment: str | None  # internal only; the redaction marker when removed
    # none, pending (given subject to referral, not counted until confirmed) or confirmed
    referral: str = "none"


@dataclass(frozen=True)
class GoalRow:
    id: int
    title: str
    description: str
    level: str
    labels: dict[str, str]  # dimension → value; sensitive labels left out for external
    owner: str | None  # organisation name, or person (internal) for individual-level goals
    status: str
    progress: int | None
    review_on: date | None
    proposed_at: datetime
    agreed_at: datetime | None
    agreed: bool
    phase: str | None = None  # the co-production phase it concerns
    matrix: list[StanceCell] = field(default_factory=list)
    link: str | None = None
    # The spread of the partner organisations' own readings at the end of the period: how many
    # organisations read each dimension which way (counts, never names).
    readings: list[ReadingCount] = field(default_factory=list)


@dataclass(frozen=True)
class ReadingCount:
    dimension: str  # origin, relevance or content
    reading: str  # a value of that dimension
    organisations: int


@dataclass(frozen=True)
class LinkRow:
    from_goal: int
    to_goal: int
    relation: str


@dataclass(frozen=True)
class NoteRow:
    id: int  # the log entry's number, as `/log show` shows it
    kind: str  # note, decision, action, small_win, risk
    text: str  # the redaction marker when removed
    at: datetime
    author: Person | None
    goal_id: int | None = None
    goal_title: str | None = None
    review_on: date | None = None
    owner: Person | None = None
    owner_organisation: str | None = None  # what the external audience sees of an owner
    due: date | None = None
    phase: str | None = None  # small wins: the co-production phase it concerns
    state: str | None = None  # actions: open, overdue, done
    done_at: datetime | None = None
    meeting_id: int | None = None
    link: str | None = None


def filled(cls: type[_Row], values: dict[str, Any]) -> _Row:
    """A frozen dataclass's instance made from `values`, every one of its fields in order: the
    instance its `__init__` makes, about a third of the time (that sets one field at a time
    through `object.__setattr__`). For the rows a long log makes one per entry."""
    row = object.__new__(cls)
    object.__setattr__(row, "__dict__", values)
    return row


@dataclass(frozen=True)
class Attendee:
    person: Person | None
    organisation: str | None  # the organisation they spoke for, None: own capacity


@dataclass(frozen=True)
class MeetingRow:
    id: int
    title: str
    started_at: datetime
    ended_at: datetime | None
    started_by: Person | None
    attendance: list[Attendee] = field(default_factory=list)


@dataclass(frozen=True)
class TrustRoundRow:
    """One closed round's figures, whole round only, as the threshold allows when exported."""

    round_id: int
    opened_at: datetime
    closed_at: datetime
    organisations_answered: int
    shown: bool
    means: dict[str, float | None]  # item → mean across organisations (empty when not shown)
    small_wins: int | None
    listened: float | None
    density: float | None = None
    reciprocity: float | None = None


@dataclass(frozen=True)
class AnswerRow:
    author: Person | None  # None: an anonymous answer
    organisation: str | None
    text: str  # the redaction marker when removed
    at: datetime | None  # None: an anonymous answer (its time could tell whose it is)


@dataclass(frozen=True)
class ReflectionRow:
    post_id: int
    theme: str
    prompt: str
    posted_at: datetime
    answer_count: int  # current answers (not replaced or withdrawn), of every visibility
    answers: list[AnswerRow] = field(default_factory=list)  # internal only
    link: str | None = None
    # Who sees its answers (named, anonymous, private). Private answers are never exported;
    # anonymous ones only without names, and only when at least k organisations answered.
    visibility: str = "named"
    # Anonymous answers not released by the end of the period: fewer than k organisations.
    answers_withheld: bool = False


@dataclass(frozen=True)
class LogRow:
    """One entry of the partnership log, redaction applied."""

    id: int
    at: datetime
    kind: str
    actor: Person | None
    summary: str  # external audience: a person-free sentence
    payload: dict[str, Any]
    link: str | None


# A log entry for a writer that shows neither its payload nor who acted (Markdown, HTML): its
# number, time, kind, summary and link, as its `LogRow` has them.
LogBrief = tuple[int, datetime, str, str, str | None]
# A log entry that shows as stored, as read from the spool (`streams.log_stored`): id, kind,
# actor (as this export shows them), time, summary, payload, link (as this export shows it).
# The time and the payload are as read: SQLite's stored text, or the driver's datetime and
# decoded value (`spool.Raw`).
StoredEntry = tuple[int, str, Person | None, Any, str, Any, str | None]


def brief(row: LogRow) -> LogBrief:
    return (row.id, row.at, row.kind, row.summary, row.link)


@dataclass
class Document:
    header: Header
    organisations: list[OrganisationRow]
    spells: list[MembershipSpell]
    goals: list[GoalRow]
    links: list[LinkRow]
    meetings: list[MeetingRow]
    trust: list[TrustRoundRow]
    reflections: list[ReflectionRow]
    # Streams: a writer may read them in any order and more than once, holding one row (or
    # one batch) at a time.
    notes: Callable[[str | None], AsyncIterator[NoteRow]]  # kind or None for every kind
    log: Callable[[], AsyncIterator[LogRow]]
    # The stored records themselves, for the JSON that `partnerbot import` loads: (table,
    # rows) batches, a table's together (`records.stream`), redaction applied. Only in an
    # internal, not pseudonymised export; None otherwise.
    records: Callable[[], AsyncIterator[tuple[str, list[dict[str, Any]]]]] | None = None
    # The same streams a batch of rows at a time (what the database hands over at once), for
    # writers that lay out many rows per step; None: read `notes` and `log` one row at a time.
    note_batches: Callable[[str | None], AsyncIterator[list[NoteRow]]] | None = None
    # `log_batches(payloads)`: with `payloads=False`, rows whose `payload` may be left empty
    # (for a writer that shows none).
    log_batches: Callable[[bool], AsyncIterator[list[LogRow]]] | None = None
    # The log as `LogBrief`s, a batch at a time; None: made from `log_batched`.
    log_briefs: Callable[[], AsyncIterator[list[LogBrief]]] | None = None
    # The log, a batch at a time, an entry that shows as stored as a `StoredEntry`, any
    # other as its `LogRow`; None: made from `log_batched`.
    log_stored: Callable[[], AsyncIterator[list[StoredEntry | LogRow]]] | None = None
    # Called once the document is written: frees what its streams hold (their spool).
    close: Callable[[], None] | None = None
    # Whether the streams' rows hold in their dict and list fields (a log entry's payload) only
    # what JSON holds: text, numbers, booleans, null, lists and objects (as decoded from the
    # database, then redacted or cleaned). A JSON writer may then write them as they are.
    json_values: bool = False

    def notes_batched(self, kind: str | None) -> AsyncIterator[list[NoteRow]]:
        """The notes of `kind` (None: every kind), in batches."""
        if self.note_batches is not None:
            return self.note_batches(kind)
        return _singly(self.notes(kind))

    def log_batched(self, payloads: bool = True) -> AsyncIterator[list[LogRow]]:
        """The log, in batches; `payloads=False`: a row's payload may be left empty."""
        if self.log_batches is not None:
            return self.log_batches(payloads)
        return _singly(self.log())

    def log_briefed(self) -> AsyncIterator[list[LogBrief]]:
        """The log as `LogBrief`s, in batches."""
        if self.log_briefs is not None:
            return self.log_briefs()
        return _briefs(self.log_batched(payloads=False))

    def log_as_stored(self) -> AsyncIterator[list[StoredEntry | LogRow]]:
        """The log, in batches, an entry that shows as stored as a `StoredEntry`."""
        if self.log_stored is not None:
            return self.log_stored()
        return self.log_batched()  # type: ignore[return-value]  # (a list is invariant)


async def _briefs(batches: AsyncIterator[list[LogRow]]) -> AsyncIterator[list[LogBrief]]:
    async for rows in batches:
        yield [brief(row) for row in rows]


async def _singly(rows: AsyncIterator[Any]) -> AsyncIterator[list[Any]]:
    async for row in rows:
        yield [row]
