"""A partnership for the trust check-in tests: four organisations, their people, citizens, an
observer and a facilitator, on a real database with a clock the test moves. No tests here; the
trust test modules import this world."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from bot.services.access import Actor, PartnershipRef, Where
from bot.services.register import RegisterService
from bot.services.trust import CheckinAnswers, TrustService
from db.engine import SessionFactory
from db.models import Partnership

GUILD = 1000
CHANNEL = 5555
HUBS = PartnershipRef(name="Family Hubs")
IN_CHANNEL = PartnershipRef(where=Where(channel_id=CHANNEL))
START = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)
ORGANISATIONS = ("Council", "Charity", "Health", "Housing")

convener = Actor(GUILD, 2, "Bea", manage_channels=True)  # created it: individual, convener
admin = Actor(GUILD, 9, "Ada", manage_guild=True)  # Manage Server, not a member


class Clock:
    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment


@dataclass
class World:
    trust: TrustService
    register: RegisterService
    clock: Clock
    sessions: SessionFactory
    partnership: Partnership
    people: dict[str, Actor] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Actor:
        return self.people[name]

    async def add(
        self, name: str, organisation: str | None = None, capacity: str | None = None
    ) -> Actor:
        actor = Actor(GUILD, 100 + len(self.people), name)
        await self.register.add_member(
            convener,
            HUBS,
            user_id=actor.user_id,
            display_name=name,
            organisation=organisation,
            capacity=capacity,
        )
        self.people[name] = actor
        return actor

    async def answer(self, name: str, **answers: Any) -> None:
        await self.trust.checkin(self[name], HUBS, CheckinAnswers(**answers))

    async def rows(self, model: Any) -> list[Any]:
        async with self.sessions() as session:
            return list((await session.exec(select(model))).all())


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
async def world(sessions: SessionFactory, clock: Clock) -> World:
    """Council has three representatives (one a substitute), the other organisations one each;
    three citizens; an observer who works for Council; a facilitator."""
    register = RegisterService(
        sessions, default_timezone="Europe/London", admin_role_name="x", clock=clock
    )
    draft = await register.prepare_create(convener, "Family Hubs", "Joined-up early help")
    partnership = await register.create(convener, draft, CHANNEL)
    for org in ORGANISATIONS:
        await register.add_partner(convener, HUBS, org, "public")
    w = World(TrustService(sessions, clock=clock), register, clock, sessions, partnership)
    await w.add("council1", "Council")
    await w.add("council2", "Council")
    await w.add("council3", "Council", "substitute")
    await w.add("charity", "Charity")
    await w.add("health", "Health")
    await w.add("housing", "Housing")
    await w.add("citizen1", capacity="citizen")
    await w.add("citizen2", capacity="citizen")
    await w.add("person", capacity="individual")
    await w.add("watcher", "Council", "observer")
    await w.add("facilitator", capacity="facilitator")
    return w
