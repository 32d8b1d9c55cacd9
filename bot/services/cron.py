"""Crontab expressions as `/reflect schedule cadence:cron` takes them: five fields (minute, hour,
day of month, month, day of week) with lists, ranges, steps and names, read with cron's own rules
(0 and 7 are Sunday; both day fields restricted means either matches, as in Vixie cron) and put
in APScheduler's terms. Bad input is a `UserFacingError` that says what is wrong, with an
example. `bot.services.recurrence` builds its triggers from what this gives.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import UserFacingError

# APScheduler's day names, Monday first (as `date.weekday()`).
APS_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class CronField:
    """One of the five fields: its name in messages, its range and the names it accepts."""

    label: str
    low: int
    high: int
    names: dict[str, int]


_MONTH_NAMES = {
    name: i + 1
    for i, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
# Cron's numbering: 0 (and 7) = Sunday.
_CRON_DAY_NAMES = {
    name: i for i, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))
}
CRON_FIELDS = (
    CronField("minute", 0, 59, {}),
    CronField("hour", 0, 23, {}),
    CronField("day of month", 1, 31, {}),
    CronField("month", 1, 12, _MONTH_NAMES),
    CronField("day of week", 0, 7, _CRON_DAY_NAMES),
)
CRON_EXAMPLE = "`30 9 * * 1` means 09:30 every Monday"


def cron_error(detail: str) -> UserFacingError:
    return UserFacingError(
        f"That cron expression doesn't work: {detail} For example, {CRON_EXAMPLE}."
    )


def _cron_value(text: str, spec: CronField) -> int:
    lowered = text.lower()
    if lowered in spec.names:
        return spec.names[lowered]
    if not (text.isascii() and text.isdigit()):  # "²" and "٣" are digits to str.isdigit
        raise cron_error(f"“{text}” isn't a number I understand in the {spec.label} field.")
    value = int(text)
    if not spec.low <= value <= spec.high:
        extra = " (0 and 7 are both Sunday)" if spec.label == "day of week" else ""
        raise cron_error(
            f"{value} is out of range for the {spec.label}; use {spec.low}–{spec.high}{extra}."
        )
    return value


def expand_field(text: str, spec: CronField) -> frozenset[int]:
    """One crontab field → the set of values it matches, in cron's own numbering."""
    values: set[int] = set()
    for item in text.split(","):
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not (step_text.isascii() and step_text.isdigit()) or int(step_text) == 0:
                raise cron_error(f"the step in “{item}” should be a whole number above 0.")
            step = int(step_text)
        if base == "*":
            first, last = spec.low, spec.high
        elif "-" in base:
            first_text, _, last_text = base.partition("-")
            first, last = _cron_value(first_text, spec), _cron_value(last_text, spec)
            if first > last:
                raise cron_error(f"the range “{base}” should go from low to high.")
        elif base:
            first = _cron_value(base, spec)
            # `5/15` means from 5 to the end, every 15 (as in cronie).
            last = spec.high if slash else first
        else:
            raise cron_error(f"the {spec.label} field has an empty item.")
        values.update(range(first, last + 1, step))
    if spec.label == "day of week" and 7 in values:
        values.discard(7)
        values.add(0)
    return frozenset(values)


def _aps_list(values: frozenset[int], spec: CronField) -> str:
    if values == set(range(spec.low, spec.high + 1)):
        return "*"
    return ",".join(str(v) for v in sorted(values))


def _aps_days(cron_days: frozenset[int]) -> str:
    """Cron day numbers (0 = Sunday) → APScheduler day names in its order (Monday first)."""
    weekdays = sorted((d - 1) % 7 for d in cron_days)  # 0 = Monday, as date.weekday()
    if len(weekdays) == 7:
        return "*"
    return ",".join(APS_DAYS[d] for d in weekdays)


@dataclass(frozen=True)
class Cron:
    minute: str
    hour: str
    day: str
    month: str
    day_of_week: str
    either_day: bool  # both day fields restricted: cron fires when either matches


def parse_cron(expr: str) -> Cron:
    """A crontab expression → its fields as APScheduler's `CronTrigger` takes them."""
    fields = expr.split()
    if len(fields) != 5:
        raise cron_error(
            "it needs five fields (minute, hour, day of month, month, day of week) and has "
            f"{len(fields)}."
        )
    sets = [expand_field(text, spec) for text, spec in zip(fields, CRON_FIELDS, strict=True)]
    return Cron(
        minute=_aps_list(sets[0], CRON_FIELDS[0]),
        hour=_aps_list(sets[1], CRON_FIELDS[1]),
        day=_aps_list(sets[2], CRON_FIELDS[2]),
        month=_aps_list(sets[3], CRON_FIELDS[3]),
        day_of_week=_aps_days(sets[4]),
        # Vixie cron: a field starting with `*` leaves the other day field in charge.
        either_day=not fields[2].startswith("*") and not fields[4].startswith("*"),
    )
