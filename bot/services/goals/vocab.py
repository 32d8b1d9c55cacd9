"""The words of goals: the six dimensions, statuses, stances and relations, and their limits.

The dimensions are Vangen & Huxham's (2012): level, origin, authenticity, relevance, content and
overtness. Stored values are the enum values; the words users see come from `describe_value`.
"""

from __future__ import annotations

from enum import StrEnum

from bot.errors import UserFacingError
from bot.services.text import choice
from bot.services.vocab import Phase, label
from db.models import Goal


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


class Stance(StrEnum):
    agree = "agree"
    reservations = "reservations"
    unsure = "unsure"
    object = "object"


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

RELATION_WORDS: dict[str, tuple[str, str]] = {
    # relation: (from the linking goal's side, from the linked goal's side)
    Relation.contributes_to: ("contributes to", "is helped by"),
    Relation.part_of: ("is part of", "has part"),
    Relation.in_tension_with: ("is in tension with", "is in tension with"),
}

CLOSED = frozenset({GoalStatus.achieved, GoalStatus.dropped, GoalStatus.superseded})
SUPPORTIVE = frozenset({Stance.agree, Stance.reservations})
ACYCLIC = frozenset({Relation.part_of, Relation.contributes_to})
# Labels only a goal's owners may give it: nobody labels another organisation's goal so.
SENSITIVE: dict[str, set[str]] = {
    "authenticity": {Authenticity.pseudo},
    "overtness": {Overtness.unstated, Overtness.hidden},
}

TITLE_MAX = 200
DESCRIPTION_MAX = 2000
COMMENT_MAX = 1000
NOTE_MAX = 1000
STALE_DAYS = 30
CLEAR_WORDS = frozenset({"none", "clear", "-"})


def describe_value(value: object) -> str:
    """A dimension's or status's value in the words users see."""
    text = "none" if value is None else str(value)
    return DIMENSION_HELP.get(text, label(text))


def goal_name(goal: Goal) -> str:
    """How a sentence names a goal: `goal #12 “Shared data”`."""
    return f"goal #{goal.id} “{goal.title}”"


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
