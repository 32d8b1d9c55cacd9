"""The words of goals: the six dimensions, statuses, stances and relations, and their limits.

The dimensions are Vangen & Huxham's (2012): level, origin, authenticity, relevance, content and
overtness. Stored values are the enum values; the words users see come from `describe_value`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from bot.errors import UserFacingError
from bot.services.text import choice
from bot.services.vocab import Phase, label

if TYPE_CHECKING:
    from bot.services.goals.rows import AnyGoal


class Level(StrEnum):
    """Whose goal it is."""

    collaboration = "collaboration"
    organisation = "organisation"
    individual = "individual"


class Origin(StrEnum):
    members = "members"
    external = "external"  # an external stakeholder: a funder, a statutory duty
    unknown = "unknown"


class Authenticity(StrEnum):
    genuine = "genuine"
    pseudo = "pseudo"  # professed, not pursued
    unassessed = "unassessed"


class Relevance(StrEnum):
    needs_collaboration = "needs_collaboration"
    achievable_alone = "achievable_alone"
    unassessed = "unassessed"


class Content(StrEnum):
    process = "process"  # how we work
    substantive = "substantive"  # what we achieve


class Overtness(StrEnum):
    explicit = "explicit"
    unstated = "unstated"  # assumed
    hidden = "hidden"


class GoalStatus(StrEnum):
    proposed = "proposed"
    agreed = "agreed"
    in_progress = "in_progress"
    achieved = "achieved"
    dropped = "dropped"
    superseded = "superseded"


class GoalVisibility(StrEnum):
    """Who sees a goal (`lookup.may_see`)."""

    partnership = "partnership"  # every member (the default)
    conveners = "conveners"  # the conveners, the owning organisation's people, the proposer
    organisation = "organisation"  # the owning organisation's people and the proposer only


VISIBILITY_WORDS: dict[str, str] = {
    GoalVisibility.partnership: "the whole partnership",
    GoalVisibility.conveners: "the conveners and its owners",
    GoalVisibility.organisation: "its own organisation",
}


class Stance(StrEnum):
    agree = "agree"
    reservations = "reservations"
    unsure = "unsure"
    object = "object"


class Referral(StrEnum):
    """Where a stance stands with the organisation behind it (mandates, Huxham & Vangen 2000)."""

    none = "none"  # given by someone whose word stands (or before mandates were recorded)
    pending = "pending"  # subject to referral: shown, not counted, until confirmed
    confirmed = "confirmed"  # the organisation confirmed a stance given subject to referral


class Response(StrEnum):
    """How another organisation meets an organisation's or a person's goal (Vangen & Huxham
    2012: the tangled web is about whether partners know a goal, whether it fits, and whether
    it pulls against theirs). There is no agreed state for these goals."""

    compatible = "compatible"
    in_tension = "in_tension"
    no_effect = "no_effect"
    didnt_know = "didnt_know"


class Relation(StrEnum):
    contributes_to = "contributes_to"
    part_of = "part_of"
    in_tension_with = "in_tension_with"


DIMENSIONS: dict[str, type[StrEnum]] = {
    "level": Level,
    "origin": Origin,
    "authenticity": Authenticity,
    "relevance": Relevance,
    "content": Content,
    "overtness": Overtness,
}

# The words users see, where the stored value alone says too little.
DIMENSION_HELP: dict[str, str] = {
    Origin.members: "the members",
    Origin.external: "an external stakeholder (funder, statutory duty)",
    Origin.unknown: "unknown",
    Authenticity.pseudo: "pseudo (professed, not pursued)",
    Relevance.needs_collaboration: "needs the collaboration",
    Relevance.achievable_alone: "could be achieved alone",
    Content.process: "process (how we work)",
    Content.substantive: "substantive (what we achieve)",
    Overtness.unstated: "unstated (assumed)",
}

STANCE_WORDS: dict[str, str] = {
    Stance.agree: "agrees with",
    Stance.reservations: "has reservations about",
    Stance.unsure: "is unsure about",
    Stance.object: "objects to",
}

# The words of the response buttons and of the `response` choices.
RESPONSE_LABELS: dict[str, str] = {
    Response.compatible: "compatible",
    Response.in_tension: "in tension",
    Response.no_effect: "doesn't affect us",
    Response.didnt_know: "didn't know",
}

# How a sentence says it: “Food Bank finds goal #12 … compatible with its own aims.”
RESPONSE_WORDS: dict[str, str] = {
    Response.compatible: "finds {goal} compatible with its own aims",
    Response.in_tension: "finds {goal} in tension with its own aims",
    Response.no_effect: "says {goal} doesn't affect it",
    Response.didnt_know: "didn't know about {goal}",
}

RELATION_WORDS: dict[str, tuple[str, str]] = {
    # relation: (from the linking goal's side, from the linked goal's side)
    Relation.contributes_to: ("contributes to", "is helped by"),
    Relation.part_of: ("is part of", "has part"),
    Relation.in_tension_with: ("is in tension with", "is in tension with"),
}

REFERRAL_WORDS: dict[str, str] = {
    Referral.none: "no referral: the stance stands as given",
    Referral.pending: "subject to referral: awaiting the organisation's confirmation, not counted",
    Referral.confirmed: "confirmed after referral back to the organisation",
}

# Goals that take responses (no agreed state) rather than stances: organisations' and people's.
RESPONDED_LEVELS = frozenset({Level.organisation, Level.individual})
CLOSED = frozenset({GoalStatus.achieved, GoalStatus.dropped, GoalStatus.superseded})
SUPPORTIVE = frozenset({Stance.agree, Stance.reservations})
ACYCLIC = frozenset({Relation.part_of, Relation.contributes_to})
# Labels only a goal's owners may give it: nobody labels another organisation's goal so.
SENSITIVE: dict[str, set[str]] = {
    "authenticity": {Authenticity.pseudo},
    "overtness": {Overtness.unstated, Overtness.hidden},
}

# The dimensions an organisation records its own reading of (`/goal perceive`): each partner
# may see a goal's origin, relevance and content differently (Vangen & Huxham 2012).
PERCEIVED: dict[str, type[StrEnum]] = {
    "origin": Origin,
    "relevance": Relevance,
    "content": Content,
}

TITLE_MAX = 200
ORIGIN_DETAIL_MAX = 200
DESCRIPTION_MAX = 2000
COMMENT_MAX = 1000
NOTE_MAX = 1000
STALE_DAYS = 30
CLEAR_WORDS = frozenset({"none", "clear", "-"})


def describe_value(value: object) -> str:
    """A dimension's or status's value in the words users see."""
    text = "none" if value is None else str(value)
    return DIMENSION_HELP.get(text, label(text))


def goal_name(goal: AnyGoal) -> str:
    """How a sentence names a goal: `goal #12 “Shared data”`."""
    return f"goal #{goal.id} “{goal.title}”"


def takes_responses(goal: AnyGoal) -> bool:
    """An organisation's or a person's goal: the other organisations respond, nobody agrees."""
    return goal.level in RESPONDED_LEVELS


def response_text(response: str) -> str:
    """A response as users read it; an older stance kept in the history reads as itself."""
    return RESPONSE_LABELS.get(response, label(response))


def check_progress(progress: int | None) -> int | None:
    """A progress percentage, or a polite error when it is outside 0 to 100."""
    if progress is not None and not (0 <= progress <= 100):
        raise UserFacingError(
            f"Progress is a percentage from 0 to 100; {progress} is outside that range."
        )
    return progress


# `/goal classify phase:none` clears the co-production phase a goal concerns.
NO_PHASE = "none"


def parse_phase(phase: str | None) -> str | None:
    """A co-production phase as typed, any case (Nabatchi, Sancino & Sicilia 2017); `none` or
    nothing: no phase."""
    if phase is None or phase.strip().lower() == NO_PHASE:
        return None
    return choice(phase, Phase, what="co-production phase")
