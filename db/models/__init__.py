"""All tables, one module per feature. Import from here: `from db.models import Partnership`."""

from db.models.audit import ExportRecord, Redaction
from db.models.base import (
    drop_format_characters,
    is_blank,
    metadata,
    name_key,
    stored,
    utcnow,
)
from db.models.goals import Goal, GoalLink, GoalNudgeClaim, GoalPerception, GoalStance
from db.models.notes import ActionReminderClaim
from db.models.reflection import PromptAnswer, PromptPost, ReflectionPrompt
from db.models.register import (
    Event,
    Membership,
    Organisation,
    PartnerOrganisation,
    Partnership,
    PartnershipRelationship,
)
from db.models.scheduling import (
    LIVE_STATES,
    Occurrence,
    OccurrenceState,
    Schedule,
    ScheduleState,
)
from db.models.timers import WAITING_STATES, Timer, TimerState
from db.models.trust import TrustAnswer, TrustRating, TrustRespondent, TrustRound

__all__ = [
    "LIVE_STATES",
    "WAITING_STATES",
    "ActionReminderClaim",
    "Event",
    "ExportRecord",
    "Goal",
    "GoalLink",
    "GoalNudgeClaim",
    "GoalPerception",
    "GoalStance",
    "Membership",
    "Occurrence",
    "OccurrenceState",
    "Organisation",
    "PartnerOrganisation",
    "Partnership",
    "PartnershipRelationship",
    "PromptAnswer",
    "PromptPost",
    "Redaction",
    "ReflectionPrompt",
    "Schedule",
    "ScheduleState",
    "Timer",
    "TimerState",
    "TrustAnswer",
    "TrustRating",
    "TrustRespondent",
    "TrustRound",
    "drop_format_characters",
    "is_blank",
    "metadata",
    "name_key",
    "stored",
    "utcnow",
]
