"""Responses and sharing: organisations' and people's goals (Vangen & Huxham 2012).

Nobody needs the partnership's agreement for a charity's own aim; the tangled-web questions are
whether partners know it, whether it fits, and whether it pulls against the shared aims. So an
organisation-level or individual-level goal has no agreed state: each other partner
organisation responds, through its representatives and substitutes (the access gate's
`response_voice`), with one of `Response`: compatible, in tension, doesn't affect us, didn't
know. The owning organisation (or person) does not respond to its own goal.

A response is a `GoalStance` row whose `stance` holds the response: append-only, the latest per
organisation counts, as with stances. Stances recorded on these goals before responses existed
stay in the history and exports; the card's fit counts responses only.

An individual-level goal is its owner's alone until they share it (`share`); see
`lookup.shared`, part of `lookup.may_see`.
"""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import UserFacingError
from bot.services.access import (
    Actor,
    check_goal_sharing,
    response_voice,
)
from bot.services.clock import Clock, SystemClock
from bot.services.goals import agreement, events, lookup
from bot.services.goals import web as goal_web
from bot.services.goals.cards import GoalCard, GoalTarget, ResponseResult, Standing
from bot.services.goals.vocab import (
    COMMENT_MAX,
    Level,
    Response,
    goal_name,
    takes_responses,
)
from bot.services.text import choice, clean_long_text
from bot.services.vocab import label, with_article
from db.engine import SessionFactory, transaction
from db.models import Goal, GoalStance


def refuse_stance(goal: Goal) -> None:
    """Stances (and agreement) are for the collaboration's goals: a polite pointer otherwise."""
    if takes_responses(goal):
        raise UserFacingError(
            f"{goal_name(goal).capitalize()} is {with_article(label(goal.level))}-level goal, so "
            "it isn't put to the partnership for agreement. Say how it sits with your "
            "organisation's aims instead: `/goal respond` (compatible, in tension, doesn't "
            "affect us, didn't know), or the buttons on its card."
        )


def check_respond_by_level(level: str, respond_by: date | None) -> None:
    """A date to take stances by belongs to the collaboration's goals: the others aren't put to
    agreement (and nudges ask for stances)."""
    if respond_by is not None and level != Level.collaboration:
        raise UserFacingError(
            "`respond_by` asks the organisations for their stances on a goal of the whole "
            "collaboration. An organisation's or a person's goal isn't put to agreement, so "
            "leave `respond_by` out."
        )


def refuse_response(goal: Goal) -> None:
    if not takes_responses(goal):
        raise UserFacingError(
            f"{goal_name(goal).capitalize()} is the whole collaboration's goal: organisations "
            "take a stance on it for agreement. Use `/goal endorse`, or the buttons on its card."
        )


async def standing(session: AsyncSession, actor: Actor, goal_id: int) -> Standing:
    """Check, before the response form opens, that this person may respond now."""
    access, goal = await lookup.locate(session, actor, GoalTarget.by_id(goal_id))
    access.check_writable(lookup.GOALS)
    lookup.ensure_open(goal, "responses")
    refuse_response(goal)
    voice = await response_voice(session, access, goal)
    assert goal.id is not None
    return Standing(goal.id, goal.title, voice)


async def respond(
    sessions: SessionFactory,
    clock: Clock,
    actor: Actor,
    target: GoalTarget,
    response: str,
    comment: str | None,
) -> ResponseResult:
    response_value = choice(response, Response, what="response")
    assert response_value is not None
    clean_comment = clean_long_text(comment, what="comment", limit=COMMENT_MAX) or None
    async with transaction(sessions) as session:
        access, goal = await lookup.locate_to_change(session, actor, target)
        lookup.ensure_open(goal, "responses")
        refuse_response(goal)
        p = access.partnership
        voice = await response_voice(session, access, goal)
        assert goal.id is not None
        previous = await agreement.latest_stance(session, goal.id, voice, actor.user_id)
        now = clock.now()
        row = GoalStance(
            goal_id=goal.id,
            organisation_id=voice.organisation_id,
            user_id=actor.user_id,
            display_name=(actor.display_name or "")[:100],
            capacity=voice.capacity,
            stance=response_value,
            comment=clean_comment,
            recorded_at=now,
        )
        session.add(row)
        await session.flush()
        entry = events.response_given(
            actor,
            p,
            goal,
            voice,
            response_value,
            previous=previous,
            comment=clean_comment,
            stance_id=row.id,
        )
        await events.write(session, p, actor, entry, at=now, goal=goal)
        goal.updated_at = now
        session.add(goal)
        await session.flush()
        # The cards go to the channel too (when posted): drawn as everyone sees them.
        web = await goal_web.load_web(session, p, now=now)
        linked = [
            other.id
            for other in web.goals.values()
            if other.level == Level.collaboration
            and other.id is not None
            and any(
                {link.from_goal_id, link.to_goal_id} == {goal.id, other.id} for link in web.links
            )
        ]
        return ResponseResult(
            web.seen_by(lookup.drawn_for(access, goal)).card(goal),
            voice,
            response_value,
            previous,
            clean_comment,
            tuple(web.public_cards(sorted(linked))),
        )


async def share(
    sessions: SessionFactory, clock: Clock, actor: Actor, target: GoalTarget
) -> GoalCard:
    """The owner shares their individual-level goal: from now on the partnership sees it, and
    the log records it (`goal.shared`)."""
    async with transaction(sessions) as session:
        access, goal = await lookup.locate_to_change(session, actor, target)
        if goal.level != Level.individual:
            raise UserFacingError(
                f"{goal_name(goal).capitalize()} is {with_article(label(goal.level))}-level "
                "goal: the partnership sees it already. Only a person's own goals are kept to "
                "themselves until shared."
            )
        check_goal_sharing(access, goal)
        if goal.shared_at is not None:
            raise UserFacingError(
                f"{goal_name(goal).capitalize()} is shared with the partnership already."
            )
        p = access.partnership
        now = clock.now()
        goal.shared_at = now
        goal.updated_at = now
        session.add(goal)
        await session.flush()
        await events.write(
            session, p, actor, events.proposed(actor, goal, None, shared=True), at=now, goal=goal
        )
        web = await goal_web.load_web(session, p, now=now)
        return web.seen_by(lookup.drawn_for(access, goal)).card(goal)


class GoalResponses:
    """`GoalService`'s responses and sharing (organisations' and people's goals)."""

    sessions: SessionFactory
    clock: Clock = SystemClock()

    async def response_standing(self, actor: Actor, goal_id: int) -> Standing:
        """Check, before a form opens, that this person may respond to the goal now."""
        async with self.sessions() as session:
            return await standing(session, actor, goal_id)

    async def respond(
        self, actor: Actor, target: GoalTarget, response: str, comment: str | None = None
    ) -> ResponseResult:
        """Record how an organisation's or a person's goal sits with the organisation this
        person speaks for: compatible, in tension, doesn't affect us, didn't know."""
        return await respond(self.sessions, self.clock, actor, target, response, comment)

    async def share(self, actor: Actor, target: GoalTarget) -> GoalCard:
        """Share an individual-level goal with the partnership (its owner, once)."""
        return await share(self.sessions, self.clock, actor, target)
