"""The latest stance of every voice on some goals, read in SQL.

Stances are append-only (`GoalStance`): a goal's history grows with every change of mind, and
only the latest row per voice counts (an organisation; or a person in their own capacity, whose
rows carry no organisation). Reading the whole history to keep its last rows made every card
slower as a goal aged; here the database picks them (a window function over the
`ix_goal_stance_voice` index), so a goal with thousands of rows costs what one with ten does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import GoalStance


async def latest_stances(
    session: AsyncSession, goal_ids: Iterable[int]
) -> dict[int, list[GoalStance]]:
    """goal id → the latest stance row of each voice on it, in the order recorded."""
    ids = list(goal_ids)
    if not ids:
        return {}
    # A person's own voice is their user id; an organisation's is the organisation, whoever
    # spoke for it.
    person = case((col(GoalStance.organisation_id).is_(None), col(GoalStance.user_id)))
    ranked = (
        select(
            col(GoalStance.id).label("id"),
            func.row_number()
            .over(
                partition_by=(col(GoalStance.goal_id), col(GoalStance.organisation_id), person),
                order_by=(col(GoalStance.recorded_at).desc(), col(GoalStance.id).desc()),
            )
            .label("place"),
        )
        .where(col(GoalStance.goal_id).in_(ids))
        .subquery()
    )
    rows = await session.exec(
        select(GoalStance)
        .join(ranked, col(GoalStance.id) == ranked.c.id)
        .where(ranked.c.place == 1)
        .order_by(col(GoalStance.recorded_at), col(GoalStance.id))
    )
    found: dict[int, list[GoalStance]] = defaultdict(list)
    for row in rows.all():
        found[row.goal_id].append(row)
    return found
