"""Schedule specs → occurrence times, across daylight saving and zones. Fixed datetimes only."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.base import BaseTrigger

from bot.errors import UserFacingError
from bot.services.occurrences import (
    is_occurrence,
    latest_due,
    next_occurrences,
    occurrences_between,
)
from bot.services.recurrence import Cadence, RecurrenceSpec, build_trigger, describe, parse_time

LONDON = "Europe/London"
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


def spec(cadence: str, at: str = "09:30", tz: str = LONDON, **kw: object) -> RecurrenceSpec:
    return RecurrenceSpec(cadence, parse_time(at), tz, **kw)  # type: ignore[arg-type]


def local(moments: list[datetime], tz: str = LONDON) -> list[str]:
    return [m.astimezone(ZoneInfo(tz)).strftime("%a %Y-%m-%d %H:%M") for m in moments]


# --------------------------------------------------------------------------- daylight saving


def test_weekly_keeps_local_time_across_spring_change() -> None:
    s = spec("weekly", weekdays=(SUN,))
    assert next_occurrences(s, utc(2026, 3, 20), 3) == [
        utc(2026, 3, 22, 9, 30),  # GMT
        utc(2026, 3, 29, 8, 30),  # clocks went forward at 01:00Z that morning: BST
        utc(2026, 4, 5, 8, 30),
    ]


def test_weekly_keeps_local_time_across_autumn_change() -> None:
    s = spec("weekly", weekdays=(SUN,))
    assert next_occurrences(s, utc(2026, 10, 17), 3) == [
        utc(2026, 10, 18, 8, 30),  # BST
        utc(2026, 10, 25, 9, 30),  # clocks went back at 01:00Z: GMT
        utc(2026, 11, 1, 9, 30),
    ]


def test_weekly_monday_around_both_changes() -> None:
    s = spec("weekly", weekdays=(MON,))
    assert next_occurrences(s, utc(2026, 3, 22), 2) == [
        utc(2026, 3, 23, 9, 30),
        utc(2026, 3, 30, 8, 30),
    ]
    assert next_occurrences(s, utc(2026, 10, 18), 2) == [
        utc(2026, 10, 19, 8, 30),
        utc(2026, 10, 26, 9, 30),
    ]


def test_results_are_aware_utc_and_strictly_after() -> None:
    s = spec("daily")
    result = next_occurrences(s, utc(2026, 1, 5, 9, 30), 2)
    assert result == [utc(2026, 1, 6, 9, 30), utc(2026, 1, 7, 9, 30)]
    assert all(m.tzinfo is UTC for m in result)
    # A moment just before an occurrence still finds it.
    assert next_occurrences(s, utc(2026, 1, 5, 9, 29, 59, 999999), 1) == [utc(2026, 1, 5, 9, 30)]


def test_naive_datetimes_are_taken_as_utc() -> None:
    s = spec("daily")
    assert next_occurrences(s, datetime(2026, 1, 5, 12), 1) == [utc(2026, 1, 6, 9, 30)]


def test_time_in_spring_forward_gap_fires_once_shifted_by_the_gap() -> None:
    # 01:30 does not exist in London on 2026-03-29 (01:00 GMT → 02:00 BST). APScheduler 3.11
    # fires at 01:30 GMT, i.e. 02:30 BST, as iCalendar does; the day is not skipped.
    s = spec("daily", at="01:30")
    result = next_occurrences(s, utc(2026, 3, 27, 12), 4)
    assert result == [
        utc(2026, 3, 28, 1, 30),
        utc(2026, 3, 29, 1, 30),
        utc(2026, 3, 30, 0, 30),
        utc(2026, 3, 31, 0, 30),
    ]
    assert local(result)[1] == "Sun 2026-03-29 02:30"


def test_gap_occurrence_is_found_when_asked_from_inside_the_gap_hour() -> None:
    # 01:10Z is 02:10 BST, a wall time after 01:30; the shifted occurrence (01:30Z) is still ahead.
    s = spec("daily", at="01:30")
    assert next_occurrences(s, utc(2026, 3, 29, 1, 10), 1) == [utc(2026, 3, 29, 1, 30)]
    trigger = build_trigger(s)
    assert trigger.get_next_fire_time(None, utc(2026, 3, 29, 1, 10)) == utc(2026, 3, 29, 1, 30)


def test_repeated_wall_time_in_autumn_fires_once_the_first_time() -> None:
    # 01:30 happens twice in London on 2026-10-25 (00:30Z BST, 01:30Z GMT): fire only at the first.
    s = spec("daily", at="01:30")
    assert next_occurrences(s, utc(2026, 10, 23, 12), 4) == [
        utc(2026, 10, 24, 0, 30),
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 26, 1, 30),
        utc(2026, 10, 27, 1, 30),
    ]


def test_hourly_cron_across_autumn_change_does_not_repeat_the_hour() -> None:
    s = spec("cron", cron="0 * * * *")
    result = occurrences_between(s, utc(2026, 10, 24, 22, 30), utc(2026, 10, 25, 3))
    # 01:00 local happens at 00:00Z (BST) and again at 01:00Z (GMT); it runs once.
    assert result == [
        utc(2026, 10, 24, 23),
        utc(2026, 10, 25, 0),
        utc(2026, 10, 25, 2),
        utc(2026, 10, 25, 3),
    ]
    assert local(result) == [
        "Sun 2026-10-25 00:00",
        "Sun 2026-10-25 01:00",
        "Sun 2026-10-25 02:00",
        "Sun 2026-10-25 03:00",
    ]
    assert result == sorted(set(result))


# --------------------------------------------------------------------------- other zones


def test_new_york_keeps_local_time_across_its_own_changes() -> None:
    s = spec("weekly", at="09:00", tz="America/New_York", weekdays=(MON,))
    # US clocks change on 2026-03-08 and 2026-11-01, weeks apart from Europe's.
    assert next_occurrences(s, utc(2026, 3, 1), 2) == [utc(2026, 3, 2, 14), utc(2026, 3, 9, 13)]
    assert next_occurrences(s, utc(2026, 10, 25), 2) == [
        utc(2026, 10, 26, 13),
        utc(2026, 11, 2, 14),
    ]


def test_kolkata_has_no_daylight_saving_and_a_half_hour_offset() -> None:
    s = spec("daily", tz="Asia/Kolkata")
    for after in (utc(2026, 1, 10), utc(2026, 3, 28), utc(2026, 7, 1), utc(2026, 10, 24)):
        (first,) = next_occurrences(s, after, 1)
        assert (first.hour, first.minute) == (4, 0)


# --------------------------------------------------------------------------- cadences


def test_daily() -> None:
    s = spec("daily")
    assert len(occurrences_between(s, utc(2026, 1, 1), utc(2026, 1, 31, 23))) == 31


def test_weekdays_is_monday_to_friday() -> None:
    s = spec("weekdays")
    result = next_occurrences(s, utc(2026, 1, 1), 10)  # from a Thursday
    assert {m.weekday() for m in result} == {MON, TUE, WED, THU, FRI}
    assert local(result)[:3] == [
        "Thu 2026-01-01 09:30",
        "Fri 2026-01-02 09:30",
        "Mon 2026-01-05 09:30",
    ]


def test_weekly_on_chosen_days() -> None:
    s = spec("weekly", weekdays=(FRI, TUE, TUE))
    assert s.weekdays == (TUE, FRI)
    result = next_occurrences(s, utc(2026, 1, 1), 4)
    assert local(result) == [
        "Fri 2026-01-02 09:30",
        "Tue 2026-01-06 09:30",
        "Fri 2026-01-09 09:30",
        "Tue 2026-01-13 09:30",
    ]


def test_weekly_defaults_to_the_anchor_weekday() -> None:
    s = spec("weekly", anchor=date(2026, 1, 7))  # a Wednesday
    assert {m.weekday() for m in next_occurrences(s, utc(2026, 1, 1), 5)} == {WED}


def test_fortnightly_keeps_parity_across_an_iso_year_with_53_weeks() -> None:
    # 2026 has an ISO week 53 (Mon 28 Dec); `week='*/2'` would fire on 28 Dec and again on 4 Jan.
    s = spec("fortnightly", anchor=date(2026, 12, 14))
    assert next_occurrences(s, utc(2026, 12, 15), 3) == [
        utc(2026, 12, 28, 9, 30),
        utc(2027, 1, 11, 9, 30),
        utc(2027, 1, 25, 9, 30),
    ]


def test_fortnightly_keeps_parity_and_local_time_across_daylight_saving() -> None:
    s = spec("fortnightly", anchor=date(2026, 3, 16))  # Monday, GMT
    assert next_occurrences(s, utc(2026, 3, 15), 3) == [
        utc(2026, 3, 16, 9, 30),
        utc(2026, 3, 30, 8, 30),  # BST, not 23 March
        utc(2026, 4, 13, 8, 30),
    ]
    autumn = next_occurrences(s, utc(2026, 10, 10), 3)
    # 30 weeks after the anchor; 26 October is the first Monday back on GMT.
    assert autumn == [utc(2026, 10, 12, 8, 30), utc(2026, 10, 26, 9, 30), utc(2026, 11, 9, 9, 30)]


def test_fortnightly_parity_counts_from_the_anchor_weeks_monday() -> None:
    # Anchor on a Thursday; Monday and Thursday both run in the anchor's week, and before it.
    s = spec("fortnightly", anchor=date(2026, 1, 8), weekdays=(MON, THU))
    assert local(next_occurrences(s, utc(2025, 12, 20), 6)) == [
        "Mon 2025-12-22 09:30",
        "Thu 2025-12-25 09:30",
        "Mon 2026-01-05 09:30",
        "Thu 2026-01-08 09:30",
        "Mon 2026-01-19 09:30",
        "Thu 2026-01-22 09:30",
    ]


def test_monthly_31st_falls_back_to_each_months_last_day() -> None:
    s = spec("monthly", day_of_month=31)
    result = next_occurrences(s, utc(2026, 1, 1), 6)
    assert [m.date() for m in result] == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
        date(2026, 6, 30),
    ]
    leap = next_occurrences(s, utc(2028, 2, 1), 1)
    assert leap == [utc(2028, 2, 29, 9, 30)]


@pytest.mark.parametrize(
    ("day", "year", "february"),
    [(29, 2027, 28), (29, 2028, 29), (30, 2027, 28), (30, 2028, 29)],
)
def test_monthly_29th_and_30th_in_february(day: int, year: int, february: int) -> None:
    s = spec("monthly", day_of_month=day)
    result = next_occurrences(s, utc(year, 1, 1), 3)
    assert [m.date() for m in result] == [
        date(year, 1, day),
        date(year, 2, february),
        date(year, 3, day),
    ]


def test_monthly_defaults_to_the_anchor_day() -> None:
    s = spec("monthly", anchor=date(2026, 1, 15))
    assert [m.day for m in next_occurrences(s, utc(2026, 1, 1), 3)] == [15, 15, 15]


# --------------------------------------------------------------------------- cron


@pytest.mark.parametrize(
    ("expr", "days"),
    [
        ("30 9 * * 1", {MON}),
        ("0 9 * * 0", {SUN}),
        ("0 9 * * 7", {SUN}),
        ("0 9 * * SUN", {SUN}),
        ("0 9 * * 1-5", {MON, TUE, WED, THU, FRI}),
        ("0 9 * * mon-fri", {MON, TUE, WED, THU, FRI}),
        ("0 9 * * 5-7", {FRI, SAT, SUN}),
        ("0 9 * * 0,6", {SAT, SUN}),
        ("0 9 * * 1,3,5", {MON, WED, FRI}),
        ("0 9 * * */2", {SUN, TUE, THU, SAT}),  # cron counts from Sunday
        ("0 9 * * 0-7", set(range(7))),
    ],
)
def test_cron_day_of_week_uses_crons_numbering(expr: str, days: set[int]) -> None:
    s = spec("cron", cron=expr)
    result = next_occurrences(s, utc(2026, 1, 1), 21)
    assert {m.weekday() for m in result} == days


def test_cron_monday_is_not_tuesday() -> None:
    s = spec("cron", cron="30 9 * * 1")
    assert next_occurrences(s, utc(2026, 1, 1), 1) == [utc(2026, 1, 5, 9, 30)]


def test_cron_runs_in_the_partnerships_zone() -> None:
    s = spec("cron", tz="America/New_York", cron="0 9 * * 1")
    assert next_occurrences(s, utc(2026, 7, 1), 1) == [utc(2026, 7, 6, 13)]


def test_cron_day_of_month_or_day_of_week_when_both_are_given() -> None:
    # As in cron: the 1st of the month, or any Monday.
    s = spec("cron", cron="0 9 1 * 1")
    assert [m.date() for m in next_occurrences(s, utc(2026, 1, 1), 4)] == [
        date(2026, 1, 1),
        date(2026, 1, 5),
        date(2026, 1, 12),
        date(2026, 1, 19),
    ]


def test_cron_step_in_day_of_month_keeps_and_with_day_of_week() -> None:
    s = spec("cron", cron="0 9 */2 * 1")  # `*`-led field: both must match
    result = next_occurrences(s, utc(2026, 1, 1), 4)
    assert all(m.weekday() == MON and m.day % 2 == 1 for m in result)


def test_cron_months_and_lists() -> None:
    s = spec("cron", cron="15 8,17 1 jan,jul *")
    assert next_occurrences(s, utc(2026, 1, 1), 3) == [
        utc(2026, 1, 1, 8, 15),
        utc(2026, 1, 1, 17, 15),
        utc(2026, 7, 1, 7, 15),  # BST
    ]


def test_cron_feb_29_is_allowed() -> None:
    s = spec("cron", cron="0 9 29 2 *")
    assert next_occurrences(s, utc(2026, 1, 1), 1) == [utc(2028, 2, 29, 9)]


# --------------------------------------------------------------------------- holidays


def test_holidays_are_skipped_not_moved() -> None:
    s = spec("weekdays", holidays=frozenset({date(2026, 12, 25), date(2026, 12, 28)}))
    assert [m.date() for m in next_occurrences(s, utc(2026, 12, 24), 3)] == [
        date(2026, 12, 24),
        date(2026, 12, 29),
        date(2026, 12, 30),
    ]


def test_holiday_is_a_local_date() -> None:
    # 00:30 in Kolkata on 25 Dec is 19:00Z on 24 Dec: it is the 25th's occurrence that is skipped.
    s = spec("daily", at="00:30", tz="Asia/Kolkata", holidays=frozenset({date(2026, 12, 25)}))
    assert next_occurrences(s, utc(2026, 12, 23, 12), 2) == [
        utc(2026, 12, 23, 19),
        utc(2026, 12, 25, 19),
    ]


def test_holidays_combine_with_fortnight_parity() -> None:
    s = spec("fortnightly", anchor=date(2026, 12, 14), holidays=frozenset({date(2026, 12, 28)}))
    assert [m.date() for m in next_occurrences(s, utc(2026, 12, 20), 2)] == [
        date(2027, 1, 11),
        date(2027, 1, 25),
    ]


def test_a_long_run_of_holidays_is_skipped_without_giving_up() -> None:
    year = frozenset(date(2026, 1, 1) + timedelta(days=i) for i in range(365))
    s = spec("daily", holidays=year)
    assert next_occurrences(s, utc(2025, 12, 31, 12), 1) == [utc(2027, 1, 1, 9, 30)]


# --------------------------------------------------------------------------- ranges and catch-up


def test_occurrences_between_is_start_exclusive_end_inclusive() -> None:
    s = spec("daily")
    assert occurrences_between(s, utc(2026, 1, 5, 9, 30), utc(2026, 1, 7, 9, 30)) == [
        utc(2026, 1, 6, 9, 30),
        utc(2026, 1, 7, 9, 30),
    ]
    assert occurrences_between(s, utc(2026, 1, 7), utc(2026, 1, 6)) == []


def test_occurrences_between_refuses_a_flood() -> None:
    s = spec("cron", cron="0 * * * *")
    with pytest.raises(ValueError, match="more than 100"):
        occurrences_between(s, utc(2026, 1, 1), utc(2026, 2, 1), limit=100)


def test_latest_due_is_the_most_recent_in_the_window() -> None:
    s = spec("daily")
    assert latest_due(s, now=utc(2026, 3, 5, 12), since=utc(2026, 3, 1, 10)) == utc(
        2026, 3, 5, 9, 30
    )
    assert latest_due(s, now=utc(2026, 3, 5, 9), since=utc(2026, 3, 1, 10)) == utc(
        2026, 3, 4, 9, 30
    )


def test_latest_due_bounds() -> None:
    s = spec("daily")
    # `now` itself counts; `since` does not.
    assert latest_due(s, now=utc(2026, 3, 5, 9, 30), since=utc(2026, 3, 4, 9, 30)) == utc(
        2026, 3, 5, 9, 30
    )
    assert latest_due(s, now=utc(2026, 3, 5, 9), since=utc(2026, 3, 4, 9, 30)) is None
    assert latest_due(s, now=utc(2026, 3, 5), since=utc(2026, 3, 6)) is None


def test_latest_due_after_long_downtime_with_a_sparse_schedule() -> None:
    s = spec("fortnightly", anchor=date(2026, 1, 5), holidays=frozenset({date(2026, 5, 25)}))
    assert latest_due(s, now=utc(2026, 6, 1), since=utc(2020, 1, 1)) == utc(2026, 5, 11, 8, 30)
    leap = spec("cron", cron="0 9 29 2 *")
    assert latest_due(leap, now=utc(2031, 1, 1), since=utc(2000, 1, 1)) == utc(2028, 2, 29, 9)


def test_is_occurrence() -> None:
    s = spec("fortnightly", anchor=date(2026, 3, 16))
    assert is_occurrence(s, utc(2026, 3, 30, 8, 30))
    assert not is_occurrence(s, utc(2026, 3, 23, 8, 30))  # off week
    assert not is_occurrence(s, utc(2026, 3, 30, 9, 30))  # wrong hour


# --------------------------------------------------------------------------- the trigger


def test_build_trigger_is_an_apscheduler_trigger_in_the_zone() -> None:
    s = spec("fortnightly", anchor=date(2026, 12, 14))
    trigger = build_trigger(s)
    assert isinstance(trigger, BaseTrigger)
    first = trigger.get_next_fire_time(None, utc(2026, 12, 15))
    assert first is not None
    assert str(first.tzinfo) == LONDON
    assert first == utc(2026, 12, 28, 9, 30)
    # As the scheduler calls it after a run: the next one after `previous`.
    assert trigger.get_next_fire_time(first, first) == utc(2027, 1, 11, 9, 30)


def test_trigger_first_fire_is_inclusive_like_apschedulers() -> None:
    trigger = build_trigger(spec("daily"))
    assert trigger.get_next_fire_time(None, utc(2026, 1, 5, 9, 30)) == utc(2026, 1, 5, 9, 30)


# --------------------------------------------------------------------------- words


@pytest.mark.parametrize(
    ("s", "text"),
    [
        (spec("daily"), "Every day at 09:30 (Europe/London)"),
        (spec("weekdays", at="8:05"), "Every weekday (Monday to Friday) at 08:05 (Europe/London)"),
        (spec("weekly", weekdays=(MON, THU)), "Every Monday and Thursday at 09:30 (Europe/London)"),
        (
            spec("weekly", weekdays=(MON, WED, FRI), tz="Asia/Kolkata"),
            "Every Monday, Wednesday and Friday at 09:30 (Asia/Kolkata)",
        ),
        (
            spec("fortnightly", anchor=date(2026, 3, 16)),
            "Every other Monday at 09:30 (Europe/London)",
        ),
        (spec("monthly", day_of_month=1), "On the 1st of every month at 09:30 (Europe/London)"),
        (spec("monthly", day_of_month=22), "On the 22nd of every month at 09:30 (Europe/London)"),
        (
            spec("monthly", day_of_month=30),
            "On the 30th of every month (the last day in February) at 09:30 (Europe/London)",
        ),
        (
            spec("monthly", day_of_month=31),
            "On the last day of every month at 09:30 (Europe/London)",
        ),
        (
            spec("cron", cron="30  9 * * 1"),
            "On the cron schedule “30 9 * * 1” (Europe/London)",
        ),
        (
            spec("daily", holidays=frozenset({date(2026, 12, 25), date(2026, 12, 26)})),
            "Every day at 09:30 (Europe/London), except on 2 holidays",
        ),
    ],
)
def test_describe(s: RecurrenceSpec, text: str) -> None:
    assert describe(s) == text


# --------------------------------------------------------------------------- validation


def test_cadence_is_normalised() -> None:
    s = spec(" Weekly ", weekdays=(MON,))
    assert s.cadence is Cadence.weekly
    assert s.cadence == "weekly"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cadence": "hourly"}, "isn't a schedule I know"),
        ({"timezone": "Mars/Olympus"}, "isn't a time zone I know"),
        ({"timezone": ""}, "isn't a time zone I know"),
        ({"local_time": time(9, 30, 15)}, "to the minute"),
        ({"local_time": time(9, 30, tzinfo=UTC)}, "without a time zone"),
        ({"local_time": "09:30"}, "time of day"),
        ({"weekdays": (MON,)}, "Choosing days only works"),
        ({"cadence": "weekdays", "weekdays": (MON,)}, "already means Monday to Friday"),
        ({"cadence": "weekly"}, "needs the days it runs on"),
        ({"cadence": "weekly", "weekdays": (7,)}, "isn't a weekday"),
        ({"cadence": "weekly", "weekdays": (-1,)}, "isn't a weekday"),
        ({"cadence": "fortnightly", "weekdays": (MON,)}, "needs a start date"),
        ({"cadence": "monthly"}, "needs a day of the month"),
        ({"cadence": "monthly", "day_of_month": 0}, "use 1 to 31"),
        ({"cadence": "monthly", "day_of_month": 32}, "use 1 to 31"),
        ({"day_of_month": 3}, "only goes with a monthly"),
        ({"cron": "0 9 * * 1"}, "only goes with the cron schedule"),
        ({"cadence": "cron"}, "needs its expression"),
        ({"cadence": "cron", "cron": "  "}, "needs its expression"),
        ({"anchor": datetime(2026, 1, 1, tzinfo=UTC)}, "should be a date"),
        ({"holidays": frozenset({datetime(2026, 12, 25, tzinfo=UTC)})}, "should be dates"),
    ],
)
def test_invalid_specs_are_refused_kindly(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"cadence": "daily", "local_time": time(9, 30), "timezone": LONDON}
    fields.update(kwargs)
    with pytest.raises(UserFacingError, match=message):
        RecurrenceSpec(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("0 9 * *", "needs five fields .* and has 4"),
        ("0 9 * * 1 2026", "has 6"),
        ("60 9 * * 1", "60 is out of range for the minute; use 0–59"),
        ("0 24 * * 1", "24 is out of range for the hour"),
        ("0 9 0 * *", "out of range for the day of month; use 1–31"),
        ("0 9 * 13 *", "out of range for the month"),
        ("0 9 * * 8", r"use 0–7 \(0 and 7 are both Sunday\)"),
        ("0 9 * * 5-1", "should go from low to high"),
        ("0 9 * * funday", "isn't a number I understand in the day of week field"),
        ("0 9 L * *", "isn't a number I understand"),
        ("0 9 * * 1#2", "isn't a number I understand"),
        ("0 9 * * */0", "whole number above 0"),
        ("0 9 1,,2 * *", "empty item"),
        ("0 9 31 2 *", "never happens"),
        ("0 9 30 2 *", "never happens"),
    ],
)
def test_bad_cron_is_refused_kindly(expr: str, message: str) -> None:
    with pytest.raises(UserFacingError, match=message) as raised:
        spec("cron", cron=expr)
    assert "For example, `30 9 * * 1` means 09:30 every Monday." in raised.value.message


@pytest.mark.parametrize("text", ["25:00", "9.30", "09:60", "nine", "", "9:5"])
def test_parse_time_refuses_what_it_cannot_read(text: str) -> None:
    with pytest.raises(UserFacingError, match="24-hour clock"):
        parse_time(text)


def test_parse_time() -> None:
    assert parse_time("9:30") == time(9, 30)
    assert parse_time(" 17:05 ") == time(17, 5)
    assert parse_time("00:00") == time(0, 0)


def test_next_occurrences_count() -> None:
    s = spec("daily")
    assert next_occurrences(s, utc(2026, 1, 1), 0) == []
    with pytest.raises(ValueError):
        next_occurrences(s, utc(2026, 1, 1), -1)


def test_cron_every_minute_is_allowed():
    spec = RecurrenceSpec(
        cadence="cron", local_time=time(0, 0), timezone="Europe/London", cron="* * * * *"
    )
    start = datetime(2026, 6, 1, 8, 0, 30, tzinfo=UTC)
    assert next_occurrences(spec, start, 3) == [
        datetime(2026, 6, 1, 8, m, tzinfo=UTC) for m in (1, 2, 3)
    ]


@pytest.mark.parametrize(
    "made",
    [
        spec("daily"),
        spec("weekly", weekdays=(0, 3)),
        spec("fortnightly", anchor=date(2026, 3, 2)),
        spec("monthly", anchor=date(2026, 1, 30)),
        spec("cron", cron="15 1-2 * * *"),
    ],
)
def test_a_trigger_keeps_next_fire_times_and_answers_as_a_new_one(made: RecurrenceSpec) -> None:
    kept = build_trigger(made)
    start = utc(2026, 3, 20, 12)  # across the spring change and a February
    previous = kept.get_next_fire_time(None, start)
    for _ in range(40):
        assert previous is not None
        fresh = build_trigger(made)
        later = previous + timedelta(days=3)
        # Asked twice (the second answer is the kept one), from any `now` at or after it.
        for now in (previous, later, previous):
            assert kept.get_next_fire_time(previous, now) == fresh.get_next_fire_time(previous, now)
        # From a `now` before the previous fire time the search starts at `now`: not kept.
        earlier = previous - timedelta(days=2)
        assert kept.get_next_fire_time(previous, earlier) == fresh.get_next_fire_time(
            previous, earlier
        )
        assert kept.get_next_fire_time(previous, earlier) <= previous  # type: ignore[operator]
        previous = kept.get_next_fire_time(previous, later)
