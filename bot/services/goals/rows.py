"""A goal and a goal link as a list of goals reads them: the columns its cards need, as plain
rows, not ORM objects.

`/goal list` draws a card for every goal of a partnership; loading twenty `Goal` objects (the
ORM's identity map, state and per-column processing) and reading their attributes through the
ORM's descriptors cost more than the rest of the list. `load_summary` reads the goals and their
links with a core SELECT into `GoalRow` and `LinkRow` instead: only the columns a list's cards,
the roll-up of progress and who-sees-what read (`lookup.may_see`), under the same names,
read-only (a list changes nothing). `AnyGoal` is what the code shared by both webs accepts; a
card of a list is a `GoalCard[GoalRow]` (mypy tells a field it lacks).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import and_, bindparam
from sqlalchemy import select as sa_select

from bot.services.frozen import quick_init
from db.models import Goal, GoalLink


@quick_init
@dataclass(frozen=True)
class GoalRow:
    """The columns of a `Goal` that a list's cards read, without the ORM."""

    id: int | None
    partnership_id: int
    title: str
    level: str
    owner_organisation_id: int | None
    owner_user_id: int | None
    shared_at: datetime | None
    visibility: str
    status: str
    phase: str | None
    progress: int | None
    proposed_by: int
    agreed_at: datetime | None
    channel_id: int | None
    message_id: int | None


@quick_init
@dataclass(frozen=True)
class LinkRow:
    """The columns of a `GoalLink` that a goal web reads, without the ORM."""

    id: int | None
    from_goal_id: int
    to_goal_id: int
    relation: str


AnyGoal = Goal | GoalRow
#: The goals and links of a web: ORM objects (`load_web`), or plain rows (`load_summary`).
G = TypeVar("G", Goal, GoalRow)
L = TypeVar("L", GoalLink, LinkRow)

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
