"""Rules hold when two people act at the same moment, on PostgreSQL as on SQLite.

Each race runs many times; a run that loses a rule (no convener left, a holiday dropped, a
database error where the sequential case answers politely, a deadlock) fails the test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, func, select

from bot.errors import UserFacingError
from bot.services.access import Actor, PartnershipRef
from bot.services.goals import GoalService, GoalTarget
from bot.services.reflection import PROMPT_SCHEDULES, SCHEDULE_KIND
from bot.services.register import RegisterService
from bot.services.schedules import ScheduleService
from db.engine import SessionFactory
from db.models import Membership, Organisation, Partnership, Schedule

GUILD = 1
ada = Actor(GUILD, 10, "Ada", manage_channels=True)
ben = Actor(GUILD, 11, "Ben")
RUNS = 12


async def together(*work: Awaitable[Any]) -> list[Any]:
    """Run every piece of work at once; each result, or the exception it raised."""
    return await asyncio.gather(*work, return_exceptions=True)


def polite(results: list[Any]) -> list[str]:
    """The refusals, as people read them; anything else that went wrong fails the test."""
    refusals = []
    for result in results:
        if isinstance(result, UserFacingError):
            refusals.append(result.message)
        elif isinstance(result, BaseException):
            raise AssertionError(f"a race gave {type(result).__name__}: {result}") from result
    return refusals


@pytest.fixture
def register(sessions: SessionFactory) -> RegisterService:
    return RegisterService(sessions, default_timezone="Europe/London", admin_role_name="x")


async def partnership(register: RegisterService, name: str) -> PartnershipRef:
    draft = await register.prepare_create(ada, name, "purpose")
    await register.create(ada, draft, None)
    return PartnershipRef(name=name)


async def test_two_conveners_removing_each_other_leave_one(register, sessions):
    for run in range(RUNS):
        ref = await partnership(register, f"Mutual {run}")
        await register.add_member(ada, ref, user_id=ben.user_id, display_name="Ben", convener=True)
        results = await together(
            register.remove_member(ada, ref, user_id=ben.user_id),
            register.remove_member(ben, ref, user_id=ada.user_id),
        )
        # Whoever goes second is refused: no longer a member, or the last convener.
        assert len(polite(results)) == 1, results
        async with sessions() as session:
            conveners = (
                await session.exec(
                    select(func.count())
                    .select_from(Membership)
                    .join(Partnership, col(Partnership.id) == col(Membership.partnership_id))
                    .where(
                        Partnership.name == ref.name,
                        col(Membership.left_at).is_(None),
                        col(Membership.is_convener).is_(True),
                    )
                )
            ).one()
        assert conveners == 1


async def test_the_same_person_added_twice_at_once_is_added_once(register, sessions):
    for run in range(RUNS):
        ref = await partnership(register, f"Twice {run}")
        results = await together(
            *[register.add_member(ada, ref, user_id=77, display_name="Cy") for _ in range(2)]
        )
        refusals = polite(results)
        assert len(refusals) == 1 and "already" in refusals[0], results


async def test_a_new_organisation_added_at_once_is_registered_once(register, sessions):
    for run in range(RUNS):
        first = await partnership(register, f"North {run}")
        second = await partnership(register, f"South {run}")
        name = f"Riverside Trust {run}"
        results = await together(
            register.add_partner(ada, first, name, "voluntary"),
            register.add_partner(ada, second, name, "voluntary"),
            register.add_partner(ada, first, name, "voluntary"),
        )
        refusals = polite(results)
        assert len(refusals) == 1 and "already a partner" in refusals[0], results
        async with sessions() as session:
            orgs = (await session.exec(select(Organisation).where(Organisation.name == name))).all()
        assert len(orgs) == 1


async def test_two_skips_at_once_keep_both_dates(register, sessions):
    schedules = ScheduleService(sessions, on_change=_ignore)
    schedules.register(PROMPT_SCHEDULES)
    ref = await partnership(register, "Skips")
    view = await schedules.create_schedule(SCHEDULE_KIND, ada, ref, cadence="daily")
    base = datetime.now(UTC).date() + timedelta(days=7)
    for run in range(RUNS):
        days = [(base + timedelta(days=2 * run + i)).isoformat() for i in range(2)]
        results = await together(
            *[schedules.skip(SCHEDULE_KIND, ada, ref, day, str(view.id)) for day in days]
        )
        assert polite(results) == []
        async with sessions() as session:
            schedule = await session.get(Schedule, view.id)
            assert schedule is not None
            assert set(days) <= set(schedule.holidays)
    async with sessions() as session:
        schedule = await session.get(Schedule, view.id)
        assert schedule is not None and len(schedule.holidays) == 2 * RUNS


async def test_linking_two_goals_both_ways_at_once_neither_deadlocks_nor_loops(register, sessions):
    goals = GoalService(sessions)
    ref = await partnership(register, "Links")
    for run in range(RUNS):
        a = await goals.propose(ada, ref, title=f"A{run}")
        b = await goals.propose(ada, ref, title=f"B{run}")
        results = await together(
            goals.link(ada, GoalTarget(str(a.id), ref), str(b.id), "part_of"),
            goals.link(ada, GoalTarget(str(b.id), ref), str(a.id), "part_of"),
        )
        refusals = polite(results)
        assert len(refusals) == 1 and "loop" in refusals[0].casefold(), results


async def _ignore(_schedule_id: int) -> None:
    return None
