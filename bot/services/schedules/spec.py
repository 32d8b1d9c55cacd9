"""When a schedule runs: reading what a person typed into a `RecurrenceSpec`, and back.

The parsers turn command options (cadence, time, days, holidays, a schedule's number) into the
recurrence the engine follows; `spec_of` reads a stored schedule row back into one, and
`describe_schedule` says it in words. Nothing here knows what a schedule does when it runs.

Decisions:

- **Defaults** come from `start` if given, else from today in the partnership's zone: weekly and
  fortnightly run on that weekday, monthly on that day of the month, at `DEFAULT_TIME`.
- **Start**: `start` is the first local day a schedule may run on (and the reference date for
  fortnightly weeks). Without it, a fortnightly schedule's first "on" week is the week of its
  soonest occurrence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from bot.errors import UserFacingError
from bot.services.recurrence import DAY_NAMES, Cadence, RecurrenceSpec, describe, parse_time
from bot.services.text import record_number
from bot.services.timeutil import as_utc, parse_date, zone
from db.models import Schedule

DEFAULT_TIME = "09:30"
CRON_TIME = "00:00"  # stored for cron schedules, whose expression carries its own times
MAX_HOLIDAYS = 100

_DAY_SPLIT = re.compile(r"[,\s/&+]+|\band\b")
_ORDINAL = re.compile(r"([0-9]{1,2})(?:st|nd|rd|th)?")

CADENCE_LABELS = {
    Cadence.daily: "daily",
    Cadence.weekdays: "weekdays (Monday to Friday)",
    Cadence.weekly: "weekly",
    Cadence.fortnightly: "fortnightly (every other week)",
    Cadence.monthly: "monthly",
    Cadence.cron: "cron expression",
}


# --------------------------------------------------------------------------- stored rows


def spec_of(schedule: Schedule, timezone: str) -> RecurrenceSpec:
    """The recurrence a schedule row describes, in its partnership's zone."""
    hour, minute = (int(x) for x in schedule.local_time.split(":"))
    return RecurrenceSpec(
        cadence=schedule.cadence,
        local_time=time(hour, minute),
        timezone=timezone,
        weekdays=tuple(schedule.weekdays or ()),
        day_of_month=schedule.day_of_month,
        cron=schedule.cron,
        anchor=schedule.anchor,
        holidays=frozenset(date.fromisoformat(d) for d in schedule.holidays or ()),
    )


def describe_schedule(schedule: Schedule, timezone: str) -> str:
    """The schedule in words: "Every Monday at 09:30 (Europe/London)"."""
    try:
        return describe(spec_of(schedule, timezone))
    except UserFacingError:
        return f"A {schedule.cadence} schedule ({timezone})"


def local_midnight_utc(day: date, tz_name: str) -> datetime:
    """The moment `day` begins in the zone `tz_name`, as UTC."""
    return datetime.combine(day, time(0), tzinfo=zone(tz_name)).astimezone(UTC)


# --------------------------------------------------------------------------- parsing


def parse_cadence(value: str) -> Cadence:
    try:
        return Cadence(value.strip().lower())
    except ValueError:
        names = ", ".join(c.value for c in Cadence)
        raise UserFacingError(
            f"“{value}” isn't a schedule I know. Choose one of: {names}."
        ) from None


def parse_weekdays(text: str) -> tuple[int, ...]:
    """`monday`, `mon,thu`, `Tue Thu`, `tuesdays` → weekday numbers (0 = Monday)."""
    days: set[int] = set()
    tokens = [t for t in _DAY_SPLIT.split(text.strip().lower()) if t]
    if not tokens:
        raise UserFacingError("Give the days as names, such as monday or mon,thu.")
    for token in tokens:
        word = token.rstrip(".")
        matches = [
            i
            for i, name in enumerate(DAY_NAMES)
            if len(word) >= 2 and (name.lower().startswith(word) or word == f"{name.lower()}s")
        ]
        if len(matches) != 1:
            raise UserFacingError(
                f"“{token}” isn't a day of the week I can read. Use names such as monday, "
                "or a list such as mon,thu."
            )
        days.add(matches[0])
    return tuple(sorted(days))


def parse_day_of_month(text: str) -> int:
    """`15`, `15th`, `last` → 1–31 (31 means the last day of every month)."""
    word = text.strip().lower()
    if word in ("last", "last day"):
        return 31
    match = _ORDINAL.fullmatch(word)
    if match and 1 <= int(match[1]) <= 31:
        return int(match[1])
    raise UserFacingError(
        f"“{text}” isn't a day of the month: use a number from 1 to 31 (or last). A day a month "
        "doesn't have, such as the 31st, moves to that month's last day."
    )


def parse_holidays(text: str | None) -> list[str]:
    """Comma-separated local dates → sorted ISO dates."""
    if text is None or not text.strip():
        return []
    days = {
        parse_date(part, option="holidays").isoformat()
        for part in re.split(r"[,\s;]+", text.strip())
        if part
    }
    if len(days) > MAX_HOLIDAYS:
        raise UserFacingError(f"That is {len(days)} holidays; the most is {MAX_HOLIDAYS}.")
    return sorted(days)


def parse_schedule_ref(text: str, *, command: str) -> int:
    """`12` or `#12` → 12. `command` is the group that lists the schedules (`/reflect`)."""
    number = record_number(text)
    if number is None:
        raise UserFacingError(
            f"“{text}” isn't a schedule number. Choose one from the list, or type its number "
            f"(see `{command} list`)."
        )
    return number


# --------------------------------------------------------------------------- building


def build_spec(
    *,
    cadence: str,
    timezone: str,
    now: datetime,
    time_text: str | None = None,
    day: str | None = None,
    cron: str | None = None,
    holidays: Sequence[str] = (),
    start: date | None = None,
) -> RecurrenceSpec:
    """The recurrence a schedule command describes, with its defaults filled in.

    Defaults come from `start` if given, else from today in the partnership's zone: weekly and
    fortnightly run on that weekday, monthly on that day of the month.
    """
    kind = parse_cadence(cadence)
    tz = zone(timezone)
    local_now = as_utc(now).astimezone(tz)
    today = local_now.date()
    base = start or today
    has_time = time_text is not None and time_text.strip() != ""
    has_day = day is not None and day.strip() != ""
    has_cron = cron is not None and cron.strip() != ""
    if kind is Cadence.cron:
        if has_time:
            raise UserFacingError(
                "A cron schedule takes its times from the expression: leave `time` out."
            )
        if has_day:
            raise UserFacingError(
                "A cron schedule takes its days from the expression: leave `day` out."
            )
        if not has_cron:
            raise UserFacingError(
                "A cron schedule needs its expression in the `cron` option: for example, "
                "`30 9 * * 1` means 09:30 every Monday."
            )
        at = parse_time(CRON_TIME)
    else:
        if has_cron:
            raise UserFacingError(
                "A cron expression only goes with the cron cadence: leave `cron` out, "
                "or choose cron."
            )
        at = parse_time(time_text if has_time else DEFAULT_TIME)  # type: ignore[arg-type]

    weekdays: tuple[int, ...] = ()
    day_of_month: int | None = None
    anchor: date | None = start
    if kind in (Cadence.weekly, Cadence.fortnightly):
        weekdays = parse_weekdays(day) if has_day else (base.weekday(),)  # type: ignore[arg-type]
        if kind is Cadence.fortnightly:
            anchor = _first_on_day(weekdays, at, base, local_now, start)
    elif kind is Cadence.monthly:
        day_of_month = parse_day_of_month(day) if has_day else base.day  # type: ignore[arg-type]
    elif has_day:
        raise UserFacingError(
            f"`day` only goes with weekly, fortnightly or monthly schedules; a {kind.value} "
            "schedule already says which days it runs."
        )
    return RecurrenceSpec(
        cadence=kind,
        local_time=at,
        timezone=timezone,
        weekdays=weekdays,
        day_of_month=day_of_month,
        cron=" ".join(cron.split()) if has_cron else None,  # type: ignore[union-attr]
        anchor=anchor,
        holidays=frozenset(date.fromisoformat(d) for d in holidays),
    )


def _first_on_day(
    weekdays: tuple[int, ...], at: time, base: date, local_now: datetime, start: date | None
) -> date:
    """The reference date of a fortnightly schedule: its first day on or after `base`.

    A past `start` only sets which weeks are on; otherwise the first occurrence still to come
    makes its week an "on" week.
    """
    naive_now = local_now.replace(tzinfo=None)
    for offset in range(15):
        day = base + timedelta(days=offset)
        if day.weekday() not in weekdays:
            continue
        if (start is not None and start < local_now.date()) or datetime.combine(
            day, at
        ) > naive_now:
            return day
    return base  # unreachable: some chosen weekday comes within a fortnight
