"""Schedules of every kind of scheduled action: when they run (`spec`), what cogs see of them
(`views`), how a kind is described (`kind`), and their lifecycle (`service`).

The engine that runs their occurrences is `bot.scheduling`; the actions are registered there by
the cogs that know how to post.
"""

from bot.services.schedules.kind import ScheduleKind, ScheduleListener, no_options
from bot.services.schedules.service import UPCOMING, ScheduleService
from bot.services.schedules.spec import (
    CADENCE_LABELS,
    CRON_TIME,
    DEFAULT_TIME,
    MAX_HOLIDAYS,
    build_spec,
    describe_schedule,
    local_midnight_utc,
    parse_cadence,
    parse_day_of_month,
    parse_holidays,
    parse_schedule_ref,
    parse_weekdays,
    spec_of,
)
from bot.services.schedules.views import (
    OccurrenceView,
    ScheduleSummary,
    ScheduleView,
    SkipResult,
)

__all__ = [
    "CADENCE_LABELS",
    "CRON_TIME",
    "DEFAULT_TIME",
    "MAX_HOLIDAYS",
    "UPCOMING",
    "OccurrenceView",
    "ScheduleKind",
    "ScheduleListener",
    "ScheduleService",
    "ScheduleSummary",
    "ScheduleView",
    "SkipResult",
    "build_spec",
    "describe_schedule",
    "local_midnight_utc",
    "no_options",
    "parse_cadence",
    "parse_day_of_month",
    "parse_holidays",
    "parse_schedule_ref",
    "parse_weekdays",
    "spec_of",
]
