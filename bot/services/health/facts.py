"""What the health checks look at, read once per view: goals with their objections, actions
with their state, partners with their speakers (and whether all of them must refer back), each
organisation's participation, departures and small wins. Plain records, no free text: the
checks in `signals` decide from these alone.

Participation is public activity: goal stances an organisation took, and reflection answers
given by people while they spoke for it (rebuilt from the membership events, so someone who
moved organisation counts for the one they spoke for then). Check-in answers are never read.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import log
from bot.services.goals import CLOSED, Stance
from bot.services.goals.lookup import PUBLIC, visible_clause
from bot.services.goals.web import load_web
from bot.services.health.vocab import (
    CHART_MONTHS,
    CHURN_WINDOW_DAYS,
    PARTICIPATION_WINDOW_DAYS,
)
from bot.services.notes.vocab import NoteKind, event_kind
from bot.services.register.events import MEMBER_EVENTS
from bot.services.timeutil import as_utc, zone
from bot.services.vocab import SPEAKS_FOR_ORGANISATION, Mandate
from db import queries
from db.models import Event, Goal, GoalStance, Membership, Organisation, Partnership

# The log event of a reflection answer (`bot.services.reflection`): its actor is the author.
ANSWERED = "prompt.answered"


@dataclass(frozen=True)
class GoalFact:
    id: int
    title: str
    level: str
    proposed_at: datetime
    agreed: bool
    closed: bool
    objecting: tuple[str, ...]  # organisations whose latest stance is an objection, by name
    objecting_people: int  # people in their own capacity whose latest stance is one


@dataclass(frozen=True)
class ActionFact:
    id: int
    owner_id: int | None
    due: date | None
    done: bool


@dataclass(frozen=True)
class PartnerFact:
    organisation_id: int
    name: str
    status: str
    speakers: int  # active representatives and substitutes
    refer_back: bool = False  # has speakers, and every one of them must refer back
    self_status: str | None = None  # how it sees its own membership (`/partner self-view`)


@dataclass(frozen=True)
class Facts:
    now: datetime
    today: date  # in the partnership's time zone
    tz: ZoneInfo
    created_at: datetime
    goals: list[GoalFact]
    actions: list[ActionFact]
    partners: list[PartnerFact]  # current partners, by name
    contributions: dict[int, list[datetime]]  # organisation id → its stances and answers
    members: int  # active members now
    left: int  # people who left within the churn window and have not come back
    last_small_win: datetime | None


def month_starts(today: date, months: int = CHART_MONTHS) -> list[date]:
    """The first days of the last `months` calendar months, this one last."""
    year, month = today.year, today.month
    found = []
    for _ in range(months):
        found.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(found))


def local_start(day: date, tz: ZoneInfo) -> datetime:
    return as_utc(datetime.combine(day, time(0), tzinfo=tz))


async def load(session: AsyncSession, p: Partnership, now: datetime) -> Facts:
    assert p.id is not None
    tz = zone(p.timezone)
    today = now.astimezone(tz).date()
    since = min(
        now - timedelta(days=2 * PARTICIPATION_WINDOW_DAYS),
        local_start(month_starts(today)[0], tz),
    )
    members = await queries.active_members(session, partnership_id=p.id)
    partners = await _partners(session, p, members)
    return Facts(
        now=now,
        today=today,
        tz=tz,
        created_at=as_utc(p.created_at),
        goals=await _goals(session, p),
        actions=await _actions(session, p),
        partners=partners,
        contributions=await _contributions(
            session, p, since, now, {f.organisation_id for f in partners}
        ),
        members=len(members),
        left=await _count_left(session, p.id, now - timedelta(days=CHURN_WINDOW_DAYS), now),
        last_small_win=await _last_small_win(session, p, now),
    )


async def _goals(session: AsyncSession, p: Partnership) -> list[GoalFact]:
    # Health is the partnership's: it looks at the goals the whole partnership sees.
    web = await load_web(session, p, viewer=PUBLIC)
    found = []
    for goal in web.visible_goals():
        card = web.card(goal)
        found.append(
            GoalFact(
                id=card.id,
                title=goal.title,
                level=goal.level,
                proposed_at=as_utc(goal.proposed_at),
                agreed=card.agreed,
                closed=goal.status in CLOSED,
                objecting=tuple(
                    o.name
                    for o in card.organisations
                    if o.latest is not None and o.latest.stance == Stance.object
                ),
                objecting_people=sum(
                    1
                    for person in card.people
                    if person.latest is not None and person.latest.stance == Stance.object
                ),
            )
        )
    return found


async def _actions(session: AsyncSession, p: Partnership) -> list[ActionFact]:
    """Every action with whether it is done (a close names it): only numbers, owners, dates."""
    assert p.id is not None
    closed = await queries.closed_actions(session, guild_id=p.guild_id, partnership_id=p.id)
    found = []
    for e in await log.events(session, p, kinds=[event_kind(NoteKind.action)]):
        assert e.id is not None
        owner = e.payload.get("owner_id")
        found.append(
            ActionFact(
                id=e.id,
                owner_id=int(owner) if owner is not None else None,
                due=_date(e.payload.get("due")),
                done=e.id in closed,
            )
        )
    return found


async def _partners(
    session: AsyncSession, p: Partnership, members: list[tuple[Membership, Organisation | None]]
) -> list[PartnerFact]:
    """The current partners, each with how many active members speak for it."""
    assert p.id is not None
    speakers: dict[int, int] = defaultdict(int)
    referring: dict[int, int] = defaultdict(int)  # speakers whose mandate is to refer back
    for member, org in members:
        if org is not None and org.id is not None and member.capacity in SPEAKS_FOR_ORGANISATION:
            speakers[org.id] += 1
            if member.mandate == Mandate.must_refer_back:
                referring[org.id] += 1
    found = []
    for link, org in await queries.partners(session, partnership_id=p.id):
        assert org.id is not None
        count = speakers[org.id]
        found.append(
            PartnerFact(
                org.id,
                org.name,
                link.status,
                count,
                refer_back=count > 0 and referring[org.id] == count,
                self_status=link.self_status,
            )
        )
    return found


async def _contributions(
    session: AsyncSession,
    p: Partnership,
    since: datetime,
    now: datetime,
    organisations: set[int],
) -> dict[int, list[datetime]]:
    """When each organisation took a goal stance or (through a person speaking for it) answered
    a reflective prompt, from `since` up to `now`."""
    found: dict[int, list[datetime]] = defaultdict(list)
    stances = await session.exec(
        select(GoalStance.organisation_id, GoalStance.recorded_at)
        .join(Goal, col(Goal.id) == col(GoalStance.goal_id))
        .where(
            Goal.partnership_id == p.id,
            visible_clause(PUBLIC),
            col(GoalStance.organisation_id).is_not(None),
            GoalStance.recorded_at >= since,
            GoalStance.recorded_at <= now,
        )
    )
    for organisation_id, at in stances.all():
        if organisation_id in organisations:
            found[organisation_id].append(as_utc(at))
    # Answers from the log, in step with the membership events that say whom each person
    # spoke for: the log's own order (time, then id) settles what happened first.
    timeline = await session.exec(
        select(Event)
        .where(
            Event.guild_id == p.guild_id,
            Event.partnership_id == p.id,
            Event.occurred_at <= now,
            or_(
                col(Event.kind).in_(MEMBER_EVENTS),
                and_(col(Event.kind) == ANSWERED, col(Event.occurred_at) >= since),
            ),
        )
        .order_by(col(Event.occurred_at), col(Event.id))
    )
    speaking_for: dict[int, int | None] = {}
    for event in timeline.all():
        if event.kind == ANSWERED:
            organisation_id = speaking_for.get(event.actor_id or 0)
            if organisation_id is not None and organisation_id in organisations:
                found[organisation_id].append(as_utc(event.occurred_at))
            continue
        snap = event.payload
        organisation = snap.get("organisation_id")
        speaks = bool(snap.get("active")) and snap.get("capacity") in SPEAKS_FOR_ORGANISATION
        speaking_for[int(snap["user_id"])] = (
            int(organisation) if speaks and organisation is not None else None
        )
    return dict(found)


async def _count_left(
    session: AsyncSession, partnership_id: int, since: datetime, now: datetime
) -> int:
    """People whose departure falls in the window: someone who came back has no `left_at`."""
    return (
        await session.exec(
            select(func.count())
            .select_from(Membership)
            .where(
                Membership.partnership_id == partnership_id,
                col(Membership.left_at).is_not(None),
                col(Membership.left_at) >= since,
                col(Membership.left_at) <= now,
            )
        )
    ).one()


async def _last_small_win(session: AsyncSession, p: Partnership, now: datetime) -> datetime | None:
    latest = await log.events(
        session, p, kinds=[event_kind(NoteKind.small_win)], until=now, newest_first=True, limit=1
    )
    return as_utc(latest[0].occurred_at) if latest else None


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
