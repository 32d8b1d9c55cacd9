"""When a scheduled prompt is due: schedule specs turned into occurrence times.

Pure: no Discord, no database, no wall clock. Every function takes the moments it reasons about.
APScheduler 3.x is only the trigger engine (style guide, "Scheduling"); this module wraps it so
the traps of its 3.x series never reach the rest of the bot.

A schedule lives in the partnership's IANA time zone and keeps its local time across daylight
saving: a weekly 09:30 Europe/London prompt fires at 08:30Z in summer and 09:30Z in winter.

Decisions, each checked by a test in ``tests/services/test_recurrence.py``:

- **Weekdays** are numbered as :meth:`datetime.date.weekday` does: 0 = Monday … 6 = Sunday.
- **Fortnightly** is a weekly trigger plus week parity, counted from the Monday of the anchor
  date's week: weeks 0, 2, 4, … after it (and before it) are "on". Not
  ``IntervalTrigger(weeks=2)``, which drifts across daylight saving, nor ``week='*/2'``, which
  fires two weeks running when an ISO year has 53 weeks (2026-W53, then 2027-W01).
- **Monthly** on a day a month does not have moves to that month's last day: the 31st fires on
  30 April and on 28 (or 29) February; the 30th and 29th likewise in February. It is never
  skipped and never spills into the next month.
- **Cron** is a standard 5-field crontab (minute, hour, day of month, month, day of week) read in
  the partnership's zone, with the meaning cron gives it, not APScheduler's:

  - day-of-week 0 and 7 are Sunday (APScheduler's ``from_crontab`` takes 0 as Monday). Every
    day-of-week field (numbers, names, ranges, lists, steps) is expanded to a set of days and
    handed over as day names, so ``*/2`` means Sunday, Tuesday, Thursday, Saturday, as in cron;
  - when both day-of-month and day-of-week are restricted (neither starts with ``*``), a day
    matching *either* fires, as in cron (APScheduler alone would require both);
  - any minute field is allowed, every minute included (``* * * * *``); each occurrence is
    still claimed once, so a busy schedule cannot double-post;
  - an expression that can never fire (``0 9 31 2 *``) is refused.
- **A local time that does not exist** (inside the spring-forward gap, e.g. 01:30 Europe/London
  on 2026-03-29) fires once, at the same instant the wall clock would show if it had not jumped:
  01:30 GMT = 02:30 BST. This is APScheduler 3.11's own behaviour and what iCalendar (RFC 5545)
  prescribes; the day is not skipped.
- **A local time that happens twice** (inside the fall-back hour, e.g. 01:30 Europe/London on
  2026-10-25) fires once, the first time (01:30 BST = 00:30Z). APScheduler alone would fire twice.
- **Holidays** are local dates in the partnership's zone; an occurrence whose local date is a
  holiday is skipped, not moved.
- The **anchor** is only a reference date (default weekday for weekly and fortnightly, default
  day for monthly, week parity for fortnightly); it is not a start date.
- Naive datetimes passed in are taken as UTC (stored time is UTC); results are aware UTC.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from bot.errors import UserFacingError
from bot.services.cron import (
    APS_DAYS,
    CRON_EXAMPLE,
    cron_error,
    parse_cron,
)
from bot.services.timeutil import zone

log = logging.getLogger(__name__)

__all__ = [
    "Cadence",
    "RecurrenceSpec",
    "RecurrenceTrigger",
    "build_trigger",
    "describe",
    "parse_time",
]


class Cadence(StrEnum):
    daily = "daily"
    weekdays = "weekdays"
    weekly = "weekly"
    fortnightly = "fortnightly"
    monthly = "monthly"
    cron = "cron"


DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# APScheduler's names, indexed like date.weekday(): 0 = Monday.
# Days that have no 29th / 30th in some months: February only (the 31st is "last" everywhere).
_NOT_FEBRUARY = "1,3-12"
# Largest daylight-saving jump we look back over, so a gap-shifted occurrence is never missed.
_LOOKBACK = timedelta(hours=3)
# Next fire times a trigger keeps (forgotten all at once when full), and "not kept".
_AFTER_KEPT = 4096
_UNKNOWN = object()
# Where the "can this cron ever fire?" check starts: fixed, so the check is pure.
_CRON_PROBE_FROM = datetime(2000, 1, 1, tzinfo=UTC)
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})")


def _cadence_list() -> str:
    names = [c.value for c in Cadence]
    return ", ".join(names[:-1]) + " or " + names[-1]


def parse_time(text: str) -> time:
    """``"9:30"`` / ``"09:30"`` (24-hour clock) → ``time(9, 30)``, or a polite error."""
    match = _TIME_RE.fullmatch(text.strip())
    if match:
        hour, minute = int(match[1]), int(match[2])
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise UserFacingError(
        f"“{text}” isn't a time I can read. Use the 24-hour clock, HH:MM, such as 09:30 or 17:00."
    )


# --------------------------------------------------------------------------- the spec


@dataclass(frozen=True)
class RecurrenceSpec:
    """When a schedule fires. Invalid specs cannot be built: the constructor raises
    :class:`~bot.errors.UserFacingError` with a message fit to show the person who asked.

    - ``cadence``: daily, weekdays (Monday to Friday), weekly, fortnightly, monthly or cron.
    - ``local_time``: wall-clock time in ``timezone``, to the minute. Not used by ``cron``, whose
      expression carries its own times.
    - ``weekdays``: for weekly and fortnightly, 0 = Monday … 6 = Sunday; default the anchor's.
    - ``day_of_month``: for monthly, 1–31 (see the module notes on short months); default the
      anchor's day.
    - ``cron``: the 5-field expression, for cron only.
    - ``anchor``: reference date; required for fortnightly (its week is an "on" week).
    - ``holidays``: local dates on which occurrences are skipped.
    """

    cadence: str
    local_time: time
    timezone: str
    weekdays: tuple[int, ...] = ()
    day_of_month: int | None = None
    cron: str | None = None
    anchor: date | None = None
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        try:
            cadence = Cadence(str(self.cadence).strip().lower())
        except ValueError:
            raise UserFacingError(
                f"“{self.cadence}” isn't a schedule I know. Choose {_cadence_list()}."
            ) from None
        object.__setattr__(self, "cadence", cadence)
        zone(self.timezone)

        if not isinstance(self.local_time, time):
            raise UserFacingError("The time should be a time of day, such as 09:30.")
        if self.local_time.tzinfo is not None:
            raise UserFacingError(
                "Give the time as the partnership's local clock time, without a time zone; the "
                "zone is set separately."
            )
        if self.local_time.second or self.local_time.microsecond:
            raise UserFacingError("Schedules run to the minute: give a time such as 09:30.")

        if self.anchor is not None and (
            isinstance(self.anchor, datetime) or not isinstance(self.anchor, date)
        ):
            raise UserFacingError("The start date should be a date, such as 2026-03-02.")
        holidays = frozenset(self.holidays)
        for day in holidays:
            if isinstance(day, datetime) or not isinstance(day, date):
                raise UserFacingError("Holidays should be dates, such as 2026-12-25.")
        object.__setattr__(self, "holidays", holidays)

        for weekday in self.weekdays:
            if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
                raise UserFacingError(
                    f"“{weekday}” isn't a weekday: use 0 for Monday up to 6 for Sunday."
                )
        object.__setattr__(self, "weekdays", tuple(sorted(set(self.weekdays))))

        self._check_fields(cadence)

    def _check_fields(self, cadence: Cadence) -> None:
        if self.weekdays and cadence not in (Cadence.weekly, Cadence.fortnightly):
            hint = (
                "“weekdays” already means Monday to Friday"
                if cadence is Cadence.weekdays
                else f"a {cadence.value} schedule doesn't take days of the week"
            )
            raise UserFacingError(
                f"Choosing days only works for weekly and fortnightly schedules: {hint}. "
                "Use weekly to pick the days."
            )
        if self.day_of_month is not None and cadence is not Cadence.monthly:
            raise UserFacingError("A day of the month only goes with a monthly schedule.")
        if self.cron is not None and cadence is not Cadence.cron:
            raise UserFacingError(
                "A cron expression only goes with the cron schedule; leave it out, or choose cron."
            )

        if cadence in (Cadence.weekly, Cadence.fortnightly):
            if not self.weekdays and self.anchor is None:
                raise UserFacingError(
                    f"A {cadence.value} schedule needs the days it runs on, or a start date to "
                    "take the day from."
                )
        if cadence is Cadence.fortnightly and self.anchor is None:
            raise UserFacingError(
                "An every-other-week schedule needs a start date, so I know which weeks are on."
            )
        if cadence is Cadence.monthly:
            if self.day_of_month is None and self.anchor is None:
                raise UserFacingError(
                    "A monthly schedule needs a day of the month (1–31), or a start date to take "
                    "the day from."
                )
            if self.day_of_month is not None and (
                isinstance(self.day_of_month, bool)
                or not isinstance(self.day_of_month, int)
                or not 1 <= self.day_of_month <= 31
            ):
                raise UserFacingError(
                    f"“{self.day_of_month}” isn't a day of the month: use 1 to 31. A day a month "
                    "doesn't have (such as the 31st) moves to that month's last day."
                )
        if cadence is Cadence.cron:
            if not isinstance(self.cron, str) or not self.cron.strip():
                raise UserFacingError(f"A cron schedule needs its expression: {CRON_EXAMPLE}.")
            # Parse now so a bad expression is refused when the schedule is made; and refuse
            # one that can never fire, so no trigger ever searches forever.
            if _base_trigger(self).get_next_fire_time(None, _CRON_PROBE_FROM) is None:
                raise cron_error("it never happens (no month has that day).")

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.timezone)

    @property
    def days(self) -> tuple[int, ...]:
        """The weekdays it runs on (0 = Monday), for weekly and fortnightly."""
        if self.weekdays:
            return self.weekdays
        if self.cadence is Cadence.weekdays:
            return (0, 1, 2, 3, 4)
        if self.anchor is not None and self.cadence in (Cadence.weekly, Cadence.fortnightly):
            return (self.anchor.weekday(),)
        return ()

    @property
    def day(self) -> int | None:
        """The day of the month, for monthly."""
        if self.cadence is not Cadence.monthly:
            return None
        if self.day_of_month is not None:
            return self.day_of_month
        return self.anchor.day if self.anchor else None


# --------------------------------------------------------------------------- triggers


def _base_trigger(spec: RecurrenceSpec) -> BaseTrigger:
    """The APScheduler trigger before parity, holidays and repeated wall times are applied."""
    tz = spec.zone
    at = {"hour": spec.local_time.hour, "minute": spec.local_time.minute, "second": 0}
    cadence = Cadence(spec.cadence)
    if cadence is Cadence.daily:
        return CronTrigger(**at, timezone=tz)
    if cadence in (Cadence.weekdays, Cadence.weekly, Cadence.fortnightly):
        days = ",".join(APS_DAYS[d] for d in spec.days)
        return CronTrigger(day_of_week=days, **at, timezone=tz)
    if cadence is Cadence.monthly:
        day = spec.day
        assert day is not None  # checked in __post_init__
        if day <= 28:
            return CronTrigger(day=day, **at, timezone=tz)
        if day == 31:
            return CronTrigger(day="last", **at, timezone=tz)
        # The 29th and 30th exist in every month but February, which takes its last day.
        return OrTrigger(
            [
                CronTrigger(month=_NOT_FEBRUARY, day=day, **at, timezone=tz),
                CronTrigger(month=2, day="last", **at, timezone=tz),
            ]
        )
    assert spec.cron is not None
    cron = parse_cron(spec.cron)
    common = {"minute": cron.minute, "hour": cron.hour, "month": cron.month, "second": 0}
    if cron.either_day:
        return OrTrigger(
            [
                CronTrigger(day=cron.day, **common, timezone=tz),
                CronTrigger(day_of_week=cron.day_of_week, **common, timezone=tz),
            ]
        )
    return CronTrigger(day=cron.day, day_of_week=cron.day_of_week, **common, timezone=tz)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


class RecurrenceTrigger(BaseTrigger):
    """An APScheduler trigger for a :class:`RecurrenceSpec`.

    It wraps the cron trigger(s) in ``base`` and skips what they cannot express: off weeks of a
    fortnight, holidays, and the second run of a wall time the clocks repeat. Safe to hand to an
    APScheduler 3.x scheduler (in-memory job store; it is not meant to be pickled).
    """

    __slots__ = ("_after", "_anchor_monday", "_holidays", "_max_skips", "base", "timezone")

    def __init__(self, spec: RecurrenceSpec) -> None:
        self.base = _base_trigger(spec)
        self.timezone: tzinfo = spec.zone
        self._holidays = spec.holidays
        self._anchor_monday = (
            _monday(spec.anchor)
            if spec.cadence is Cadence.fortnightly and spec.anchor is not None
            else None
        )
        # At most 24 runs a day (the minute is fixed), two weeks to the next on-week, plus every
        # holiday day: far more than any real run of skips, but never forever.
        self._max_skips = 24 * 14 + 24 * len(self._holidays) + 100
        # The next fire time after a previous one, once found (see `get_next_fire_time`).
        self._after: dict[datetime, datetime | None] = {}

    def _accepts(self, candidate: datetime) -> bool:
        local = candidate.astimezone(self.timezone)  # same zone: the wall time is kept as is
        day = local.date()
        if day in self._holidays:
            return False
        if self._anchor_monday is not None and ((_monday(day) - self._anchor_monday).days // 7) % 2:
            return False
        return not _is_repeat(local, self.timezone)

    def _base_next(self, previous: datetime | None, now: datetime) -> datetime | None:
        """The base trigger's next fire time, never skipping the start of a day.

        APScheduler 3.x's cron trigger, searching across a change of the clocks, carries the old
        UTC offset into the next days: from a Friday before the spring change, `0-3` hours on
        weekdays next fire at 01:00 on Monday, not 00:00. So the candidate's own local day is
        searched again from its (correct) midnight, and the earlier time wins.
        """
        candidate = self.base.get_next_fire_time(previous, now)
        if candidate is None:
            return None
        floor = previous if previous is not None else now
        day = candidate.astimezone(self.timezone).date()
        midnight = datetime.combine(day, time(0), tzinfo=self.timezone)
        if midnight <= floor:
            return candidate
        earlier = self.base.get_next_fire_time(None, midnight)
        if earlier is not None and floor < earlier < candidate:
            return earlier
        return candidate

    def _next(self, previous: datetime | None, now: datetime) -> datetime | None:
        candidate = self._base_next(previous, now)
        for _ in range(self._max_skips):
            if candidate is None:
                return None
            if self._accepts(candidate):
                # Normalised: a wall time in a gap becomes the real local time it fires at
                # (01:30 → 02:30 BST), so it compares equal to the same instant in any zone.
                return candidate.astimezone(UTC).astimezone(self.timezone)
            day = candidate.astimezone(self.timezone).date()
            if day in self._holidays:
                # Jump to the next local day at once: an every-minute cron has 1440 runs a day.
                next_day = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.timezone)
                candidate = self._base_next(None, next_day.astimezone(UTC))
                continue
            candidate = self._base_next(candidate, candidate)
        log.warning("Gave up after %d skipped candidates for %r", self._max_skips, self)
        return None

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        if previous_fire_time is not None:
            if now < previous_fire_time:
                return self._next(previous_fire_time, now)
            # From `now` at or after the previous fire time, the search starts just after the
            # previous one, whatever `now` is: the answer is kept. A trigger serves every
            # schedule of its recurrence, and APScheduler asks for each job as it runs (a
            # thousand prompts due at 09:00 ask the same question a thousand times).
            found = self._after.get(previous_fire_time, _UNKNOWN)
            if found is _UNKNOWN:
                if len(self._after) >= _AFTER_KEPT:
                    self._after.clear()
                found = self._after[previous_fire_time] = self._next(previous_fire_time, now)
            return found  # type: ignore[return-value]
        # A time in a spring-forward gap fires at a wall time later than the one asked for, so
        # search from a little earlier; without this, asking from inside the gap's hour would
        # miss that day's occurrence.
        candidate = self._next(None, now - _LOOKBACK)
        while candidate is not None and candidate < now:
            candidate = self._next(candidate, candidate)
        return candidate

    def __str__(self) -> str:
        return f"recurrence[{self.base}]"

    def __repr__(self) -> str:
        return f"<RecurrenceTrigger ({self.base!r})>"


def _is_repeat(local: datetime, tz: tzinfo) -> bool:
    """Whether `local` is the second run of a wall time the clocks repeat when they go back."""
    wall = local.replace(tzinfo=None)
    first, second = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return False
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall:
        return False  # a time in the spring-forward gap, not a repeated one
    return local.astimezone(UTC) == second.astimezone(UTC)


def build_trigger(spec: RecurrenceSpec) -> BaseTrigger:
    """An APScheduler trigger that fires exactly at the spec's occurrences."""
    return RecurrenceTrigger(spec)


@lru_cache(maxsize=1024)
def shared_trigger(spec: RecurrenceSpec) -> RecurrenceTrigger:
    """The spec's trigger for listing and counting occurrences, built once (each claim asks
    for the latest due and the missed ones)."""
    return RecurrenceTrigger(spec)


# --------------------------------------------------------------------------- words


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def describe(spec: RecurrenceSpec) -> str:
    """A short sentence, e.g. "Every other Monday at 09:30 (Europe/London)"."""
    at = f"at {spec.local_time:%H:%M} ({spec.timezone})"
    cadence = Cadence(spec.cadence)
    days = _join([DAY_NAMES[d] for d in spec.days]) if spec.days else ""
    if cadence is Cadence.daily:
        text = f"Every day {at}"
    elif cadence is Cadence.weekdays:
        text = f"Every weekday (Monday to Friday) {at}"
    elif cadence is Cadence.weekly:
        text = f"Every {days} {at}"
    elif cadence is Cadence.fortnightly:
        text = f"Every other {days} {at}"
    elif cadence is Cadence.monthly:
        day = spec.day or 1
        if day == 31:
            text = f"On the last day of every month {at}"
        elif day > 28:
            text = f"On the {_ordinal(day)} of every month (the last day in February) {at}"
        else:
            text = f"On the {_ordinal(day)} of every month {at}"
    else:
        text = f"On the cron schedule “{' '.join((spec.cron or '').split())}” ({spec.timezone})"
    if spec.holidays:
        n = len(spec.holidays)
        text += f", except on {n} holiday{'s' if n != 1 else ''}"
    return text
