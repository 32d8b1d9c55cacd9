"""Who may see and do what. Decided here, once, for every command, view and scheduled action.

`authorize` is the one gate: every service calls it (or `resolve`, which finds the partnership a
command names first) and asks the `Access` it returns what the actor is there. No service checks
membership, convener or "speaks for" itself.

- People with Manage Server act as conveners of every partnership in their server.
- Conveners (a flag on a membership) configure, archive, manage partners and members.
- Active members read, propose and answer.
- Anyone else learns nothing, not even whether a partnership of that name exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import Forbidden, NotFound, UserFacingError
from bot.services.vocab import OWN_CAPACITY, SPEAKS_FOR_ORGANISATION, Capacity, PartnerStatus
from db import queries
from db.engine import WRITE_OPTION
from db.models import (
    Goal,
    Membership,
    Organisation,
    Partnership,
    TrustRespondent,
    TrustRound,
    name_key,
)


@dataclass(frozen=True)
class Actor:
    """The person acting, as the service layer needs to know them."""

    guild_id: int
    user_id: int
    display_name: str = ""
    manage_guild: bool = False
    manage_channels: bool = False
    role_names: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Where:
    """Where a command was used: its channel and, for a thread, the thread's parent channel."""

    channel_id: int | None = None
    parent_id: int | None = None

    @property
    def channel_ids(self) -> list[int]:
        return [c for c in (self.channel_id, self.parent_id) if c is not None]


@dataclass(frozen=True)
class PartnershipRef:
    """A partnership as a command names it: by the `partnership` option, or by where it is used."""

    name: str | None = None
    where: Where = field(default_factory=Where)


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


@dataclass(frozen=True)
class Access:
    """What the actor is in one partnership: found and checked by `authorize`, once."""

    actor: Actor
    partnership: Partnership
    membership: Membership | None  # None for a server manager who is not a member

    @property
    def partnership_id(self) -> int:
        assert self.partnership.id is not None
        return self.partnership.id

    @property
    def is_convener(self) -> bool:
        """A convener by the flag on their membership."""
        return self.membership is not None and self.membership.is_convener

    @property
    def may_convene(self) -> bool:
        """May act as a convener: a convener, or anyone with Manage Server."""
        return self.actor.manage_guild or self.is_convener

    @property
    def organisation_id(self) -> int | None:
        """The organisation this person speaks for here, as representative or substitute."""
        member = self.membership
        if member is None or member.capacity not in SPEAKS_FOR_ORGANISATION:
            return None
        return member.organisation_id

    @property
    def is_facilitator(self) -> bool:
        """A member with capacity facilitator: represents no organisation, answers no check-in,
        and may read named pairs of rounds opened with `named_pairs`."""
        return self.membership is not None and self.membership.capacity == Capacity.facilitator

    def speaks_for(self, organisation_id: int | None) -> bool:
        """Whether this person is the organisation's representative or substitute here."""
        return organisation_id is not None and self.organisation_id == organisation_id

    def owns(self, *, organisation_id: int | None, user_id: int | None) -> bool:
        """Whether this person speaks for the owner of a record owned by an organisation (its
        representative or substitute) or by a person (that person, as a current member).
        A record with neither owner (the whole collaboration's) is owned by nobody."""
        if organisation_id is not None:
            return self.speaks_for(organisation_id)
        return (
            user_id is not None
            and self.membership is not None
            and self.membership.user_id == user_id
        )

    def check_writable(self, changing: str = "it") -> None:
        """Refuse a change in an archived partnership; `changing` says what would have changed
        ("it", "its goals"). `authorize(writable=True)` asks this; a service that must first
        find the record a command names asks it afterwards, so "not found" still comes first."""
        if self.partnership.is_archived:
            raise UserFacingError(
                f"{self.partnership.name} is archived, so {changing} can't be changed. "
                "Its channel and history are kept."
            )


def not_found(name: str | None) -> NotFound:
    if name:
        return NotFound(f"I can't find a partnership called “{name}” that you belong to.")
    return NotFound("I can't find that partnership among the ones you belong to.")


NO_PARTNERSHIP_HERE = (
    "Which partnership? Use this command in a partnership's channel, "
    "or choose one with the `partnership` option."
)


async def find(session: AsyncSession, guild_id: int, ref: PartnershipRef) -> Partnership | None:
    """The partnership a command means, by name or by where it was used. No permission check."""
    if ref.name and ref.name.strip():
        return await queries.partnership_named(session, guild_id=guild_id, name=ref.name)
    return await queries.partnership_in_channels(
        session, guild_id=guild_id, channel_ids=ref.where.channel_ids
    )


async def authorize(
    session: AsyncSession,
    actor: Actor,
    partnership: Partnership,
    *,
    convener: bool = False,
    writable: bool = False,
    changing: str = "it",
    speaks_for: int | None = None,
    named: str | None = None,
) -> Access:
    """Check the actor may act on `partnership`, and say what they are there.

    - Non-members (without Manage Server) get the same answer as for a partnership that does
      not exist: they learn nothing, not even its name. `named` is the name they typed, if any.
    - `convener`: only conveners (or Manage Server holders) may do it.
    - `writable`: it changes something, so an archived partnership refuses it; `changing` says
      what would have changed ("it", "its goals").
    - `speaks_for`: only that organisation's representative or substitute may do it.
    """
    if partnership.guild_id != actor.guild_id:
        raise not_found(named)
    assert partnership.id is not None
    if await in_write_transaction(session):
        await lock(session, partnership)
    membership = await queries.active_membership(
        session, partnership_id=partnership.id, user_id=actor.user_id
    )
    if membership is None and not actor.manage_guild:
        if named:
            raise not_found(named)
        raise NotFound("This channel belongs to a partnership you are not a member of.")
    access = Access(actor, partnership, membership)
    if convener and not access.may_convene:
        raise Forbidden(f"Only the conveners of {partnership.name} can do that.")
    if speaks_for is not None and not access.speaks_for(speaks_for):
        raise Forbidden(
            "Only that organisation's representative or substitute in "
            f"{partnership.name} can do that."
        )
    if writable:
        access.check_writable(changing)
    return access


async def in_write_transaction(session: AsyncSession) -> bool:
    """Whether `session` runs a write transaction (`db.engine.transaction`)."""
    connection = (await session.connection()).sync_connection
    return connection is not None and bool(connection.get_execution_options().get(WRITE_OPTION))


async def lock(session: AsyncSession, partnership: Partnership) -> None:
    """Serialise a partnership's writes: hold its row until the transaction ends, then read it
    afresh (it may have changed while we waited).

    Every write on a partnership passes the gate, so every write takes this lock first, and one
    partnership's read-check-write rules (the last convener, a schedule's holidays, one
    membership per person) hold on PostgreSQL as on SQLite, where writers already queue. A
    write touching two rows of a partnership (two goals) locks the partnership before either,
    so two such writes can't deadlock. SQLite ignores FOR UPDATE.
    """
    await session.exec(
        select(Partnership.id).where(Partnership.id == partnership.id).with_for_update()
    )
    await session.refresh(partnership)


async def resolve(
    session: AsyncSession,
    actor: Actor,
    ref: PartnershipRef,
    *,
    convener: bool = False,
    writable: bool = False,
    changing: str = "it",
) -> Access:
    """Find the partnership a command means (`find`) and check the actor may use it
    (`authorize`)."""
    named = ref.name if ref.name and ref.name.strip() else None
    partnership = await find(session, actor.guild_id, ref)
    if partnership is None:
        if named:
            raise not_found(named)
        raise UserFacingError(NO_PARTNERSHIP_HERE)
    return await authorize(
        session,
        actor,
        partnership,
        convener=convener,
        writable=writable,
        changing=changing,
        named=named,
    )


async def authorize_by_id(
    session: AsyncSession, actor: Actor, partnership_id: int, **checks: Any
) -> Access | None:
    """`authorize` for a partnership reached through one of its records (a goal, a post),
    or None when the actor may not see it, whatever the reason."""
    partnership = await session.get(Partnership, partnership_id)
    if partnership is None or partnership.guild_id != actor.guild_id:
        return None
    try:
        return await authorize(session, actor, partnership, **checks)
    except NotFound:
        return None


async def visible_partnerships(
    session: AsyncSession, actor: Actor, *, include_archived: bool = True
) -> list[Partnership]:
    """The partnerships this person may see: the ones they belong to, or all for server managers."""
    query = select(Partnership).where(Partnership.guild_id == actor.guild_id)
    if not actor.manage_guild:
        query = query.join(Membership, col(Membership.partnership_id) == col(Partnership.id)).where(
            Membership.user_id == actor.user_id, col(Membership.left_at).is_(None)
        )
    if not include_archived:
        query = query.where(col(Partnership.archived_at).is_(None))
    query = query.order_by(col(Partnership.name_key))
    return list((await session.exec(query)).all())


def may_create_partnerships(actor: Actor, admin_role_name: str) -> bool:
    return (
        actor.manage_channels
        or actor.manage_guild
        or name_key(admin_role_name) in {name_key(r) for r in actor.role_names}
    )


async def convened_partnerships(session: AsyncSession, actor: Actor) -> dict[int, Partnership]:
    """The open partnerships this person may act on as a convener, by id: every one in the
    server for Manage Server holders, else those whose membership carries the flag."""
    visible = {
        p.id: p
        for p in await visible_partnerships(session, actor, include_archived=False)
        if p.id is not None
    }
    if actor.manage_guild:
        return visible
    convening = await queries.convening_partnership_ids(
        session, user_id=actor.user_id, partnership_ids=list(visible)
    )
    return {pid: p for pid, p in visible.items() if pid in convening}


# ---- members


def check_standing_change(access: Access, user_id: int) -> None:
    """Nobody changes their own organisation, capacity or mandate after joining, convener or
    not: who speaks for whom is set by someone else (another convener, or a Manage Server
    holder other than the person), so no one can make themselves an organisation's voice."""
    if user_id == access.actor.user_id:
        raise Forbidden(
            "You can't change your own organisation, capacity or mandate. Ask another convener "
            f"of {access.partnership.name} (or someone with Manage Server) to do it."
        )


# ---- goals: who sets a stance, who keeps, words and labels a goal


def require_convener(access: Access, doing: str) -> None:
    """Only conveners may do this; `doing` completes "Only the conveners of X can …"."""
    if not access.may_convene:
        raise Forbidden(f"Only the conveners of {access.partnership.name} can {doing}.")


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


def check_goal_owner(access: Access, owner: Organisation) -> None:
    """Recording a goal as an organisation's own: its representatives, or a convener."""
    if not (access.speaks_for(owner.id) or access.may_convene):
        raise Forbidden(
            f"Only {owner.name}'s own representatives, or a convener, can "
            f"record a goal as {owner.name}'s."
        )


async def stance_voice(session: AsyncSession, access: Access) -> Voice:
    """Whom this person's stance speaks for here, or why they may not take one: only an
    organisation's representative or substitute sets its stance; people in their own capacity
    speak for themselves; observers and non-members take none."""
    p = access.partnership
    member = access.membership
    if member is None:
        raise Forbidden(
            f"You aren't a member of {p.name}, so there is no stance for you to record. "
            "A convener can add you with `/member add`."
        )
    if access.organisation_id is not None:
        partner = await queries.active_partner_of(
            session, partnership_id=access.partnership_id, organisation_id=access.organisation_id
        )
        if partner is None:
            raise Forbidden(
                f"The organisation you represent is no longer a partner in {p.name}, "
                "so its stance can't be recorded."
            )
        link, org = partner
        return Voice(org.id, org.name, member.capacity, counted=link.status == PartnerStatus.core)
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


# ---- the partnership log: who closes an action


def check_action_closing(access: Access, owner_id: int | None) -> None:
    """An action is closed by its owner (a current member) or a convener."""
    own = (
        owner_id is not None
        and access.membership is not None
        and access.membership.user_id == owner_id
    )
    if not (own or access.may_convene):
        raise Forbidden(
            f"Only the action's owner or a convener of {access.partnership.name} can close it."
        )


# ---- meetings: who attends, who ends one


def check_may_attend(access: Access) -> None:
    """Attendance is recorded for members only (a server manager who isn't one attends nothing)."""
    if access.membership is None:
        raise Forbidden(
            f"You aren't a member of {access.partnership.name}, so your attendance can't be "
            "recorded. A convener can add you with `/member add`."
        )


def check_meeting_ending(access: Access, started_by: int | None) -> None:
    """A meeting is ended by the person who started it or a convener."""
    if not (access.actor.user_id == started_by or access.may_convene):
        raise Forbidden(
            f"Only the person who started the meeting or a convener of "
            f"{access.partnership.name} can end it."
        )
