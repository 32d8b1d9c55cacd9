"""Finding the goal a command means, and the records around it, for this person only.

By number, a goal is found in any partnership the person belongs to; by title, within the
partnership named or implied by the channel. Whether the person may see it is decided by the
access gate (`bot.services.access`); a goal they may not see is simply not found.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import NotFound, UserFacingError
from bot.services.access import (
    Access,
    Actor,
    PartnershipRef,
    authorize_by_id,
    check_goal_owner,
    require_convener,
    resolve,
    visible_partnerships,
)
from bot.services.goals.cards import GoalTarget
from bot.services.goals.vocab import CLOSED, goal_name
from bot.services.text import choice_name, record_number
from bot.services.vocab import label
from db import queries
from db.models import Goal, Organisation, Partnership, name_key

GOALS = "its goals"  # what an archived partnership refuses to change


def goal_not_found(text: str | None = None, partnership: Partnership | None = None) -> NotFound:
    if text and partnership is not None:
        return NotFound(
            f"I can't find a goal “{text}” in {partnership.name}. "
            "Choose one from the list as you type, or give its number."
        )
    return NotFound("I can't find that goal among the partnerships you belong to.")


async def locate(
    session: AsyncSession, actor: Actor, target: GoalTarget, *, lock: bool = False
) -> tuple[Access, Goal]:
    """Find the goal a command means, and check this person may see it.

    By number, a goal is found in any partnership the person belongs to; by title, within
    the partnership named or implied. Non-members learn nothing. `lock` holds the goal for
    the rest of the transaction, so two changes to it never interleave.
    """
    text = " ".join((target.goal or "").split())
    if not text:
        raise UserFacingError("Which goal? Choose one from the list as you type.")
    ref = target.partnership
    number = record_number(text)
    if ref.name and ref.name.strip():
        access = await resolve(session, actor, ref)
        goal = await find_in(session, access.partnership, text)
    elif number is not None:
        found = await goal_by_id(session, actor, number)
        if found is not None:
            access, goal = found
        else:
            try:
                access = await resolve(session, actor, ref)
            except UserFacingError:
                raise goal_not_found() from None
            goal = await find_in(session, access.partnership, text)
    else:
        access = await resolve(session, actor, ref)
        goal = await find_in(session, access.partnership, text)
    if lock and (await session.connection()).dialect.name != "sqlite":
        # Serialise changes to one goal (PostgreSQL), reading it afresh in the same statement;
        # SQLite writers are serialised already.
        await session.exec(
            select(Goal)
            .where(Goal.id == goal.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    return access, goal


async def locate_to_change(
    session: AsyncSession, actor: Actor, target: GoalTarget
) -> tuple[Access, Goal]:
    """`locate` a goal to change it: held for the transaction, and refused once archived."""
    access, goal = await locate(session, actor, target, lock=True)
    access.check_writable(GOALS)
    return access, goal


async def pair(
    session: AsyncSession, actor: Actor, target: GoalTarget, other: str
) -> tuple[Access, Goal, Goal]:
    """The two goals a link names, for a convener, in a partnership that can still change."""
    access, goal = await locate(session, actor, target, lock=True)
    p = access.partnership
    require_convener(access, "link goals")
    access.check_writable(GOALS)
    other_goal = await find_in(session, p, other)
    if other_goal.id == goal.id:
        raise UserFacingError("A goal can't be linked to itself.")
    return access, goal, other_goal


async def goal_by_id(
    session: AsyncSession, actor: Actor, goal_id: int
) -> tuple[Access, Goal] | None:
    """A goal by number, if this person may see it; None otherwise, whatever the reason."""
    goal = await session.get(Goal, goal_id)
    if goal is None:
        return None
    access = await authorize_by_id(session, actor, goal.partnership_id)
    return None if access is None else (access, goal)


async def find_in(session: AsyncSession, p: Partnership, text: str) -> Goal:
    """A goal of this partnership by number or exact title (regardless of case)."""
    text = " ".join(text.split())
    number = record_number(text)
    if number is not None:
        goal = await session.get(Goal, number)
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


async def active_partner(session: AsyncSession, p: Partnership, name: str) -> Organisation:
    """A current partner organisation of the partnership, by name, or a polite error."""
    assert p.id is not None
    found = await queries.active_partner_named(
        session, partnership_id=p.id, guild_id=p.guild_id, name=name
    )
    if found is None:
        raise NotFound(f"“{name}” isn't a current partner organisation of {p.name}.")
    return found[1]


async def owner_organisation(
    session: AsyncSession, access: Access, name: str | None
) -> Organisation:
    """The owner of a new organisation's goal: the partner named (for its own representatives
    or a convener), else the organisation the person speaks for."""
    p = access.partnership
    owner: Organisation | None = None
    if name:
        owner = await active_partner(session, p, name)
        check_goal_owner(access, owner)
    elif access.organisation_id is not None:
        own = await session.get(Organisation, access.organisation_id)
        if own is not None:
            owner = await active_partner(session, p, own.name)
    if owner is None:
        raise UserFacingError(
            "An organisation's goal needs its organisation: choose one with `organisation`."
        )
    return owner


async def organisation_name(session: AsyncSession, organisation_id: int | None) -> str:
    org = await session.get(Organisation, organisation_id) if organisation_id else None
    return org.name if org else "its organisation"


async def goal_choices(
    session: AsyncSession, actor: Actor, ref: PartnershipRef, current: str, *, limit: int
) -> list[tuple[str, str]]:
    """(choice name, goal id) for the goals matching what was typed: in the partnership named
    or implied, else in every partnership the person may see (each choice then says which).
    Open goals first, then exact numbers and titles that start with what was typed."""
    try:
        partnerships = [(await resolve(session, actor, ref)).partnership]
        several = False
    except UserFacingError:
        if ref.name and ref.name.strip():
            return []
        partnerships = await visible_partnerships(session, actor)
        several = True
    names = {p.id: p.name for p in partnerships if p.id is not None}
    if not names:
        return []
    goals = (
        await session.exec(
            select(Goal)
            .where(col(Goal.partnership_id).in_(list(names)))
            .order_by(col(Goal.id).desc())
        )
    ).all()
    key = name_key(current.lstrip("#"))
    matches = [g for g in goals if not key or key in g.title_key or str(g.id) == key]
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
        result.append((choice_name(f"#{goal.id} {goal.title}", closed + where), str(goal.id)))
    return result


def ensure_open(goal: Goal) -> None:
    """Stances are closed on achieved, dropped and superseded goals."""
    if goal.status in CLOSED:
        raise UserFacingError(
            f"{goal_name(goal).capitalize()} is {label(goal.status)}, so stances on it are closed."
        )
