"""Nudges: a direct message to the people whose stance a goal still awaits.

A goal of the whole collaboration that is not yet agreed awaits the stance of each counted
voice that has none: each active core organisation (through its representatives and
substitutes), and each person in their own capacity when the partnership counts them
(`count_individuals`). Whose stance counts is the goal web's own notion (`GoalCard.tally`), the
same the agreement rule uses.

- A convener nudges with `/goal nudge` (`NudgeService.nudge`); a goal proposed with
  `respond_by` is nudged once automatically, from 09:00 in the partnership's time zone two days
  before that date: proposing it adds a `goal.nudge` timer (`bot.timers`) at that time, whose
  handler asks `NudgeService.nudge_goal`.
- **At most one nudge per goal per day** (the partnership's day), manual or automatic: the
  nudge is claimed by inserting a `GoalNudgeClaim` row, unique per goal and day, before any
  message goes, so a restart, a retry, two processes or a convener and the automatic nudge
  together never send two. A claimed nudge is not retried.
- The automatic nudge is due from 09:00 two days before `respond_by` until that date begins;
  after downtime it goes once, late, while that window is open. A nudge already sent about the
  goal since that day (by a convener) stands in for it.
- Each nudge is a `goal.nudged` entry in the partnership log naming the organisations, never
  the people, so exports can show it to any audience.

The service returns whom to message; the cog sends the direct messages and, for those it could
not reach, one line in the partnership's channel mentioning only them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import timers
from bot.errors import UserFacingError
from bot.services import log
from bot.services.access import Actor, lock, require_convener
from bot.services.clock import Clock, SystemClock
from bot.services.goals import events, lookup
from bot.services.goals import web as goal_web
from bot.services.goals.cards import GoalCard, GoalTarget
from bot.services.goals.vocab import CLOSED, GoalVisibility, Level, goal_name
from bot.services.text import name_of
from bot.services.timeutil import as_utc, zone
from bot.services.vocab import SPEAKS_FOR_ORGANISATION
from db import queries
from db.engine import SessionFactory, transaction
from db.models import Goal, GoalNudgeClaim, Partnership

NUDGE_AT = time(9, 0)  # local time of the automatic nudge, in the partnership's zone
DAYS_BEFORE = 2  # the automatic nudge goes this many days before `respond_by`
NUDGED = "goal.nudged"
NUDGE_TIMER = "goal.nudge"


@dataclass(frozen=True)
class Recipient:
    """A person a nudge goes to, and for whom they would take the stance."""

    user_id: int
    organisation: str | None  # None: their own stance, in their own capacity


@dataclass(frozen=True)
class Nudge:
    """One claimed nudge, for the cog to deliver."""

    goal_id: int
    title: str
    partnership_id: int
    partnership: str
    guild_id: int
    channel_id: int | None
    card_link: str | None  # the goal's posted card
    respond_by: date | None
    recipients: tuple[Recipient, ...]
    organisations: tuple[str, ...]  # awaited organisations that someone speaks for
    unreachable: tuple[str, ...]  # awaited organisations with nobody to speak for them
    people: int  # people in their own capacity whose own stance is awaited
    automatic: bool


def awaits_agreement(goal: Goal) -> bool:
    """A goal that is put to every organisation and still waits for agreement: the whole
    collaboration's, seen by the whole partnership, not agreed, not closed."""
    return (
        goal.level == Level.collaboration
        and goal.visibility == GoalVisibility.partnership
        and goal.agreed_at is None
        and goal.status not in CLOSED
    )


def check_nudgeable(goal: Goal) -> None:
    """Only a collaboration's goal still waiting for agreement is nudged."""
    name = _capital(goal_name(goal))
    if goal.status in CLOSED:
        raise UserFacingError(f"{name} is {goal.status}: it takes no more stances.")
    if goal.agreed_at is not None:
        raise UserFacingError(
            f"{name} is agreed already, so nobody is waiting to be asked. `/goal review` shows "
            "organisations that joined since."
        )
    if goal.level != Level.collaboration:
        raise UserFacingError(
            f"{name} is an {goal.level}-level goal. Nudges ask every organisation to take a "
            "stance, so they are for goals of the whole collaboration."
        )
    if goal.visibility != GoalVisibility.partnership:
        raise UserFacingError(
            f"{name} isn't shared with the whole partnership yet, so nobody is asked about it. "
            "Its organisation can share it with `/goal visibility`."
        )


@dataclass(frozen=True)
class Awaited:
    recipients: tuple[Recipient, ...]
    organisations: tuple[str, ...]
    unreachable: tuple[str, ...]
    people: int


async def awaited(session: AsyncSession, p: Partnership, card: GoalCard) -> Awaited:
    """Who a goal still waits for: the counted voices with no stance, and who speaks for them
    (representatives and substitutes of each organisation; each person in their own capacity,
    when they count)."""
    assert p.id is not None
    silent = {o.organisation_id: o.name for o in card.organisations if o.counts and not o.latest}
    people = [line.user_id for line in card.people if line.counts and line.latest is None]
    speakers: dict[int, list[int]] = {}
    for member, _org in await queries.active_members(session, partnership_id=p.id):
        org_id = member.organisation_id
        if member.capacity in SPEAKS_FOR_ORGANISATION and org_id in silent:
            speakers.setdefault(org_id, []).append(member.user_id)
    recipients: list[Recipient] = []
    for org_id, name in silent.items():
        recipients += [Recipient(user_id, name) for user_id in speakers.get(org_id, [])]
    recipients += [Recipient(user_id, None) for user_id in people]
    return Awaited(
        recipients=tuple(dict.fromkeys(recipients)),
        organisations=tuple(name for org_id, name in silent.items() if org_id in speakers),
        unreachable=tuple(name for org_id, name in silent.items() if org_id not in speakers),
        people=len(people),
    )


def automatic_window(respond_by: date, tz_name: str) -> tuple[datetime, datetime]:
    """When the automatic nudge of a goal to respond to by `respond_by` is due: from 09:00 two
    days before, until that date begins (local time, as UTC)."""
    tz = zone(tz_name)
    start = datetime.combine(respond_by - timedelta(days=DAYS_BEFORE), NUDGE_AT, tzinfo=tz)
    end = datetime.combine(respond_by, time(0), tzinfo=tz)
    return as_utc(start), as_utc(end)


async def add_timer(session: AsyncSession, p: Partnership, goal: Goal, *, now: datetime) -> None:
    """The goal's automatic nudge timer, in the caller's transaction (harmless twice)."""
    if goal.respond_by is None or goal.id is None or p.id is None:
        return
    start, _end = automatic_window(goal.respond_by, p.timezone)
    await timers.add(
        session,
        NUDGE_TIMER,
        goal.id,
        start,
        guild_id=p.guild_id,
        partnership_id=p.id,
        now=now,
    )


async def seed_timers(
    session: AsyncSession, now: datetime, held: timers.Held = timers.holds_every_server
) -> int:
    """Timers for goals awaiting stances proposed before timers existed, in the servers `held`
    keeps (idempotent): how many goals whose automatic nudge is still to come or under way."""
    rows = (
        await session.exec(
            select(Goal, Partnership)
            .join(Partnership, col(Partnership.id) == col(Goal.partnership_id))
            .where(
                col(Goal.respond_by).is_not(None),
                col(Goal.agreed_at).is_(None),
                col(Partnership.archived_at).is_(None),
                held(col(Partnership.guild_id)),
            )
        )
    ).all()
    count = 0
    for goal, p in rows:
        assert goal.respond_by is not None
        if awaits_agreement(goal) and now < automatic_window(goal.respond_by, p.timezone)[1]:
            await add_timer(session, p, goal, now=now)
            count += 1
    return count


class NudgeService:
    """Nudges about goals, by conveners and automatic. Time comes from `clock`."""

    def __init__(self, sessions: SessionFactory, *, clock: Clock = SystemClock()) -> None:
        self.sessions = sessions
        self.clock = clock

    async def nudge(self, actor: Actor, target: GoalTarget) -> Nudge:
        """A convener's nudge about a goal: claimed for today, logged, returned to deliver."""
        now = self.clock.now()
        try:
            async with transaction(self.sessions) as session:
                access, goal = await lookup.locate_to_change(session, actor, target)
                require_convener(access, "nudge organisations about a goal")
                p = access.partnership
                check_nudgeable(goal)
                today = now.astimezone(zone(p.timezone)).date()
                await self._check_not_today(session, goal, today)
                card = (await goal_web.load_web(session, p, now=now, viewer=lookup.PUBLIC)).card(
                    goal
                )
                found = await awaited(session, p, card)
                if not found.recipients:
                    raise UserFacingError(_nobody(goal, found))
                nudge = await self._claim(session, p, card, found, today, now, actor=actor)
        except IntegrityError:
            raise UserFacingError(_already("That goal")) from None
        return nudge

    async def nudge_goal(self, goal_id: int) -> Nudge | None:
        """A goal's automatic nudge, claimed here, if it is due now; None when it is agreed,
        closed, archived, nudged since its first day, nobody is waiting, or its window has
        passed. A nudge whose window has not opened yet (the time zone changed) gets a timer at
        its new time."""
        now = self.clock.now()
        async with self.sessions() as session:
            goal = await session.get(Goal, goal_id)
            if goal is None or goal.respond_by is None:
                return None
            p = await session.get(Partnership, goal.partnership_id)
            if p is None:
                return None
            start, end = automatic_window(goal.respond_by, p.timezone)
        if now < start:
            async with transaction(self.sessions) as writing:
                await add_timer(writing, p, goal, now=now)
            return None
        if now >= end:
            return None
        return await self._claim_automatic(goal_id, now)

    async def _claim_automatic(self, goal_id: int, now: datetime) -> Nudge | None:
        try:
            async with transaction(self.sessions) as session:
                goal = await session.get(Goal, goal_id)
                if goal is None or goal.respond_by is None:
                    return None
                p = await session.get(Partnership, goal.partnership_id)
                if p is None or p.is_archived:
                    return None
                await lock(session, p)
                await session.refresh(goal)
                if not awaits_agreement(goal) or goal.respond_by is None:
                    return None
                first_day = goal.respond_by - timedelta(days=DAYS_BEFORE)
                if await _nudged_since(session, goal_id, first_day):
                    return None  # another process, or a convener, got there first
                card = (await goal_web.load_web(session, p, now=now, viewer=lookup.PUBLIC)).card(
                    goal
                )
                found = await awaited(session, p, card)
                if not found.recipients:
                    return None
                today = now.astimezone(zone(p.timezone)).date()
                return await self._claim(session, p, card, found, today, now, actor=None)
        except IntegrityError:
            return None  # nudged today already: one a day is enough

    async def _check_not_today(self, session: AsyncSession, goal: Goal, today: date) -> None:
        claim = (
            await session.exec(
                select(GoalNudgeClaim).where(
                    GoalNudgeClaim.goal_id == goal.id, GoalNudgeClaim.day == today
                )
            )
        ).first()
        if claim is not None:
            raise UserFacingError(_already(f"Goal #{goal.id}", automatic=claim.automatic))

    async def _claim(
        self,
        session: AsyncSession,
        p: Partnership,
        card: GoalCard,
        found: Awaited,
        today: date,
        now: datetime,
        *,
        actor: Actor | None,
    ) -> Nudge:
        goal = card.goal
        assert goal.id is not None and p.id is not None
        session.add(
            GoalNudgeClaim(
                goal_id=goal.id,
                day=today,
                automatic=actor is None,
                sent_by=actor.user_id if actor else None,
                sent_at=now,
            )
        )
        await session.flush()
        await log.record(
            session,
            p,
            NUDGED,
            _sentence(goal, found, actor),
            actor_id=actor.user_id if actor else None,
            payload={
                "goal_id": goal.id,
                "title": goal.title,
                "organisations": list(found.organisations),
                "unreachable": list(found.unreachable),
                "people": found.people,
                "recipients": len(found.recipients),
                "automatic": actor is None,
                "respond_by": goal.respond_by.isoformat() if goal.respond_by else None,
            },
            message_link=events.goal_message(p, goal),
            at=now,
        )
        return Nudge(
            goal_id=goal.id,
            title=goal.title,
            partnership_id=p.id,
            partnership=p.name,
            guild_id=p.guild_id,
            channel_id=p.channel_id,
            card_link=events.goal_message(p, goal),
            respond_by=goal.respond_by,
            recipients=found.recipients,
            organisations=found.organisations,
            unreachable=found.unreachable,
            people=found.people,
            automatic=actor is None,
        )


async def _nudged_since(session: AsyncSession, goal_id: int, day: date) -> bool:
    found = (
        await session.exec(
            select(GoalNudgeClaim.id).where(
                GoalNudgeClaim.goal_id == goal_id, col(GoalNudgeClaim.day) >= day
            )
        )
    ).first()
    return found is not None


def _parts(found: Awaited) -> list[str]:
    parts = list(found.organisations)
    if found.people:
        parts.append(
            f"{found.people} {'person' if found.people == 1 else 'people'} in their own capacity"
        )
    return parts


def _and(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def _sentence(goal: Goal, found: Awaited, actor: Actor | None) -> str:
    """The log's sentence: who was reminded, by organisation; people are only counted."""
    parts = _parts(found)
    who = _and(parts)
    if actor is None:
        return (
            f"{who} {'was' if len(parts) == 1 and found.people <= 1 else 'were'} reminded "
            f"automatically to take a stance on {goal_name(goal)} before its respond-by date, "
            f"{goal.respond_by.isoformat() if goal.respond_by else 'soon'}."
        )
    return f"{name_of(actor.display_name)} reminded {who} to take a stance on {goal_name(goal)}."


def _nobody(goal: Goal, found: Awaited) -> str:
    name = _capital(goal_name(goal))
    if found.unreachable:
        return (
            f"{name} waits for {_and(list(found.unreachable))}, but nobody represents them "
            "here. Add a representative with `/member add`."
        )
    return f"Every organisation whose stance counts has one on {goal_name(goal)}: nobody to nudge."


def _already(which: str, *, automatic: bool = False) -> str:
    how = " automatically" if automatic else ""
    return (
        f"{which} was already nudged{how} today. One nudge a day at most goes about a goal, "
        "so nobody is flooded; try again tomorrow."
    )


def _capital(text: str) -> str:
    """The first letter capitalised, the rest (a goal's title) as written."""
    return text[:1].upper() + text[1:]
