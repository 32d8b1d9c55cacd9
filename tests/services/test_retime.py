"""A new time zone re-bases schedules: no late post and no "passed while offline" event for an
occurrence that only exists in the new zone; one falling due right now still runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.services.access import Actor, PartnershipRef
from bot.services.reflection import PROMPT_SCHEDULES, SCHEDULE_KIND
from bot.services.register import RegisterService
from bot.services.schedules import ScheduleService
from db.engine import SessionFactory
from db.models import Event
from tests.test_scheduling import Channel, Clock, engine_for

ada = Actor(1, 10, "Ada", manage_channels=True)
RIVERSIDE = PartnershipRef(name="Riverside")
# Monday 1 June 2026, 08:30 UTC: London's 09:00 prompt (08:00 UTC) has just been handled.
CREATED = datetime(2026, 6, 1, 8, 30, tzinfo=UTC)


async def _ignore(_schedule_id: int) -> None:
    return None


async def setup(
    sessions: SessionFactory, clock: Clock
) -> tuple[RegisterService, ScheduleService, int]:
    register = RegisterService(
        sessions, default_timezone="Europe/London", admin_role_name="x", clock=clock
    )
    schedules = ScheduleService(sessions, clock=clock, on_change=_ignore)
    schedules.register(PROMPT_SCHEDULES)
    draft = await register.prepare_create(ada, "Riverside", "purpose")
    await register.create(ada, draft, 42)
    view = await schedules.create_schedule(
        SCHEDULE_KIND, ada, RIVERSIDE, cadence="daily", local_time="09:00"
    )
    return register, schedules, view.id


async def test_a_new_zone_owes_nothing_for_times_it_alone_has_passed(sessions: SessionFactory):
    clock = Clock(CREATED)
    register, schedules, schedule_id = await setup(sessions, clock)
    # 11:30 UTC: in Fernando de Noronha (UTC-2) today's 09:00 was 11:00 UTC, half an hour ago.
    clock.moment = CREATED + timedelta(hours=3)
    await register.configure(ada, RIVERSIDE, timezone="America/Noronha")
    await schedules.retime(1)
    channel = Channel()
    engine, _ = engine_for(sessions, clock, channel)
    outcome = await engine.run_schedule(schedule_id)
    assert outcome.ran == [] and outcome.missed == 0 and channel.posts == []
    async with sessions() as session:
        kinds = (await session.exec(select(Event.kind))).all()
    assert "schedule.missed" not in kinds
    # The next day it posts at 09:00 in the new zone, on time.
    clock.moment = datetime(2026, 6, 2, 11, 0, 5, tzinfo=UTC)
    outcome = await engine.run_schedule(schedule_id)
    assert len(outcome.ran) == 1 and not channel.posts[0].late


async def test_an_occurrence_falling_due_as_the_zone_changes_still_runs(sessions: SessionFactory):
    clock = Clock(CREATED)
    register, schedules, schedule_id = await setup(sessions, clock)
    clock.moment = datetime(2026, 6, 1, 11, 0, 30, tzinfo=UTC)  # 09:00:30 in Noronha
    await register.configure(ada, RIVERSIDE, timezone="America/Noronha")
    await schedules.retime(1)
    channel = Channel()
    engine, _ = engine_for(sessions, clock, channel)
    assert len((await engine.run_schedule(schedule_id)).ran) == 1
