"""Autocomplete always fits Discord (no choice name over 100 characters) and, in a
partnership's channel, lists that partnership's items first."""

from __future__ import annotations

from bot.services.access import Actor, PartnershipRef, Where
from bot.services.goals import GoalService, GoalTarget
from bot.services.reflection import PROMPT_SCHEDULES, SCHEDULE_KIND
from bot.services.register import RegisterService
from bot.services.schedules import ScheduleService
from bot.services.text import CHOICE_NAME_LIMIT
from db.engine import SessionFactory

ada = Actor(1, 10, "Ada", manage_channels=True)
LONG = (
    "Riverside and Hilltop Children's Services Early Help Partnership for Families 2026 to 2030 x"
)


async def _ignore(_schedule_id: int) -> None:
    return None


async def make(register: RegisterService, name: str, channel_id: int) -> PartnershipRef:
    draft = await register.prepare_create(ada, name, "purpose")
    await register.create(ada, draft, channel_id)
    return PartnershipRef(name=name)


async def test_goal_choices_outside_a_channel_fit_with_long_names(sessions: SessionFactory):
    register = RegisterService(sessions, default_timezone="Europe/London", admin_role_name="x")
    goals = GoalService(sessions)
    names = [(LONG + " " * 10)[:100].strip() + "A", LONG[:99] + "B"]
    for i, name in enumerate(names):
        ref = await make(register, name[:100], 100 + i)
        card = await goals.propose(ada, ref, title="T" * 200)
        await goals.update(ada, GoalTarget(str(card.id), ref), status="dropped")
    choices = await goals.autocomplete(ada, PartnershipRef(), "")
    assert len(choices) == 2
    assert all(len(name) <= CHOICE_NAME_LIMIT for name, _ in choices), choices
    assert all(name.startswith(f"#{value} ") for name, value in choices)


async def test_schedule_choices_list_this_channels_partnership_first(sessions: SessionFactory):
    register = RegisterService(sessions, default_timezone="Europe/London", admin_role_name="x")
    schedules = ScheduleService(sessions, on_change=_ignore)
    schedules.register(PROMPT_SCHEDULES)
    first = await make(register, "Alpha " + LONG[:90], 501)
    second = await make(register, "Beta", 502)
    for ref in (first, first, second):
        await schedules.create_schedule(SCHEDULE_KIND, ada, ref, cadence="daily")
    elsewhere = await schedules.schedule_choices(SCHEDULE_KIND, ada, "")
    in_beta = await schedules.schedule_choices(SCHEDULE_KIND, ada, "", where=Where(channel_id=502))
    in_thread = await schedules.schedule_choices(
        SCHEDULE_KIND, ada, "", where=Where(channel_id=9999, parent_id=502)
    )
    assert [v for _, v in elsewhere] == ["1", "2", "3"]
    assert [v for _, v in in_beta] == ["3", "1", "2"]
    assert in_thread == in_beta
    assert all(len(name) <= CHOICE_NAME_LIMIT for name, _ in elsewhere)
