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


class Phase(StrEnum):
    """Phases of the service cycle citizens take part in (Nabatchi, Sancino & Sicilia 2017)."""

    commissioning = "commissioning"
    design = "design"
    delivery = "delivery"
    assessment = "assessment"


RELATIONSHIP_HELP = {
    Relationship.antecedent: "co-production led to the collaboration",
    Relationship.enabler: "the collaboration enables co-production",
    Relationship.complementary: "distinct but complementary",
    Relationship.alternative: "alternative strategies",
    Relationship.unclear: "not yet clear",
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
