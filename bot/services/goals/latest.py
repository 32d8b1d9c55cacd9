"""The latest stance of every voice on some goals, read in SQL.

Stances are append-only (`GoalStance`): a goal's history grows with every change of mind, and
only the latest row per voice counts (an organisation; or a person in their own capacity, whose
rows carry no organisation). Reading the whole history to keep its last rows made every card
slower as a goal aged; here the database picks them: each goal's voices one seek at a time in
the `ix_goal_stance_voice` index (organisations) or `ix_goal_stance_person` (people), then one
seek per voice for its latest row, so a goal with thousands of rows costs what one with ten
does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, bindparam, literal_column, union_all
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.frozen import quick_init
from db import ahead
from db.models import Goal, GoalStance


@quick_init
@dataclass(frozen=True)
class StanceRow:
    """A stance row as cards read it: `GoalStance`'s columns, without an ORM object's cost
    (a goal web reads dozens on every command)."""

    id: int | None
    goal_id: int
    organisation_id: int | None
    user_id: int
    display_name: str
    capacity: str
    stance: str
    comment: str | None
    recorded_at: datetime
    mandate: str | None
    referral: str
    refer_by: date | None

    @classmethod
    def of(cls, row: GoalStance) -> StanceRow:
        """The same row, from an ORM object (a stance just recorded)."""
        return cls(**{name: getattr(row, name) for name in _COLUMNS})


_COLUMNS = tuple(f.name for f in fields(StanceRow))


async def latest_stances(
    session: AsyncSession, goal_ids: Iterable[int]
) -> dict[int, list[StanceRow]]:
    """goal id → the latest stance row of each voice on it, in the order recorded."""
    ids = list(goal_ids)
    if not ids:
        return {}
    statement, params = latest_stances_read(ids)
    return _found(await ahead.rows(session, statement, params))


def latest_stances_read(goal_ids: list[int]) -> tuple[Any, dict[str, Any]]:
    """The statement and values `latest_stances` runs (for `db.ahead.read_ahead`)."""
    return _LATEST, {"goal_ids": goal_ids}


def partnership_latest_read(partnership_id: int) -> tuple[Any, dict[str, Any]]:
    """The statement and values `partnership_latest` runs (for `db.ahead.read_ahead`:
    unlike `latest_stances`, it needs no goal ids, so it can go with the goals' own read)."""
    return _LATEST_OF_PARTNERSHIP, {"partnership_id": partnership_id}


async def partnership_latest(
    session: AsyncSession, partnership_id: int
) -> dict[int, list[StanceRow]]:
    """`latest_stances` of every goal of the partnership."""
    statement, params = partnership_latest_read(partnership_id)
    return _found(await ahead.rows(session, statement, params))


def _found(rows: Iterable[Any]) -> dict[int, list[StanceRow]]:
    found: dict[int, list[StanceRow]] = defaultdict(list)
    for row in rows:
        stance = StanceRow(*row)
        found[stance.goal_id].append(stance)
    return found


# The statement is built on the table's columns, not the mapped class's: an ORM-annotated
# SELECT goes through the ORM's compile and result machinery on every call, even for plain
# columns (about 0.14 ms of a command's CPU here).
_TABLE = GoalStance.__table__  # type: ignore[attr-defined]
_GOALS = Goal.__table__  # type: ignore[attr-defined]


#: LIMIT 1 written into the SQL, not sent as a value: PostgreSQL's plan of a prepared statement
#: made for any limit assumes it may read many rows, costs more than the one made for a limit of
#: one, and so is made again on every call (a custom plan) instead of once.
_ONE: Any = literal_column("1")


def _latest_of(*, people: bool, goals: Any) -> Select[Any]:
    """The id of each voice's latest row: the voices (an organisation, or a person in their own
    capacity) of each goal are found in the index one after another, each by one seek to the
    next (a loose index scan: a recursive CTE), then one index seek finds each one's latest
    row. Neither walks the goal's history, so its length costs nothing. `goals`: which goals,
    a condition on the goal table (by id, or a partnership's)."""
    c = _TABLE.c
    name = "person" if people else "organisation"
    own = c.organisation_id.is_(None) if people else c.organisation_id.is_not(None)

    def next_voice(goal_id: Any, after: Any = None) -> Any:
        """The goal's first voice (after `after`, if given), in the index's order."""
        voice = c.user_id if people else c.organisation_id
        return (
            sa_select(voice)
            .where(c.goal_id == goal_id, own, *([voice > after] if after is not None else []))
            .order_by(voice)
            .limit(_ONE)
            .scalar_subquery()
        )

    first = sa_select(_GOALS.c.id.label("goal_id"), next_voice(_GOALS.c.id).label("voice")).where(
        goals
    )
    voices = first.cte(f"{name}_voices", recursive=True)
    voices = voices.union_all(
        sa_select(
            voices.c.goal_id, next_voice(voices.c.goal_id, voices.c.voice).label("voice")
        ).where(voices.c.voice.is_not(None))
    )
    row = _TABLE.alias()
    same_voice = (
        [row.c.organisation_id.is_(None), row.c.user_id == voices.c.voice]
        if people
        else [row.c.organisation_id == voices.c.voice]
    )
    latest = (
        sa_select(row.c.id)
        .where(row.c.goal_id == voices.c.goal_id, *same_voice)
        .order_by(row.c.recorded_at.desc(), row.c.id.desc())
        .limit(_ONE)
        .scalar_subquery()
    )
    return sa_select(latest).select_from(voices).where(voices.c.voice.is_not(None))


def _latest(goals: Any) -> Any:
    return (
        sa_select(*(_TABLE.c[name] for name in _COLUMNS))
        .where(
            _TABLE.c.id.in_(
                union_all(
                    _latest_of(people=False, goals=goals), _latest_of(people=True, goals=goals)
                )
            )
        )
        .order_by(_TABLE.c.recorded_at, _TABLE.c.id)
    )


# Built once: only the goal ids (the partnership) change from call to call.
_LATEST: Any = _latest(_GOALS.c.id.in_(bindparam("goal_ids", expanding=True)))
_LATEST_OF_PARTNERSHIP: Any = _latest(_GOALS.c.partnership_id == bindparam("partnership_id"))


async def with_confirmed(
    session: AsyncSession, found: dict[int, list[StanceRow]]
) -> dict[int, list[StanceRow]]:
    """`found`, plus the row before each latest confirmation that carries no comment of its
    own (a stance given subject to referral, then confirmed): the card shows the comment it was
    given with. Confirmations are few, so one small query each."""
    for goal_id, rows in found.items():
        extra: list[StanceRow] = []
        for row in rows:
            if row.referral != "confirmed" or row.comment or row.organisation_id is None:
                continue
            before = (
                await session.exec(
                    select(GoalStance)
                    .where(
                        GoalStance.goal_id == goal_id,
                        GoalStance.organisation_id == row.organisation_id,
                        col(GoalStance.id) != row.id,
                        col(GoalStance.recorded_at) <= row.recorded_at,
                    )
                    .order_by(col(GoalStance.recorded_at).desc(), col(GoalStance.id).desc())
                    .limit(1)
                )
            ).first()
            if before is not None:
                extra.append(StanceRow.of(before))
        if extra:
            rows[:] = sorted([*rows, *extra], key=lambda r: (r.recorded_at, r.id or 0))
    return found


def same_voice(row: StanceRow, organisation_id: int | None, user_id: int) -> bool:
    """Whether `row` was given by this voice: the organisation, or the person in their own
    capacity (`organisation_id` None)."""
    if organisation_id is not None:
        return row.organisation_id == organisation_id
    return row.organisation_id is None and row.user_id == user_id


def voice_latest(
    rows: list[StanceRow], organisation_id: int | None, user_id: int
) -> StanceRow | None:
    """Among one goal's latest rows (`latest_stances`), this voice's."""
    mine = [r for r in rows if same_voice(r, organisation_id, user_id)]
    return max(mine, key=_order) if mine else None


def with_new_stance(rows: list[StanceRow], recorded: GoalStance) -> list[StanceRow]:
    """One goal's latest rows as `latest_stances` and `with_confirmed` would read them once
    `recorded` (flushed) is recorded: the voice's earlier rows give way to it, except that a
    confirmation without a comment of its own keeps the stance it confirms beside it."""
    new = StanceRow.of(recorded)
    kept = [r for r in rows if not same_voice(r, new.organisation_id, new.user_id)]
    before = voice_latest(rows, new.organisation_id, new.user_id)
    if (
        before is not None
        and new.referral == "confirmed"
        and not new.comment
        and new.organisation_id is not None
    ):
        kept.append(before)
    return sorted([*kept, new], key=_order)


def _order(row: StanceRow) -> tuple[Any, int]:
    return (row.recorded_at, row.id or 0)
