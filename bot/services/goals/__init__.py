"""Goals: the tangled web, agreed organisation by organisation (domain notes §2).

- A goal carries the six dimensions of Vangen & Huxham (2012), a status, a progress that stays
  unset until someone sets it, and an optional review date.
- Organisations take stances through their representatives and substitutes; people in their
  own capacity (individuals, citizens) are heard and shown, and count as one voice each only
  when the partnership's `count_individuals` is on. Observers can't take a stance. Stances are
  append-only; the latest per voice counts. A representative who must refer back agrees subject
  to referral: not counted until the organisation confirms (`referral`).
- The partnership's rule decides *agreed* (`agreement`); agreement is an event, recorded once.
- Links: contributes to, part of, in tension with. Loops of part-of and contributes-to are
  refused. A goal with parts and no progress of its own shows the mean of its parts' (`web`).
- Organisation- and individual-level goals have no agreed state: the other organisations
  respond (compatible, in tension, doesn't affect us, didn't know; `responses`), and a
  collaboration goal's card shows the web around it. An individual-level goal is its owner's
  alone until shared (`lookup.shared`).
- Only an organisation's own representatives call its goal pseudo, unstated or hidden.
- A goal is seen by the whole partnership (default), by the conveners and its owners, or by
  its own organisation only (`lookup.may_see`, the one place that decides); `sharing` changes
  it. A goal you may not see is not found, listed, linked, announced, digested or exported.
- Every change is an event in the partnership log, in the same transaction (`events`).

The modules: `vocab` (words and limits), `cards` (what cogs receive), `web` (the loaded web),
`agreement` (the rules of agreement and voice), `referral` (stances subject to referral and
their confirmation), `responses` (responses and sharing of individual goals), `lookup` (finding
goals, who sees them), `sharing` (changing who sees a goal), `events` (log entries), `service`
(`GoalService`). This package re-exports what cogs and tests use.
`agreement` (the rules of agreement and voice), `lookup` (finding goals), `events` (log
entries), `readings` (each organisation's own reading of a goal, and their spread), `perceive`
(recording one), `service` (`GoalService`). This package re-exports what cogs and tests use.
"""

from bot.services.goals.announce import Announcement
from bot.services.goals.cards import (
    REVIEW_KINDS,
    ChangeResult,
    Fit,
    GoalCard,
    GoalTarget,
    LinkResult,
    LinkView,
    OrgLine,
    PerceptionResult,
    PersonLine,
    ResponseResult,
    ReviewItem,
    ReviewReason,
    StanceResult,
    StanceView,
    Standing,
    Tally,
    VisibilityResult,
    Voice,
    WebLine,
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
    REFERRAL_WORDS,
    RELATION_WORDS,
    RESPONSE_LABELS,
    RESPONSE_WORDS,
    SENSITIVE,
    STALE_DAYS,
    STANCE_WORDS,
    SUPPORTIVE,
    TITLE_MAX,
    VISIBILITY_WORDS,
    Authenticity,
    Content,
    GoalStatus,
    GoalVisibility,
    Level,
    Origin,
    Overtness,
    Referral,
    Relation,
    Relevance,
    Response,
    Stance,
    check_progress,
    describe_value,
    goal_name,
    response_text,
    takes_responses,
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
    "REFERRAL_WORDS",
    "RELATION_WORDS",
    "RESPONSE_LABELS",
    "RESPONSE_WORDS",
    "REVIEW_KINDS",
    "SENSITIVE",
    "STALE_DAYS",
    "STANCE_WORDS",
    "SUPPORTIVE",
    "TITLE_MAX",
    "VISIBILITY_WORDS",
    "Announcement",
    "Authenticity",
    "ChangeResult",
    "Content",
    "Fit",
    "GoalCard",
    "GoalService",
    "GoalStatus",
    "GoalTarget",
    "GoalVisibility",
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
    "Referral",
    "Relation",
    "Relevance",
    "Response",
    "ResponseResult",
    "ReviewItem",
    "ReviewReason",
    "Stance",
    "StanceResult",
    "StanceView",
    "Standing",
    "Tally",
    "VisibilityResult",
    "Voice",
    "WebLine",
    "awaits_agreement",
    "check_progress",
    "describe_value",
    "goal_name",
    "goal_not_found",
    "response_text",
    "takes_responses",
]
