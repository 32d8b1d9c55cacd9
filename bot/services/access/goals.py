"""Goals: whose stance counts, who keeps, rewords, labels and links a goal, who records an
organisation's goal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import Forbidden
from bot.services.access.gate import Access
from bot.services.vocab import OWN_CAPACITY, Capacity, Mandate, PartnerStatus
from db import queries
from db.models import Goal, Organisation


@dataclass(frozen=True)
class Voice:
    """Whom a person speaks for when they take a stance (see `stance_voice`)."""

    organisation_id: int | None
    organisation: str | None
    capacity: str
    counted: bool

    @property
    def who(self) -> str:
        return self.organisation or "yourself"


# ---- goals: who sets a stance, who keeps, words and labels a goal


def owns_goal(access: Access, goal: Goal) -> bool:
    """Whether this person speaks for the goal's owner (its organisation, or its person)."""
    return access.owns(organisation_id=goal.owner_organisation_id, user_id=goal.owner_user_id)


def check_goal_keeping(access: Access, goal: Goal) -> None:
    """Progress, review dates and notes: conveners and the goal's owners."""
    if not (access.may_convene or owns_goal(access, goal)):
        raise Forbidden(
            "Progress, review dates and notes are kept by the conveners"
            + (" and the goal's own organisation." if goal.owner_organisation_id else ".")
        )


def check_goal_wording(access: Access, goal: Goal) -> None:
    """Rewording: conveners, the goal's owners and the person who proposed it."""
    if not (
        access.may_convene or owns_goal(access, goal) or goal.proposed_by == access.actor.user_id
    ):
        raise Forbidden(
            "Only the person who proposed a goal, its owners or a convener can reword it."
        )


def check_goal_labels(
    access: Access, goal: Goal, *, sensitive: list[str], owner_name: str | None
) -> None:
    """A goal's dimensions: conveners and its owners; a label that questions a goal (hidden,
    imposed, …) on an organisation's or a person's goal only by its owners. `owner_name` names
    the owning organisation, when there is one."""
    owner = owns_goal(access, goal)
    if sensitive and goal.owner_organisation_id is not None and not owner:
        raise Forbidden(
            f"Only {owner_name or 'its organisation'}'s own representatives can mark this goal "
            f"{' and '.join(sensitive)}. Nobody labels another organisation's goal that way."
        )
    if sensitive and goal.owner_user_id is not None and not owner:
        raise Forbidden(
            f"Only the person whose goal it is can mark this goal {' and '.join(sensitive)}. "
            "Nobody labels another organisation's goal that way."
        )
    if not (access.may_convene or owner):
        raise Forbidden(
            "A goal's dimensions are set by the conveners"
            + (" and the goal's own organisation." if goal.owner_organisation_id else ".")
        )


def check_goal_visibility(access: Access, goal: Goal, before: str, after: str) -> None:
    """Who changes who sees a goal: its owners (its organisation's representatives and
    substitutes, or the person whose goal it is) between any visibilities; conveners between
    the whole partnership and the conveners. An organisation-only goal is its organisation's:
    only its own people open it up or keep it to themselves."""
    if owns_goal(access, goal):
        return
    organisation = "organisation"
    if access.may_convene and organisation not in (before, after):
        return
    if goal.owner_organisation_id is None and goal.owner_user_id is None:
        raise Forbidden("Only a convener can change who sees this goal.")
    raise Forbidden(
        "Only the goal's own organisation (its representatives and substitutes) can change who "
        "sees it"
        + (
            ", and conveners only between the whole partnership and the conveners."
            if organisation not in (before, after)
            else "."
        )
    )


def check_goal_owner(access: Access, owner: Organisation) -> None:
    """Recording a goal as an organisation's own: its representatives, or a convener."""
    if not (access.speaks_for(owner.id) or access.may_convene):
        raise Forbidden(
            f"Only {owner.name}'s own representatives, or a convener, can "
            f"record a goal as {owner.name}'s."
        )


async def stance_voice(
    session: AsyncSession,
    access: Access,
    *,
    partners: Sequence[queries.PartnerRow] | None = None,
) -> Voice:
    """Whom this person's stance speaks for here, or why they may not take one: only an
    organisation's representative or substitute sets its stance; people in their own capacity
    speak for themselves; observers and non-members take none. `partners`: the partnership's
    current partners, when the caller has read them already."""
    p = access.partnership
    member = access.membership
    if member is None:
        raise Forbidden(
            f"You aren't a member of {p.name}, so there is no stance for you to record. "
            "A convener can add you with `/member add`."
        )
    if access.organisation_id is not None:
        partner: tuple[str, int | None, str] | None  # its status, id and name
        if partners is None:
            found = await queries.active_partner_of(
                session,
                partnership_id=access.partnership_id,
                organisation_id=access.organisation_id,
            )
            partner = None if found is None else (found[0].status, found[1].id, found[1].name)
        else:
            partner = next(
                (
                    (p.status, p.organisation_id, p.name)
                    for p in partners  # current partners only
                    if p.organisation_id == access.organisation_id
                ),
                None,
            )
        if partner is None:
            raise Forbidden(
                f"The organisation you represent is no longer a partner in {p.name}, "
                "so its stance can't be recorded."
            )
        status, org_id, org_name = partner
        return Voice(org_id, org_name, member.capacity, counted=status == PartnerStatus.core)
    if member.capacity in OWN_CAPACITY:
        return Voice(None, None, member.capacity, counted=p.count_individuals)
    if member.capacity == Capacity.facilitator:
        raise Forbidden(
            "A facilitator represents no organisation and takes no stance on goals. If you now "
            "speak for an organisation, ask a convener to update your membership."
        )
    raise Forbidden(
        "Observers follow goals but don't take a stance on them. If you now speak for an "
        "organisation, ask a convener to update your membership."
    )


def must_refer_back(access: Access, voice: Voice) -> bool:
    """Whether this person's agreement for their organisation is given subject to referral:
    their mandate says they must refer back to it first (Huxham & Vangen 2000)."""
    member = access.membership
    return (
        voice.organisation_id is not None
        and member is not None
        and member.mandate == Mandate.must_refer_back
    )


def check_may_confirm(access: Access, voice: Voice, given_by: int) -> None:
    """Confirming an organisation's stance given subject to referral: the representative who
    gave it (back from the referral), or another of its representatives or substitutes whose
    mandate is to commit it."""
    member = access.membership
    if (
        member is not None
        and voice.organisation_id is not None
        and access.speaks_for(voice.organisation_id)
        and (member.user_id == given_by or member.mandate == Mandate.can_commit)
    ):
        return
    org = voice.organisation or "the organisation"
    raise Forbidden(
        f"A stance subject to referral is confirmed by the person who gave it, or by another "
        f"of {org}'s representatives who can commit it, and your mandate doesn't say you can. "
        "A convener can update mandates with `/member update`."
    )


async def response_voice(session: AsyncSession, access: Access, goal: Goal) -> Voice:
    """Which organisation this person's response to an organisation's or a person's goal
    speaks for, or why they may not respond: the same rule as stances (its representatives and
    substitutes), but only organisations respond, and never to their own goal."""
    if goal.owner_user_id is not None and goal.owner_user_id == access.actor.user_id:
        raise Forbidden(
            "This is your own goal, so there is nothing for you to respond to: the other "
            "organisations say how it sits with their aims."
        )
    voice = await stance_voice(session, access)
    if voice.organisation_id is None:
        raise Forbidden(
            "Responses to an organisation's or a person's goal come from the partner "
            "organisations, through their representatives and substitutes. Say what you think "
            "in the partnership's channel instead."
        )
    if voice.organisation_id == goal.owner_organisation_id:
        raise Forbidden(
            f"This is {voice.organisation}'s own goal, so {voice.organisation} doesn't respond "
            "to it: the other organisations say how it sits with their aims."
        )
    return voice


def check_goal_sharing(access: Access, goal: Goal) -> None:
    """Only the person whose goal it is shares an individual-level goal with the partnership."""
    if goal.owner_user_id != access.actor.user_id:
        raise Forbidden("Only the person whose goal it is can share it with the partnership.")


async def reading_voice(session: AsyncSession, access: Access) -> Voice:
    """The organisation whose reading of a goal this person records (`/goal perceive`): only
    its representative or substitute, while it is a current partner. People in their own
    capacity, observers and facilitators speak for no organisation here."""
    p = access.partnership
    if access.organisation_id is None:
        raise Forbidden(
            "Only an organisation's representative or substitute records how their "
            "organisation reads a goal. The partnership's working view is the one the "
            "conveners set with `/goal classify`."
        )
    partner = await queries.active_partner_of(
        session, partnership_id=access.partnership_id, organisation_id=access.organisation_id
    )
    if partner is None:
        raise Forbidden(
            f"The organisation you represent is no longer a partner in {p.name}, "
            "so its reading can't be recorded."
        )
    link, org = partner
    assert access.membership is not None
    return Voice(
        org.id, org.name, access.membership.capacity, counted=link.status == PartnerStatus.core
    )
