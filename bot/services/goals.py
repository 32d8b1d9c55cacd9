"""Goals: the tangled web, agreed organisation by organisation (domain notes §2).

- A goal carries the six dimensions of Vangen & Huxham (2012), a status, a progress that stays
  unset until someone sets it, and an optional review date.
- Organisations take stances through their representatives and substitutes; people in their
  own capacity (individuals, citizens) are heard and shown, and count as one voice each only
  when the partnership's `count_individuals` is on. Observers can't take a stance. Stances are
  append-only; the latest per voice counts.
- The partnership's rule decides *agreed*: consensus (every active core organisation agrees or
  has reservations, none objects) or majority (more than half of them agree or have
  reservations); either needs at least one core organisation. Agreement is an event: it is
  recorded once, on the stance that met the rule, and nothing later reverts it.
- Links: contributes to, part of, in tension with. Loops of part-of and contributes-to are
  refused. A goal with parts and no progress of its own shows the mean of its parts' progress.
- Only an organisation's own representatives call its goal pseudo, unstated or hidden.
- Every change is an event in the partnership log, in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import Forbidden, NotFound, UserFacingError
from bot.services import log
from bot.services.access import (
    Access,
    Actor,
    PartnershipRef,
    authorize_by_id,
    resolve,
    visible_partnerships,
)
from bot.services.text import choice, clean_text
from bot.services.timeutil import parse_date, zone
from bot.services.vocab import OWN_CAPACITY, SPEAKS_FOR_ORGANISATION, PartnerStatus, label
from db.engine import SessionFactory, transaction
from db.models import (
    Goal,
    GoalLink,
    GoalStance,
    Membership,
    Organisation,
    PartnerOrganisation,
    Partnership,
    name_key,
    utcnow,
)

# --------------------------------------------------------------------------- vocabularies


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
    text = "none" if value is None else str(value)
    return DIMENSION_HELP.get(text, label(text))


def goal_name(goal: Goal) -> str:
    return f"goal #{goal.id} “{goal.title}”"


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class StanceView:
    stance: str
    comment: str | None
    user_id: int
    display_name: str
    recorded_at: datetime


@dataclass(frozen=True)
class OrgLine:
    """One active partner organisation in a goal's agreement matrix."""

    organisation_id: int
    name: str
    status: str  # its status in the partnership: core, associate …
    latest: StanceView | None
    counts: bool  # core organisations count toward agreement
    not_yet_asked: bool  # joined after the goal was agreed, and has no stance
    since_agreement: bool  # its latest stance came after the goal was agreed


@dataclass(frozen=True)
class PersonLine:
    """A person in their own capacity (individual or citizen)."""

    user_id: int
    display_name: str
    capacity: str
    latest: StanceView | None
    counts: bool
    since_agreement: bool


@dataclass(frozen=True)
class Tally:
    rule: str
    count_individuals: bool
    core: int  # active core organisations
    voices: int  # voices that count: core organisations, plus people when the setting is on
    supportive: int  # counted voices that agree or have reservations
    objecting: int  # counted voices that object
    organisations: int  # active organisations, all statuses
    organisations_with_stance: int
    breakdown: dict[str, int]  # latest stances of the active organisations: congruence
    met: bool

    @property
    def needed(self) -> int:
        """Supportive voices the rule needs."""
        if self.rule == "majority":
            return self.voices // 2 + 1
        return self.voices


@dataclass(frozen=True)
class LinkView:
    relation: str
    outgoing: bool  # this goal is the one that links (contributes to / is part of …)
    other_id: int
    other_title: str
    other_status: str

    @property
    def words(self) -> str:
        forward, backward = RELATION_WORDS[self.relation]
        return forward if self.outgoing else backward


@dataclass(frozen=True)
class GoalCard:
    """Everything shown about one goal: the goal, its matrix, tally, progress and links."""

    goal: Goal
    partnership: Partnership
    owner_organisation: str | None
    organisations: list[OrgLine]
    people: list[PersonLine]
    tally: Tally
    progress: int | None  # its own, or the mean of its parts'
    rolled_up: bool  # progress is the mean of its parts
    parts: int  # goals that are part of it
    links: list[LinkView]

    @property
    def id(self) -> int:
        assert self.goal.id is not None
        return self.goal.id

    @property
    def open(self) -> bool:
        """Stances can still be taken: the goal is not closed, the partnership not archived."""
        return self.goal.status not in CLOSED and not self.partnership.is_archived

    @property
    def agreed(self) -> bool:
        return self.goal.agreed_at is not None


@dataclass(frozen=True)
class Voice:
    """Whom a person speaks for when they take a stance."""

    organisation_id: int | None
    organisation: str | None
    capacity: str
    counted: bool

    @property
    def who(self) -> str:
        return self.organisation or "yourself"


@dataclass(frozen=True)
class GoalTarget:
    """A goal as a command names it: its id (`12`, `#12`) or exact title, in a partnership."""

    goal: str
    partnership: PartnershipRef = field(default_factory=PartnershipRef)

    @classmethod
    def by_id(cls, goal_id: int) -> GoalTarget:
        return cls(str(goal_id))


@dataclass(frozen=True)
class Standing:
    goal_id: int
    title: str
    voice: Voice


@dataclass(frozen=True)
class StanceResult:
    card: GoalCard
    voice: Voice
    stance: str
    previous: str | None
    agreed_now: bool


@dataclass(frozen=True)
class ChangeResult:
    card: GoalCard
    changes: dict[str, tuple[Any, Any]]
    note: str | None
    touched: list[int]  # goals whose posted message should be refreshed


@dataclass(frozen=True)
class LinkResult:
    card: GoalCard
    other: GoalCard
    relation: str
    touched: list[int]


@dataclass(frozen=True)
class ReviewReason:
    """One thing that needs attention. `kind` is one of REVIEW_KINDS."""

    kind: str
    names: tuple[str, ...] = ()
    day: date | None = None
    moment: datetime | None = None


REVIEW_KINDS = (
    "review_due",
    "objection",
    "since_agreement",
    "awaiting",
    "not_yet_asked",
    "stale",
    "rule_met",
)


@dataclass(frozen=True)
class ReviewItem:
    goal_id: int
    title: str
    status: str
    reasons: list[ReviewReason]


# --------------------------------------------------------------------------- validation


def clean_long_text(value: str | None, *, what: str, limit: int) -> str:
    """Text that may span lines: trimmed, inner line breaks kept."""
    text = "\n".join(line.rstrip() for line in (value or "").strip().splitlines())
    if len(text) > limit:
        raise UserFacingError(f"The {what} is {len(text)} characters; the limit is {limit}.")
    return text


def check_progress(progress: int | None) -> int | None:
    if progress is not None and not (0 <= progress <= 100):
        raise UserFacingError(
            f"Progress is a percentage from 0 to 100; {progress} is outside that range."
        )
    return progress


def goal_not_found(text: str | None = None, partnership: Partnership | None = None) -> NotFound:
    if text and partnership is not None:
        return NotFound(
            f"I can't find a goal “{text}” in {partnership.name}. "
            "Choose one from the list as you type, or give its number."
        )
    return NotFound("I can't find that goal among the partnerships you belong to.")


def message_link(p: Partnership, goal: Goal) -> str | None:
    """The goal's posted message, for the log (exports link back to it)."""
    if goal.channel_id is None or goal.message_id is None:
        return None
    return f"https://discord.com/channels/{p.guild_id}/{goal.channel_id}/{goal.message_id}"


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


# --------------------------------------------------------------------------- the web


@dataclass
class _Web:
    """A partnership's goals, partners, people, stances and links, loaded once per call."""

    partnership: Partnership
    goals: dict[int, Goal]
    partners: list[tuple[PartnerOrganisation, Organisation]]
    people: list[Membership]
    stances: dict[int, list[GoalStance]]  # by goal, in the order recorded
    links: list[GoalLink]
    org_names: dict[int, str]

    def parts_of(self, goal_id: int) -> list[int]:
        return [
            link.from_goal_id
            for link in self.links
            if link.relation == Relation.part_of and link.to_goal_id == goal_id
        ]

    def progress(self, goal_id: int, seen: frozenset[int] = frozenset()) -> tuple[int | None, bool]:
        """(progress, rolled up): its own, else the mean of its parts that have progress.

        Dropped and superseded parts are left out of the mean.
        """
        goal = self.goals[goal_id]
        if goal.progress is not None:
            return goal.progress, False
        values = []
        for part in self.parts_of(goal_id):
            if part in seen or self.goals[part].status in (
                GoalStatus.dropped,
                GoalStatus.superseded,
            ):
                continue
            value, _ = self.progress(part, seen | {goal_id})
            if value is not None:
                values.append(value)
        if not values:
            return None, False
        return round(sum(values) / len(values)), True

    def ancestors(self, goal_id: int) -> list[int]:
        """Goals this one is part of, directly or not: their rolled-up progress may change."""
        found: list[int] = []
        stack = [goal_id]
        while stack:
            current = stack.pop()
            for link in self.links:
                if (
                    link.relation == Relation.part_of
                    and link.from_goal_id == current
                    and link.to_goal_id not in found
                    and link.to_goal_id != goal_id
                ):
                    found.append(link.to_goal_id)
                    stack.append(link.to_goal_id)
        return found

    def reaches(self, start: int, target: int) -> bool:
        """Whether `start` leads to `target` along part-of and contributes-to links."""
        edges: dict[int, list[int]] = defaultdict(list)
        for link in self.links:
            if link.relation in ACYCLIC:
                edges[link.from_goal_id].append(link.to_goal_id)
        stack, seen = [start], {start}
        while stack:
            current = stack.pop()
            if current == target:
                return True
            for nxt in edges[current]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return False

    def card(self, goal: Goal) -> GoalCard:
        assert goal.id is not None
        p = self.partnership
        latest_org: dict[int, GoalStance] = {}
        latest_person: dict[int, GoalStance] = {}
        for stance in self.stances.get(goal.id, []):
            if stance.organisation_id is not None:
                latest_org[stance.organisation_id] = stance
            else:
                latest_person[stance.user_id] = stance
        agreed_at = goal.agreed_at

        def after_agreement(stance: GoalStance | None) -> bool:
            return bool(stance and agreed_at and stance.recorded_at > agreed_at)

        organisations = []
        for partner, org in self.partners:
            assert org.id is not None
            org_stance = latest_org.get(org.id)
            organisations.append(
                OrgLine(
                    organisation_id=org.id,
                    name=org.name,
                    status=partner.status,
                    latest=_stance_view(org_stance),
                    counts=partner.status == PartnerStatus.core,
                    not_yet_asked=org_stance is None
                    and agreed_at is not None
                    and partner.joined_at > agreed_at,
                    since_agreement=after_agreement(org_stance),
                )
            )
        organisations.sort(key=lambda o: (not o.counts, name_key(o.name)))
        people = []
        for member in self.people:
            person_stance = latest_person.get(member.user_id)
            if person_stance is None and not p.count_individuals:
                continue  # not counted and silent: nothing to show
            people.append(
                PersonLine(
                    user_id=member.user_id,
                    display_name=member.display_name
                    or (person_stance.display_name if person_stance else ""),
                    capacity=member.capacity,
                    latest=_stance_view(person_stance),
                    counts=p.count_individuals,
                    since_agreement=after_agreement(person_stance),
                )
            )
        people.sort(key=lambda m: name_key(m.display_name))
        progress, rolled_up = self.progress(goal.id)
        links = []
        for goal_link in self.links:
            if goal.id not in (goal_link.from_goal_id, goal_link.to_goal_id):
                continue
            outgoing = goal_link.from_goal_id == goal.id
            other = self.goals[goal_link.to_goal_id if outgoing else goal_link.from_goal_id]
            assert other.id is not None
            links.append(
                LinkView(goal_link.relation, outgoing, other.id, other.title, other.status)
            )
        links.sort(key=lambda link: (link.relation, not link.outgoing, link.other_id))
        owner = self.org_names.get(goal.owner_organisation_id or 0)
        return GoalCard(
            goal=goal,
            partnership=p,
            owner_organisation=owner,
            organisations=organisations,
            people=people,
            tally=_tally(p, organisations, people),
            progress=progress,
            rolled_up=rolled_up,
            parts=len(self.parts_of(goal.id)),
            links=links,
        )


def _stance_view(stance: GoalStance | None) -> StanceView | None:
    if stance is None:
        return None
    return StanceView(
        stance.stance, stance.comment, stance.user_id, stance.display_name, stance.recorded_at
    )


def _tally(p: Partnership, organisations: list[OrgLine], people: list[PersonLine]) -> Tally:
    counted: list[StanceView | None] = [o.latest for o in organisations if o.counts]
    core = len(counted)
    counted += [m.latest for m in people if m.counts]
    supportive = sum(1 for s in counted if s is not None and s.stance in SUPPORTIVE)
    objecting = sum(1 for s in counted if s is not None and s.stance == Stance.object)
    breakdown = {s.value: 0 for s in Stance}
    for line in organisations:
        if line.latest is not None:
            breakdown[line.latest.stance] += 1
    voices = len(counted)
    if p.agreement_rule == "majority":
        met = core > 0 and supportive * 2 > voices
    else:
        met = core > 0 and supportive == voices
    return Tally(
        rule=p.agreement_rule,
        count_individuals=p.count_individuals,
        core=core,
        voices=voices,
        supportive=supportive,
        objecting=objecting,
        organisations=len(organisations),
        organisations_with_stance=sum(1 for o in organisations if o.latest is not None),
        breakdown=breakdown,
        met=met,
    )


# --------------------------------------------------------------------------- service


class GoalService:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    # ---- proposing

    async def propose(
        self,
        actor: Actor,
        ref: PartnershipRef,
        *,
        title: str,
        description: str | None = None,
        level: str | None = None,
        content: str | None = None,
        origin: str | None = None,
        organisation: str | None = None,
        review_on: str | None = None,
    ) -> GoalCard:
        """Record a new goal, proposed; the cog then posts it with its agreement matrix."""
        clean_title = clean_text(title, what="title", limit=TITLE_MAX)
        clean_description = clean_long_text(description, what="description", limit=DESCRIPTION_MAX)
        level_value = choice(level, Level, what="level")
        content_value = choice(content, Content, what="content") or Content.substantive
        origin_value = choice(origin, Origin, what="origin") or Origin.members
        review_day = parse_date(review_on, option="review_on") if review_on else None
        org_name = organisation.strip() if organisation and organisation.strip() else None
        if level_value is None:
            level_value = Level.organisation if org_name else Level.collaboration
        if org_name and level_value != Level.organisation:
            raise UserFacingError(
                f"Only an organisation's goal has an owner organisation, and this one is "
                f"{label(level_value)}-level. Choose level organisation, or leave out "
                "`organisation`."
            )
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, writable=True)
            p = access.partnership
            member = access.membership
            owner_org: Organisation | None = None
            owner_user: int | None = None
            if level_value == Level.organisation:
                if org_name:
                    owner_org = await _active_partner_org(session, p, org_name)
                    speaks = _speaks_for(member, owner_org.id)
                    if not (speaks or _convener(actor, access)):
                        raise Forbidden(
                            f"Only {owner_org.name}'s own representatives, or a convener, can "
                            f"record a goal as {owner_org.name}'s."
                        )
                elif member is not None and _speaks_for(member, member.organisation_id):
                    own = await session.get(Organisation, member.organisation_id)
                    if own is not None:
                        owner_org = await _active_partner_org(session, p, own.name)
                if owner_org is None:
                    raise UserFacingError(
                        "An organisation's goal needs its organisation: choose one with "
                        "`organisation`."
                    )
            elif level_value == Level.individual:
                owner_user = actor.user_id
            goal = Goal(
                partnership_id=p.id,  # type: ignore[arg-type]
                title=clean_title,
                title_key=name_key(clean_title),
                description=clean_description,
                level=level_value,
                origin=origin_value,
                content=content_value,
                owner_organisation_id=owner_org.id if owner_org else None,
                owner_user_id=owner_user,
                review_on=review_day,
                proposed_by=actor.user_id,
            )
            session.add(goal)
            await session.flush()
            owner = f" for {owner_org.name}" if owner_org else ""
            await log.record(
                session,
                p,
                "goal.proposed",
                f"{actor.display_name or 'Someone'} proposed {label(level_value)}-level "
                f"{goal_name(goal)}{owner}.",
                actor_id=actor.user_id,
                payload={
                    "goal_id": goal.id,
                    "title": goal.title,
                    "description": goal.description,
                    "level": goal.level,
                    "origin": goal.origin,
                    "content": goal.content,
                    "authenticity": goal.authenticity,
                    "relevance": goal.relevance,
                    "overtness": goal.overtness,
                    "owner_organisation_id": goal.owner_organisation_id,
                    "owner_organisation": owner_org.name if owner_org else None,
                    "owner_user_id": owner_user,
                    "status": goal.status,
                    "review_on": _jsonable(review_day),
                },
            )
            return (await _load_web(session, p)).card(goal)

    async def attach_message(self, goal_id: int, channel_id: int, message_id: int) -> None:
        """Remember the posted proposal, so it can be edited in place as stances arrive."""
        async with transaction(self.sessions) as session:
            goal = await session.get(Goal, goal_id)
            if goal is not None:
                goal.channel_id = channel_id
                goal.message_id = message_id
                session.add(goal)

    async def posted_goal_ids(self, partnership_id: int) -> list[int]:
        """Open goals of a partnership that have a posted message to keep up to date."""
        async with self.sessions() as session:
            rows = await session.exec(
                select(Goal.id).where(
                    Goal.partnership_id == partnership_id,
                    col(Goal.message_id).is_not(None),
                    col(Goal.status).not_in(list(CLOSED)),
                )
            )
            return [r for r in rows.all() if r is not None]

    async def message_card(self, goal_id: int) -> GoalCard | None:
        """The card for a goal's posted message, after a change already authorised."""
        async with self.sessions() as session:
            goal = await session.get(Goal, goal_id)
            if goal is None or goal.message_id is None:
                return None
            p = await session.get(Partnership, goal.partnership_id)
            assert p is not None
            return (await _load_web(session, p)).card(goal)

    # ---- stances

    async def standing(self, actor: Actor, goal_id: int) -> Standing:
        """Check, before a form opens, that this person may take a stance on the goal now."""
        async with self.sessions() as session:
            access, goal = await self._locate(session, actor, GoalTarget.by_id(goal_id))
            self._check_writable(access)
            _ensure_open(goal)
            voice = await _voice(session, access)
            assert goal.id is not None
            return Standing(goal.id, goal.title, voice)

    async def endorse(
        self, actor: Actor, target: GoalTarget, stance: str, comment: str | None = None
    ) -> StanceResult:
        """Record the stance of the organisation this person speaks for (or their own)."""
        stance_value = choice(stance, Stance, what="stance")
        assert stance_value is not None
        clean_comment = clean_long_text(comment, what="comment", limit=COMMENT_MAX) or None
        async with transaction(self.sessions) as session:
            access, goal = await self._locate(session, actor, target, lock=True)
            self._check_writable(access)
            _ensure_open(goal)
            p = access.partnership
            voice = await _voice(session, access)
            assert goal.id is not None
            previous = await _latest_stance(session, goal.id, voice, actor.user_id)
            row = GoalStance(
                goal_id=goal.id,
                organisation_id=voice.organisation_id,
                user_id=actor.user_id,
                display_name=(actor.display_name or "")[:100],
                capacity=voice.capacity,
                stance=stance_value,
                comment=clean_comment,
            )
            session.add(row)
            await session.flush()
            who = actor.display_name or "Someone"
            counted = "" if voice.counted else " (shown, not counted toward agreement)"
            if voice.organisation:
                summary = (
                    f"{voice.organisation} {STANCE_WORDS[stance_value]} {goal_name(goal)}, "
                    f"recorded by {who}{counted}."
                )
            else:
                summary = (
                    f"{who}, in their own capacity, {STANCE_WORDS[stance_value]} "
                    f"{goal_name(goal)}{counted}."
                )
            await log.record(
                session,
                p,
                "goal.stance",
                summary,
                actor_id=actor.user_id,
                message_link=message_link(p, goal),
                payload={
                    "goal_id": goal.id,
                    "title": goal.title,
                    "stance": stance_value,
                    "previous": previous,
                    "comment": clean_comment,
                    "voice": "organisation" if voice.organisation_id else "person",
                    "organisation_id": voice.organisation_id,
                    "organisation": voice.organisation,
                    "user_id": actor.user_id,
                    "display_name": actor.display_name,
                    "capacity": voice.capacity,
                    "counted": voice.counted,
                },
            )
            web = await _load_web(session, p)
            card = web.card(goal)
            agreed_now = False
            if goal.agreed_at is None and card.tally.met:
                await _mark_agreed(session, actor, goal, card, by_stance=row, voice=voice)
                agreed_now = True
            goal.updated_at = utcnow()
            session.add(goal)
            await session.flush()
            if agreed_now:
                card = web.card(goal)
            return StanceResult(card, voice, stance_value, previous, agreed_now)

    # ---- reading

    async def show(self, actor: Actor, target: GoalTarget) -> GoalCard:
        async with self.sessions() as session:
            access, goal = await self._locate(session, actor, target)
            return (await _load_web(session, access.partnership)).card(goal)

    async def list_goals(
        self,
        actor: Actor,
        ref: PartnershipRef,
        *,
        status: str | None = None,
        level: str | None = None,
    ) -> tuple[Partnership, list[GoalCard]]:
        status_value = choice(status, GoalStatus, what="status")
        level_value = choice(level, Level, what="level")
        async with self.sessions() as session:
            access = await resolve(session, actor, ref)
            web = await _load_web(session, access.partnership)
            cards = [
                web.card(g)
                for g in sorted(web.goals.values(), key=lambda g: g.id or 0)
                if (status_value is None or g.status == status_value)
                and (level_value is None or g.level == level_value)
            ]
            return access.partnership, cards

    async def review(
        self,
        actor: Actor,
        ref: PartnershipRef,
        *,
        days: int = STALE_DAYS,
        now: datetime | None = None,
    ) -> tuple[Partnership, list[ReviewItem]]:
        """What needs attention, goal by goal: open goals only."""
        if days < 1:
            raise UserFacingError("`days` should be at least 1.")
        now = now or utcnow()
        async with self.sessions() as session:
            access = await resolve(session, actor, ref)
            p = access.partnership
            today = now.astimezone(zone(p.timezone)).date()
            web = await _load_web(session, p)
            items = []
            for goal in sorted(web.goals.values(), key=lambda g: g.id or 0):
                if goal.status in CLOSED:
                    continue
                reasons = _review_reasons(web.card(goal), today, now, days)
                if reasons:
                    assert goal.id is not None
                    items.append(ReviewItem(goal.id, goal.title, goal.status, reasons))
            return p, items

    async def autocomplete(
        self, actor: Actor, ref: PartnershipRef, current: str, *, limit: int = 25
    ) -> list[tuple[str, str]]:
        """(choice name, value = goal id) for the goals this person may see."""
        async with self.sessions() as session:
            try:
                partnerships = [(await resolve(session, actor, ref)).partnership]
                several = False
            except UserFacingError:
                if ref.name and ref.name.strip():
                    return []
                partnerships = await visible_partnerships(session, actor)
                several = True
            ids = [p.id for p in partnerships]
            names = {p.id: p.name for p in partnerships}
            if not ids:
                return []
            goals = (
                await session.exec(
                    select(Goal)
                    .where(col(Goal.partnership_id).in_(ids))
                    .order_by(col(Goal.id).desc())
                )
            ).all()
        key = name_key(current.lstrip("#"))
        matches = [g for g in goals if not key or key in g.title_key or str(g.id) == key]
        # Open goals first; then exact numbers and titles that start with what was typed.
        matches.sort(
            key=lambda g: (
                g.status in CLOSED,
                not (str(g.id) == key or g.title_key.startswith(key)),
            )
        )
        result = []
        for goal in matches[:limit]:
            where = f" · {names[goal.partnership_id]}" if several else ""
            closed = f" ({label(goal.status)})" if goal.status in CLOSED else ""
            text = f"#{goal.id} {goal.title}"
            suffix = f"{closed}{where}"
            if len(text) + len(suffix) > 100:
                text = text[: 99 - len(suffix)].rstrip() + "…"
            result.append((text + suffix, str(goal.id)))
        return result

    # ---- changing

    async def update(
        self,
        actor: Actor,
        target: GoalTarget,
        *,
        status: str | None = None,
        progress: int | None = None,
        review_on: str | None = None,
        note: str | None = None,
        title: str | None = None,
        description: str | None = None,
    ) -> ChangeResult:
        """Status (conveners); progress, review date, note (conveners and the goal's owners);
        wording (conveners, owners and the proposer, until the goal is agreed)."""
        status_value = choice(status, GoalStatus, what="status")
        check_progress(progress)
        clear_review = review_on is not None and review_on.strip().lower() in CLEAR_WORDS
        review_day = (
            parse_date(review_on, option="review_on") if review_on and not clear_review else None
        )
        clean_note = clean_long_text(note, what="note", limit=NOTE_MAX) or None
        new_title = clean_text(title, what="title", limit=TITLE_MAX) if title is not None else None
        new_description = (
            clean_long_text(description, what="description", limit=DESCRIPTION_MAX)
            if description is not None
            else None
        )
        if all(
            v is None for v in (status_value, progress, review_on, clean_note, title, description)
        ):
            raise UserFacingError("Nothing to change: give at least one of the options.")
        async with transaction(self.sessions) as session:
            access, goal = await self._locate(session, actor, target, lock=True)
            self._check_writable(access)
            p = access.partnership
            convener = _convener(actor, access)
            owner = _owns(access.membership, goal)
            if status_value is not None and not convener:
                raise Forbidden(f"Only the conveners of {p.name} can change a goal's status.")
            if (progress is not None or review_on is not None or clean_note) and not (
                convener or owner
            ):
                raise Forbidden(
                    "Progress, review dates and notes are kept by the conveners"
                    + (" and the goal's own organisation." if goal.owner_organisation_id else ".")
                )
            if (new_title is not None or new_description is not None) and not (
                convener or owner or goal.proposed_by == actor.user_id
            ):
                raise Forbidden(
                    "Only the person who proposed a goal, its owners or a convener can reword it."
                )
            if (new_title is not None or new_description is not None) and goal.agreed_at:
                raise UserFacingError(
                    f"{goal_name(goal).capitalize()} was agreed as it is worded. To change what "
                    "it says, propose a new goal and mark this one superseded."
                )
            web = await _load_web(session, p)
            changes: dict[str, tuple[Any, Any]] = {}
            agree_by_convener = False
            if status_value is not None and status_value != goal.status:
                if status_value == GoalStatus.proposed and goal.agreed_at is not None:
                    raise UserFacingError(
                        f"{goal_name(goal).capitalize()} has been agreed; agreement is kept as "
                        "an event and isn't undone. Mark it in progress, dropped or "
                        "superseded instead."
                    )
                if status_value == GoalStatus.agreed and goal.agreed_at is None:
                    tally = web.card(goal).tally
                    if not tally.met:
                        raise UserFacingError(
                            f"{goal_name(goal).capitalize()} isn't agreed yet: goals are "
                            f"agreed by the organisations' stances under the {p.agreement_rule} "
                            f"rule ({tally.supportive} of {tally.voices} voices agree or have "
                            f"reservations; {tally.needed} needed"
                            + (", none objecting" if tally.rule == "consensus" else "")
                            + ")."
                        )
                    agree_by_convener = True
                changes["status"] = (goal.status, status_value)
                goal.status = status_value
            if progress is not None and progress != goal.progress:
                changes["progress"] = (goal.progress, progress)
                goal.progress = progress
            if review_on is not None:
                new_day = None if clear_review else review_day
                if new_day != goal.review_on:
                    changes["review_on"] = (goal.review_on, new_day)
                    goal.review_on = new_day
            if new_title is not None and new_title != goal.title:
                changes["title"] = (goal.title, new_title)
                goal.title = new_title
                goal.title_key = name_key(new_title)
            if new_description is not None and new_description != goal.description:
                changes["description"] = (goal.description, new_description)
                goal.description = new_description
            if not changes and not clean_note:
                raise UserFacingError(f"{goal_name(goal).capitalize()} already has those values.")
            goal.updated_at = utcnow()
            session.add(goal)
            await session.flush()
            if changes or clean_note:
                described = ", ".join(
                    f"{label(k)} from {_show(old)} to {_show(new)}"
                    for k, (old, new) in changes.items()
                    if k != "description"
                )
                if "description" in changes:
                    described = ", ".join(filter(None, [described, "the description"]))
                summary = (
                    f"{actor.display_name or 'Someone'} changed {described} on {goal_name(goal)}."
                    if described
                    else f"{actor.display_name or 'Someone'} added a note to {goal_name(goal)}."
                )
                if clean_note and described:
                    summary = summary[:-1] + ", with a note."
                await log.record(
                    session,
                    p,
                    "goal.updated",
                    summary,
                    actor_id=actor.user_id,
                    message_link=message_link(p, goal),
                    payload={
                        "goal_id": goal.id,
                        "title": goal.title,
                        "changes": {
                            k: {"from": _jsonable(old), "to": _jsonable(new)}
                            for k, (old, new) in changes.items()
                        },
                        "note": clean_note,
                    },
                )
            if agree_by_convener:
                await _mark_agreed(session, actor, goal, web.card(goal), by_stance=None, voice=None)
                await session.flush()
            assert goal.id is not None
            touched = [goal.id, *web.ancestors(goal.id)]
            return ChangeResult(web.card(goal), changes, clean_note, touched)

    async def classify(
        self,
        actor: Actor,
        target: GoalTarget,
        *,
        origin: str | None = None,
        authenticity: str | None = None,
        relevance: str | None = None,
        content: str | None = None,
        overtness: str | None = None,
    ) -> ChangeResult:
        """Set a goal's dimensions. Conveners and the goal's owners may; only the owners call
        an organisation's or a person's goal pseudo, unstated or hidden."""
        wanted = {
            "origin": choice(origin, Origin, what="origin"),
            "authenticity": choice(authenticity, Authenticity, what="authenticity"),
            "relevance": choice(relevance, Relevance, what="relevance"),
            "content": choice(content, Content, what="content"),
            "overtness": choice(overtness, Overtness, what="overtness"),
        }
        wanted = {k: v for k, v in wanted.items() if v is not None}
        if not wanted:
            raise UserFacingError("Nothing to change: give at least one dimension.")
        async with transaction(self.sessions) as session:
            access, goal = await self._locate(session, actor, target, lock=True)
            self._check_writable(access)
            p = access.partnership
            convener = _convener(actor, access)
            owner = _owns(access.membership, goal)
            sensitive = [
                f"{label(k)} {label(v)}"
                for k, v in wanted.items()
                if v is not None and v in SENSITIVE.get(k, ())
            ]
            if sensitive and goal.level != Level.collaboration and not owner:
                whose = (
                    await _organisation_name(session, goal.owner_organisation_id)
                    if goal.level == Level.organisation
                    else "the person whose goal it is"
                )
                raise Forbidden(
                    f"Only {whose}"
                    + ("'s own representatives" if goal.level == Level.organisation else "")
                    + f" can mark this goal {' and '.join(sensitive)}. Nobody labels another "
                    "organisation's goal that way."
                )
            if not (convener or owner):
                raise Forbidden(
                    "A goal's dimensions are set by the conveners"
                    + (" and the goal's own organisation." if goal.owner_organisation_id else ".")
                )
            changes = {k: (getattr(goal, k), v) for k, v in wanted.items() if getattr(goal, k) != v}
            if not changes:
                raise UserFacingError(f"{goal_name(goal).capitalize()} already has those values.")
            for k, (_old, new) in changes.items():
                setattr(goal, k, new)
            goal.updated_at = utcnow()
            session.add(goal)
            described = ", ".join(
                f"{k} from {describe_value(old)} to {describe_value(new)}"
                for k, (old, new) in changes.items()
            )
            await log.record(
                session,
                p,
                "goal.updated",
                f"{actor.display_name or 'Someone'} changed {described} on {goal_name(goal)}.",
                actor_id=actor.user_id,
                message_link=message_link(p, goal),
                payload={
                    "goal_id": goal.id,
                    "title": goal.title,
                    "changes": {k: {"from": old, "to": new} for k, (old, new) in changes.items()},
                    "note": None,
                },
            )
            web = await _load_web(session, p)
            assert goal.id is not None
            return ChangeResult(web.card(goal), changes, None, [goal.id])

    async def link(self, actor: Actor, target: GoalTarget, other: str, relation: str) -> LinkResult:
        """`target` contributes to / is part of / is in tension with `other` (conveners)."""
        relation_value = choice(relation, Relation, what="relation")
        assert relation_value is not None
        async with transaction(self.sessions) as session:
            access, goal, other_goal, web = await self._pair(session, actor, target, other)
            p = access.partnership
            assert goal.id is not None and other_goal.id is not None
            if _find_link(web, goal.id, other_goal.id, relation_value) is not None:
                raise UserFacingError(
                    f"{goal_name(goal).capitalize()} already "
                    f"{RELATION_WORDS[relation_value][0]} {goal_name(other_goal)}."
                )
            if relation_value in ACYCLIC and web.reaches(other_goal.id, goal.id):
                raise UserFacingError(
                    f"That would make a loop: {goal_name(other_goal)} already contributes to, "
                    f"or is part of, {goal_name(goal)} (directly or through other goals). "
                    "A goal can't lead back to itself."
                )
            row = GoalLink(
                partnership_id=p.id,  # type: ignore[arg-type]
                from_goal_id=goal.id,
                to_goal_id=other_goal.id,
                relation=relation_value,
                created_by=actor.user_id,
            )
            session.add(row)
            await session.flush()
            web.links.append(row)
            await log.record(
                session,
                p,
                "goal.linked",
                f"{actor.display_name or 'A convener'} recorded that {goal_name(goal)} "
                f"{RELATION_WORDS[relation_value][0]} {goal_name(other_goal)}.",
                actor_id=actor.user_id,
                message_link=message_link(p, goal),
                payload=_link_payload(goal, other_goal, relation_value),
            )
            touched = [goal.id, other_goal.id, *web.ancestors(goal.id)]
            return LinkResult(
                web.card(goal), web.card(other_goal), relation_value, list(dict.fromkeys(touched))
            )

    async def unlink(
        self, actor: Actor, target: GoalTarget, other: str, relation: str
    ) -> LinkResult:
        relation_value = choice(relation, Relation, what="relation")
        assert relation_value is not None
        async with transaction(self.sessions) as session:
            access, goal, other_goal, web = await self._pair(session, actor, target, other)
            assert goal.id is not None and other_goal.id is not None
            row = _find_link(web, goal.id, other_goal.id, relation_value)
            if row is None:
                raise UserFacingError(
                    f"{goal_name(goal).capitalize()} isn't linked that way to "
                    f"{goal_name(other_goal)}."
                )
            touched = [goal.id, other_goal.id, *web.ancestors(goal.id)]
            await session.delete(row)
            web.links.remove(row)
            await log.record(
                session,
                access.partnership,
                "goal.unlinked",
                f"{actor.display_name or 'A convener'} removed the link: {goal_name(goal)} "
                f"{RELATION_WORDS[relation_value][0]} {goal_name(other_goal)}.",
                actor_id=actor.user_id,
                message_link=message_link(access.partnership, goal),
                payload=_link_payload(goal, other_goal, relation_value),
            )
            return LinkResult(
                web.card(goal), web.card(other_goal), relation_value, list(dict.fromkeys(touched))
            )

    # ---- internals

    async def _pair(
        self, session: AsyncSession, actor: Actor, target: GoalTarget, other: str
    ) -> tuple[Access, Goal, Goal, _Web]:
        access, goal = await self._locate(session, actor, target, lock=True)
        p = access.partnership
        if not _convener(actor, access):
            raise Forbidden(f"Only the conveners of {p.name} can link goals.")
        self._check_writable(access)
        other_goal = await _find_in(session, p, other)
        if other_goal.id == goal.id:
            raise UserFacingError("A goal can't be linked to itself.")
        return access, goal, other_goal, await _load_web(session, p)

    async def _locate(
        self, session: AsyncSession, actor: Actor, target: GoalTarget, *, lock: bool = False
    ) -> tuple[Access, Goal]:
        """Find the goal a command means, and check this person may see it.

        By number, a goal is found in any partnership the person belongs to; by title, within
        the partnership named or implied. Non-members learn nothing.
        """
        text = " ".join((target.goal or "").split())
        if not text:
            raise UserFacingError("Which goal? Choose one from the list as you type.")
        ref = target.partnership
        digits = text.lstrip("#")
        if ref.name and ref.name.strip():
            access = await resolve(session, actor, ref)
            goal = await _find_in(session, access.partnership, text)
        elif digits.isdigit() and len(digits) < 12:
            found = await _goal_by_id(session, actor, int(digits))
            if found is not None:
                access, goal = found
            else:
                try:
                    access = await resolve(session, actor, ref)
                except UserFacingError:
                    raise goal_not_found() from None
                goal = await _find_in(session, access.partnership, text)
        else:
            access = await resolve(session, actor, ref)
            goal = await _find_in(session, access.partnership, text)
        if lock:
            # Serialise changes to one goal (PostgreSQL); SQLite writers are serialised already.
            await session.exec(select(Goal.id).where(Goal.id == goal.id).with_for_update())
            await session.refresh(goal)
        return access, goal

    def _check_writable(self, access: Access) -> None:
        p = access.partnership
        if p.is_archived:
            raise UserFacingError(
                f"{p.name} is archived, so its goals can't be changed. "
                "Its channel and history are kept."
            )


# --------------------------------------------------------------------------- helpers


async def _load_web(session: AsyncSession, p: Partnership) -> _Web:
    goals = {
        g.id: g
        for g in (await session.exec(select(Goal).where(Goal.partnership_id == p.id))).all()
        if g.id is not None
    }
    partners = list(
        (
            await session.exec(
                select(PartnerOrganisation, Organisation)
                .join(
                    Organisation, col(Organisation.id) == col(PartnerOrganisation.organisation_id)
                )
                .where(
                    PartnerOrganisation.partnership_id == p.id,
                    col(PartnerOrganisation.left_at).is_(None),
                )
            )
        ).all()
    )
    people = list(
        (
            await session.exec(
                select(Membership).where(
                    Membership.partnership_id == p.id,
                    col(Membership.left_at).is_(None),
                    col(Membership.capacity).in_([c.value for c in OWN_CAPACITY]),
                )
            )
        ).all()
    )
    stances: dict[int, list[GoalStance]] = defaultdict(list)
    links: list[GoalLink] = []
    if goals:
        rows = await session.exec(
            select(GoalStance)
            .where(col(GoalStance.goal_id).in_(list(goals)))
            .order_by(col(GoalStance.recorded_at), col(GoalStance.id))
        )
        for row in rows.all():
            stances[row.goal_id].append(row)
        links = list(
            (await session.exec(select(GoalLink).where(GoalLink.partnership_id == p.id))).all()
        )
    owner_ids = {g.owner_organisation_id for g in goals.values() if g.owner_organisation_id}
    org_names = {org.id: org.name for _link, org in partners if org.id is not None}
    missing = owner_ids - set(org_names)
    if missing:
        for org in (
            await session.exec(select(Organisation).where(col(Organisation.id).in_(missing)))
        ).all():
            assert org.id is not None
            org_names[org.id] = org.name
    return _Web(p, goals, partners, people, stances, links, org_names)


async def _goal_by_id(
    session: AsyncSession, actor: Actor, goal_id: int
) -> tuple[Access, Goal] | None:
    """A goal by number, if this person may see it; None otherwise, whatever the reason."""
    goal = await session.get(Goal, goal_id)
    if goal is None:
        return None
    access = await authorize_by_id(session, actor, goal.partnership_id)
    return None if access is None else (access, goal)


async def _find_in(session: AsyncSession, p: Partnership, text: str) -> Goal:
    """A goal of this partnership by number or exact title (regardless of case)."""
    text = " ".join(text.split())
    digits = text.lstrip("#")
    if digits.isdigit() and len(digits) < 12:
        goal = await session.get(Goal, int(digits))
        if goal is not None and goal.partnership_id == p.id:
            return goal
    matches = (
        await session.exec(
            select(Goal)
            .where(Goal.partnership_id == p.id, Goal.title_key == name_key(text))
            .order_by(col(Goal.id))
        )
    ).all()
    if len(matches) == 1:
        return matches[0]
    if matches:
        numbers = ", ".join(f"#{g.id}" for g in matches)
        raise UserFacingError(
            f"Several goals in {p.name} are called “{text}” ({numbers}). "
            "Choose one from the list, or give its number."
        )
    raise goal_not_found(text, p)


async def _active_partner_org(session: AsyncSession, p: Partnership, name: str) -> Organisation:
    org = (
        await session.exec(
            select(Organisation)
            .join(
                PartnerOrganisation,
                col(PartnerOrganisation.organisation_id) == col(Organisation.id),
            )
            .where(
                PartnerOrganisation.partnership_id == p.id,
                col(PartnerOrganisation.left_at).is_(None),
                Organisation.guild_id == p.guild_id,
                Organisation.name_key == name_key(name),
            )
        )
    ).first()
    if org is None:
        raise NotFound(f"“{name}” isn't a current partner organisation of {p.name}.")
    return org


async def _organisation_name(session: AsyncSession, organisation_id: int | None) -> str:
    org = await session.get(Organisation, organisation_id) if organisation_id else None
    return org.name if org else "its organisation"


def _convener(actor: Actor, access: Access) -> bool:
    return actor.manage_guild or access.is_convener


def _speaks_for(member: Membership | None, organisation_id: int | None) -> bool:
    return (
        member is not None
        and organisation_id is not None
        and member.organisation_id == organisation_id
        and member.capacity in SPEAKS_FOR_ORGANISATION
    )


def _owns(member: Membership | None, goal: Goal) -> bool:
    """Whether this person speaks for the goal's owner: its organisation's reps, or its person."""
    if member is None:
        return False
    if goal.level == Level.organisation:
        return _speaks_for(member, goal.owner_organisation_id)
    if goal.level == Level.individual:
        return goal.owner_user_id == member.user_id
    return False


def _ensure_open(goal: Goal) -> None:
    if goal.status in CLOSED:
        raise UserFacingError(
            f"{goal_name(goal).capitalize()} is {label(goal.status)}, so stances on it are closed."
        )


async def _voice(session: AsyncSession, access: Access) -> Voice:
    p = access.partnership
    member = access.membership
    if member is None:
        raise Forbidden(
            f"You aren't a member of {p.name}, so there is no stance for you to record. "
            "A convener can add you with `/member add`."
        )
    if member.capacity in SPEAKS_FOR_ORGANISATION and member.organisation_id is not None:
        row = (
            await session.exec(
                select(PartnerOrganisation, Organisation)
                .join(
                    Organisation, col(Organisation.id) == col(PartnerOrganisation.organisation_id)
                )
                .where(
                    PartnerOrganisation.partnership_id == p.id,
                    PartnerOrganisation.organisation_id == member.organisation_id,
                    col(PartnerOrganisation.left_at).is_(None),
                )
            )
        ).first()
        if row is None:
            raise Forbidden(
                f"The organisation you represent is no longer a partner in {p.name}, "
                "so its stance can't be recorded."
            )
        link, org = row
        return Voice(org.id, org.name, member.capacity, counted=link.status == PartnerStatus.core)
    if member.capacity in OWN_CAPACITY:
        return Voice(None, None, member.capacity, counted=p.count_individuals)
    raise Forbidden(
        "Observers follow goals but don't take a stance on them. If you now speak for an "
        "organisation, ask a convener to update your membership."
    )


async def _latest_stance(
    session: AsyncSession, goal_id: int, voice: Voice, user_id: int
) -> str | None:
    query = select(GoalStance.stance).where(GoalStance.goal_id == goal_id)
    if voice.organisation_id is not None:
        query = query.where(GoalStance.organisation_id == voice.organisation_id)
    else:
        query = query.where(
            col(GoalStance.organisation_id).is_(None), GoalStance.user_id == user_id
        )
    query = query.order_by(col(GoalStance.recorded_at).desc(), col(GoalStance.id).desc())
    return (await session.exec(query.limit(1))).first()


async def _mark_agreed(
    session: AsyncSession,
    actor: Actor,
    goal: Goal,
    card: GoalCard,
    *,
    by_stance: GoalStance | None,
    voice: Voice | None,
) -> None:
    """Agreement, once: the moment, the rule, and on whose stance (or by which convener)."""
    p = card.partnership
    tally = card.tally
    goal.agreed_at = by_stance.recorded_at if by_stance else utcnow()
    goal.agreed_rule = p.agreement_rule
    if goal.status == GoalStatus.proposed:
        goal.status = GoalStatus.agreed
    session.add(goal)
    agreeing = [
        o.name
        for o in card.organisations
        if o.counts and o.latest and o.latest.stance in SUPPORTIVE
    ] + [
        m.display_name
        for m in card.people
        if m.counts and m.latest and m.latest.stance in SUPPORTIVE
    ]
    if by_stance is not None and voice is not None:
        whose = voice.organisation or actor.display_name or "someone"
        how = f"on {whose}'s stance ({by_stance.stance})"
    else:
        how = f"marked by {actor.display_name or 'a convener'} once the rule was met"
    rule_words = (
        "every core organisation agrees or has reservations, none objecting"
        if p.agreement_rule == "consensus"
        else "more than half agree or have reservations"
    )
    await log.record(
        session,
        p,
        "goal.agreed",
        f"{goal_name(goal).capitalize()} is agreed under the {p.agreement_rule} rule "
        f"({rule_words}: {tally.supportive} of {tally.voices}), {how}.",
        actor_id=actor.user_id,
        message_link=message_link(p, goal),
        payload={
            "goal_id": goal.id,
            "title": goal.title,
            "rule": p.agreement_rule,
            "count_individuals": p.count_individuals,
            "supportive": tally.supportive,
            "voices": tally.voices,
            "core": tally.core,
            "agreeing": agreeing,
            "by": "stance" if by_stance is not None else "convener",
            "stance_id": by_stance.id if by_stance is not None else None,
            "stance": by_stance.stance if by_stance is not None else None,
            "organisation_id": voice.organisation_id if voice else None,
            "organisation": voice.organisation if voice else None,
            "user_id": actor.user_id,
        },
        at=goal.agreed_at,
    )


def _find_link(web: _Web, a: int, b: int, relation: str) -> GoalLink | None:
    for link in web.links:
        if link.relation != relation:
            continue
        if (link.from_goal_id, link.to_goal_id) == (a, b):
            return link
        if relation == Relation.in_tension_with and (link.from_goal_id, link.to_goal_id) == (b, a):
            return link
    return None


def _link_payload(goal: Goal, other: Goal, relation: str) -> dict[str, Any]:
    return {
        "goal_id": goal.id,
        "title": goal.title,
        "relation": relation,
        "other_id": other.id,
        "other_title": other.title,
    }


def _show(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value}%"
    if isinstance(value, date):
        return value.isoformat()
    return label(str(value))


def _review_reasons(card: GoalCard, today: date, now: datetime, days: int) -> list[ReviewReason]:
    goal = card.goal
    reasons: list[ReviewReason] = []
    if goal.review_on is not None and goal.review_on < today:
        reasons.append(ReviewReason("review_due", day=goal.review_on))
    voices: list[OrgLine | PersonLine] = [*card.organisations, *card.people]
    objecting = tuple(
        _line_name(v) for v in voices if v.latest is not None and v.latest.stance == Stance.object
    )
    if objecting:
        reasons.append(ReviewReason("objection", names=objecting))
    if card.agreed:
        later = tuple(
            f"{_line_name(v)} ({label(v.latest.stance)})"
            for v in voices
            if v.since_agreement and v.latest is not None and v.latest.stance != Stance.agree
        )
        if later:
            reasons.append(ReviewReason("since_agreement", names=later))
        unasked = tuple(o.name for o in card.organisations if o.not_yet_asked)
        if unasked:
            reasons.append(ReviewReason("not_yet_asked", names=unasked))
    waiting = tuple(o.name for o in card.organisations if o.latest is None and not o.not_yet_asked)
    if waiting:
        reasons.append(ReviewReason("awaiting", names=waiting))
    if not card.agreed:
        if goal.proposed_at <= now - timedelta(days=days):
            reasons.append(ReviewReason("stale", moment=goal.proposed_at))
        if card.tally.met:
            reasons.append(ReviewReason("rule_met"))
    return reasons


def _line_name(line: OrgLine | PersonLine) -> str:
    return line.name if isinstance(line, OrgLine) else line.display_name
