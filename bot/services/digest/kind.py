"""The weekly digest as a kind of schedule: the words the schedule lifecycle uses for it.

A partnership has at most one digest schedule, made and cancelled by `DigestService` when a
convener turns the `digest` setting on or off; it takes no options of its own.
"""

from __future__ import annotations

from datetime import time

from bot.services.schedules import ScheduleKind

SCHEDULE_KIND = "digest"
# When the weekly digest is posted, in the partnership's time zone.
DIGEST_DAY = "mon"
DIGEST_TIME = time(9, 0)

DIGEST_SCHEDULES = ScheduleKind(
    key=SCHEDULE_KIND,
    noun="weekly digest schedule",
    short_noun="digest schedule",
    created="scheduled the weekly digest",
    command="/partnership configure digest",
    max_live=1,
)
