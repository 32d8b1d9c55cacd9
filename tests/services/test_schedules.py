"""The schedule lifecycle for any kind of scheduled action: the engine hears of each change only
after it is committed, and a second kind goes through the same lifecycle in its own words."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.errors import Forbidden, NotFound, UserFacingError
from bot.services.access import Actor, PartnershipRef
from bot.services.reflection import PROMPT_SCHEDULES, SCHEDULE_KIND
from bot.services.register import RegisterService
from bot.services.schedules import ScheduleKind, ScheduleService
from db.engine import SessionFactory
from db.models import Event, Schedule, ScheduleState

GUILD = 1000
CHANNEL = 5555
convener = Actor(GUILD, 2, "Bea", manage_channels=True)
member = Actor(GUILD, 3, "Cy")
HUBS = PartnershipRef(name="Family Hubs")
MONDAY_NOON = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment


def _digest_options(given: Mapping[str, str | None]) -> dict[str, Any]:
    topic = (given.get("topic") or "").strip()
    if not topic:
        raise UserFacingError("A digest needs a topic.")
    return {"topic": topic}


DIGESTS = ScheduleKind(
    key="digest",
    noun="digest schedule",
    short_noun="digest schedule",
    created="scheduled digests",
    command="/digest",
    parse_options=_digest_options,
    describe_options=lambda options: f"topic: {options['topic']}",
    max_live=1,
)


class Recorder:
    """An `on_change` listener that notes, for each id, the state committed when it was told."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions
        self.heard: list[tuple[int, str | None]] = []

    async def __call__(self, schedule_id: int) -> None:
        async with self.sessions() as session:  # a separate session sees only what committed
            row = await session.get(Schedule, schedule_id)
            self.heard.append((schedule_id, row.state if row else None))


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_NOON)


@pytest.fixture
def recorder(sessions: SessionFactory) -> Recorder:
    return Recorder(sessions)


@pytest.fixture
def schedules(sessions: SessionFactory, clock: Clock, recorder: Recorder) -> ScheduleService:
    service = ScheduleService(sessions, clock=clock, on_change=recorder)
    service.register(PROMPT_SCHEDULES)
    service.register(DIGESTS)
    return service


@pytest.fixture
async def partnership(sessions: SessionFactory):
    register = RegisterService(sessions, default_timezone="Europe/London", admin_role_name="x")
    draft = await register.prepare_create(convener, "Family Hubs", "Joined-up early help")
    p = await register.create(convener, draft, CHANNEL)
    await register.add_member(convener, HUBS, user_id=member.user_id, display_name="Cy")
    return p


async def summaries(sessions: SessionFactory) -> list[tuple[str, str]]:
    async with sessions() as session:
        events = (await session.exec(select(Event).order_by(Event.id))).all()  # type: ignore[arg-type]
    return [(e.kind, e.summary) for e in events if e.kind.startswith("schedule.")]


async def test_the_listener_hears_each_change_after_it_is_committed(
    schedules, recorder, partnership, clock
):
    view = await schedules.create_schedule(SCHEDULE_KIND, convener, HUBS, cadence="daily")
    ref = str(view.id)
    assert recorder.heard == [(view.id, ScheduleState.active)]
    await schedules.pause(SCHEDULE_KIND, convener, ref)
    clock.moment += timedelta(days=1)
    await schedules.resume(SCHEDULE_KIND, convener, ref)
    await schedules.skip(SCHEDULE_KIND, convener, HUBS, "2027-03-20")
    assert await schedules.retime(partnership.id) == [view.id]
    await schedules.cancel(SCHEDULE_KIND, convener, ref)
    assert recorder.heard == [
        (view.id, ScheduleState.active),
        (view.id, ScheduleState.paused),
        (view.id, ScheduleState.active),
        (view.id, ScheduleState.active),  # skipped a day
        (view.id, ScheduleState.active),  # re-timed
        (view.id, ScheduleState.cancelled),
    ]


async def test_the_listener_hears_nothing_of_a_refused_change(schedules, recorder, partnership):
    with pytest.raises(Forbidden):
        await schedules.create_schedule(SCHEDULE_KIND, member, HUBS, cadence="daily")
    with pytest.raises(UserFacingError, match="isn't a theme"):
        await schedules.create_schedule(SCHEDULE_KIND, convener, HUBS, cadence="daily", theme="x")
    view = await schedules.create_schedule(SCHEDULE_KIND, convener, HUBS, cadence="daily")
    recorder.heard.clear()
    ref = str(view.id)
    with pytest.raises(Forbidden):
        await schedules.pause(SCHEDULE_KIND, member, ref)
    with pytest.raises(UserFacingError, match="already running"):
        await schedules.resume(SCHEDULE_KIND, convener, ref)
    with pytest.raises(Forbidden):
        await schedules.cancel(SCHEDULE_KIND, member, ref)
    with pytest.raises(UserFacingError, match="already passed"):
        await schedules.skip(SCHEDULE_KIND, convener, HUBS, "2027-03-14")
    already = await schedules.skip(SCHEDULE_KIND, convener, HUBS, "2027-03-20")
    recorder.heard.clear()
    again = await schedules.skip(SCHEDULE_KIND, convener, HUBS, "2027-03-20")
    assert [v.id for v, _ in already.skipped] == [v.id for v in again.already] == [view.id]
    assert recorder.heard == []  # nothing changed the second time


async def test_a_second_kind_goes_through_the_same_lifecycle_in_its_own_words(
    schedules, sessions, recorder, partnership
):
    prompts = await schedules.create_schedule(SCHEDULE_KIND, convener, HUBS, cadence="daily")
    with pytest.raises(UserFacingError, match="needs a topic"):
        await schedules.create_schedule("digest", convener, HUBS, cadence="weekly")
    digest = await schedules.create_schedule(
        "digest", convener, HUBS, cadence="weekly", day="fri", topic="Actions due"
    )
    assert (digest.kind, digest.options, digest.theme) == ("digest", {"topic": "Actions due"}, None)
    with pytest.raises(UserFacingError, match=r"already has 1 digest schedules.*`/digest cancel`"):
        await schedules.create_schedule("digest", convener, HUBS, cadence="daily", topic="More")
    # Each kind finds only its own schedules, and names the other's as missing in its words.
    with pytest.raises(NotFound, match=f"can't find digest schedule #{prompts.id}"):
        await schedules.pause("digest", convener, str(prompts.id))
    with pytest.raises(UserFacingError, match="see `/digest list`"):
        await schedules.pause("digest", convener, "first")
    paused = await schedules.pause("digest", convener, f"#{digest.id}")
    assert paused.state == ScheduleState.paused and paused.paused_reason == "Paused by Bea."
    _, [summary] = await schedules.list_schedules("digest", member, HUBS)
    assert summary.schedule.id == digest.id and summary.schedule.state == ScheduleState.paused
    _, [prompt_summary] = await schedules.list_schedules(SCHEDULE_KIND, member, HUBS)
    assert prompt_summary.schedule.id == prompts.id
    [(name, value)] = await schedules.schedule_choices("digest", convener, "")
    assert value == str(digest.id) and name.endswith("(paused)")
    assert sorted(await schedules.retime(partnership.id)) == [prompts.id, digest.id]
    assert await schedules.retime(partnership.id, "digest") == [digest.id]
    assert [i for i, _ in recorder.heard] == [
        prompts.id,  # made
        digest.id,  # made
        digest.id,  # paused
        prompts.id,  # re-timed with every kind
        digest.id,
        digest.id,  # re-timed on its own
    ]
    async with sessions() as session:
        row = await session.get(Schedule, digest.id)
    assert row is not None and row.kind == "digest" and row.options == {"topic": "Actions due"}
    assert (await summaries(sessions))[1:] == [
        (
            "schedule.created",
            f"Bea scheduled digests (#{digest.id}): Every Friday at 09:30 (Europe/London); "
            "topic: Actions due.",
        ),
        (
            "schedule.paused",
            f"Bea paused digest schedule #{digest.id} (Every Friday at 09:30 (Europe/London)).",
        ),
    ]


async def test_prompt_schedules_keep_their_words(schedules, sessions, partnership):
    view = await schedules.create_schedule(
        SCHEDULE_KIND, convener, HUBS, cadence="weekly", theme="trust"
    )
    await schedules.cancel(SCHEDULE_KIND, convener, str(view.id))
    with pytest.raises(UserFacingError, match="Make a new one with `/reflect schedule`"):
        await schedules.pause(SCHEDULE_KIND, convener, str(view.id))
    with pytest.raises(UserFacingError, match="has no prompt schedules, so there is nothing"):
        await schedules.skip(SCHEDULE_KIND, convener, HUBS, "2027-03-20")
    assert await summaries(sessions) == [
        (
            "schedule.created",
            f"Bea scheduled reflective prompts (#{view.id}): Every Monday at 09:30 "
            "(Europe/London); theme: Trust.",
        ),
        (
            "schedule.cancelled",
            f"Bea cancelled reflective prompt schedule #{view.id} (Every Monday at 09:30 "
            "(Europe/London)).",
        ),
    ]
