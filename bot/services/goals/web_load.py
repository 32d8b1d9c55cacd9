"""Loading a partnership's goal web (`GoalWeb`) in one go: its goals, partners, people, each
voice's latest stance, links, the organisations' readings, the log mark and the removals;
re-exported as `bot.services.goals.web.load_web` (and `load_summary`, a list's web: its goals
and links as plain rows, with only what a list's cards read: `bot.services.goals.rows`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, bindparam, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import redaction
from bot.services.goals.latest import (
    StanceRow,
    latest_stances,
    latest_stances_read,
    partnership_latest,
    partnership_latest_read,
    with_confirmed,
)
from bot.services.goals.lookup import Viewer
from bot.services.goals.rows import GOAL_ROWS_AND_LINKS, G, GoalRow, L, LinkRow, goal_and_link
from bot.services.goals.web import GoalWeb
from bot.services.vocab import OWN_CAPACITY
from db import ahead, queries
from db.ahead import read_ahead
from db.models import (
    Event,
    Goal,
    GoalLink,
    GoalPerception,
    Membership,
    Organisation,
    Partnership,
)

# Built once (building a statement costs more than running it); only the values change.
# A web always reads both the goals and their links: one statement, each goal with the links
# into it (none: a row with no link), in the goals' order.
_GOALS_AND_LINKS = (
    select(Goal, GoalLink)
    .outerjoin(
        GoalLink,
        and_(
            col(GoalLink.to_goal_id) == col(Goal.id),
            col(GoalLink.partnership_id) == col(Goal.partnership_id),
        ),
    )
    .where(col(Goal.partnership_id) == bindparam("partnership_id"))
    .order_by(col(Goal.id))
)
_READINGS = (
    select(GoalPerception)
    .where(col(GoalPerception.goal_id).in_(bindparam("goal_ids", expanding=True)))
    .order_by(col(GoalPerception.recorded_at), col(GoalPerception.id))
)
_LOG_MARK = select(func.max(Event.id)).where(
    col(Event.partnership_id) == bindparam("partnership_id")
)


async def load_web(
    session: AsyncSession,
    p: Partnership,
    *,
    now: datetime | None = None,
    viewer: Viewer | None = None,
    focus: int | None = None,
    mark: bool = True,
    with_people: bool = False,
) -> GoalWeb[Goal, GoalLink]:
    """Everything about a partnership's goals, in one go, as `viewer` sees them (None: every
    goal); `now` (the service's clock) decides which comments the retention period removed.

    The people in their own capacity are read only when a card can show one (`_person_spoke`),
    or when `with_people` asks: the caller is about to put a person's new stance in the web.
    `focus`: for that goal's card only: the stances and readings of it and of the goals linked
    to it, not of every goal (a card of another goal can't be drawn from it). `mark=False`: the
    caller sets the log mark itself (`as_of`: the entry it is about to write)."""
    return await _load(
        session,
        p,
        _GOALS_AND_LINKS,
        _orm_pair,
        now=now,
        viewer=viewer,
        summary=False,
        focus=focus,
        mark=mark,
        with_people=with_people,
    )


async def load_summary(
    session: AsyncSession, p: Partnership, *, viewer: Viewer | None = None
) -> GoalWeb[GoalRow, LinkRow]:
    """Only what a list of goals shows (status, stances counted, responses, progress): the
    goals and links as plain rows (`bot.services.goals.rows`), no organisations' readings,
    comments or log mark (three statements fewer than `load_web`)."""
    return await _load(
        session,
        p,
        GOAL_ROWS_AND_LINKS,
        goal_and_link,
        now=None,
        viewer=viewer,
        summary=True,
        focus=None,
        mark=False,
        with_people=False,
    )


def summary_reads(p: Partnership) -> list[tuple[Any, dict[str, Any]]]:
    """The reads `load_summary` sends together first (`read_ahead`), with their values (a
    list remembers them, `resolve(ahead=…)`)."""
    return _first_reads(
        p, GOAL_ROWS_AND_LINKS, focus=None, summary=True, everyone=p.count_individuals
    )


def web_reads(
    p: Partnership, *, focus: int | None, with_people: bool, near: Sequence[int] = ()
) -> list[tuple[Any, dict[str, Any]]]:
    """The reads `load_web` sends together first (`read_ahead`), with their values (an
    endorse remembers them, `resolve(ahead=…)`); with `near`, the goals a focused web read
    last time (`GoalWeb.focus`), also the reads of those goals it sends next: their latest
    stances and readings. Should the goal's links have changed since, those two are not the
    reads `load_web` makes, and it makes its own (a trip more, never a stale answer)."""
    first = _first_reads(
        p,
        _GOALS_AND_LINKS,
        focus=focus,
        summary=False,
        everyone=with_people or p.count_individuals,
    )
    if focus is None or not near:
        return first
    return [*first, *_near_reads(sorted(near), summary=False)]


def _near_reads(read: list[int], *, summary: bool) -> list[tuple[Any, dict[str, Any]]]:
    """A focused web's reads of the goals near its focus (`read`): their latest stances and,
    unless a summary, their readings."""
    return [
        latest_stances_read(read),
        *([] if summary else [(_READINGS, {"goal_ids": read})]),
    ]


def _first_reads(
    p: Partnership, goals_read: Any, *, focus: int | None, summary: bool, everyone: bool
) -> list[tuple[Any, dict[str, Any]]]:
    """What a web reads that needs nothing read before it: the goals with their links, the
    partners, the latest stances of every goal (unless `focus`), the people when a card will
    show them whatever the stances (`everyone`), and a full web's removals."""
    assert p.id is not None
    pid: int = p.id
    return [
        (goals_read, {"partnership_id": pid}),
        queries.partner_rows_read(partnership_id=pid),
        *([partnership_latest_read(pid)] if focus is None else []),
        *([queries.active_members_read(partnership_id=pid)] if everyone else []),
        *([] if summary else [redaction.removals_read(p)]),
    ]


def _orm_pair(row: Any) -> tuple[Goal, GoalLink | None]:
    return row[0], row[1]


async def _load(
    session: AsyncSession,
    p: Partnership,
    goals_read: Any,
    pair: Callable[[Any], tuple[G, L | None]],
    *,
    now: datetime | None,
    viewer: Viewer | None,
    summary: bool,
    focus: int | None,
    mark: bool,
    with_people: bool,
) -> GoalWeb[G, L]:
    """`load_web` and `load_summary`: `goals_read` reads the goals with the links into each,
    `pair` makes each of its rows (goal, link or None)."""
    assert p.id is not None
    pid: int = p.id
    everyone: bool = with_people or p.count_individuals
    # One trip (`read_ahead`: to SQLite's thread, or one statement on PostgreSQL) for what
    # needs nothing read before it. A list's trip also ends its read (`last`); the people
    # (when someone spoke in their own capacity) or an owner no longer a partner, read only
    # when needed, then come from a read of their own.
    await read_ahead(
        session,
        _first_reads(p, goals_read, focus=focus, summary=summary, everyone=everyone),
        last=summary,
    )
    goals: dict[int, G] = {}
    into: list[L] = []
    values = {"partnership_id": pid}
    # A list's goals are plain columns (`rows`); a full web's are ORM objects.
    found = (
        await ahead.rows(session, goals_read, values)
        if summary
        else (await session.exec(goals_read, params=values)).all()
    )
    for row in found:
        goal, link = pair(row)
        if goal.id is not None:
            goals[goal.id] = goal
        if link is not None:
            into.append(link)
    partners = await queries.partner_rows(session, partnership_id=pid)
    redactions = redaction.Redactions()
    if not summary:  # read with the goals, so before anything read after them
        redactions = await redaction.load(session, p, now or datetime.now(UTC), answers=False)
    stances: dict[int, list[StanceRow]] = {}
    links: list[L] = []
    perceptions: dict[int, list[GoalPerception]] = defaultdict(list)
    read: list[int] = []
    if goals:
        links = sorted(
            (link for link in into if link.from_goal_id in goals), key=lambda link: link.id or 0
        )
        read = list(goals)
        if focus is not None:
            near = {focus}
            for link in links:
                if focus in (link.from_goal_id, link.to_goal_id):
                    near |= {link.from_goal_id, link.to_goal_id}
            read = sorted(near & set(goals))
        # One trip for both reads that need the goals' ids: one goal's stances, the readings.
        await read_ahead(
            session,
            _near_reads(read, summary=summary)
            if focus is not None
            else ([] if summary else [(_READINGS, {"goal_ids": read})]),
        )
        stances = (
            await partnership_latest(session, pid)
            if focus is None
            else await latest_stances(session, read)
        )
        if not summary:
            stances = await with_confirmed(session, stances)
            for reading in (await session.exec(_READINGS, params={"goal_ids": read})).all():
                perceptions[reading.goal_id].append(reading)
    people: list[Membership] = []
    if everyone or _person_spoke(stances):
        people = [
            member
            for member, _org in await queries.active_members(session, partnership_id=pid)
            if member.capacity in OWN_CAPACITY
        ]
    owner_ids = {g.owner_organisation_id for g in goals.values() if g.owner_organisation_id}
    org_names = {partner.organisation_id: partner.name for partner in partners}
    missing = owner_ids - set(org_names)
    if missing:
        for org in (
            await session.exec(select(Organisation).where(col(Organisation.id).in_(missing)))
        ).all():
            assert org.id is not None
            org_names[org.id] = org.name
    as_of: int | None = 0
    if mark and not summary:
        as_of = (await session.exec(_LOG_MARK, params={"partnership_id": pid})).one()
    return GoalWeb(
        p,
        goals,
        partners,
        people,
        stances,
        links,
        org_names,
        as_of or 0,
        redactions,
        viewer=viewer,
        perceptions=perceptions,
        focus=frozenset(read) if focus is not None else None,
        summary=summary,
    )


def _person_spoke(stances: dict[int, list[StanceRow]]) -> bool:
    """Whether someone in their own capacity has a stance among these. Unless the partnership
    counts individuals, a card shows a person only when they have one (`GoalWeb.card`), so the
    members need not be read otherwise: most partnerships' cards show organisations alone."""
    return any(row.organisation_id is None for rows in stances.values() for row in rows)
