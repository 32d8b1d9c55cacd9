"""Occurrences of a schedule spec (`bot.services.recurrence.RecurrenceSpec`): the next few,
those in a span, how many in a span (without listing a busy cron's every minute), the latest
due (what to catch up once after downtime), and whether a moment is one.

Pure, like `bot.services.recurrence`, whose triggers they read (one shared trigger per spec).
Naive datetimes passed in are taken as UTC; results are aware UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

from bot.services.cron import CRON_FIELDS, expand_field
from bot.services.recurrence import Cadence, RecurrenceSpec, shared_trigger
from bot.services.timeutil import as_utc

__all__ = [
    "count_between",
    "is_occurrence",
    "latest_due",
    "latest_occurrences",
    "next_occurrences",
    "occurrences_between",
]


def _occurrences(spec: RecurrenceSpec, after: datetime) -> Iterator[datetime]:
    """Occurrences strictly after `after`, in order, as aware UTC datetimes."""
    trigger = shared_trigger(spec)
    after = as_utc(after)
    previous: datetime | None = None
    fire = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
    while fire is not None:
        moment = fire.astimezone(UTC)
        if moment > after and (previous is None or moment > previous):
            yield moment
            previous = moment
        fire = trigger.get_next_fire_time(fire, fire)


def next_occurrences(spec: RecurrenceSpec, after: datetime, count: int) -> list[datetime]:
    """The next `count` occurrences strictly after `after` (aware UTC)."""
    if count < 0:
        raise ValueError("count must not be negative")
    found: list[datetime] = []
    if count == 0:
        return found
    for moment in _occurrences(spec, after):
        found.append(moment)
        if len(found) == count:
            break
    return found


def occurrences_between(
    spec: RecurrenceSpec, start: datetime, end: datetime, *, limit: int = 1000
) -> list[datetime]:
    """Occurrences in (start, end] (aware UTC). More than `limit` is a ValueError, not a flood."""
    end = as_utc(end)
    found: list[datetime] = []
    for moment in _occurrences(spec, start):
        if moment > end:
            break
        if len(found) == limit:
            raise ValueError(f"more than {limit} occurrences between {start} and {end}")
        found.append(moment)
    return found


def _cron_runs_per_day(expr: str) -> int:
    """How many times a cron expression fires on a day it matches, clocks not changing."""
    minutes, hours = expr.split()[:2]
    return len(expand_field(minutes, CRON_FIELDS[0])) * len(expand_field(hours, CRON_FIELDS[1]))


def count_between(spec: RecurrenceSpec, start: datetime, end: datetime) -> int:
    """How many occurrences fall in (start, end], exactly, without listing each one.

    Other cadences fire at most once a day, so they are counted as they come. A cron schedule
    may fire every minute: it is counted a local day at a time, jumping from one matching day to
    the next; a whole matching day without a clock change counts its minutes × hours, and only
    the first and last day and days when the clocks change are listed one by one.
    """
    start, end = as_utc(start), as_utc(end)
    if spec.cadence is not Cadence.cron:
        count = 0
        for moment in _occurrences(spec, start):
            if moment > end:
                break
            count += 1
        return count
    assert spec.cron is not None
    per_day = _cron_runs_per_day(spec.cron)
    tz = spec.zone
    count, cursor = 0, start
    while cursor < end:
        following = next_occurrences(spec, cursor, 1)
        if not following or following[0] > end:
            break
        day = following[0].astimezone(tz).date()
        day_start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
        day_last = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(
            UTC
        ) - timedelta(microseconds=1)
        steady = day_start.astimezone(tz).utcoffset() == day_last.astimezone(tz).utcoffset()
        if cursor < day_start and day_last <= end and steady:
            count += per_day
        else:
            count += len(occurrences_between(spec, cursor, min(day_last, end), limit=2 * per_day))
        cursor = day_last
    return count


def latest_occurrences(
    spec: RecurrenceSpec, start: datetime, end: datetime, count: int
) -> list[datetime]:
    """The newest `count` occurrences in (start, end], oldest first, found by searching back
    from `end` in doubling windows (so a long span costs little)."""
    start, end = as_utc(start), as_utc(end)
    width = timedelta(hours=1)
    while True:
        low = max(start, end - width)
        found = occurrences_between(spec, low, end, limit=1_000_000)
        if len(found) >= count or low == start:
            return found[-count:] if count else []
        width *= 2


def latest_due(spec: RecurrenceSpec, now: datetime, since: datetime) -> datetime | None:
    """The most recent occurrence in (since, now], or None: what to catch up once after downtime.

    Searches backwards from `now` in doubling windows, so a long downtime costs little.
    """
    now, since = as_utc(now), as_utc(since)
    width = timedelta(days=1)
    while since < now:
        low = since if now - since <= width else now - width
        latest = None
        for moment in _occurrences(spec, low):
            if moment > now:
                break
            latest = moment
        if latest is not None or low == since:
            return latest
        width *= 2
    return None


def is_occurrence(spec: RecurrenceSpec, moment: datetime) -> bool:
    """Whether `moment` is exactly one of the spec's occurrences."""
    moment = as_utc(moment)
    return next_occurrences(spec, moment - timedelta(microseconds=1), 1) == [moment]
