"""A goal and a goal link as a list of goals reads them: their columns as plain rows, not ORM
objects.

`/goal list` draws a card for every goal of a partnership; loading twenty `Goal` objects (the
ORM's identity map, state and per-column processing) and reading their attributes through the
ORM's descriptors cost more than the rest of the list. `load_web(summary=True)` reads the goals
and their links with a core SELECT into `GoalRow` and `LinkRow` instead: the same columns under
the same names, read-only (a summary web changes nothing). `AnyGoal` is what the code shared by
both webs (cards, who sees what) accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam
from sqlalchemy import select as sa_select

from db.models import Goal, GoalLink


@dataclass(frozen=True, slots=True)
class GoalRow:
    """`Goal`'s columns, read without the ORM."""

    id: int | None
    partnership_id: int
    title: str
    title_key: str
    description: str
    level: str
    origin: str
    authenticity: str
    relevance: str
    content: str
    overtness: str
    phase: str | None
    owner_organisation_id: int | None
    owner_user_id: int | None
    shared_at: datetime | None
    visibility: str
    status: str
    progress: int | None
    review_on: date | None
    respond_by: date | None
    proposed_by: int
    proposed_at: datetime
    agreed_at: datetime | None
    agreed_rule: str | None
    updated_at: datetime
    channel_id: int | None
    message_id: int | None


@dataclass(frozen=True, slots=True)
class LinkRow:
    """`GoalLink`'s columns, read without the ORM."""

    id: int | None
    partnership_id: int
    from_goal_id: int
    to_goal_id: int
    relation: str
    created_by: int
    created_at: datetime


AnyGoal = Goal | GoalRow

_GOAL_COLUMNS = tuple(f.name for f in fields(GoalRow))
_LINK_COLUMNS = tuple(f.name for f in fields(LinkRow))
_GOAL = Goal.__table__  # type: ignore[attr-defined]
_LINK = GoalLink.__table__  # type: ignore[attr-defined]

#: A partnership's goals, each with the links into it (none: a row with no link), in the goals'
#: order: `web_load`'s ORM statement, on the tables' columns (built once).
GOAL_ROWS_AND_LINKS: Any = (
    sa_select(*(_GOAL.c[n] for n in _GOAL_COLUMNS), *(_LINK.c[n] for n in _LINK_COLUMNS))
    .outerjoin(
        _LINK,
        and_(
            _LINK.c.to_goal_id == _GOAL.c.id,
            _LINK.c.partnership_id == _GOAL.c.partnership_id,
        ),
    )
    .where(_GOAL.c.partnership_id == bindparam("partnership_id"))
    .order_by(_GOAL.c.id)
)


def goal_and_link(row: Any) -> tuple[GoalRow, LinkRow | None]:
    """One row of `GOAL_ROWS_AND_LINKS`."""
    values = tuple(row)
    split = len(_GOAL_COLUMNS)
    link = values[split:]
    return GoalRow(*values[:split]), LinkRow(*link) if link[0] is not None else None
