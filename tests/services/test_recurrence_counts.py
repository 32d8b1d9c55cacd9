"""Counting occurrences without listing them, exact across clock changes and holidays; and
the first hour after a clock change, which a cron search from before it must not skip."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import select

from bot.errors import UserFacingError
from bot.services.occurrences import count_between, latest_occurrences, occurrences_between
from bot.services.recurrence import RecurrenceSpec
from db.models import Event, Occurrence
from tests.test_scheduling import Channel, Clock, engine_for, make_schedule

LONDON = "Europe/London"
SPECS = {
    "daily": RecurrenceSpec(cadence="daily", local_time=time(9, 30), timezone=LONDON),
    "weekly with a holiday": RecurrenceSpec(
        cadence="weekly",
        local_time=time(1, 30),
        timezone=LONDON,
        weekdays=(6,),
        holidays=frozenset({date(2026, 3, 29)}),
    ),
    "monthly on the 31st": RecurrenceSpec(
        cadence="monthly", local_time=time(9, 0), timezone=LONDON, day_of_month=31
    ),
    "every minute": RecurrenceSpec(
        cadence="cron", local_time=time(0), timezone=LONDON, cron="* * * * *"
    ),
    "every 7 minutes at night, weekdays or the 1st": RecurrenceSpec(
        cadence="cron", local_time=time(0), timezone=LONDON, cron="*/7 0-3 1 * mon-fri"
    ),
    "every quarter hour, with holidays, in New York": RecurrenceSpec(
        cadence="cron",
        local_time=time(0),
        timezone="America/New_York",
        cron="*/15 * * * *",
        holidays=frozenset({date(2026, 11, 1), date(2026, 11, 3)}),
    ),
}
# Ranges that cross both of 2026's clock changes in London and New York.
SPANS = [
    (datetime(2026, 3, 27, 13, 7, tzinfo=UTC), datetime(2026, 3, 31, 2, 2, tzinfo=UTC)),
    (datetime(2026, 10, 23, 23, 59, tzinfo=UTC), datetime(2026, 11, 4, 0, 1, tzinfo=UTC)),
    (datetime(2026, 1, 30, 9, 30, tzinfo=UTC), datetime(2026, 3, 31, 9, 0, tzinfo=UTC)),
]


@pytest.mark.parametrize("name", list(SPECS))
@pytest.mark.parametrize(("start", "end"), SPANS)
def test_counting_agrees_with_listing(name: str, start: datetime, end: datetime):
    spec = SPECS[name]
    listed = occurrences_between(spec, start, end, limit=1_000_000)
    assert count_between(spec, start, end) == len(listed)
    assert latest_occurrences(spec, start, end, 50) == listed[-50:]


def test_counting_agrees_with_listing_on_random_spans():
    rng = random.Random(20261128)
    spec = SPECS["every 7 minutes at night, weekdays or the 1st"]
    for _ in range(40):
        start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(525_600))
        end = start + timedelta(minutes=rng.randrange(1, 20_000))
        listed = occurrences_between(spec, start, end, limit=1_000_000)
        assert count_between(spec, start, end) == len(listed), (start, end)


def test_eighty_days_of_every_minute_are_counted():
    start = datetime(2026, 5, 1, 0, 0, 30, tzinfo=UTC)
    assert count_between(SPECS["every minute"], start, start + timedelta(days=80)) == 80 * 1440


@pytest.mark.parametrize("field", ["²⁰ 9 * * *", "30 ٩ * * *", "*/٣ * * * *"])
def test_digits_that_are_not_ascii_are_a_polite_error(field: str):
    with pytest.raises(UserFacingError, match="cron expression"):
        RecurrenceSpec(cadence="cron", local_time=time(0), timezone=LONDON, cron=field)


async def test_eighty_days_offline_with_an_every_minute_schedule_are_counted(sessions):
    offline_from = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    schedule_id = await make_schedule(
        sessions, offline_from, cadence="cron", cron="* * * * *", weekdays=[]
    )
    back = offline_from + timedelta(days=80, seconds=20)
    engine, _ = engine_for(sessions, Clock(back), Channel(), grace=timedelta(0))
    engine.started_at = back
    await engine.run_schedule(schedule_id)
    async with sessions() as session:
        event = (await session.exec(select(Event).where(Event.kind == "schedule.missed"))).one()
        rows = (await session.exec(select(Occurrence))).all()
    # Every minute of the 80 days but the last, which is caught up (it is seconds old).
    assert event.payload["count"] == 80 * 1440 - 1
    assert str(80 * 1440 - 1) in event.summary
    assert sum(r.state == "missed" for r in rows) == 50


def test_the_first_hour_of_the_day_after_the_clocks_change_is_not_skipped():
    # From a Friday before the spring change, APScheduler alone next fires at 01:00 on Monday.
    spec = RecurrenceSpec(
        cadence="cron", local_time=time(0), timezone=LONDON, cron="*/7 0-3 * * mon-fri"
    )
    first = occurrences_between(
        spec, datetime(2026, 3, 27, 13, 7, tzinfo=UTC), datetime(2026, 3, 30, tzinfo=UTC)
    )[0]
    assert first == datetime(2026, 3, 29, 23, 0, tzinfo=UTC)  # Monday 00:00 BST
