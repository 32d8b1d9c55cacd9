"""A whole partnership answering a check-in at once: every answer lands, none fails on a lock
(SQLite's one writer, PostgreSQL's partnership row). Not timed: `benchmarks/checkins.py` times
500 of them."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, insert
from sqlmodel import select

from bot.services.access import Actor, PartnershipRef
from bot.services.register import RegisterService
from bot.services.trust import CheckinAnswers, TrustService
from db.engine import SessionFactory, transaction
from db.models import Membership, TrustAnswer, TrustRespondent, utcnow

GUILD = 1000
PEOPLE = 100
convener = Actor(GUILD, 2, "Ada", manage_guild=True)
HERE = PartnershipRef(name="Family Hubs")


async def test_a_hundred_check_ins_at_once_all_land(sessions: SessionFactory) -> None:
    register = RegisterService(sessions, default_timezone="Europe/London", admin_role_name="x")
    draft = await register.prepare_create(convener, "Family Hubs", "Joined-up early help")
    hub = await register.create(convener, draft, 5555)
    async with transaction(sessions) as session:
        await (await session.connection()).execute(
            insert(Membership),
            [
                {
                    "partnership_id": hub.id,
                    "user_id": 100 + n,
                    "display_name": f"Person {n}",
                    "organisation_id": None,
                    "capacity": "individual",
                    "is_convener": False,
                    "joined_at": utcnow(),
                }
                for n in range(PEOPLE)
            ],
        )
    trust = TrustService(sessions)
    await trust.open_round(convener, HERE, window="7d")
    answers = CheckinAnswers(expectations=4, follow_through=3, reliance=4)

    results = await asyncio.gather(
        *(
            trust.checkin(Actor(GUILD, 100 + n, f"Person {n}"), HERE, answers)
            for n in range(PEOPLE)
        ),
        return_exceptions=True,
    )

    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    async with sessions() as session:
        stored = (await session.exec(select(func.count()).select_from(TrustAnswer))).one()
        answered = (
            await session.exec(
                select(func.count())
                .select_from(TrustRespondent)
                .where(TrustRespondent.answered == True)  # noqa: E712
            )
        ).one()
    assert stored == PEOPLE
    assert answered == PEOPLE
