"""`GoalService`: propose, take stances, change, link and read goals. Public methods only.

Each method is one transaction: find the goal (`lookup`), ask the access gate what the person
may do, change rows, write the log event (`events`), and return cards drawn from one load of
the goal web (`web`). The rules of agreement live in `agreement`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.errors import UserFacingError
from bot.services.access import (
    Access,
    Actor,
    PartnershipRef,
    check_goal_keeping,
    check_goal_labels,
    check_goal_wording,
    lock_partnership,
    require_convener,
    resolve,
)
from bot.services.clock import Clock, SystemClock
from bot.services.goals import agreement, events, lookup, nudges, perceive, responses, sharing
from bot.services.goals import web as goal_web
from bot.services.goals.announce import announcement
from bot.services.goals.cards import (
    ChangeResult,
    GoalCard,
    GoalTarget,
    LinkResult,
    PerceptionResult,
    VisibilityResult,
)
from bot.services.goals.reading import GoalReading
from bot.services.goals.responses import GoalResponses
from bot.services.goals.stances import StanceMethods
from bot.services.goals.vocab import (
    ACYCLIC,
    CLEAR_WORDS,
    DESCRIPTION_MAX,
    NOTE_MAX,
    RELATION_WORDS,
    SENSITIVE,
    TITLE_MAX,
    Authenticity,
    Content,
    GoalStatus,
    GoalVisibility,
    Level,
    Origin,
    Overtness,
    Relation,
    Relevance,
    check_progress,
    goal_name,
    parse_phase,
)
from bot.services.text import choice, clean_long_text, clean_text
from bot.services.timeutil import parse_date, zone
from bot.services.vocab import label
from db.engine import SessionFactory, transaction
from db.models import Goal, GoalLink, Partnership, name_key


class GoalService(StanceMethods, GoalResponses, GoalReading):
    """Goals of partnerships, for the people in them. Time comes from `clock`. Stances and
    their confirmation after referral are `StanceMethods`; responses to organisations' and
    people's goals, and sharing, come from `GoalResponses`; reading, `GoalReading`."""

    def __init__(self, sessions: SessionFactory, *, clock: Clock = SystemClock()) -> None:
        self.sessions = sessions
        self.clock = clock

    # ---- proposing and posting

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
        respond_by: str | None = None,
        visibility: str | None = None,
        phase: str | None = None,
    ) -> GoalCard:
        """Record a new goal, proposed; the cog then posts it with its agreement matrix, when
        the whole partnership sees it (`visibility`, `lookup.may_see`).

        `respond_by` (a local date after today) asks for stances by then: the organisations
        still without one are nudged automatically two days before (`nudges`)."""
        visibility_value = (
            choice(visibility, GoalVisibility, what="visibility") or GoalVisibility.partnership
        )
        clean_title = clean_text(title, what="title", limit=TITLE_MAX)
        clean_description = clean_long_text(description, what="description", limit=DESCRIPTION_MAX)
        level_value = choice(level, Level, what="level")
        content_value = choice(content, Content, what="content") or Content.substantive
        origin_value = choice(origin, Origin, what="origin") or Origin.members
        phase_value = parse_phase(phase)
        review_day = parse_date(review_on, option="review_on") if review_on else None
        respond_day = parse_date(respond_by, option="respond_by") if respond_by else None
        org_name = organisation.strip() if organisation and organisation.strip() else None
        if level_value is None:
            level_value = Level.organisation if org_name else Level.collaboration
        responses.check_respond_by_level(level_value, respond_day)
        if org_name and level_value != Level.organisation:
            raise UserFacingError(
                f"Only an organisation's goal has an owner organisation, and this one is "
                f"{label(level_value)}-level. Choose level organisation, or leave out "
                "`organisation`."
            )
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, writable=True)
            p = access.partnership
            if respond_day is not None:
                check_respond_by(respond_day, p, self.clock.now())
            owner_org = (
                await lookup.owner_organisation(session, access, org_name)
                if level_value == Level.organisation
                else None
            )
            if visibility_value == GoalVisibility.organisation and owner_org is None:
                raise UserFacingError(sharing.NEEDS_OWNER)
            now = self.clock.now()
            goal = Goal(
                partnership_id=access.partnership_id,
                title=clean_title,
                title_key=name_key(clean_title),
                description=clean_description,
                level=level_value,
                origin=origin_value,
                content=content_value,
                phase=phase_value,
                owner_organisation_id=owner_org.id if owner_org else None,
                owner_user_id=actor.user_id if level_value == Level.individual else None,
                # An individual-level goal stays its owner's until they share it.
                visibility=visibility_value,
                review_on=review_day,
                respond_by=respond_day,
                proposed_by=actor.user_id,
                proposed_at=now,
                updated_at=now,
            )
            session.add(goal)
            await session.flush()
            await nudges.add_timer(session, p, goal, now=now)
            owner = owner_org.name if owner_org else None
            await events.write(
                session,
                p,
                actor,
                events.proposed(actor, goal, owner),
                at=self.clock.now(),
                goal=goal,
            )
            web = await goal_web.load_web(
                session, p, now=self.clock.now(), viewer=lookup.viewer_of(access)
            )
            return web.card(goal)

    async def attach_message(self, goal_id: int, channel_id: int, message_id: int) -> None:
        """Remember the posted proposal, so it can be edited in place as stances arrive. Like
        every write to a goal, it holds the goal's partnership's lock first (PostgreSQL), so a
        stance under way, which locks only the partnership, never sees the goal change."""
        async with transaction(self.sessions) as session:
            goal = await session.get(Goal, goal_id)
            if goal is not None:
                await lock_partnership(session, goal.partnership_id)
                goal.channel_id = channel_id
                goal.message_id = message_id
                session.add(goal)

    async def posted_cards(self, partnership_id: int) -> list[GoalCard]:
        """Cards of a partnership's open goals that have a posted message, from one load: what
        the messages should show after organisations or people changed."""
        async with self.sessions() as session:
            p = await session.get(Partnership, partnership_id)
            if p is None:
                return []
            web = await goal_web.load_web(session, p, now=self.clock.now(), viewer=lookup.PUBLIC)
            return web.posted_cards()

    async def perceive(
        self,
        actor: Actor,
        target: GoalTarget,
        *,
        origin: str | None = None,
        relevance: str | None = None,
        content: str | None = None,
        origin_detail: str | None = None,
    ) -> PerceptionResult:
        """Record how the organisation this person speaks for reads the goal (`perceive`)."""
        return await perceive.perceive(
            self.sessions,
            self.clock,
            actor,
            target,
            origin=origin,
            relevance=relevance,
            content=content,
            origin_detail=origin_detail,
        )

    # ---- changing

    async def set_visibility(
        self, actor: Actor, target: GoalTarget, visibility: str
    ) -> VisibilityResult:
        """Who sees the goal, changed by its owners or the conveners (`sharing`)."""
        async with transaction(self.sessions) as session:
            return await sharing.change_visibility(
                session, actor, target, visibility, now=self.clock.now()
            )

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
        rewording = new_title is not None or new_description is not None
        async with transaction(self.sessions) as session:
            access, goal = await lookup.locate_to_change(session, actor, target)
            p = access.partnership
            if status_value is not None:
                require_convener(access, "change a goal's status")
            if progress is not None or review_on is not None or clean_note:
                check_goal_keeping(access, goal)
            if rewording:
                check_goal_wording(access, goal)
            if rewording and goal.agreed_at:
                raise UserFacingError(
                    f"{goal_name(goal).capitalize()} was agreed as it is worded. To change what "
                    "it says, propose a new goal and mark this one superseded."
                )
            web = await goal_web.load_web(session, p, now=self.clock.now())
            changes: dict[str, tuple[Any, Any]] = {}
            agree_by_convener = False
            if status_value is not None and status_value != goal.status:
                agree_by_convener = agreement.check_status(goal, status_value, web.card(goal))
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
            now = self.clock.now()
            goal.updated_at = now
            session.add(goal)
            await session.flush()
            await events.write(
                session,
                p,
                actor,
                events.updated(actor, p, goal, changes, clean_note),
                at=now,
                goal=goal,
            )
            if agree_by_convener:
                await agreement.mark_agreed(
                    session, actor, goal, web.card(goal), at=now, by_stance=None, voice=None
                )
                await session.flush()
            assert goal.id is not None
            card = web.seen_by(lookup.viewer_of(access)).card(goal)
            return ChangeResult(
                card,
                changes,
                clean_note,
                web.public_cards([goal.id, *web.ancestors(goal.id)]),
                announcement(card, agreed=agree_by_convener, changes=changes),
            )

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
        phase: str | None = None,
    ) -> ChangeResult:
        """Set a goal's dimensions. Conveners and the goal's owners may; only the owners call
        an organisation's or a person's goal pseudo, unstated or hidden; `phase:none` clears."""
        wanted: dict[str, str | None] = {
            "origin": choice(origin, Origin, what="origin"),
            "authenticity": choice(authenticity, Authenticity, what="authenticity"),
            "relevance": choice(relevance, Relevance, what="relevance"),
            "content": choice(content, Content, what="content"),
            "overtness": choice(overtness, Overtness, what="overtness"),
        }
        wanted = {k: v for k, v in wanted.items() if v is not None}
        if phase is not None:
            wanted["phase"] = parse_phase(phase)
        if not wanted:
            raise UserFacingError("Nothing to change: give at least one dimension.")
        async with transaction(self.sessions) as session:
            access, goal = await lookup.locate_to_change(session, actor, target)
            p = access.partnership
            sensitive = [
                f"{label(k)} {label(v)}"
                for k, v in wanted.items()
                if v is not None and v in SENSITIVE.get(k, ())
            ]
            check_goal_labels(
                access,
                goal,
                sensitive=sensitive,
                owner_name=await lookup.organisation_name(session, goal.owner_organisation_id),
            )
            changes = {k: (getattr(goal, k), v) for k, v in wanted.items() if getattr(goal, k) != v}
            if not changes:
                raise UserFacingError(f"{goal_name(goal).capitalize()} already has those values.")
            for k, (_old, new) in changes.items():
                setattr(goal, k, new)
            goal.updated_at = self.clock.now()
            session.add(goal)
            await events.write(
                session,
                p,
                actor,
                events.classified(actor, p, goal, changes),
                at=self.clock.now(),
                goal=goal,
            )
            web = await goal_web.load_web(session, p, now=self.clock.now())
            card = web.seen_by(lookup.drawn_for(access, goal)).card(goal)
            return ChangeResult(card, changes, None, web.public_cards([card.id]))

    async def link(self, actor: Actor, target: GoalTarget, other: str, relation: str) -> LinkResult:
        """`target` contributes to / is part of / is in tension with `other` (conveners).
        Loops of part-of and contributes-to are refused."""
        relation_value = choice(relation, Relation, what="relation")
        assert relation_value is not None
        async with transaction(self.sessions) as session:
            access, goal, other_goal = await lookup.pair(session, actor, target, other)
            p = access.partnership
            web = await goal_web.load_web(session, p, now=self.clock.now())
            assert goal.id is not None and other_goal.id is not None
            if web.find_link(goal.id, other_goal.id, relation_value) is not None:
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
                partnership_id=access.partnership_id,
                from_goal_id=goal.id,
                to_goal_id=other_goal.id,
                relation=relation_value,
                created_by=actor.user_id,
                created_at=self.clock.now(),
            )
            session.add(row)
            await session.flush()
            web.links.append(row)
            entry = events.linked(actor, p, goal, other_goal, relation_value)
            await events.write(session, p, actor, entry, at=self.clock.now())
            return _link_result(
                web, access, goal, other_goal, relation_value, web.ancestors(goal.id)
            )

    async def unlink(
        self, actor: Actor, target: GoalTarget, other: str, relation: str
    ) -> LinkResult:
        """Remove a link between two goals (conveners)."""
        relation_value = choice(relation, Relation, what="relation")
        assert relation_value is not None
        async with transaction(self.sessions) as session:
            access, goal, other_goal = await lookup.pair(session, actor, target, other)
            p = access.partnership
            web = await goal_web.load_web(session, p, now=self.clock.now())
            assert goal.id is not None and other_goal.id is not None
            row = web.find_link(goal.id, other_goal.id, relation_value)
            if row is None:
                raise UserFacingError(
                    f"{goal_name(goal).capitalize()} isn't linked that way to "
                    f"{goal_name(other_goal)}."
                )
            touched = [goal.id, other_goal.id, *web.ancestors(goal.id)]
            await session.delete(row)
            web.links.remove(row)
            entry = events.unlinked(actor, p, goal, other_goal, relation_value)
            await events.write(session, p, actor, entry, at=self.clock.now())
            return _link_result(web, access, goal, other_goal, relation_value, touched)


def _link_result(
    web: goal_web.GoalWeb,
    access: Access,
    goal: Goal,
    other: Goal,
    relation: str,
    touched: list[int],
) -> LinkResult:
    """The two goals as the convener sees them; the posted messages as everyone sees them."""
    assert goal.id is not None and other.id is not None
    mine = web.seen_by(lookup.viewer_of(access))
    redraw = web.public_cards([goal.id, other.id, *touched])
    return LinkResult(mine.card(goal), mine.card(other), relation, redraw)


def check_respond_by(day: date, p: Partnership, now: datetime) -> None:
    """A date to respond by lies after today in the partnership's time zone."""
    today = now.astimezone(zone(p.timezone)).date()
    if day <= today:
        raise UserFacingError(
            f"`respond_by` should be after today ({today.isoformat()} in {p.timezone}), so "
            "the organisations have time to respond."
        )
