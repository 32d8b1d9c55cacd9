"""Finding the goal a command means, and the records around it, for this person only.

By number, a goal is found in any partnership the person belongs to; by title, within the
partnership named or implied by the channel. Whether the person may see the partnership is
decided by the access gate (`bot.services.access`); whether they may see the goal, by its
visibility (`may_see`, `visible_clause`: the one place that decides). A goal they may not see
is simply not found, with the same answer as a goal that does not exist.

Who sees a goal (`Goal.visibility`):
- `partnership` (the default): every member of the partnership, and server managers;
- `conveners`: the conveners (and server managers), the people of the goal's owning
  organisation (any member whose membership is for it), and the person who proposed it;
- `organisation`: the people of the owning organisation and the person who proposed it only.
The person whose own goal it is (an individual-level goal) always sees it too. Messages in the
channel, announcements, the digest, nudges and every export show `partnership` goals only.

An individual-level goal is, besides, its owner's alone until the owner shares it
(`Goal.shared_at`, `shared`): until then everyone else, conveners included, gets the answer a
missing goal gets, whatever its visibility.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, not_, or_, true
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
from bot.services.goals.rows import AnyGoal
from bot.services.goals.vocab import CLOSED, GoalVisibility, Level, goal_name
from bot.services.text import choice_name, record_number
from bot.services.vocab import label
from db import queries
from db.models import Event, Goal, Organisation, Partnership, name_key

GOALS = "its goals"  # what an archived partnership refuses to change


@dataclass(frozen=True)
class Viewer:
    """Who looks at a partnership's goals, as their visibility needs to know them. The empty
    viewer (`PUBLIC`) is everyone at once: the channel, the digest, exports."""

    user_id: int | None = None
    organisation_id: int | None = None  # the organisation their membership is for, if any
    convener: bool = False


PUBLIC = Viewer()


def viewer_of(access: Access) -> Viewer:
    """The person of `access`, in that partnership."""
    member = access.membership
    return Viewer(
        user_id=access.actor.user_id,
        organisation_id=member.organisation_id if member is not None else None,
        convener=access.may_convene,
    )


def drawn_for(access: Access, goal: Goal) -> Viewer:
    """Whom a goal's card is drawn for after a change: everyone when the whole partnership sees
    the goal (its posted message shows the card), else the person acting."""
    return PUBLIC if goal.visibility == GoalVisibility.partnership else viewer_of(access)


def shared(goal: AnyGoal) -> bool:
    """Every goal but an individual-level one its owner has not shared yet."""
    return goal.level != Level.individual or goal.shared_at is not None


def may_see(viewer: Viewer, goal: AnyGoal) -> bool:
    """Whether `viewer` sees `goal` (the module's docstring); `visible_clause` in SQL."""
    if not shared(goal):
        return viewer.user_id is not None and viewer.user_id == goal.owner_user_id
    if goal.visibility == GoalVisibility.partnership:
        return True
    if viewer.user_id is not None and viewer.user_id in (goal.proposed_by, goal.owner_user_id):
        return True
    if viewer.organisation_id is not None and viewer.organisation_id == goal.owner_organisation_id:
        return True
    return viewer.convener and goal.visibility == GoalVisibility.conveners


def visible_clause(viewer: Viewer) -> ColumnElement[bool]:
    """`may_see` as a condition on `Goal` rows, for queries. Never NULL (empty owners are
    tested first), so `not_(visible_clause(...))` is the goals the viewer may not see."""
    clauses: list[ColumnElement[bool]] = [col(Goal.visibility) == GoalVisibility.partnership]
    if viewer.user_id is not None:
        clauses.append(col(Goal.proposed_by) == viewer.user_id)
        clauses.append(
            and_(col(Goal.owner_user_id).is_not(None), col(Goal.owner_user_id) == viewer.user_id)
        )
    if viewer.organisation_id is not None:
        clauses.append(
            and_(
                col(Goal.owner_organisation_id).is_not(None),
                col(Goal.owner_organisation_id) == viewer.organisation_id,
            )
        )
    if viewer.convener:
        clauses.append(col(Goal.visibility) == GoalVisibility.conveners)
    unshared = and_(col(Goal.level) == Level.individual, col(Goal.shared_at).is_(None))
    own = (
        and_(col(Goal.owner_user_id).is_not(None), col(Goal.owner_user_id) == viewer.user_id)
        if viewer.user_id is not None
        else false()
    )
    return or_(and_(not_(unshared), or_(*clauses)), own)
    return or_(*clauses)


def goal_not_found(text: str | None = None, partnership: Partnership | None = None) -> NotFound:
    if text and partnership is not None:
        return NotFound(
            f"I can't find a goal “{text}” in {partnership.name}. "
            "Choose one from the list as you type, or give its number."
        )
    return NotFound("I can't find that goal among the partnerships you belong to.")


async def hidden_goals(session: AsyncSession, p: Partnership, viewer: Viewer) -> list[int]:
    """The partnership's goals `viewer` may not see, by id."""
    rows = await session.exec(
        select(Goal.id).where(Goal.partnership_id == p.id, not_(visible_clause(viewer)))
    )
    return [goal_id for goal_id in rows.all() if goal_id is not None]


def not_about(hidden: list[int]) -> ColumnElement[bool]:
    """A condition on `Event` rows: the entry names none of these goals (a goal's own entries,
    a link to it, a decision about it), so the log never names a goal to someone who may not
    see it."""
    if not hidden:
        return true()
    conditions = []
    for key in ("goal_id", "other_id"):
        named = col(Event.payload)[key].as_integer()
        conditions.append(or_(named.is_(None), named.not_in(hidden)))
    return and_(*conditions)


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
        goal = await find_in(session, access.partnership, text, viewer_of(access))
    elif number is not None:
        found = await goal_by_id(session, actor, number)
        if found is not None:
            access, goal = found
        else:
            try:
                access = await resolve(session, actor, ref)
            except UserFacingError:
                raise goal_not_found() from None
            goal = await find_in(session, access.partnership, text, viewer_of(access))
    else:
        access = await resolve(session, actor, ref)
        goal = await find_in(session, access.partnership, text, viewer_of(access))
    if lock:
        await _hold(session, goal)
    return access, goal


async def _hold(session: AsyncSession, goal: Goal) -> None:
    """Serialise changes to one goal (PostgreSQL), reading it afresh in the same statement;
    SQLite writers are serialised already."""
    if (await session.connection()).dialect.name != "sqlite":
        await session.exec(
            select(Goal)
            .where(Goal.id == goal.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )


async def locate_to_change(
    session: AsyncSession, actor: Actor, target: GoalTarget
) -> tuple[Access, Goal]:
    """`locate` a goal to change it: held for the transaction, and refused once archived."""
    access, goal = await locate(session, actor, target, lock=True)
    access.check_writable(GOALS)
    return access, goal


def named_number(target: GoalTarget) -> int | None:
    """The goal number a target gives in a partnership it names (None: a title, or no
    partnership named). Such a goal is sought among the partnership's goals once they are
    read (`found_among`), so a change that reads them anyway does not read the goal alone
    first; `locate` serves every other target."""
    if not (target.partnership.name and target.partnership.name.strip()):
        return None
    return record_number(" ".join((target.goal or "").split()))


async def found_among(
    session: AsyncSession, access: Access, goals: dict[int, Goal], target: GoalTarget, number: int
) -> Goal:
    """The goal of `named_number(target)`, among the partnership's goals just read, if the
    person may see it; else as `find_in` finds it (a title that reads as a number), held as
    `locate(lock=True)` holds it. Refused once the partnership is archived, as
    `locate_to_change` refuses it."""
    goal = goals.get(number)
    if goal is None or not may_see(viewer_of(access), goal):
        text = " ".join((target.goal or "").split())
        goal = await find_in(session, access.partnership, text, viewer_of(access))
        await _hold(session, goal)
    access.check_writable(GOALS)
    return goal


async def pair(
    session: AsyncSession, actor: Actor, target: GoalTarget, other: str
) -> tuple[Access, Goal, Goal]:
    """The two goals a link names, for a convener, in a partnership that can still change."""
    access, goal = await locate(session, actor, target, lock=True)
    p = access.partnership
    require_convener(access, "link goals")
    access.check_writable(GOALS)
    other_goal = await find_in(session, p, other, viewer_of(access))
    for end in (goal, other_goal):
        if not shared(end):
            raise UserFacingError(
                f"{goal_name(end).capitalize()} is still yours alone: share it with the "
                "partnership (`/goal share`) before linking it."
            )
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
    if access is None or not may_see(viewer_of(access), goal):
        return None
    return access, goal


async def find_in(session: AsyncSession, p: Partnership, text: str, viewer: Viewer) -> Goal:
    """A goal of this partnership that `viewer` may see, by number or exact title (regardless
    of case). A goal they may not see is not found, as if it did not exist."""
    text = " ".join(text.split())
    number = record_number(text)
    if number is not None:
        goal = await session.get(Goal, number)
        if goal is not None and goal.partnership_id == p.id and may_see(viewer, goal):
            return goal
    matches = (
        await session.exec(
            select(Goal)
            .where(
                Goal.partnership_id == p.id,
                Goal.title_key == name_key(text),
                visible_clause(viewer),
            )
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
        accesses = [await resolve(session, actor, ref)]
        several = False
    except UserFacingError:
        if ref.name and ref.name.strip():
            return []
        accesses = []
        for p in await visible_partnerships(session, actor):
            assert p.id is not None
            found = await authorize_by_id(session, actor, p.id)
            if found is not None:
                accesses.append(found)
        several = True
    names = {a.partnership_id: a.partnership.name for a in accesses}
    if not names:
        return []
    goals = (
        await session.exec(
            select(Goal)
            .where(
                or_(
                    *(
                        (col(Goal.partnership_id) == a.partnership_id)
                        & visible_clause(viewer_of(a))
                        for a in accesses
                    )
                )
            )
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


def ensure_open(goal: Goal, what: str = "stances") -> None:
    """Stances and responses are closed on achieved, dropped and superseded goals."""
    if goal.status in CLOSED:
        raise UserFacingError(
            f"{goal_name(goal).capitalize()} is {label(goal.status)}, so {what} on it are closed."
        )
