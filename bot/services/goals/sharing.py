"""Who sees a goal, changed after it was proposed (`/goal visibility`).

Vangen & Huxham (2012): some goals are unstated or hidden. An organisation may record one
privately (visible to its own people only, or to them and the conveners) and make it explicit
later by widening its visibility to the whole partnership: the change is logged, and the goal's
card is then posted in the partnership's channel, as a new proposal would be.

Narrowing is allowed too (the owners; conveners between the partnership and the conveners):
the card posted in the channel is taken back, and the goal leaves every list, digest and export
of those who may no longer see it. What was already said in the channel about it (an
announcement of agreement, say) stays where it was.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import UserFacingError
from bot.services.access import Actor, check_goal_visibility
from bot.services.goals import events, lookup
from bot.services.goals import web as goal_web
from bot.services.goals.cards import GoalTarget, VisibilityResult
from bot.services.goals.vocab import VISIBILITY_WORDS, GoalVisibility, goal_name
from bot.services.text import choice

NEEDS_OWNER = (
    "Only an organisation's goal can be kept to its organisation: choose level organisation "
    "(and `organisation`), or visibility conveners."
)


async def change_visibility(
    session: AsyncSession, actor: Actor, target: GoalTarget, visibility: str, *, now: datetime
) -> VisibilityResult:
    """Set who sees the goal, in the caller's transaction, and log the change."""
    after = choice(visibility, GoalVisibility, what="visibility")
    assert after is not None
    access, goal = await lookup.locate_to_change(session, actor, target)
    p = access.partnership
    before = goal.visibility
    check_goal_visibility(access, goal, before, after)
    if after == before:
        raise UserFacingError(
            f"{goal_name(goal).capitalize()} is already seen by {VISIBILITY_WORDS[after]}."
        )
    if after == GoalVisibility.organisation and goal.owner_organisation_id is None:
        raise UserFacingError(NEEDS_OWNER)
    unpost: tuple[int, int] | None = None
    if (
        after != GoalVisibility.partnership
        and goal.channel_id is not None
        and goal.message_id is not None
    ):
        unpost = (goal.channel_id, goal.message_id)
        goal.channel_id = goal.message_id = None
    goal.visibility = after
    goal.updated_at = now
    session.add(goal)
    await session.flush()
    await events.write(
        session,
        p,
        actor,
        events.updated(actor, p, goal, {"visibility": (before, after)}, None),
        at=now,
    )
    web = await goal_web.load_web(session, p, now=now, viewer=lookup.drawn_for(access, goal))
    return VisibilityResult(
        card=web.card(goal),
        before=before,
        after=after,
        post=after == GoalVisibility.partnership and goal.message_id is None,
        unpost=unpost,
    )
