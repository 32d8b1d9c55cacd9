"""Who may see and do what, decided here once: `gate` finds a partnership and checks the actor
(`find`, `authorize`, `resolve`, `Access`); each feature's rules of who may do what sit in a
module of their own (`members`, `goals`, `trust`, `log`), built on the gate. Import from here."""

from bot.services.access.gate import (
    NO_PARTNERSHIP_HERE,
    Access,
    Actor,
    PartnershipRef,
    Where,
    authorize,
    authorize_by_id,
    convened_partnerships,
    find,
    in_write_transaction,
    lock,
    may_create_partnerships,
    not_found,
    require_convener,
    resolve,
    visible_partnerships,
)
from bot.services.access.goals import (
    Voice,
    check_goal_keeping,
    check_goal_labels,
    check_goal_owner,
    check_goal_wording,
    owns_goal,
    stance_voice,
)
from bot.services.access.log import (
    check_action_closing,
    check_may_attend,
    check_may_export,
    check_meeting_ending,
)
from bot.services.access.members import (
    check_standing_change,
)
from bot.services.access.trust import (
    ANSWERING_PARTNERS,
    Answerer,
    check_may_answer,
    check_may_rate,
    may_read_named_pairs,
    round_answerers,
)

__all__ = [
    "ANSWERING_PARTNERS",
    "NO_PARTNERSHIP_HERE",
    "Access",
    "Actor",
    "Answerer",
    "PartnershipRef",
    "Voice",
    "Where",
    "authorize",
    "authorize_by_id",
    "check_action_closing",
    "check_goal_keeping",
    "check_goal_labels",
    "check_goal_owner",
    "check_goal_wording",
    "check_may_answer",
    "check_may_attend",
    "check_may_export",
    "check_may_rate",
    "check_meeting_ending",
    "check_standing_change",
    "convened_partnerships",
    "find",
    "in_write_transaction",
    "lock",
    "may_create_partnerships",
    "may_read_named_pairs",
    "not_found",
    "owns_goal",
    "require_convener",
    "resolve",
    "round_answerers",
    "stance_voice",
    "visible_partnerships",
]
