"""Goals: the tangled web, agreed organisation by organisation (domain notes §2).

- A goal carries the six dimensions of Vangen & Huxham (2012), a status, a progress that stays
  unset until someone sets it, and an optional review date.
- Organisations take stances through their representatives and substitutes; people in their
  own capacity (individuals, citizens) are heard and shown, and count as one voice each only
  when the partnership's `count_individuals` is on. Observers can't take a stance. Stances are
  append-only; the latest per voice counts.
- The partnership's rule decides *agreed* (`agreement`); agreement is an event, recorded once.
- Links: contributes to, part of, in tension with. Loops of part-of and contributes-to are
  refused. A goal with parts and no progress of its own shows the mean of its parts' (`web`).
- Only an organisation's own representatives call its goal pseudo, unstated or hidden.
- Every change is an event in the partnership log, in the same transaction (`events`).

The modules: `vocab` (words and limits), `cards` (what cogs receive), `web` (the loaded web),
`agreement` (the rules of agreement and voice), `lookup` (finding goals), `events` (log
entries), `readings` (each organisation's own reading of a goal, and their spread), `perceive`
(recording one), `service` (`GoalService`). This package re-exports what cogs and tests use.
"""

from bot.services.goals.announce import Announcement
from bot.services.goals.cards import (
    REVIEW_KINDS,
    ChangeResult,
    GoalCard,
    GoalTarget,
    LinkResult,
    LinkView,
    OrgLine,
    PerceptionResult,
    PersonLine,
    ReviewItem,
    ReviewReason,
    StanceResult,
    StanceView,
    Standing,
    Tally,
    Voice,
)
from bot.services.goals.lookup import goal_not_found
from bot.services.goals.nudges import Nudge, NudgeService, Recipient, awaits_agreement
from bot.services.goals.readings import Reading, Readings
from bot.services.goals.service import GoalService
from bot.services.goals.vocab import (
    ACYCLIC,
    CLEAR_WORDS,
    CLOSED,
    COMMENT_MAX,
    DESCRIPTION_MAX,
    DIMENSION_HELP,
    DIMENSIONS,
    NOTE_MAX,
    ORIGIN_DETAIL_MAX,
    PERCEIVED,
    RELATION_WORDS,
    SENSITIVE,
    STALE_DAYS,
    STANCE_WORDS,
    SUPPORTIVE,
    TITLE_MAX,
    Authenticity,
    Content,
    GoalStatus,
    Level,
    Origin,
    Overtness,
    Relation,
    Relevance,
    Stance,
    check_progress,
    describe_value,
    goal_name,
)
from bot.services.goals.web import GoalWeb

__all__ = [
    "ACYCLIC",
    "CLEAR_WORDS",
    "CLOSED",
    "COMMENT_MAX",
    "DESCRIPTION_MAX",
    "DIMENSIONS",
    "DIMENSION_HELP",
    "NOTE_MAX",
    "ORIGIN_DETAIL_MAX",
    "PERCEIVED",
    "RELATION_WORDS",
    "REVIEW_KINDS",
    "SENSITIVE",
    "STALE_DAYS",
    "STANCE_WORDS",
    "SUPPORTIVE",
    "TITLE_MAX",
    "Announcement",
    "Authenticity",
    "ChangeResult",
    "Content",
    "GoalCard",
    "GoalService",
    "GoalStatus",
    "GoalTarget",
    "GoalWeb",
    "Level",
    "LinkResult",
    "LinkView",
    "Nudge",
    "NudgeService",
    "OrgLine",
    "Origin",
    "Overtness",
    "PerceptionResult",
    "PersonLine",
    "Reading",
    "Readings",
    "Recipient",
    "Relation",
    "Relevance",
    "ReviewItem",
    "ReviewReason",
    "Stance",
    "StanceResult",
    "StanceView",
    "Standing",
    "Tally",
    "Voice",
    "awaits_agreement",
    "check_progress",
    "describe_value",
    "goal_name",
    "goal_not_found",
]
