"""The weekly digest on a real database (SQLite and PostgreSQL): its schedule follows the
setting, its content covers the week (new goals, agreements, what needs attention, reflections
counted by organisation, actions due), it never holds private text, and the schedule engine
runs each occurrence once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.errors import Forbidden
from bot.scheduling import Due, ScheduleEngine
from bot.services.digest import SCHEDULE_KIND, Digest
from bot.services.goals import GoalTarget
from bot.services.trust import CheckinAnswers
from db.models import Event, Partnership, Schedule
from tests.services.daily_world import (
    CHANNEL,
    GUILD,
    HUBS,
    World,
    ada,
    bea,
    cy,
    dev,
    eli,
    fay,
    world,
)

__all__ = ["world"]  # the fixture

MONDAY = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)  # 09:00 in London (GMT)
NEXT_MONDAY = datetime(2026, 3, 23, 9, 0, tzinfo=UTC)
SECRETS = ("SECRET-ANSWER", "SECRET-CHECKIN", "SECRET-NOTE", "SECRET-COMMENT", "SECRET-WIN")


async def hubs_id(world: World) -> int:
    [partnership] = await world.rows(Partnership)
    return partnership.id


async def turn_on(world: World):
    await world.register.configure(ada, HUBS, digest="weekly")
    return await world.digest.follow_setting(ada, HUBS)


async def test_the_schedule_follows_the_setting(world: World):
    setting = await turn_on(world)
    assert setting.on and setting.created is not None
    assert setting.created.upcoming[0] == MONDAY  # the next Monday, 09:00 in London
    [schedule] = await world.rows(Schedule)
    assert (schedule.kind, schedule.cadence, schedule.local_time, schedule.weekdays) == (
        SCHEDULE_KIND,
        "weekly",
        "09:00",
        [0],
    )
    assert world.schedule_changes == [schedule.id]  # the engine is told
    # Following it again changes nothing.
    again = await world.digest.follow_setting(ada, HUBS)
    assert again.created is None and again.running is not None and again.running.id == schedule.id
    assert len(await world.rows(Schedule)) == 1

    await world.register.configure(ada, HUBS, digest="off")
    off = await world.digest.follow_setting(ada, HUBS)
    assert not off.on and off.cancelled == 1
    [schedule] = await world.rows(Schedule)
    assert schedule.state == "cancelled"
    assert (await world.digest.follow_setting(ada, HUBS)).cancelled == 0
    kinds = [e.kind for e in await world.rows(Event)]
    assert kinds.count("schedule.created") == 1 and kinds.count("schedule.cancelled") == 1
    configured = [e.payload for e in await world.rows(Event) if e.kind == "partnership.configured"]
    assert configured[-2:] == [
        {"digest": {"from": "off", "to": "weekly"}},
        {"digest": {"from": "weekly", "to": "off"}},
    ]


async def test_a_paused_digest_runs_again_when_turned_on_again(world: World):
    await turn_on(world)
    [schedule] = await world.rows(Schedule)
    await world.schedules.pause(SCHEDULE_KIND, ada, str(schedule.id))
    resumed = await world.digest.follow_setting(ada, HUBS)
    assert resumed.resumed is not None and resumed.resumed.state == "active"


async def test_only_conveners_turn_the_digest_on(world: World):
    with pytest.raises(Forbidden):
        await world.register.configure(bea, HUBS, digest="weekly")
    with pytest.raises(Forbidden):
        await world.digest.follow_setting(bea, HUBS)
    assert await world.rows(Schedule) == []


async def a_week(world: World) -> dict[str, Any]:
    """Tuesday 10 to Sunday 15 March: goals, an agreement, an objection, a prompt answered,
    a check-in answered, actions. Every private text carries a SECRET marker."""
    new = await world.propose("New this week")
    agreed = await world.propose("Agreed this week")
    await world.goals.attach_message(agreed.id, CHANNEL, 321)
    for person in (bea, dev):
        await world.stance(person, agreed)
    world.clock.tick()
    await world.goals.take_stance(cy, GoalTarget(str(agreed.id), HUBS), "agree", "SECRET-COMMENT")
    objected = await world.propose("Objected")
    await world.stance(cy, objected, "object")
    post_id = await world.post_prompt()
    for person in (bea, eli, fay):
        world.clock.tick()
        await world.reflection.answer(person, post_id, f"SECRET-ANSWER from {person.display_name}")
    await world.trust.open_round(ada, HUBS, window="2d")
    answers = CheckinAnswers(
        expectations=2, comment="SECRET-CHECKIN", small_win=True, small_win_text="SECRET-WIN"
    )
    await world.trust.checkin(bea, HUBS, answers)
    due_soon = await world.action(bea, "2026-03-18", "SECRET-NOTE call the landlord")
    due_later = await world.action(cy, "2026-03-30")
    done = await world.action(dev, "2026-03-17")
    await world.notes.close_action(dev, HUBS, str(done))
    return {
        "new": new.id,
        "agreed": agreed.id,
        "objected": objected.id,
        "due_soon": due_soon,
        "due_later": due_later,
    }


async def test_the_digest_covers_the_week_and_counts_reflections_by_organisation(world: World):
    await turn_on(world)
    made = await a_week(world)
    world.clock.at = MONDAY
    digest = await world.digest.digest(await hubs_id(world), MONDAY)
    assert isinstance(digest, Digest) and digest.partnership == "Family Hubs"
    assert (digest.first_day.isoformat(), digest.last_day.isoformat()) == (
        "2026-03-09",
        "2026-03-15",
    )
    assert digest.channel_id == CHANNEL and digest.guild_id == GUILD
    assert [g.id for g in digest.new_goals] == [made["new"], made["agreed"], made["objected"]]
    [agreed] = digest.agreed
    assert agreed.id == made["agreed"]
    assert agreed.link == f"https://discord.com/channels/{GUILD}/{CHANNEL}/321"
    assert [(c.organisation, c.answers) for c in digest.reflections] == [
        ("Food Bank", 2),
        (None, 1),  # the citizen, in her own capacity
    ]
    assert digest.prompts_posted == 1
    assert [(a.id, a.owner_id, a.due.isoformat()) for a in digest.actions_due] == [
        (made["due_soon"], bea.user_id, "2026-03-18")
    ]
    keys = [s.key for s in digest.attention]
    assert "objections" in keys
    assert not digest.quiet


async def test_the_digest_holds_no_private_text(world: World):
    await turn_on(world)
    await a_week(world)
    world.clock.at = MONDAY
    digest = await world.digest.digest(await hubs_id(world), MONDAY)
    shown = repr(digest)
    for secret in SECRETS:
        assert secret not in shown, secret
    assert "call the landlord" not in shown


async def test_next_weeks_digest_starts_where_this_one_ended(world: World):
    await turn_on(world)
    await a_week(world)
    world.clock.at = NEXT_MONDAY
    digest = await world.digest.digest(await hubs_id(world), NEXT_MONDAY)
    assert digest is not None
    assert digest.new_goals == digest.agreed == digest.reflections == []
    assert digest.prompts_posted == 0 and digest.actions_due == []  # the one due was last week
    assert digest.first_day.isoformat() == "2026-03-16"


async def test_a_quiet_week_still_says_so(world: World):
    await turn_on(world)
    world.clock.at = MONDAY
    digest = await world.digest.digest(await hubs_id(world), MONDAY)
    assert digest is not None and digest.quiet


async def test_no_digest_once_turned_off_or_archived(world: World):
    await turn_on(world)
    await world.register.configure(ada, HUBS, digest="off")
    assert await world.digest.digest(await hubs_id(world), MONDAY) is None
    await world.register.configure(ada, HUBS, digest="weekly")
    await world.register.archive(ada, HUBS)
    assert await world.digest.digest(await hubs_id(world), MONDAY) is None
    assert await world.digest.digest(999, MONDAY) is None


async def test_the_engine_runs_each_digest_once(world: World):
    await turn_on(world)
    [schedule] = await world.rows(Schedule)
    world.clock.at = MONDAY
    engine = ScheduleEngine(world.sessions, clock=world.clock)
    posted: list[Due] = []

    async def post(due: Due) -> dict[str, Any]:
        digest = await world.digest.digest(due.partnership_id, due.due_at)
        assert digest is not None
        posted.append(due)
        return {"posted": True}

    engine.register(SCHEDULE_KIND, post)
    assert schedule.id is not None
    await engine.run_schedule(schedule.id, now=MONDAY)
    await engine.run_schedule(schedule.id, now=MONDAY)
    assert [d.due_at for d in posted] == [MONDAY]
