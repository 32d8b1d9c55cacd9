"""Goals in an export, as they stood at the end of the period: the goals proposed by then, each
with its status, progress and wording then (later `goal.updated` changes undone from their
"from" values), agreed only if agreed by then, the latest stance of each voice by then (stances
are append-only), and the links recorded by then (replayed from `goal.linked`/`goal.unlinked`).

The external audience gets no individual-level goal (nor a link to one), no sensitive label
(`bot.services.goals.SENSITIVE`), no stance comment and nobody who recorded a stance.

No audience gets a goal that the whole partnership does not see (visibility conveners or
organisation, `bot.services.goals.lookup.may_see`), nor a link to it, nor a log entry or a
decision that names it: an export leaves the bot, and a goal kept to an organisation or the
conveners is recorded on Discord only. It comes into exports once it is shared.
The same holds for an individual-level goal its owner has not shared (`lookup.shared`).
On organisation- and individual-level goals the matrix holds each organisation's latest
response (compatible, in tension, doesn't affect us, didn't know) in the `stance` column, or
the stance it recorded before responses existed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.export.document import GoalRow, LinkRow, ReadingCount, StanceCell
from bot.services.export.history import History
from bot.services.export.lens import Lens
from bot.services.export.links import GOAL_LINKED_KINDS, logged_links
from bot.services.goals import SENSITIVE, GoalStatus, Level, Relation
from bot.services.goals.lookup import PUBLIC, may_see
from bot.services.goals.readings import spread
from bot.services.redaction import Redactions
from bot.services.timeutil import as_utc
from bot.services.vocab import PartnerStatus
from db.models import Event, Goal, GoalPerception, GoalStance, Partnership, name_key

LABEL_KEYS = ("origin", "authenticity", "relevance", "content", "overtness")
# What a `goal.updated` change may have changed, and how its stored value reads back.
REVERTIBLE = (
    "status",
    "progress",
    "review_on",
    "title",
    "description",
    *LABEL_KEYS,
    "level",
    "phase",
)


@dataclass
class GoalSection:
    goals: list[GoalRow] = field(default_factory=list)
    links: list[LinkRow] = field(default_factory=list)
    hidden: set[int] = field(default_factory=set)  # goal ids this audience may not see
    titles: dict[int, str] = field(default_factory=dict)  # as this audience may read them

    def shown(self, goal_id: int | None) -> bool:
        return goal_id is None or goal_id not in self.hidden


def _revert(values: dict[str, Any], changes: dict[str, Any]) -> None:
    for key, change in changes.items():
        if key in REVERTIBLE and isinstance(change, dict) and "from" in change:
            values[key] = change["from"]


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


# The partnership's goals, oldest first: built once, the partnership bound as it runs.
_GOALS = (
    select(Goal)
    .where(col(Goal.partnership_id) == bindparam("partnership_id"))
    .order_by(col(Goal.id))
)


async def goal_section(
    session: AsyncSession,
    p: Partnership,
    *,
    end: datetime,
    lens: Lens,
    history: History,
    redactions: Redactions,
) -> GoalSection:
    assert p.id is not None
    goals = [
        g
        for g in (await session.exec(_GOALS, params={"partnership_id": p.id})).all()
        if as_utc(g.proposed_at) <= end
    ]
    section = GoalSection()
    if not goals:
        return section
    ids = [g.id for g in goals if g.id is not None]
    later = (
        await session.exec(
            select(Event)
            .where(
                Event.guild_id == p.guild_id,
                Event.partnership_id == p.id,
                Event.kind == "goal.updated",
                Event.occurred_at > end,
            )
            .order_by(col(Event.occurred_at).desc(), col(Event.id).desc())
        )
    ).all()
    values: dict[int, dict[str, Any]] = {
        g.id: {key: getattr(g, key) for key in REVERTIBLE} for g in goals if g.id is not None
    }
    for event in later:  # newest first: each change undone back to the end of the period
        goal_id = event.payload.get("goal_id")
        changes = event.payload.get("changes")
        if goal_id in values and isinstance(changes, dict):
            _revert(values[goal_id], changes)
    stances: dict[int, list[GoalStance]] = defaultdict(list)
    for stance in (
        await session.exec(
            select(GoalStance)
            .where(col(GoalStance.goal_id).in_(ids))
            .order_by(col(GoalStance.recorded_at), col(GoalStance.id))
        )
    ).all():
        if as_utc(stance.recorded_at) <= end:
            stances[stance.goal_id].append(stance)
    perceptions: dict[int, list[GoalPerception]] = defaultdict(list)
    for reading in (
        await session.exec(
            select(GoalPerception)
            .where(col(GoalPerception.goal_id).in_(ids))
            .order_by(col(GoalPerception.recorded_at), col(GoalPerception.id))
        )
    ).all():
        if as_utc(reading.recorded_at) <= end:
            perceptions[reading.goal_id].append(reading)
    partners = {org_id for org_id in history.stays if history.status_at_end(org_id) is not None}
    posted = await logged_links(session, p, kinds=GOAL_LINKED_KINDS, key="goal_id")
    for goal in goals:
        assert goal.id is not None
        v = values[goal.id]
        if not may_see(PUBLIC, goal) or (not lens.internal and v["level"] == Level.individual):
            section.hidden.add(goal.id)
            continue
        row = _goal_row(p, goal, v, stances[goal.id], end, lens, history, redactions)
        held = spread(perceptions[goal.id], partners).counts()
        row = replace(
            row,
            link=lens.link(posted.get(goal.id)),
            readings=[ReadingCount(r.dimension, r.value, r.organisations) for r in held],
        )
        section.goals.append(row)
        section.titles[goal.id] = row.title
    section.links = await _links(session, p, end, section)
    return section


def _goal_row(
    p: Partnership,
    goal: Goal,
    v: dict[str, Any],
    stances: list[GoalStance],
    end: datetime,
    lens: Lens,
    history: History,
    redactions: Redactions,
) -> GoalRow:
    assert goal.id is not None
    agreed_at = goal.agreed_at if goal.agreed_at and as_utc(goal.agreed_at) <= end else None
    status = str(v["status"])
    if agreed_at is None and status == GoalStatus.agreed:
        status = GoalStatus.proposed
    labels = {key: str(v[key]) for key in LABEL_KEYS}
    if not lens.internal:
        labels = {k: value for k, value in labels.items() if value not in SENSITIVE.get(k, set())}
    owner: str | None = None
    if goal.owner_organisation_id is not None:
        owner = lens.organisation(goal.owner_organisation_id)
    elif goal.owner_user_id is not None:
        person = lens.person(goal.owner_user_id)
        owner = person.name if person else None
    progress = v["progress"]
    return GoalRow(
        id=goal.id,
        title=lens.title(str(v["title"] or ""), f"Goal {goal.id}"),
        description=lens.text(str(v["description"] or "")),
        level=str(v["level"]),
        labels=labels,
        owner=owner,
        status=status,
        progress=int(progress) if isinstance(progress, int) else None,
        review_on=_day(v["review_on"]),
        phase=str(v["phase"]) if v["phase"] else None,
        proposed_at=goal.proposed_at,
        agreed_at=agreed_at,
        agreed=agreed_at is not None,
        matrix=_matrix(p, stances, lens, history, redactions),
    )


def _matrix(
    p: Partnership,
    stances: list[GoalStance],
    lens: Lens,
    history: History,
    redactions: Redactions,
) -> list[StanceCell]:
    """The latest stance of each voice (an organisation, or a person in their own capacity)."""
    latest_org: dict[int, GoalStance] = {}
    latest_person: dict[int, GoalStance] = {}
    for stance in stances:
        if stance.organisation_id is not None:
            latest_org[stance.organisation_id] = stance
        else:
            latest_person[stance.user_id] = stance
    cells = []
    for org_id, stance in latest_org.items():
        name = lens.organisation(org_id) or ""
        counted = history.status_at_end(org_id) == PartnerStatus.core
        cells.append(
            (not counted, name_key(name), _cell(stance, name, name, counted, lens, redactions))
        )
    for user_id, stance in latest_person.items():
        voice = lens.voice_name(user_id, stance.display_name)
        cell = _cell(stance, voice, None, p.count_individuals, lens, redactions)
        cells.append((True, "~" + name_key(voice), cell))
    cells.sort(key=lambda c: (c[0], c[1]))
    return [cell for *_key, cell in cells]


def _cell(
    stance: GoalStance,
    voice: str,
    organisation: str | None,
    counted: bool,
    lens: Lens,
    redactions: Redactions,
) -> StanceCell:
    comment: str | None = None
    if lens.internal and stance.comment:
        marker = redactions.stance_comment(stance.id, stance.recorded_at)
        comment = marker or lens.text(stance.comment) or None
    return StanceCell(
        voice=voice,
        organisation=organisation,
        stance=stance.stance,
        counted=counted,
        recorded_at=stance.recorded_at,
        recorded_by=lens.person(stance.user_id, stance.display_name),
        comment=comment,
        referral=stance.referral,
    )


async def _links(
    session: AsyncSession, p: Partnership, end: datetime, section: GoalSection
) -> list[LinkRow]:
    """The links standing at the end of the period, replayed from the log."""
    events = (
        await session.exec(
            select(Event)
            .where(
                Event.guild_id == p.guild_id,
                Event.partnership_id == p.id,
                col(Event.kind).in_(["goal.linked", "goal.unlinked"]),
                Event.occurred_at <= end,
            )
            .order_by(col(Event.occurred_at), col(Event.id))
        )
    ).all()
    standing: dict[tuple[int, int, str], None] = {}
    for event in events:
        a, b = event.payload.get("goal_id"), event.payload.get("other_id")
        relation = str(event.payload.get("relation"))
        if not isinstance(a, int) or not isinstance(b, int):
            continue
        if event.kind == "goal.linked":
            standing[(a, b, relation)] = None
        else:
            standing.pop((a, b, relation), None)
            if relation == Relation.in_tension_with:
                standing.pop((b, a, relation), None)
    known = {g.id for g in section.goals}
    return [
        LinkRow(a, b, relation)
        for a, b, relation in standing
        if a in known and b in known and section.shown(a) and section.shown(b)
    ]
