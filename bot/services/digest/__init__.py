"""The weekly digest (`/partnership configure digest:weekly`): one message a week in the
partnership's channel, on the schedule engine (kind "digest"). See `service`."""

from bot.services.digest.kind import DIGEST_SCHEDULES, SCHEDULE_KIND
from bot.services.digest.service import DigestService
from bot.services.digest.views import (
    Digest,
    DigestAction,
    DigestGoal,
    DigestSetting,
    ReflectionCount,
)

__all__ = [
    "DIGEST_SCHEDULES",
    "SCHEDULE_KIND",
    "Digest",
    "DigestAction",
    "DigestGoal",
    "DigestService",
    "DigestSetting",
    "ReflectionCount",
]
