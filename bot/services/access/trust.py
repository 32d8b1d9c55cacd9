"""Trust check-ins: who answers a round, who rates, who reads named pairs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.errors import Forbidden
from bot.services.access.gate import Access
from bot.services.vocab import OWN_CAPACITY, SPEAKS_FOR_ORGANISATION, Capacity, PartnerStatus
from db.models import Membership, TrustRespondent, TrustRound

# ---- trust check-ins: who answers a round, who rates, who reads named pairs

# Partners whose representatives answer a round; observer, invited and former partners don't.
ANSWERING_PARTNERS = {PartnerStatus.core, PartnerStatus.associate}


@dataclass(frozen=True)
class Answerer:
    """A person who may answer a round, fixed when it opens: for an organisation, or (None) in
    their own capacity, where all such people answer as one group."""

    user_id: int
    organisation_id: int | None


def round_answerers(
    members: Iterable[Membership], partner_status: Mapping[int, str]
) -> list[Answerer]:
    """Who may answer a round opening now, from the active members and the current partners'
    statuses (organisation id → status): representatives and substitutes of core and associate
    partners answer for their organisation; people in their own capacity and citizens answer as
    one group; observers and facilitators never answer, with or without an organisation."""
    found = []
    for member in members:
        if member.left_at is not None:
            continue
        if member.capacity in SPEAKS_FOR_ORGANISATION:
            org = member.organisation_id
            if org is not None and partner_status.get(org) in ANSWERING_PARTNERS:
                found.append(Answerer(member.user_id, org))
        elif member.capacity in OWN_CAPACITY:
            found.append(Answerer(member.user_id, None))
    return found


def check_may_answer(access: Access, respondent: TrustRespondent | None) -> None:
    """Whether this person may answer the open round: only as the person the round fixed when
    it opened (a later member, or one whose role changed since, answers from the next round)."""
    p = access.partnership
    member = access.membership
    if member is None:
        raise Forbidden(
            f"You aren't a member of {p.name}, so there is no check-in for you to answer."
        )
    if member.capacity == Capacity.observer:
        raise Forbidden("Observers follow the partnership but don't answer trust check-ins.")
    if member.capacity == Capacity.facilitator:
        raise Forbidden(
            "As the facilitator you don't answer trust check-ins; you read the results with "
            "everyone else."
        )
    if respondent is None:
        raise Forbidden(
            f"This round of {p.name} was set up before you could answer it (who answers is "
            "fixed when a round opens). You can answer from the next round."
        )
    now_for = access.organisation_id if member.capacity in SPEAKS_FOR_ORGANISATION else None
    if member.capacity not in SPEAKS_FOR_ORGANISATION | OWN_CAPACITY or (
        now_for != respondent.organisation_id
    ):
        raise Forbidden(
            f"Your role in {p.name} has changed since this round opened, so you can answer "
            "from the next round."
        )


def check_may_rate(access: Access, respondent: TrustRespondent | None) -> int:
    """Pairwise ratings: the representatives and substitutes the round fixed for an
    organisation. Returns the organisation they rate for."""
    check_may_answer(access, respondent)
    assert respondent is not None
    if respondent.organisation_id is None:
        raise Forbidden(
            "Pairwise ratings are given by organisations, through their representatives. "
            "You can still answer the check-in."
        )
    return respondent.organisation_id


def may_read_named_pairs(access: Access, trust_round: TrustRound) -> bool:
    """Named pair data (which organisation rated which): only a facilitator, and only for a
    round opened with `named_pairs`, which its invitation announced before anyone rated.
    Conveners and server managers never see it."""
    return access.is_facilitator and trust_round.named_pairs
