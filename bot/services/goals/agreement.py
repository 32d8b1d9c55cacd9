"""When a goal is agreed, and who has a voice in it.

- A stance given subject to referral (by a representative who must refer back) counts only once
  the organisation confirms it; one given in principle counts, shown as such.
- The partnership's rule decides: consensus (every counted voice agrees or has reservations, so
  none objects) or majority (more than half of them do); either needs at least one active core
  organisation. Counted voices are the core organisations, plus people in their own capacity
  when the partnership's `count_individuals` is on.
- A representative or substitute speaks for their organisation; individuals and citizens for
  themselves; observers have no voice. The latest stance per voice counts.
- Agreement is an event: recorded once, on the stance that met the rule (or by a convener once
  it is met), and nothing later reverts it.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import UserFacingError
from bot.services.access import Actor
from bot.services.goals import events
from bot.services.goals.cards import GoalCard, OrgLine, PersonLine, StanceView, Tally, Voice
from bot.services.goals.vocab import SUPPORTIVE, GoalStatus, Stance, goal_name
from bot.services.vocab import with_article
from db.models import Goal, GoalStance, Partnership

STANCE_VALUES = tuple(s.value for s in Stance)


def tally(
    p: Partnership,
    organisations: list[OrgLine],
    people: list[PersonLine],
    *,
    agreeable: bool = True,
) -> Tally:
    """Count the voices of one goal's matrix under the partnership's rule. A goal that takes
    responses instead (an organisation's or a person's: not `agreeable`) never meets it."""
    counted: list[StanceView | None] = [o.latest for o in organisations if o.counts]
    core = len(counted)
    counted += [m.latest for m in people if m.counts]
    # One pass each (a list tallies twenty cards): the counted voices, then the organisations.
    supportive = pending = objecting = 0
    for s in counted:
        if s is None:
            continue
        if s.stance in SUPPORTIVE:
            if s.pending:
                pending += 1
            else:
                supportive += 1
        if s.stance == Stance.object:
            objecting += 1
    breakdown = dict.fromkeys(STANCE_VALUES, 0)
    with_stance = 0
    for line in organisations:
        if line.latest is not None:
            with_stance += 1
            if line.latest.stance in breakdown:
                breakdown[line.latest.stance] += 1
    voices = len(counted)
    if p.agreement_rule == "majority":
        met = core > 0 and supportive * 2 > voices
    else:
        met = core > 0 and supportive == voices
    met = met and agreeable
    return Tally(
        rule=p.agreement_rule,
        count_individuals=p.count_individuals,
        core=core,
        voices=voices,
        supportive=supportive,
        objecting=objecting,
        organisations=len(organisations),
        organisations_with_stance=with_stance,
        breakdown=breakdown,
        met=met,
        pending=pending,
    )


async def latest_stance(
    session: AsyncSession, goal_id: int, voice: Voice, user_id: int
) -> str | None:
    """The stance this voice last took on the goal, if any."""
    query = select(GoalStance.stance).where(GoalStance.goal_id == goal_id)
    if voice.organisation_id is not None:
        query = query.where(GoalStance.organisation_id == voice.organisation_id)
    else:
        query = query.where(
            col(GoalStance.organisation_id).is_(None), GoalStance.user_id == user_id
        )
    query = query.order_by(col(GoalStance.recorded_at).desc(), col(GoalStance.id).desc())
    return (await session.exec(query.limit(1))).first()


async def mark_agreed(
    session: AsyncSession,
    actor: Actor,
    goal: Goal,
    card: GoalCard,
    *,
    at: datetime,
    by_stance: GoalStance | None,
    voice: Voice | None,
) -> None:
    """Agreement, once: the moment (the stance's, else `at`), the rule, and the log event."""
    p = card.partnership
    goal.agreed_at = by_stance.recorded_at if by_stance else at
    goal.agreed_rule = p.agreement_rule
    if goal.status == GoalStatus.proposed:
        goal.status = GoalStatus.agreed
    session.add(goal)
    await events.write(
        session, p, actor, events.agreed(actor, goal, card, by_stance=by_stance, voice=voice), at=at
    )


def check_status(goal: Goal, status: str, card: GoalCard) -> bool:
    """Whether a convener may give a goal this status; True when it agrees the goal.

    Agreement is never undone, and a convener marks a goal agreed only once the rule is met.
    """
    if status == GoalStatus.proposed and goal.agreed_at is not None:
        raise UserFacingError(
            f"{goal_name(goal).capitalize()} has been agreed; agreement is kept as an event and "
            "isn't undone. Mark it in progress, dropped or superseded instead."
        )
    if status != GoalStatus.agreed or goal.agreed_at is not None:
        return False
    if card.takes_responses:
        raise UserFacingError(
            f"{goal_name(goal).capitalize()} is {with_article(goal.level)}-level goal: it isn't "
            "agreed by the partnership. The other organisations respond to it instead "
            "(compatible, in tension, doesn't affect us, didn't know) with `/goal respond`."
        )
    tally = card.tally
    if not tally.met:
        raise UserFacingError(
            f"{goal_name(goal).capitalize()} isn't agreed yet: goals are agreed by the "
            f"organisations' stances under the {card.partnership.agreement_rule} rule "
            f"({tally.supportive} of {tally.voices} voices agree or have reservations; "
            f"{tally.needed} needed"
            + (", none objecting" if tally.rule == "consensus" else "")
            + ")."
        )
    return True
