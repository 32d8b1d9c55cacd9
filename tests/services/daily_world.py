"""A partnership for the daily-use tests (`/todo`, announcements, nudges, the digest), built
through the real services on a real database, with a clock the test moves. No tests here.

Family Hubs (Europe/London) has three core organisations (Council, Food Bank, Forum) and an
associate (Library). Ada created it (a convener in her own capacity); Bea represents Food Bank
and Eli is its substitute; Cy represents Forum; Dev represents Council; Lia represents the
Library; Fay is a citizen; Obi observes; Hal belongs to nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.services.access import Actor, PartnershipRef, Where
from bot.services.digest import DIGEST_SCHEDULES, DigestService
from bot.services.goals import GoalCard, GoalService, GoalTarget, NudgeService
from bot.services.health import HealthService
from bot.services.notes import NoteService
from bot.services.reflection import ReflectionService
from bot.services.register import RegisterService
from bot.services.schedules import ScheduleService
from bot.services.todo import TodoService
from bot.services.trust import TrustService
from db.engine import SessionFactory

GUILD = 1000
CHANNEL = 5555
OTHER_CHANNEL = 6666
HUBS = PartnershipRef(name="Family Hubs")
IN_CHANNEL = PartnershipRef(where=Where(channel_id=CHANNEL))
ELSEWHERE = PartnershipRef(where=Where(channel_id=1))  # a channel of no partnership
START = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # a Tuesday; London is on GMT

ada = Actor(GUILD, 2, "Ada", manage_channels=True)
bea = Actor(GUILD, 10, "Bea")  # Food Bank's representative
eli = Actor(GUILD, 11, "Eli")  # Food Bank's substitute
cy = Actor(GUILD, 12, "Cy")  # Forum's representative
dev = Actor(GUILD, 13, "Dev")  # Council's representative
lia = Actor(GUILD, 14, "Lia")  # the Library's representative (an associate partner)
fay = Actor(GUILD, 15, "Fay")  # a citizen
obi = Actor(GUILD, 16, "Obi")  # an observer
hal = Actor(GUILD, 17, "Hal")  # not a member
mo = Actor(GUILD, 18, "Mo", manage_guild=True)  # Manage Server, not a member


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def tick(self, **delta: float) -> None:
        self.at += timedelta(**delta) if delta else timedelta(seconds=1)


@dataclass
class World:
    sessions: SessionFactory
    clock: Clock
    register: RegisterService
    goals: GoalService
    nudges: NudgeService
    reflection: ReflectionService
    trust: TrustService
    notes: NoteService
    schedules: ScheduleService
    todo: TodoService
    digest: DigestService
    schedule_changes: list[int]

    async def propose(self, title: str = "Every family knows where to go", **options: Any):
        self.clock.tick()
        return await self.goals.propose(bea, HUBS, title=title, **options)

    async def stance(self, actor: Actor, card: GoalCard | int, stance: str = "agree"):
        self.clock.tick()
        goal_id = card if isinstance(card, int) else card.id
        return await self.goals.take_stance(actor, GoalTarget(str(goal_id), HUBS), stance)

    async def post_prompt(self, message_id: int = 900) -> int:
        self.clock.tick()
        draft = await self.reflection.prepare_now(ada, HUBS)
        await self.reflection.mark_posted(draft.post_id, channel_id=CHANNEL, message_id=message_id)
        return draft.post_id

    async def action(self, owner: Actor, due: str, text: str = "Book the room") -> int:
        self.clock.tick()
        draft = await self.notes.prepare(
            ada, HUBS, text=text, kind="action", owner_id=owner.user_id, due=due
        )
        result = await self.notes.record(ada, draft, channel_id=CHANNEL, message_id=4242)
        return result.event_id

    async def rows(self, model: Any) -> list[Any]:
        async with self.sessions() as session:
            return list((await session.exec(select(model))).all())


@pytest.fixture
async def world(sessions: SessionFactory) -> World:
    clock = Clock(START)
    changes: list[int] = []

    async def on_schedule_change(schedule_id: int) -> None:
        changes.append(schedule_id)

    register = RegisterService(
        sessions, default_timezone="Europe/London", admin_role_name="x", clock=clock
    )
    schedules = ScheduleService(sessions, clock=clock, on_change=on_schedule_change)
    schedules.register(DIGEST_SCHEDULES)
    health = HealthService(sessions, clock=clock)
    draft = await register.prepare_create(ada, "Family Hubs", "Joined-up early help")
    await register.create(ada, draft, CHANNEL)
    for org, status in (
        ("Council", None),
        ("Food Bank", None),
        ("Forum", None),
        ("Library", "associate"),
    ):
        await register.add_partner(ada, HUBS, org, "voluntary", status)
    for actor, org, capacity in (
        (bea, "Food Bank", "representative"),
        (eli, "Food Bank", "substitute"),
        (cy, "Forum", "representative"),
        (dev, "Council", "representative"),
        (lia, "Library", "representative"),
        (fay, None, "citizen"),
        (obi, None, "observer"),
    ):
        await register.add_member(
            ada,
            HUBS,
            user_id=actor.user_id,
            display_name=actor.display_name,
            organisation=org,
            capacity=capacity,
        )
    clock.tick(minutes=1)
    return World(
        sessions=sessions,
        clock=clock,
        register=register,
        goals=GoalService(sessions, clock=clock),
        nudges=NudgeService(sessions, clock=clock),
        reflection=ReflectionService(sessions, clock=clock),
        trust=TrustService(sessions, clock=clock),
        notes=NoteService(sessions, clock=clock),
        schedules=schedules,
        todo=TodoService(sessions, clock=clock),
        digest=DigestService(sessions, clock=clock, schedules=schedules, health=health),
        schedule_changes=changes,
    )
