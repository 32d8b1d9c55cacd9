"""Every vocabulary the CSV codebook lists: its values, what each means, and the concept and
source behind it.

The values come from the code's own vocabularies (`bot.services.vocab`,
`bot.services.goals.vocab`, `bot.services.notes`, `bot.services.trust.vocab`, the prompt themes),
so a value added there is in the next codebook. What a value means comes from the words the code
already shows people where it has them, and from here where it has none (a value with no words
anywhere reads as its label; a test checks there is none). Concepts and sources are the
collaboration research the models come from (the domain notes). The codebook's own column types
are a vocabulary too, kept here with the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.prompts import THEMES
from bot.services.export.document import Audience
from bot.services.goals.readings import READING_WORDS
from bot.services.goals.vocab import (
    DIMENSION_HELP,
    DIMENSIONS,
    PERCEIVED,
    REFERRAL_WORDS,
    RELATION_WORDS,
    RESPONSE_WORDS,
    STANCE_WORDS,
    GoalStatus,
    Referral,
    Relation,
    Response,
    Stance,
)
from bot.services.notes.service import DONE, OPEN, OVERDUE
from bot.services.notes.vocab import NoteKind
from bot.services.reflection.visibility import Visibility
from bot.services.vocab import (
    COMMITMENT_HELP,
    PHASE_HELP,
    RELATIONSHIP_HELP,
    AgreementRule,
    Capacity,
    Commitment,
    Mandate,
    PartnerStatus,
    Phase,
    Relationship,
    Sector,
    label,
)

# ---- sources

PARTNERBOT = "Partnerbot"
MEMBERSHIP = (
    "Huxham & Vangen (2000), Ambiguity, complexity and dynamics in the membership of "
    "collaboration, Human Relations 53(6)"
)
GOALS = (
    "Vangen & Huxham (2012), The tangled web: unraveling the principle of common goals in "
    "collaborations, JPART 22(4)"
)
TRUST = (
    "Vangen & Huxham (2003), Nurturing collaborative relations: building trust in "
    "inter-organizational collaboration, JABS 39(1)"
)
THEMES_SOURCE = "Huxham & Vangen (2005), Managing to Collaborate"
INERTIA = (
    "Huxham & Vangen (2004), Doing things collaboratively: realizing the advantage or "
    "succumbing to inertia?, Organizational Dynamics 33(2); Huxham & Vangen (2005), Managing "
    "to Collaborate"
)
COPRODUCTION = (
    "Sancino & Jacklin-Jarvis (2016), Co-production and inter-organisational collaboration in "
    "the provision of public services: a critical discussion, doi 10.1007/978-3-319-30558-5_2"
)
PARTICIPATION = (
    "Nabatchi, Sancino & Sicilia (2017), Varieties of participation in public services, PAR 77(5)"
)
NETWORK = "PARTNER tool (Varda et al.): trust between organisations and network scores"

# ---- concepts

WEB = "the tangled web of goals"
COMMON_GOALS = "common goals, agreed organisation by organisation"
KEPT = "commitments kept: the “expectations met” arc of the trust-building loop"
SMALL_WINS = "small wins that reinforce trust"
CAPACITY = "membership: in what capacity a person takes part"
MANDATE = "membership: what a representative may commit their organisation to"
STATUS = "membership: ambiguity about who is a member"
RELATIONSHIP = "how co-production relates to inter-organisational collaboration"
PHASE = "the phases of the service cycle in which citizens co-produce"
THEME = "themes of collaborative advantage and inertia"
SELF_VIEW = "membership: partners disagree about who is a member and in what status"
PERCEIVED_GOALS = "goals are variously perceived: each organisation's own reading of a goal"


@dataclass(frozen=True)
class Value:
    """One value of a vocabulary column: what it means, and the concept and source behind it."""

    value: str
    meaning: str
    concept: str = ""
    source: str = ""


def vocabulary(
    values: Iterable[str], meanings: Mapping[Any, str], concept: str, source: str
) -> tuple[Value, ...]:
    """Every value of a vocabulary; one without words of its own reads as its label."""
    return tuple(Value(str(v), meanings.get(v) or label(str(v)), concept, source) for v in values)


# ---- the meanings the code has no words for

SECTOR_MEANINGS: dict[str, str] = {
    Sector.public: "a public body: a council, a government department or agency",
    Sector.health: "a health body: an NHS trust, a GP practice, a health board",
    Sector.voluntary: "a voluntary organisation or charity",
    Sector.social_enterprise: "a social enterprise: trading for a social purpose",
    Sector.private: "a private business",
    Sector.community_group: "a community group, such as a residents' or parents' forum",
    Sector.academic: "a university or research body",
    Sector.other: "none of the above",
}
STATUS_MEANINGS: dict[str, str] = {
    PartnerStatus.core: "a full partner: its stance counts toward a goal's agreement",
    PartnerStatus.associate: "takes part; its stance is shown, not counted",
    PartnerStatus.observer: "follows the partnership; its stance is shown, not counted",
    PartnerStatus.invited: "asked to join, not yet taking part",
    PartnerStatus.former: "has left the partnership; its history stays",
}
CAPACITY_MEANINGS: dict[str, str] = {
    Capacity.representative: "speaks for their organisation and sets its stance on goals",
    Capacity.substitute: "speaks for their organisation in a representative's place",
    Capacity.observer: "follows the partnership without speaking for anyone; takes no stance",
    Capacity.individual: "takes part in their own capacity, for no organisation",
    Capacity.citizen: "a citizen or service user taking part in their own capacity",
    Capacity.facilitator: (
        "represents no organisation and answers no check-in; may read the named pairs of a "
        "check-in round announced that way"
    ),
}
MANDATE_MEANINGS: dict[str, str] = {
    Mandate.can_commit: "may commit their organisation",
    Mandate.agree_in_principle: "may agree in principle; a commitment needs the organisation",
    Mandate.must_refer_back: "must refer back to their organisation before agreeing",
}
AGREEMENT_MEANINGS: dict[str, str] = {
    AgreementRule.consensus: (
        "a goal is agreed when every active core organisation agrees or has reservations and "
        "none objects"
    ),
    AgreementRule.majority: (
        "a goal is agreed when more than half of the active core organisations agree or have "
        "reservations"
    ),
}
AUDIENCE_MEANINGS: dict[str, str] = {
    Audience.internal: "for the partnership: everything the exporting member may see",
    Audience.external: (
        "for boards, funders and residents: organisations only, no person named anywhere, no "
        "reflection answers, stance comments, readings' origin details, sensitive goal labels or "
        "individual-level goals"
    ),
}
DIMENSION_QUESTIONS: dict[str, str] = {
    "level": "whose goal it is",
    "origin": "where the goal comes from",
    "authenticity": "whether the goal is pursued as professed",
    "relevance": "whether the goal needs the collaboration",
    "content": "whether the goal is about how we work or what we achieve",
    "overtness": "whether the goal is said aloud",
}
GOAL_MEANINGS: dict[str, str] = {
    **DIMENSION_HELP,
    "collaboration": "a goal of the collaboration as a whole",
    "organisation": "a goal of one member organisation",
    "individual": "a goal of one person",
    "genuine": "genuine (pursued as professed)",
    "unassessed": "not yet assessed",
    "explicit": "explicit (said openly)",
    "hidden": "hidden (kept from partners)",
}
GOAL_STATUS_MEANINGS: dict[str, str] = {
    GoalStatus.proposed: "proposed, not yet agreed",
    GoalStatus.agreed: "agreed under the partnership's agreement rule",
    GoalStatus.in_progress: "being worked on",
    GoalStatus.achieved: "achieved",
    GoalStatus.dropped: "given up",
    GoalStatus.superseded: "replaced by another goal",
}
NOTE_MEANINGS: dict[str, str] = {
    NoteKind.note: "a note for the record",
    NoteKind.decision: "a decision, which may name a goal and a date to review it",
    NoteKind.action: "a commitment: an owner and a due date",
    NoteKind.small_win: "something achieved together, however small",
    NoteKind.risk: "a risk to the partnership's work",
}
NOTE_CONCEPTS: dict[str, tuple[str, str]] = {
    NoteKind.action: (KEPT, TRUST),
    NoteKind.small_win: (SMALL_WINS, TRUST),
}
ACTION_STATE_MEANINGS: dict[str, str] = {
    OPEN: "not yet done; its due date has not passed",
    OVERDUE: "not yet done; its due date has passed in the partnership's time zone",
    DONE: "closed by its owner or a convener",
}
THEME_SOURCES: dict[str, str] = {
    "coproduction": f"{COPRODUCTION}; {PARTICIPATION}",
    "small_wins": TRUST,
    "trust": TRUST,
    "goals": GOALS,
    "membership": MEMBERSHIP,
    "inertia": INERTIA,
}

# ---- the vocabularies


class ColumnType(StrEnum):
    integer = "integer"
    number = "number"
    boolean = "boolean"
    date = "date"
    datetime = "datetime"
    text = "text"
    free_text = "free_text"
    code = "code"
    person = "person"
    discord_id = "discord_id"
    link = "link"
    json = "json"


TYPE_MEANINGS: dict[str, str] = {
    ColumnType.integer: "a whole number",
    ColumnType.number: "a decimal number, with a point",
    ColumnType.boolean: "true or false",
    ColumnType.date: "a date, YYYY-MM-DD, in the partnership's time zone",
    ColumnType.datetime: "a moment in ISO 8601 with its offset, always UTC (+00:00)",
    ColumnType.text: "text: a name, a key or a sentence Partnerbot wrote",
    ColumnType.free_text: (
        "text people typed; empty in a pseudonymised export unless text was kept; a removed "
        "text reads “removed at the author's request”"
    ),
    ColumnType.code: "a value of one of Partnerbot's vocabularies, each listed in this codebook",
    ColumnType.person: (
        "a person's display name (a stable pseudonym when pseudonymised); internal exports only"
    ),
    ColumnType.discord_id: "a Discord user id; internal exports that are not pseudonymised only",
    ColumnType.link: "a link to a Discord message; left out of pseudonymised exports",
    ColumnType.json: (
        "the stored record as JSON; left out of pseudonymised exports (it may hold Discord ids)"
    ),
}
# The codebook's own `type` column: a column's type, or what else a row describes.
ROW_TYPES: dict[str, str] = {
    **TYPE_MEANINGS,
    "file": "a row describing a file",
    "value": "a row describing one value of a column",
}


SECTORS = vocabulary(Sector, SECTOR_MEANINGS, "", PARTNERBOT)
STATUSES = vocabulary(PartnerStatus, STATUS_MEANINGS, STATUS, MEMBERSHIP)
CAPACITIES = vocabulary(Capacity, CAPACITY_MEANINGS, CAPACITY, MEMBERSHIP)
MANDATES = vocabulary(Mandate, MANDATE_MEANINGS, MANDATE, MEMBERSHIP)
AGREEMENT_RULES = vocabulary(AgreementRule, AGREEMENT_MEANINGS, COMMON_GOALS, GOALS)
RELATIONSHIPS = vocabulary(Relationship, RELATIONSHIP_HELP, RELATIONSHIP, COPRODUCTION)
PHASES = vocabulary(Phase, PHASE_HELP, PHASE, PARTICIPATION)
AUDIENCES = vocabulary(Audience, AUDIENCE_MEANINGS, "", PARTNERBOT)
GOAL_STATUSES = vocabulary(GoalStatus, GOAL_STATUS_MEANINGS, "", PARTNERBOT)
SELF_STATUSES = vocabulary(
    (s for s in PartnerStatus if s is not PartnerStatus.former),
    STATUS_MEANINGS,
    SELF_VIEW,
    MEMBERSHIP,
)
COMMITMENTS = vocabulary(Commitment, COMMITMENT_HELP, SELF_VIEW, MEMBERSHIP)
PERCEIVED_DIMENSIONS = tuple(
    Value(name, DIMENSION_QUESTIONS[name], PERCEIVED_GOALS, GOALS) for name in PERCEIVED
)
READINGS = tuple(
    Value(str(value), f"{name}: seen as {READING_WORDS[name][value]}", PERCEIVED_GOALS, GOALS)
    for name, enum in PERCEIVED.items()
    for value in enum
)
ACTION_STATES = vocabulary(ACTION_STATE_MEANINGS, ACTION_STATE_MEANINGS, KEPT, TRUST)
STANCES = tuple(
    Value(str(stance), f"the voice {STANCE_WORDS[stance]} the goal", COMMON_GOALS, GOALS)
    for stance in Stance
) + tuple(
    Value(
        str(response),
        "a response to an organisation's or a person's goal (no agreement): the organisation "
        + RESPONSE_WORDS[response].format(goal="the goal"),
        WEB,
        GOALS,
    )
    for response in Response
)
REFERRALS = vocabulary(Referral, REFERRAL_WORDS, MANDATE, MEMBERSHIP)
RELATIONS = tuple(
    Value(str(relation), f"the from_goal {RELATION_WORDS[relation][0]} the to_goal", WEB, GOALS)
    for relation in Relation
)
THEMES_VALUES = tuple(
    Value(
        theme.key,
        f"{theme.label}: {theme.description}",
        THEME,
        THEME_SOURCES.get(theme.key, THEMES_SOURCE),
    )
    for theme in THEMES.values()
)
VISIBILITY_MEANINGS = {
    Visibility.named: "answers shared with their author's name; in internal exports with it",
    Visibility.anonymous: (
        "answers shown without any name, only once answers from at least k organisations "
        "existed; exported without author, organisation or time, and only from then"
    ),
    Visibility.private: "each answer seen only by its author; never exported",
}
VISIBILITIES = vocabulary(
    Visibility, VISIBILITY_MEANINGS, "who sees a reflection answer", PARTNERBOT
)
NOTE_KINDS = tuple(
    Value(str(kind), NOTE_MEANINGS.get(kind) or label(kind), *NOTE_CONCEPTS.get(kind, ("", "")))
    for kind in NoteKind
)


def dimension(name: str) -> tuple[Value, ...]:
    """The values of one of the goal web's dimensions."""
    return vocabulary(DIMENSIONS[name], GOAL_MEANINGS, dimension_concept(name), GOALS)


def dimension_concept(name: str) -> str:
    return f"{WEB}, {name}: {DIMENSION_QUESTIONS.get(name, label(name))}"
