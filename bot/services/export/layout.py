"""What the Markdown and HTML writers lay out the same way: times in the partnership's zone, the
header's lines, people and owners, attendance by organisation, and trust figures.

Only plain text comes out of here; each writer escapes it for its own format (Markdown with
`markdown.inert`, HTML with Jinja2's autoescape).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.services.export.document import (
    AnswerRow,
    Audience,
    GoalRow,
    Header,
    MeetingRow,
    NoteRow,
    Person,
    ReflectionRow,
    TrustRoundRow,
)
from bot.services.goals.readings import READING_WORDS
from bot.services.goals.vocab import RELATION_WORDS, describe_value
from bot.services.notes.vocab import NoteKind
from bot.services.timeutil import as_utc, zone
from bot.services.trust.vocab import ITEMS, OWN_ITEM
from bot.services.vocab import label

NONE = "—"
OWN_CAPACITY = "In their own capacity"

# Sections of a period export, in order, with their headings (both writers use these words).
SECTIONS: tuple[tuple[str, str], ...] = (
    ("membership", "Membership"),
    ("goals", "Goals"),
    ("links", "Links between goals"),
    ("decisions", "Decisions"),
    ("actions", "Actions"),
    ("small_wins", "Small wins"),
    ("risks", "Risks"),
    ("notes", "Notes"),
    ("meetings", "Meetings"),
    ("trust", "Trust check-ins"),
    ("reflections", "Reflections"),
    ("log", "The log"),
)
HEADINGS = dict(SECTIONS)

# The kinds of note a section lists, in the order minutes show them.
NOTE_SECTIONS: tuple[tuple[str, str], ...] = (
    (NoteKind.decision, "Decisions"),
    (NoteKind.action, "Actions"),
    (NoteKind.small_win, "Small wins"),
    (NoteKind.risk, "Risks"),
    (NoteKind.note, "Notes"),
)

# The trust figures a round shows, as (key, column heading).
TRUST_COLUMNS: tuple[tuple[str, str], ...] = (
    *((item.key, item.label) for item in ITEMS),
    (OWN_ITEM.key, f"{OWN_ITEM.label} (own capacity)"),
    ("small_wins", "Small wins reported"),
    ("density", "Network density"),
    ("reciprocity", "Reciprocity"),
)
# Under the table of rounds: what an empty figure means.
TRUST_LEGEND = (
    "A dash is a figure not shown: fewer than {k} organisations (or, for the own-capacity item, "
    "people) answered it, or it was not asked that round. Means are on the 1 (disagree) to 5 "
    "(agree) scale, each organisation weighing the same."
)


@dataclass(frozen=True)
class HeaderLine:
    label: str
    value: str
    user_text: bool = False  # typed by someone (escape it), rather than made here


@dataclass(frozen=True)
class AttendanceGroup:
    """The people at a meeting for one organisation (or in their own capacity)."""

    organisation: str
    names: list[str]  # empty for the external audience
    count: int


@dataclass(frozen=True)
class TrustLine:
    """One closed round as a row of figures, or a line saying why it is withheld."""

    round: str
    closed: str
    answered: int
    withheld: str | None  # "withheld: fewer than k organisations", or None when shown
    figures: list[str]  # one per TRUST_COLUMNS, when shown


# How many days `Layout` remembers (a few years of a log; a little memory).
DAYS_KEPT = 4096
MINUTES_A_DAY = 24 * 60
# Each minute of a day as `HH:MM`, by its number from midnight.
_HH_MM = tuple(f"{m // 60:02d}:{m % 60:02d}" for m in range(MINUTES_A_DAY))
# A day `when` knows (`Layout._look_up_day`): its start and end in UTC, the zone's offset and
# name through it, and when the offset is whole minutes, the texts of the local days the day
# touches (the one before, its own, the one after) and the offset in minutes plus a day.
_Day = tuple[datetime, datetime, timedelta, str, tuple[str, str, str] | None, int]


class Layout:
    def __init__(self, header: Header) -> None:
        self.header = header
        self.tz: ZoneInfo = zone(header.timezone)
        # The day `when` last looked up (in UTC), and the zone's offset and name in it.
        self._span_start = datetime.max.replace(tzinfo=UTC)
        self._span_end = datetime.min.replace(tzinfo=UTC)
        self._span_offset, self._span_name = timedelta(0), ""
        self._span_days: tuple[str, str, str] | None = None
        self._span_shift = 0
        self._internal = header.audience == Audience.internal  # asked for each row: once
        # Days already looked up (`_look_up_day`), by their start in UTC (None: not kept).
        self._days: dict[datetime, _Day | None] = {}

    @property
    def internal(self) -> bool:
        return self._internal

    @property
    def minutes(self) -> bool:
        return self.header.meeting_id is not None

    # ------------------------------------------------------------------ time

    def _look_up_day(self, utc: datetime) -> None:
        """Remember the zone's offset and name through the UTC day of `utc`, when they hold all
        through it: the same at each hour and at the day's last moment (a zone changes its
        offset months apart, so no change can come and go between two of these). A day they
        change in is looked up once too, and its moments take the general path."""
        start = utc.replace(hour=0, minute=0, second=0, microsecond=0)
        days = self._days
        if start in days:
            known = days[start]
        else:
            known = self._day(start)
            if len(days) >= DAYS_KEPT:
                days.clear()
            days[start] = known
        if known is None:  # a day the zone changes in: each moment by the general path
            return
        # A day seen before, or now (each stream of the log passes every day).
        self._span_start, self._span_end, self._span_offset, self._span_name = known[:4]
        self._span_days, self._span_shift = known[4], known[5]

    def _day(self, start: datetime) -> _Day | None:
        """The UTC day from `start` as `when` keeps it, or None when its offset or name change
        through it (or it cannot be shifted)."""
        try:
            end = start + timedelta(days=1)
            moments = [start + timedelta(hours=h) for h in range(24)]
            moments.append(end - timedelta(microseconds=1))
            seen = {
                (m.astimezone(self.tz).utcoffset(), m.astimezone(self.tz).tzname()) for m in moments
            }
        except OverflowError:
            return None
        if len(seen) != 1:
            return None
        ((offset, name),) = seen
        if offset is None or name is None or not _shifts(start, end, offset):
            return None
        days: tuple[str, str, str] | None = None
        minutes, rest = divmod(offset, timedelta(minutes=1))
        try:
            local = [(start + timedelta(days=d)).date() for d in (-1, 0, 1)]
        except OverflowError:
            local = []
        # Whole minutes (every zone today), and years written with four digits.
        if not rest and local and all(day.year >= 1000 for day in local):
            days = (f"{local[0]} ", f"{local[1]} ", f"{local[2]} ")
        return start, end, offset, name, days, minutes + MINUTES_A_DAY

    def local(self, moment: datetime) -> datetime:
        return as_utc(moment).astimezone(self.tz)

    def when(self, moment: datetime | None) -> str:
        """`2026-03-10 18:00 GMT`: a moment in the partnership's zone, its abbreviation named."""
        if moment is None:
            return NONE
        # Within the day last looked up, the zone's offset and name are known (a stream's
        # times come in order, so most entries fall in the same day as the one before).
        utc = moment
        if utc.tzinfo is not UTC:  # naive UTC (as SQLite hands it back), or another zone
            utc = utc.replace(tzinfo=UTC) if utc.tzinfo is None else utc.astimezone(UTC)
        if self._span_start <= utc < self._span_end:
            days = self._span_days
            if days is not None:  # the local day and minute, from the UTC minute of the day
                day, minute = divmod(utc.hour * 60 + utc.minute + self._span_shift, MINUTES_A_DAY)
                return f"{days[day]}{_HH_MM[minute]} {self._span_name}"
            local = utc + self._span_offset  # the local time, still marked UTC: cut off below
            if local.year >= 1000:
                return f"{local.isoformat(' ', 'minutes')[:16]} {self._span_name}"
        else:
            self._look_up_day(utc)
        local = self.local(moment)
        if local.year < 1000:  # strftime's year is not padded everywhere: the general path
            return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
        # The same text as `%Y-%m-%d %H:%M`, without strftime (one per log entry adds up).
        return (
            f"{local.year}-{local.month:02d}-{local.day:02d} "
            f"{local.hour:02d}:{local.minute:02d} {local.tzname()}"
        )

    def day(self, value: datetime | date | None) -> str:
        """`2026-03-10`: a date, or a moment's date in the partnership's zone."""
        if value is None:
            return NONE
        if isinstance(value, datetime):
            return self.local(value).date().isoformat()
        return value.isoformat()

    # ------------------------------------------------------------------ header

    def title(self, meeting: MeetingRow | None = None) -> str:
        if self.minutes:
            return f"Minutes: {self.meeting_title(meeting)}"
        return f"{self.header.partnership}: partnership record"

    def meeting_title(self, meeting: MeetingRow | None) -> str:
        if self.header.meeting_title:
            return self.header.meeting_title
        if meeting is not None:
            return meeting.title
        return f"Meeting #{self.header.meeting_id}"

    def header_lines(self) -> list[HeaderLine]:
        """What every export opens with."""
        h = self.header
        k = f"{h.k} organisations"
        withheld = (
            f"{h.withheld} aggregate{'' if h.withheld == 1 else 's'} "
            f"(each drew on fewer than {h.k} organisations)"
            if h.withheld
            else "none"
        )
        audience = (
            "internal (everything the exporting member may see)"
            if self.internal
            else "external (for boards, funders and residents: organisations only, no person named)"
        )
        lines = [
            HeaderLine("Partnership", h.partnership, user_text=True),
            HeaderLine("Purpose", h.purpose or NONE, user_text=True),
            HeaderLine("Period", h.period),
            HeaderLine("Audience", audience),
            HeaderLine("Anonymity threshold", k),
            HeaderLine("Withheld", withheld),
        ]
        if h.pseudonymised:
            kept = "free text kept" if h.keep_text else "free text left out"
            lines.append(
                HeaderLine("Pseudonymised", f"yes: people and organisations by pseudonym, {kept}")
            )
        lines += [
            HeaderLine("Agreement rule", label(h.agreement_rule)),
            HeaderLine("Co-production relationship", label(h.relationship)),
            HeaderLine("Generated", self.when(h.generated_at)),
            HeaderLine("Time zone", f"{h.timezone} (every time in this export)"),
        ]
        if h.exported_by is not None:
            lines.append(HeaderLine("Exported by", h.exported_by.name, user_text=True))
        lines.append(HeaderLine("Schema version", str(h.schema_version)))
        return lines

    # ------------------------------------------------------------------ people

    def person(self, person: Person | None) -> str:
        return person.name if person is not None else NONE

    def owner(self, note: NoteRow) -> str:
        """An action's owner: the person (internal), else the organisation they act for."""
        if self.internal and note.owner is not None:
            if note.owner_organisation:
                return f"{note.owner.name} ({note.owner_organisation})"
            return note.owner.name
        return note.owner_organisation or NONE

    def attendance(self, meeting: MeetingRow) -> list[AttendanceGroup]:
        groups: dict[str, list[Person | None]] = {}
        for attendee in meeting.attendance:
            groups.setdefault(attendee.organisation or OWN_CAPACITY, []).append(attendee.person)
        ordered = sorted(groups.items(), key=lambda item: (item[0] == OWN_CAPACITY, item[0]))
        return [
            AttendanceGroup(
                organisation,
                [p.name for p in people if p is not None] if self.internal else [],
                len(people),
            )
            for organisation, people in ordered
        ]

    def attendance_line(self, group: AttendanceGroup) -> str:
        if group.names:
            return f"{group.organisation}: {', '.join(group.names)}"
        return f"{group.organisation}: {group.count} attending"

    # ------------------------------------------------------------------ notes and goals

    def state(self, note: NoteRow) -> str:
        if note.state == "done" and note.done_at is not None:
            return f"done {self.day(note.done_at)}"
        return note.state or NONE

    def goal_ref(self, note: NoteRow) -> str | None:
        if note.goal_id is None:
            return None
        return f"#{note.goal_id} {note.goal_title}" if note.goal_title else f"#{note.goal_id}"

    def progress(self, goal: GoalRow) -> str:
        return NONE if goal.progress is None else f"{goal.progress} %"

    @staticmethod
    def value(value: object) -> str:
        return describe_value(value)

    @staticmethod
    def readings(goal: GoalRow) -> str:
        """The organisations' own readings of a goal, in counts: "origin: 2 from an external
        stakeholder (funder, statutory duty), 1 from the members; relevance: …"."""
        by_dimension: dict[str, list[str]] = {}
        for r in goal.readings:
            words = READING_WORDS.get(r.dimension, {}).get(r.reading, label(r.reading))
            by_dimension.setdefault(r.dimension, []).append(f"{r.organisations} {words}")
        return "; ".join(f"{name}: {', '.join(held)}" for name, held in by_dimension.items())

    @staticmethod
    def relation(relation: str) -> str:
        words = RELATION_WORDS.get(relation)
        return words[0] if words else label(relation)

    # ------------------------------------------------------------------ trust

    def trust_line(self, r: TrustRoundRow) -> TrustLine:
        line = TrustLine(
            round=f"#{r.round_id}",
            closed=self.day(r.closed_at),
            answered=r.organisations_answered,
            withheld=None if r.shown else f"withheld: fewer than {self.header.k} organisations",
            figures=[],
        )
        if r.shown:
            line.figures.extend(_figure(key, _trust_value(r, key)) for key, _ in TRUST_COLUMNS)
        return line

    def answers_note(self, r: ReflectionRow) -> str | None:
        """Who sees a prompt's answers, when not named: why they show without names, or not
        at all."""
        k = self.header.k
        if r.visibility == "private":
            return "Answers: private, each seen only by its author; never exported."
        if r.visibility != "anonymous":
            return None
        if r.answers_withheld:
            return (
                f"Answers: anonymous, withheld: fewer than {k} organisations had answered "
                "(people in their own capacity count together as one)."
            )
        if not self.internal:
            return "Answers: anonymous."
        return "Answers: anonymous, shown without names, in the order of their words."

    @staticmethod
    def answer_by(r: ReflectionRow, answer: AnswerRow) -> str:
        """Who gave an answer, as an export may say it: "anonymous" for an anonymous one."""
        if r.visibility == "anonymous":
            return "anonymous"
        who = (answer.author.name if answer.author else None, answer.organisation)
        return ", ".join(x for x in who if x) or "a member"

    def trust_legend(self) -> str:
        return TRUST_LEGEND.format(k=self.header.k)


def _trust_value(r: TrustRoundRow, key: str) -> float | int | None:
    if key == OWN_ITEM.key:
        return r.listened if r.listened is not None else r.means.get(key)
    if key == "small_wins":
        return r.small_wins
    if key == "density":
        return r.density
    if key == "reciprocity":
        return r.reciprocity
    return r.means.get(key)


def _figure(key: str, value: float | int | None) -> str:
    if value is None:
        return NONE
    if key == "small_wins":
        return str(int(value))
    if key in ("density", "reciprocity"):
        return f"{value:.2f}"
    return f"{value:.1f}"


def _shifts(start: datetime, end: datetime, offset: timedelta) -> bool:
    """Whether every moment from `start` to `end`, shifted by `offset`, is a datetime."""
    try:
        start + offset, end + offset
    except OverflowError:
        return False
    return True
