"""Reflective prompts on a real database with a controllable clock: schedules, rotation, answers."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select, update

from bot.errors import Forbidden, NotFound, UserFacingError
from bot.prompts import THEMES, prompts_for
from bot.scheduling import Due, ScheduleEngine, TransientError
from bot.services.access import Actor, PartnershipRef, Where
from bot.services.reflection import (
    PROMPT_SCHEDULES,
    SCHEDULE_KIND,
    ReflectionService,
    ScheduledPost,
)
from bot.services.register import RegisterService
from bot.services.schedules import (
    ScheduleService,
    build_spec,
    parse_day_of_month,
    parse_weekdays,
)
from db.engine import SessionFactory, transaction
from db.models import Event, Occurrence, Partnership, PromptAnswer, PromptPost, Schedule

GUILD = 1000
CHANNEL = 5555
convener = Actor(GUILD, 2, "Bea", manage_channels=True)
member = Actor(GUILD, 3, "Cy")
outsider = Actor(GUILD, 4, "Dee")
stranger = Actor(2000, 5, "Eve", manage_guild=True)
HUBS = PartnershipRef(name="Family Hubs")
IN_CHANNEL = PartnershipRef(where=Where(channel_id=CHANNEL))
# Monday 15 March 2027, 12:00 London (GMT): a fortnight before the clocks go forward.
MONDAY_NOON = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)
_message_ids = itertools.count(900_000)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_NOON)


@pytest.fixture
def service(sessions: SessionFactory, clock: Clock) -> ReflectionService:
    return ReflectionService(sessions, clock=clock)


async def _ignore(schedule_id: int) -> None:
    pass


@pytest.fixture
def schedules(sessions: SessionFactory, clock: Clock) -> ScheduleService:
    service = ScheduleService(sessions, clock=clock, on_change=_ignore)
    service.register(PROMPT_SCHEDULES)
    return service


@pytest.fixture
async def partnership(sessions: SessionFactory) -> Partnership:
    register = RegisterService(sessions, default_timezone="Europe/London", admin_role_name="x")
    draft = await register.prepare_create(convener, "Family Hubs", "Joined-up early help")
    p = await register.create(convener, draft, CHANNEL)
    await register.add_member(convener, HUBS, user_id=member.user_id, display_name="Cy")
    return p


async def rows(sessions: SessionFactory, model: Any) -> list[Any]:
    async with sessions() as session:
        return list((await session.exec(select(model))).all())


async def kinds(sessions: SessionFactory) -> list[str]:
    async with sessions() as session:
        events = (await session.exec(select(Event).order_by(Event.id))).all()
    return [e.kind for e in events]


async def post_now(service: ReflectionService, theme: str | None = None):
    """What `/reflect now` does, with Discord answering with a new message id."""
    draft = await service.prepare_now(convener, HUBS, theme)
    return await service.mark_posted(
        draft.post_id, channel_id=CHANNEL, message_id=next(_message_ids), actor_name="Bea"
    )


# --------------------------------------------------------------------------- schedules


async def test_weekly_defaults_to_today_and_answers_with_the_next_three(
    schedules, sessions, partnership
):
    view = await schedules.create_schedule(SCHEDULE_KIND, convener, HUBS, cadence="weekly")
    assert view.description == "Every Monday at 09:30 (Europe/London)"
    assert view.upcoming == [
        datetime(2027, 3, 22, 9, 30, tzinfo=UTC),
        datetime(2027, 3, 29, 8, 30, tzinfo=UTC),  # BST from 28 March
        datetime(2027, 4, 5, 8, 30, tzinfo=UTC),
    ]
    assert view.theme is None and view.channel_id == CHANNEL
    [schedule] = await rows(sessions, Schedule)
    assert (schedule.kind, schedule.weekdays, schedule.local_time) == ("prompt", [0], "09:30")
    assert schedule.handled_until == MONDAY_NOON and schedule.options == {"theme": None}
    [event] = [e for e in await rows(sessions, Event) if e.kind == "schedule.created"]
    assert event.actor_id == convener.user_id and event.payload["schedule_id"] == schedule.id
    assert "Every Monday at 09:30" in event.summary


async def test_weekly_0930_london_keeps_its_local_time_across_2027_03_28(schedules, partnership):
    view = await schedules.create_schedule(
        SCHEDULE_KIND, convener, HUBS, cadence="weekly", local_time="09:30", day="sunday"
    )
    assert view.upcoming == [
        datetime(2027, 3, 21, 9, 30, tzinfo=UTC),  # GMT
        datetime(2027, 3, 28, 8, 30, tzinfo=UTC),  # the day the clocks go forward: BST
        datetime(2027, 4, 4, 8, 30, tzinfo=UTC),
    ]


async def test_fortnightly_starts_with_the_soonest_occurrence(schedules, partnership):
    view = await schedules.create_schedule(
        SCHEDULE_KIND, convener, IN_CHANNEL, cadence="fortnightly", day="wed", local_time="17:00"
    )
    assert view.description == "Every other Wednesday at 17:00 (Europe/London)"
    assert view.upcoming == [
        datetime(2027, 3, 17, 17, 0, tzinfo=UTC),
        datetime(2027, 3, 31, 16, 0, tzinfo=UTC),
        datetime(2027, 4, 14, 16, 0, tzinfo=UTC),
    ]
    # Today at 09:30 has passed, so a Monday fortnightly starts next Monday.
    monday = await schedules.create_schedule(SCHEDULE_KIND, convener, HUBS, cadence="fortnightly")
    assert monday.upcoming[0] == datetime(2027, 3, 22, 9, 30, tzinfo=UTC)
    assert monday.upcoming[1] == datetime(2027, 4, 5, 8, 30, tzinfo=UTC)


async def test_other_cadences_days_holidays_and_start(schedules, partnership):
    daily = await schedules.create_schedule(
        SCHEDULE_KIND,
        convener,
        HUBS,
        cadence="daily",
        local_time="8:00",
        holidays="2027-03-16, 2027-03-17",
    )
    assert daily.upcoming[0] == datetime(2027, 3, 18, 8, 0, tzinfo=UTC)
    assert "except on 2 holidays" in daily.description
    weekdays = await schedules.create_schedule(
        SCHEDULE_KIND, convener, HUBS, cadence="weekdays", local_time="13:00"
    )
    assert weekdays.upcoming[0] == datetime(2027, 3, 15, 13, 0, tzinfo=UTC)  # later today
    monthly = await schedules.create_schedule(SCHEDULE_KIND, convener, HUBS, cadence="monthly")
    assert monthly.upcoming[0] == datetime(2027, 4, 15, 8, 30, tzinfo=UTC)  # today's day
    last = await schedules.create_schedule(
        SCHEDULE_KIND, convener, HUBS, cadence="monthly", day="31st"
    )
    assert last.upcoming[0] == datetime(2027, 3, 31, 8, 30, tzinfo=UTC)
    assert last.upcoming[1] == datetime(2027, 4, 30, 8, 30, tzinfo=UTC)
    cron = await schedules.create_schedule(
        SCHEDULE_KIND, convener, HUBS, cadence="cron", cron="* * * * *"
    )
    assert cron.upcoming == [MONDAY_NOON + timedelta(minutes=i) for i in (1, 2, 3)]
    several = await schedules.create_schedule(
        SCHEDULE_KIND, convener, HUBS, cadence="weekly", day="Tue, thursdays", start="2027-04-01"
    )
    assert several.description.startswith("Every Tuesday and Thursday at 09:30")
    assert several.upcoming[0] == datetime(2027, 4, 1, 8, 30, tzinfo=UTC)  # not before start
    themed = await schedules.create_schedule(
        SCHEDULE_KIND, convener, HUBS, cadence="daily", theme="trust"
    )
    assert themed.theme == "trust"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"cadence": "hourly"}, "isn't a schedule I know"),
        ({"cadence": "daily", "local_time": "25:00"}, "isn't a time I can read"),
        ({"cadence": "daily", "local_time": "9.30"}, "isn't a time I can read"),
        ({"cadence": "weekly", "day": "funday"}, "isn't a day of the week"),
        ({"cadence": "weekly", "day": "1"}, "isn't a day of the week"),
        ({"cadence": "weekly", "day": "t"}, "isn't a day of the week"),
        ({"cadence": "monthly", "day": "32"}, "isn't a day of the month"),
        ({"cadence": "daily", "day": "monday"}, "`day` only goes with"),
        ({"cadence": "daily", "cron": "* * * * *"}, "only goes with the cron cadence"),
        ({"cadence": "cron"}, "needs its expression"),
        ({"cadence": "cron", "cron": "* * *"}, "five fields"),
        ({"cadence": "cron", "cron": "0 9 31 2 *"}, "never happens"),
        ({"cadence": "cron", "cron": "0 9 * * *", "local_time": "09:00"}, "leave `time` out"),
        ({"cadence": "daily", "theme": "gossip"}, "isn't a theme"),
        ({"cadence": "daily", "holidays": "25/12/2027"}, "`holidays` should be a date"),
        ({"cadence": "daily", "start": "soon"}, "`start` should be a date"),
    ],
)
async def test_bad_input_is_refused_politely_and_nothing_is_stored(
    schedules, sessions, partnership, options, message
):
    with pytest.raises(UserFacingError, match=message):
        await schedules.create_schedule(SCHEDULE_KIND, convener, HUBS, **options)
    assert await rows(sessions, Schedule) == []
    assert "schedule.created" not in await kinds(sessions)


async def test_a_bad_partnership_zone_is_a_polite_error(schedules, sessions, partnership):
    async with transaction(sessions) as session:
        await session.exec(update(Partnership).values(timezone="Mars/Olympus"))  # type: ignore[call-overload]
    with pytest.raises(UserFacingError, match="isn't a time zone"):
        await schedules.create_schedule(SCHEDULE_KIND, convener, HUBS, cadence="daily")
    assert await rows(sessions, Schedule) == []


async def test_only_conveners_schedule_and_non_members_learn_nothing(
    schedules, sessions, partnership
):
    with pytest.raises(Forbidden, match="Only the conveners"):
        await schedules.create_schedule(SCHEDULE_KIND, member, HUBS, cadence="daily")
    with pytest.raises(NotFound) as refused:
        await schedules.create_schedule(SCHEDULE_KIND, outsider, IN_CHANNEL, cadence="daily")
    assert "Family Hubs" not in refused.value.message
    with pytest.raises(NotFound):
        await schedules.create_schedule(SCHEDULE_KIND, stranger, HUBS, cadence="daily")
    assert await rows(sessions, Schedule) == []


async def test_pause_resume_cancel(schedules, sessions, partnership, clock):
    view = await schedules.create_schedule(SCHEDULE_KIND, convener, HUBS, cadence="daily")
    ref = str(view.id)
    with pytest.raises(Forbidden):
        await schedules.pause(SCHEDULE_KIND, member, ref)
    with pytest.raises(NotFound, match=f"can't find prompt schedule #{view.id}"):
        await schedules.pause(SCHEDULE_KIND, outsider, ref)
    with pytest.raises(NotFound):
        await schedules.pause(SCHEDULE_KIND, stranger, ref)
    paused = await schedules.pause(SCHEDULE_KIND, convener, f"#{view.id}")
    assert paused.state == "paused" and paused.paused_reason == "Paused by Bea."
    with pytest.raises(UserFacingError, match="already paused"):
        await schedules.pause(SCHEDULE_KIND, convener, ref)

    # A week later: resuming does not catch up what passed while paused.
    clock.moment += timedelta(days=7)
    resumed = await schedules.resume(SCHEDULE_KIND, convener, ref)
    assert resumed.state == "active"
    assert resumed.upcoming[0] == datetime(2027, 3, 23, 9, 30, tzinfo=UTC)
    async with sessions() as session:
        schedule = await session.get(Schedule, view.id)
    assert schedule is not None and schedule.handled_until == clock.moment
    posted: list[Due] = []

    async def post(due: Due) -> dict[str, Any]:
        posted.append(due)
        return {}

    engine = ScheduleEngine(sessions, clock=clock)
    engine.register("prompt", post)
    assert (await engine.run_schedule(view.id)).ran == [] and posted == []
    with pytest.raises(UserFacingError, match="already running"):
        await schedules.resume(SCHEDULE_KIND, convener, ref)

    cancelled = await schedules.cancel(SCHEDULE_KIND, convener, ref)
    assert cancelled.state == "cancelled"
    with pytest.raises(UserFacingError, match="was cancelled"):
        await schedules.resume(SCHEDULE_KIND, convener, ref)
    with pytest.raises(UserFacingError, match="isn't a schedule number"):
        await schedules.pause(SCHEDULE_KIND, convener, "first")
    events = await kinds(sessions)
    assert [k for k in events if k.startswith("schedule.")] == [
        "schedule.created",
        "schedule.paused",
        "schedule.resumed",
        "schedule.cancelled",
    ]


async def test_a_paused_schedule_does_not_finish_its_retry(schedules, sessions, partnership, clock):
    view = await schedules.create_schedule(
        SCHEDULE_KIND, convener, HUBS, cadence="daily", local_time="12:30"
    )
    attempts: list[Due] = []

    async def flaky(due: Due) -> dict[str, Any]:
        attempts.append(due)
        raise TransientError("503")

    engine = ScheduleEngine(sessions, clock=clock, retry_delays=(30,))
    engine.register("prompt", flaky)
    clock.moment = datetime(2027, 3, 15, 12, 30, tzinfo=UTC)
    assert (await engine.run_schedule(view.id)).retrying
    await schedules.pause(SCHEDULE_KIND, convener, str(view.id))
    outcome = await engine.retry_due(clock.moment + timedelta(minutes=1))
    assert outcome.failed and len(attempts) == 1
    [occurrence] = await rows(sessions, Occurrence)
    assert occurrence.state == "failed" and "paused" in (occurrence.last_error or "")


async def test_a_restart_across_an_occurrence_posts_it_once_marked_late(
    schedules, sessions, partnership, clock
):
    view = await schedules.create_schedule(
        SCHEDULE_KIND, convener, HUBS, cadence="cron", cron="* * * * *"
    )
    posted: list[Due] = []

    async def post(due: Due) -> dict[str, Any]:
        posted.append(due)
        return {}

    # The bot was down from 12:00:30 to 12:03:20: 12:01 and 12:02 were missed, 12:03 is posted.
    async with transaction(sessions) as session:
        await session.exec(  # type: ignore[call-overload]
            update(Schedule).values(handled_until=MONDAY_NOON + timedelta(seconds=30))
        )
    clock.moment = MONDAY_NOON + timedelta(minutes=3, seconds=20)
    engine = ScheduleEngine(sessions, clock=clock)
    engine.register("prompt", post)
    await engine.start()
    try:
        assert [(d.due_at, d.late) for d in posted] == [(MONDAY_NOON + timedelta(minutes=3), True)]
        assert (await engine.run_schedule(view.id)).ran == []
        # On time afterwards: not late.
        clock.moment = MONDAY_NOON + timedelta(minutes=4, seconds=1)
        await engine.run_schedule(view.id)
        assert [d.late for d in posted] == [True, False]
    finally:
        await engine.shutdown()
    states = [o.state for o in sorted(await rows(sessions, Occurrence), key=lambda o: o.due_at)]
    assert states == ["missed", "missed", "done", "done"]


async def test_skip_adds_a_holiday_to_the_partnerships_schedules(schedules, sessions, partnership):
    daily = await schedules.create_schedule(SCHEDULE_KIND, convener, HUBS, cadence="daily")
    weekly = await schedules.create_schedule(
        SCHEDULE_KIND, convener, HUBS, cadence="weekly", day="fri"
    )
    result = await schedules.skip(SCHEDULE_KIND, convener, IN_CHANNEL, "2027-03-18")
    assert result.day.isoformat() == "2027-03-18" and result.already == []
    lost = {view.id: moments for view, moments in result.skipped}
    assert lost == {daily.id: [datetime(2027, 3, 18, 9, 30, tzinfo=UTC)], weekly.id: []}
    async with sessions() as session:
        schedule = await session.get(Schedule, daily.id)
    assert schedule is not None and schedule.holidays == ["2027-03-18"]
    again = await schedules.skip(SCHEDULE_KIND, convener, HUBS, "2027-03-18", str(weekly.id))
    assert again.skipped == [] and [v.id for v in again.already] == [weekly.id]
    only = await schedules.skip(SCHEDULE_KIND, convener, HUBS, "2027-03-19", f"#{weekly.id}")
    assert [(v.id, m) for v, m in only.skipped] == [
        (weekly.id, [datetime(2027, 3, 19, 9, 30, tzinfo=UTC)])
    ]
    with pytest.raises(UserFacingError, match="already passed"):
        await schedules.skip(SCHEDULE_KIND, convener, HUBS, "2027-03-14")
    with pytest.raises(UserFacingError, match="YYYY-MM-DD"):
        await schedules.skip(SCHEDULE_KIND, convener, HUBS, "next friday")
    with pytest.raises(Forbidden):
        await schedules.skip(SCHEDULE_KIND, member, HUBS, "2027-03-20")
    assert (await kinds(sessions)).count("schedule.skipped") == 3


async def test_skipping_a_day_of_an_every_minute_cron(schedules, partnership):
    view = await schedules.create_schedule(
        SCHEDULE_KIND, convener, HUBS, cadence="cron", cron="* * * * *"
    )
    result = await schedules.skip(SCHEDULE_KIND, convener, HUBS, "2027-03-15")
    [(skipped, lost)] = result.skipped
    assert skipped.id == view.id and len(lost) == 12 * 60 - 1  # the rest of today's minutes
    _, [summary] = await schedules.list_schedules(SCHEDULE_KIND, convener, HUBS)
    assert summary.schedule.upcoming == [datetime(2027, 3, 16, 0, 0, tzinfo=UTC)]


async def test_schedule_choices_list_what_the_person_may_manage(schedules, partnership):
    view = await schedules.create_schedule(SCHEDULE_KIND, convener, HUBS, cadence="weekly")
    [(name, value)] = await schedules.schedule_choices(SCHEDULE_KIND, convener, "")
    assert value == str(view.id)
    assert name == f"#{view.id} Family Hubs: Every Monday at 09:30 (Europe/London)"
    assert await schedules.schedule_choices(SCHEDULE_KIND, convener, "fortnight") == []
    assert await schedules.schedule_choices(SCHEDULE_KIND, member, "") == []
    assert await schedules.schedule_choices(SCHEDULE_KIND, outsider, "") == []
    await schedules.pause(SCHEDULE_KIND, convener, value)
    assert await schedules.schedule_choices(SCHEDULE_KIND, convener, "", states=("active",)) == []
    assert (
        len(await schedules.schedule_choices(SCHEDULE_KIND, convener, "", states=("paused",))) == 1
    )


async def test_list_shows_state_next_and_the_last_occurrence(
    schedules, sessions, partnership, clock
):
    view = await schedules.create_schedule(
        SCHEDULE_KIND, convener, HUBS, cadence="daily", local_time="12:30"
    )

    async def flaky(due: Due) -> dict[str, Any]:
        raise TransientError("Discord answered 503")

    engine = ScheduleEngine(sessions, clock=clock)
    engine.register("prompt", flaky)
    await engine.run_schedule(view.id, now=datetime(2027, 3, 15, 12, 30, tzinfo=UTC))
    p, [summary] = await schedules.list_schedules(SCHEDULE_KIND, member, HUBS)
    assert p.name == "Family Hubs" and summary.schedule.state == "active"
    assert summary.schedule.upcoming == [datetime(2027, 3, 16, 12, 30, tzinfo=UTC)]
    assert summary.last is not None and summary.last.state == "retrying"
    assert summary.last.last_error == "Discord answered 503" and summary.last.next_attempt_at
    with pytest.raises(NotFound):
        await schedules.list_schedules(SCHEDULE_KIND, outsider, HUBS)


# --------------------------------------------------------------------------- choosing prompts


async def test_rotation_goes_through_the_themes_in_order(service, partnership):
    order = list(THEMES)
    first = await service.choose_prompt(partnership.id)
    assert (first.theme, first.library_id, first.rotation) == ("goals", "goals-01", True)
    seen = []
    for _ in range(len(order) + 1):
        seen.append((await post_now(service)).theme)
    assert seen == [*order, order[0]]
    # The second round of goals does not repeat the first goals prompt.
    assert (await service.choose_prompt(partnership.id)).theme == order[1]
    assert (await service.choose_prompt(partnership.id, "goals")).library_id == "goals-03"


async def test_a_fixed_theme_uses_every_prompt_before_repeating(service, partnership):
    trust = [p.id for p in prompts_for("trust")]
    used = [(await post_now(service, "trust")).prompt_ref for _ in trust]
    assert used == trust and len(set(used)) == len(trust)
    assert (await post_now(service, "trust")).prompt_ref == trust[0]
    # Fixed-theme posts do not move the rotation on.
    assert (await service.choose_prompt(partnership.id)).theme == "goals"


async def test_the_partnerships_own_prompts_join_the_rotation(service, sessions, partnership):
    with pytest.raises(Forbidden):
        await service.add_prompt(member, HUBS, "trust", "Who do we rely on most?")
    with pytest.raises(UserFacingError, match="limit is 300"):
        await service.add_prompt(convener, HUBS, "trust", "x" * 301)
    with pytest.raises(UserFacingError, match="isn't a theme"):
        await service.add_prompt(convener, HUBS, "rotation", "Who do we rely on most?")
    library_text = prompts_for("trust")[0].text
    with pytest.raises(UserFacingError, match="built-in library"):
        await service.add_prompt(convener, HUBS, "trust", library_text.upper())
    own = await service.add_prompt(convener, HUBS, "trust", "  Who do   we rely on most?  ")
    assert own.text == "Who do we rely on most?"
    with pytest.raises(UserFacingError, match="already has that prompt"):
        await service.add_prompt(convener, HUBS, "trust", "who do we rely on MOST?")
    trust = [p.id for p in prompts_for("trust")]
    used = [(await post_now(service, "trust")).prompt_ref for _ in range(len(trust) + 2)]
    assert used == [*trust, f"own-{own.id}", trust[0]]
    [event] = [e for e in await rows(sessions, Event) if e.kind == "prompt.added"]
    assert event.payload == {"prompt_id": own.id, "theme": "trust", "text": own.text}


async def test_scheduled_posts_are_one_per_occurrence_and_logged_once(
    service, schedules, sessions, partnership
):
    view = await schedules.create_schedule(
        SCHEDULE_KIND, convener, HUBS, cadence="daily", theme="power"
    )
    async with transaction(sessions) as session:
        occurrence = Occurrence(
            schedule_id=view.id,
            partnership_id=partnership.id,  # type: ignore[arg-type]
            due_at=datetime(2027, 3, 16, 9, 30, tzinfo=UTC),
            late=True,
        )
        session.add(occurrence)
    fields = dict(
        occurrence_id=occurrence.id,
        schedule_id=view.id,
        partnership_id=partnership.id,
        theme="power",
        late=True,
        due_at=occurrence.due_at,
    )
    draft = await service.prepare_scheduled(ScheduledPost(**fields))
    again = await service.prepare_scheduled(ScheduledPost(**fields))
    assert again.post_id == draft.post_id and again.prompt_ref == "power-01"
    assert draft.channel_id == CHANNEL and draft.late and draft.message_id is None
    posted = await service.mark_posted(draft.post_id, channel_id=CHANNEL, message_id=77)
    twice = await service.mark_posted(draft.post_id, channel_id=CHANNEL, message_id=78)
    assert posted.message_id == twice.message_id == 77
    await service.mark_thread(draft.post_id, 77)
    retried = await service.prepare_scheduled(ScheduledPost(**fields))
    assert (retried.message_id, retried.thread_id) == (77, 77)
    [event] = [e for e in await rows(sessions, Event) if e.kind == "prompt.posted"]
    assert event.actor_id is None and event.payload["late"] is True
    assert event.message_link == f"https://discord.com/channels/{GUILD}/{CHANNEL}/77"
    assert "posted late; it was due at 2027-03-16 09:30 (Europe/London)" in event.summary


async def test_now_needs_a_convener_and_a_channel(service, sessions, partnership):
    with pytest.raises(Forbidden):
        await service.prepare_now(member, HUBS)
    draft = await service.prepare_now(convener, HUBS, "small_wins")
    assert draft.theme == "small_wins" and draft.posted_by == convener.user_id
    await service.discard(draft.post_id)
    assert await rows(sessions, PromptPost) == []
    async with transaction(sessions) as session:
        await session.exec(update(Partnership).values(channel_id=None))  # type: ignore[call-overload]
    with pytest.raises(UserFacingError, match="has no channel"):
        await service.prepare_now(convener, HUBS)


# --------------------------------------------------------------------------- answers


async def test_answers_are_stored_with_their_author_and_logged(service, sessions, partnership):
    posted = await post_now(service)
    with pytest.raises(NotFound, match="can't find prompt"):
        await service.answer_target(outsider, posted.post_id)
    with pytest.raises(NotFound):
        await service.answer(stranger, posted.post_id, "Hello")
    with pytest.raises(UserFacingError, match="empty"):
        await service.answer(member, posted.post_id, "   ")
    with pytest.raises(UserFacingError, match="the most is 2000"):
        await service.answer(member, posted.post_id, "x" * 2001)
    target = await service.answer_target(member, posted.post_id)
    assert target.text == posted.text
    result = await service.answer(member, f"#{posted.post_id}", "  We kept our promises.\n")
    assert result.text == "We kept our promises." and result.author_name == "Cy"
    [answer] = await rows(sessions, PromptAnswer)
    assert (answer.user_id, answer.display_name, answer.text, answer.post_id) == (
        member.user_id,
        "Cy",
        "We kept our promises.",
        posted.post_id,
    )
    [event] = [e for e in await rows(sessions, Event) if e.kind == "prompt.answered"]
    assert event.actor_id == member.user_id and event.payload["answer"] == answer.text
    assert "Cy answered the reflective prompt" in event.summary
    assert event.summary.endswith("We kept our promises.")


async def test_undelivered_and_archived_prompts_cannot_be_answered(service, sessions, partnership):
    draft = await service.prepare_now(convener, HUBS)
    with pytest.raises(NotFound):
        await service.answer(member, draft.post_id, "Too early")
    posted = await post_now(service)
    async with transaction(sessions) as session:
        await session.exec(update(Partnership).values(archived_at=MONDAY_NOON))  # type: ignore[call-overload]
    with pytest.raises(UserFacingError, match="archived"):
        await service.answer(member, posted.post_id, "Too late")
    assert await rows(sessions, PromptAnswer) == []


async def test_post_choices_put_the_thread_and_channel_first(service, partnership):
    older = await post_now(service)
    newer = await post_now(service)
    await service.mark_thread(older.post_id, 4242)
    in_thread = await service.post_choices(member, Where(channel_id=4242, parent_id=CHANNEL), "")
    assert [v for _, v in in_thread] == [str(older.post_id), str(newer.post_id)]
    anywhere = await service.post_choices(member, Where(), "")
    assert [v for _, v in anywhere] == [str(newer.post_id), str(older.post_id)]
    assert anywhere[0][0].startswith(f"#{newer.post_id} 2027-03-15 Trust: ")
    assert await service.post_choices(outsider, Where(), "") == []


# --------------------------------------------------------------------------- parsing


def test_day_parsing():
    assert parse_weekdays("Mon,thu") == (0, 3)
    assert parse_weekdays("tuesdays and fridays") == (1, 4)
    assert parse_weekdays("SUNDAY") == (6,)
    assert parse_day_of_month("1st") == 1 and parse_day_of_month("last") == 31
    with pytest.raises(UserFacingError):
        parse_weekdays("s")


def test_build_spec_defaults_follow_the_partnership_zone():
    # 23:30 UTC on Sunday is already Monday in Auckland.
    spec = build_spec(
        cadence="weekly",
        timezone="Pacific/Auckland",
        now=datetime(2027, 3, 14, 23, 30, tzinfo=UTC),
    )
    assert spec.weekdays == (0,)
