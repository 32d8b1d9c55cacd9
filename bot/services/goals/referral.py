"""Mandate-aware stances: agreement subject to referral, and its confirmation.

Who may commit an organisation is part of the ambiguity of membership (Huxham & Vangen 2000):
a representative who *must refer back* can't agree for their organisation on the spot. So when
they agree or have reservations, the stance is recorded *subject to referral* (with an optional
expected date, `refer_by`): shown on the goal, not counted toward agreement. It counts once the
organisation confirms it: the representative who gave it, back from the referral, or another of
its representatives or substitutes who can commit it. A confirmation is a new stance row for
the same voice (stances are append-only), and agreement can be reached by it.

Someone who may *agree in principle* is counted as given; the goal shows it as in principle.
An objection or "unsure" needs no referral: it commits nobody to anything.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import UserFacingError
from bot.services.access import Access, Voice, check_may_confirm, must_refer_back
from bot.services.goals.vocab import STANCE_WORDS, SUPPORTIVE, Referral, goal_name
from bot.services.timeutil import zone
from db.models import Goal, GoalStance


def referral_for(
    access: Access, voice: Voice, stance: str, refer_by: date | None, now: datetime
) -> tuple[str, date | None]:
    """(referral state, expected date) for a new stance by this person."""
    if not (must_refer_back(access, voice) and stance in SUPPORTIVE):
        if refer_by is not None:
            raise UserFacingError(
                "`refer_by` is for a stance given subject to referral: agreement or "
                "reservations from a representative who must refer back to their organisation. "
                "This stance counts as it is, so leave `refer_by` out."
            )
        return Referral.none, None
    if refer_by is not None:
        p = access.partnership
        today = now.astimezone(zone(p.timezone)).date()
        if refer_by < today:
            raise UserFacingError(
                f"`refer_by` is when you expect your organisation's answer, so it can't be "
                f"before today ({today.isoformat()} in {p.timezone})."
            )
    return Referral.pending, refer_by


async def latest_row(
    session: AsyncSession, goal_id: int, organisation_id: int
) -> GoalStance | None:
    """The organisation's latest stance row on the goal, if any."""
    query = (
        select(GoalStance)
        .where(GoalStance.goal_id == goal_id, GoalStance.organisation_id == organisation_id)
        .order_by(col(GoalStance.recorded_at).desc(), col(GoalStance.id).desc())
    )
    return (await session.exec(query.limit(1))).first()


async def pending_to_confirm(
    session: AsyncSession, access: Access, voice: Voice, goal: Goal, stance: str | None
) -> GoalStance:
    """The organisation's stance awaiting confirmation, once the gate allows this person to
    confirm it; `stance` (agree or reservations) is what they confirm, the pending one if None."""
    assert goal.id is not None
    if voice.organisation_id is None:
        raise UserFacingError(
            "Only an organisation's stance is given subject to referral, and you speak for "
            "yourself here: there is nothing to confirm."
        )
    row = await latest_row(session, goal.id, voice.organisation_id)
    if row is None or row.referral != Referral.pending:
        raise UserFacingError(
            f"Nothing is awaiting confirmation from {voice.organisation} on {goal_name(goal)}: "
            "its latest stance already counts as given. Use `/goal endorse` without `confirm` "
            "to record a new one."
        )
    check_may_confirm(access, voice, row.user_id)
    if stance is not None and stance not in SUPPORTIVE:
        raise UserFacingError(
            f"Confirming is for agreement or reservations. To record that {voice.organisation} "
            f"{STANCE_WORDS[stance]} the goal instead, use `/goal endorse` without `confirm`."
        )
    return row
