"""The vocabularies of the register (domain notes §1), with the words users see."""

from __future__ import annotations

from enum import StrEnum


class Sector(StrEnum):
    public = "public"
    health = "health"
    voluntary = "voluntary"
    social_enterprise = "social_enterprise"
    private = "private"
    community_group = "community_group"
    academic = "academic"
    other = "other"


class PartnerStatus(StrEnum):
    core = "core"
    associate = "associate"
    observer = "observer"
    invited = "invited"
    former = "former"


class Capacity(StrEnum):
    representative = "representative"
    substitute = "substitute"
    observer = "observer"
    individual = "individual"
    citizen = "citizen"
    # Represents no organisation, answers no check-in, and may read a round's named pairs
    # when the round was opened with `named_pairs` (an independent facilitator).
    facilitator = "facilitator"


class Mandate(StrEnum):
    can_commit = "can_commit"
    agree_in_principle = "agree_in_principle"
    must_refer_back = "must_refer_back"


class Commitment(StrEnum):
    """How committed an organisation says it is (its own view, `/partner self-view`)."""

    high = "high"
    medium = "medium"
    low = "low"


class Relationship(StrEnum):
    """How co-production relates to the collaboration (Sancino & Jacklin-Jarvis 2016)."""

    antecedent = "antecedent"
    enabler = "enabler"
    complementary = "complementary"
    alternative = "alternative"
    unclear = "unclear"


class AgreementRule(StrEnum):
    consensus = "consensus"
    majority = "majority"


class Digest(StrEnum):
    """How often the partnership's digest is posted in its channel."""

    weekly = "weekly"
    off = "off"


class Phase(StrEnum):
    """Phases of the service cycle citizens take part in (Nabatchi, Sancino & Sicilia 2017)."""

    commissioning = "commissioning"
    design = "design"
    delivery = "delivery"
    assessment = "assessment"


class CoproductionLevel(StrEnum):
    """Levels at which citizens co-produce (Nabatchi, Sancino & Sicilia 2017)."""

    individual = "individual"
    group = "group"
    collective = "collective"


# What a value means, in words short enough to sit beside it in a Discord option's list of
# choices ("antecedent: working with citizens … led to this partnership"; at most 100
# characters with the value's label). `/partnership info` and the codebook use them too.
RELATIONSHIP_HELP = {
    Relationship.antecedent: "working with citizens (co-production) led to this partnership",
    Relationship.enabler: "this partnership makes working with citizens possible",
    Relationship.complementary: "working with citizens runs alongside it: distinct, complementary",
    Relationship.alternative: "working with citizens and this partnership are alternatives",
    Relationship.unclear: "not yet clear",
}
PHASE_HELP = {
    Phase.commissioning: "deciding what is needed and who provides it",
    Phase.design: "shaping how the service will work",
    Phase.delivery: "providing the service",
    Phase.assessment: "judging how well it works",
}
COPRODUCTION_LEVEL_HELP = {
    CoproductionLevel.individual: "citizens one by one, for their own benefit",
    CoproductionLevel.group: "a group of citizens, such as a forum, for its members",
    CoproductionLevel.collective: "citizens on behalf of a whole community",
}
CAPACITY_HELP = {
    Capacity.representative: "speaks for their organisation and sets its stance",
    Capacity.substitute: "speaks for their organisation in the representative's place",
    Capacity.observer: "follows the partnership; takes no stance",
    Capacity.individual: "takes part in their own capacity, for no organisation",
    Capacity.citizen: "a citizen or service user, in their own capacity",
    Capacity.facilitator: "independent; represents no organisation, answers no check-in",
}
MANDATE_HELP = {
    Mandate.can_commit: "may commit their organisation",
    Mandate.agree_in_principle: "may agree in principle; the organisation confirms",
    Mandate.must_refer_back: "must refer back to their organisation first",
}
STATUS_HELP = {
    PartnerStatus.core: "a full partner: its stance counts toward agreement",
    PartnerStatus.associate: "takes part and answers check-ins; its stance is shown, not counted",
    PartnerStatus.observer: "follows the partnership; its stance is shown, not counted",
    PartnerStatus.invited: "asked to join, not yet taking part",
    PartnerStatus.former: "has left; its history stays",
}
COMMITMENT_HELP = {
    Commitment.high: "a priority: we put time and resources in",
    Commitment.medium: "we take part as time allows",
    Commitment.low: "we follow from a distance for now",
}
AGREEMENT_HELP = {
    AgreementRule.consensus: "every core organisation agrees or has reservations, none objects",
    AgreementRule.majority: "more than half of the core organisations agree or have reservations",
}

# Capacities that speak for an organisation (and may set its stance).
SPEAKS_FOR_ORGANISATION = {Capacity.representative, Capacity.substitute}
# Capacities that need an organisation, and those that must not have one.
NEEDS_ORGANISATION = {Capacity.representative, Capacity.substitute}
OWN_CAPACITY = {Capacity.individual, Capacity.citizen}
NO_ORGANISATION = OWN_CAPACITY | {Capacity.facilitator}

# Discord's and our own limits.
NAME_MAX = 100
PURPOSE_MAX = 1000
ORG_NAME_MAX = 100
MIN_ANONYMITY_THRESHOLD = 2
MAX_ANONYMITY_THRESHOLD = 50


def label(value: str) -> str:
    """`social_enterprise` → `social enterprise`."""
    return value.replace("_", " ")


# An observer *person* (capacity) and an observing *organisation* (status) share a stored
# value; in choices and replies each reads so that they cannot be confused.
CAPACITY_WORDS: dict[str, str] = {Capacity.observer: "observer (person)"}
STATUS_WORDS: dict[str, str] = {PartnerStatus.observer: "observing organisation"}


def capacity_label(value: str) -> str:
    """A capacity as people read it: `observer` → "observer (person)"."""
    return CAPACITY_WORDS.get(value, label(value))


def status_label(value: str) -> str:
    """A partner status as people read it: `observer` → "observing organisation"."""
    return STATUS_WORDS.get(value, label(value))


def status_phrase(value: str) -> str:
    """A partner status after "as" or "is now": "a core partner", "an observing organisation"."""
    words = status_label(value)
    return with_article(words if value in STATUS_WORDS else f"{words} partner")


def with_article(noun: str) -> str:
    """`a` or `an` and the noun: "an organisation", "a collaboration" (by its first letter:
    enough for our own labels)."""
    return f"{'an' if noun[:1].casefold() in 'aeiou' else 'a'} {noun}"
