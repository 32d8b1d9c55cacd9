"""Several processes on one database: each runs only the servers its shards hold, and every
process follows a schedule change made through another one at its next poll.

Two engines on one database stand for two processes (a fake clock; the poll is called the way
its interval job calls it)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.config import ConfigError, Settings, load_settings
from bot.schedule_changes import CHANGE_OVERLAP, DEFAULT_POLL_SECONDS
from bot.scheduling import ScheduleEngine
from bot.services.access import Actor, PartnershipRef
from bot.services.reflection import PROMPT_SCHEDULES, SCHEDULE_KIND
from bot.services.register import RegisterService
from bot.services.schedules import ScheduleService
from bot.shards import guild_filter, held_clause, shard_of
from db.engine import SessionFactory
from db.models import Schedule
from tests.test_scheduling import Channel, Clock, engine_for

# Two servers, one on each shard of two (the shard is the snowflake above bit 22, modulo).
GUILD_0 = (10 << 22) + 123  # shard 0 of 2
GUILD_1 = (11 << 22) + 456  # shard 1 of 2
NOW = datetime(2026, 6, 1, 8, 30, tzinfo=UTC)  # Monday 09:30 in London


def convener(guild_id: int) -> Actor:
    return Actor(guild_id, 10, "Ada", manage_guild=True, manage_channels=True)


# ---------------------------------------------------------------------- settings and the split


def test_shard_ids_are_a_comma_separated_list_checked_against_the_count():
    settings = load_settings(shard_count="4", shard_ids="2, 0")
    assert (settings.shard_count, settings.shard_ids) == (4, [0, 2])
    assert load_settings(shard_count=2, shard_ids="1").shard_ids == [1]
    everything = load_settings(shard_count="2", shard_ids="")
    assert (everything.shard_count, everything.shard_ids) == (2, None)
    assert load_settings().shard_count is None
    with pytest.raises(ConfigError, match="SHARD_IDS needs SHARD_COUNT"):
        load_settings(shard_ids="0")
    with pytest.raises(ConfigError, match="between 0 and 1"):
        load_settings(shard_count=2, shard_ids="0,2")
    with pytest.raises(ConfigError, match="separated by commas"):
        load_settings(shard_count=2, shard_ids="zero")


def test_shard_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SHARD_COUNT", "3")
    monkeypatch.setenv("SHARD_IDS", "0,2")
    settings = Settings()
    assert (settings.shard_count, settings.shard_ids) == (3, [0, 2])


def test_a_process_holds_the_servers_of_its_shards():
    assert (shard_of(GUILD_0, 2), shard_of(GUILD_1, 2)) == (0, 1)
    assert guild_filter(None, None)(GUILD_0) and guild_filter(None, None)(GUILD_1)
    first = guild_filter(2, [0])
    assert first(GUILD_0) and not first(GUILD_1)
    both = guild_filter(2, [0, 1])
    assert both(GUILD_0) and both(GUILD_1)


def test_the_poll_interval_is_well_within_a_minute():
    assert DEFAULT_POLL_SECONDS < 60
    assert Settings().schedule_poll_seconds == DEFAULT_POLL_SECONDS
    with pytest.raises(ConfigError):
        load_settings(schedule_poll_seconds=90)


async def test_the_held_clause_agrees_with_shard_of_in_sql(sessions: SessionFactory):
    await make_partnership_schedule(sessions, GUILD_0, "Riverside")
    await make_partnership_schedule(sessions, GUILD_1, "Hilltop")
    big = (2**62) + (7 << 22)  # snowflakes use 63 bits: the division must stay in BIGINT
    await make_partnership_schedule(sessions, big, "Old Mill")
    for count, ids in ((2, [0]), (2, [1]), (3, [0, 2]), (3, [1]), (2, None), (None, None)):
        async with sessions() as session:
            rows = await session.exec(
                select(Schedule.guild_id).where(held_clause(col(Schedule.guild_id), count, ids))
            )
            found = sorted(rows.all())
        holds = guild_filter(count, ids)
        assert found == sorted(g for g in (GUILD_0, GUILD_1, big) if holds(g)), (count, ids)


# ---------------------------------------------------------------------- one engine per shard


async def make_partnership_schedule(
    sessions: SessionFactory, guild_id: int, name: str, clock: Clock | None = None
) -> int:
    clock = clock or Clock(NOW)
    register = RegisterService(
        sessions, default_timezone="Europe/London", admin_role_name="x", clock=clock
    )
    schedules = ScheduleService(sessions, clock=clock, on_change=_ignore)
    schedules.register(PROMPT_SCHEDULES)
    actor = convener(guild_id)
    draft = await register.prepare_create(actor, name, "purpose")
    await register.create(actor, draft, guild_id + 1)
    view = await schedules.create_schedule(
        SCHEDULE_KIND, actor, PartnershipRef(name=name), cadence="cron", cron="* * * * *"
    )
    return view.id


async def _ignore(_schedule_id: int) -> None:
    return None


def _prompt_engine(sessions: SessionFactory, clock: Clock, channel: Channel, **kwargs):
    engine, _ = engine_for(sessions, clock, channel, **kwargs)
    engine.register(SCHEDULE_KIND, channel.post)
    return engine


async def test_each_shard_runs_only_its_servers_and_together_they_run_all_once(sessions):
    clock = Clock(NOW)
    on_0 = await make_partnership_schedule(sessions, GUILD_0, "Riverside", clock)
    on_1 = await make_partnership_schedule(sessions, GUILD_1, "Hilltop", clock)
    channel = Channel()
    first = _prompt_engine(sessions, clock, channel, shard_count=2, shard_ids=[0])
    second = _prompt_engine(sessions, clock, channel, shard_count=2, shard_ids=[1])
    assert await first._active_ids() == [on_0]
    assert await second._active_ids() == [on_1]
    clock.moment = NOW + timedelta(minutes=1)
    # Each is asked about both schedules (as a stray trigger would): each runs only its own.
    for engine in (first, second):
        for schedule_id in (on_0, on_1):
            await engine.run_schedule(schedule_id)
    assert sorted(d.schedule_id for d in channel.posts) == [on_0, on_1]
    assert {d.guild_id for d in channel.posts if d.schedule_id == on_0} == {GUILD_0}


async def test_two_processes_holding_the_same_servers_still_post_once(sessions):
    clock = Clock(NOW)
    schedule_id = await make_partnership_schedule(sessions, GUILD_0, "Riverside", clock)
    channel = Channel()
    engines = [
        _prompt_engine(sessions, clock, channel),
        _prompt_engine(sessions, clock, channel),
        _prompt_engine(sessions, clock, channel, shard_count=2, shard_ids=[0]),
    ]
    clock.moment = NOW + timedelta(minutes=1)
    for engine in engines:
        await engine.run_schedule(schedule_id)
    assert len(channel.posts) == 1


async def test_an_engine_triggers_only_held_schedules(sessions):
    clock = Clock(NOW)
    on_0 = await make_partnership_schedule(sessions, GUILD_0, "Riverside", clock)
    on_1 = await make_partnership_schedule(sessions, GUILD_1, "Hilltop", clock)
    engine = _prompt_engine(sessions, clock, Channel(), shard_count=2, shard_ids=[1])
    await engine.start(catch_up=False)
    try:
        assert engine.aps is not None
        await engine.sync(on_0)  # told about a schedule of another shard: no trigger here
        jobs = {job.id for job in engine.aps.get_jobs()}
        assert f"schedule:{on_1}" in jobs and f"schedule:{on_0}" not in jobs
        assert "schedule-changes" in jobs  # the poll
    finally:
        await engine.shutdown()


# ---------------------------------------------------------------------- every process follows


class Process:
    """One process: its services, wired to its own engine, as `PartnerBot` wires them."""

    def __init__(self, sessions: SessionFactory, clock: Clock, **engine_options: object) -> None:
        self.channel = Channel()
        self.engine: ScheduleEngine = _prompt_engine(
            sessions, clock, self.channel, **engine_options
        )
        self.register = RegisterService(
            sessions, default_timezone="Europe/London", admin_role_name="x", clock=clock
        )
        self.schedules = ScheduleService(sessions, clock=clock, on_change=self.engine.sync)
        self.schedules.register(PROMPT_SCHEDULES)

    def trigger(self, schedule_id: int) -> object | None:
        assert self.engine.aps is not None
        job = self.engine.aps.get_job(f"schedule:{schedule_id}")
        return None if job is None else job.trigger


@pytest.fixture
async def two(sessions: SessionFactory) -> AsyncIterator[tuple[Process, Process, Clock]]:
    clock = Clock(NOW)
    a, b = Process(sessions, clock), Process(sessions, clock)
    await a.engine.start(catch_up=False)
    await b.engine.start(catch_up=False)
    try:
        yield a, b, clock
    finally:
        await a.engine.shutdown()
        await b.engine.shutdown()


async def test_a_schedule_made_paused_resumed_and_cancelled_elsewhere_follows_at_the_poll(two):
    a, b, clock = two
    actor = convener(GUILD_0)
    draft = await a.register.prepare_create(actor, "Riverside", "purpose")
    await a.register.create(actor, draft, 77)
    ref = PartnershipRef(name="Riverside")

    view = await a.schedules.create_schedule(
        SCHEDULE_KIND, actor, ref, cadence="daily", local_time="10:00"
    )
    sid = view.id
    assert a.trigger(sid) is not None and b.trigger(sid) is None
    assert await b.engine.poll_changes() == [sid]
    assert b.trigger(sid) is not None
    assert await b.engine.poll_changes() == []  # nothing new: nothing re-synced

    clock.moment += timedelta(seconds=20)
    await a.schedules.pause(SCHEDULE_KIND, actor, str(sid))
    assert b.trigger(sid) is not None
    assert await b.engine.poll_changes() == [sid]
    assert b.trigger(sid) is None

    clock.moment += timedelta(seconds=20)
    await a.schedules.resume(SCHEDULE_KIND, actor, str(sid))
    await b.engine.poll_changes()
    assert b.trigger(sid) is not None

    clock.moment += timedelta(seconds=20)
    await a.schedules.cancel(SCHEDULE_KIND, actor, str(sid))
    await b.engine.poll_changes()
    assert b.trigger(sid) is None and a.trigger(sid) is None


async def test_a_new_time_zone_set_elsewhere_re_times_the_trigger_at_the_poll(two):
    a, b, clock = two
    actor = convener(GUILD_0)
    draft = await a.register.prepare_create(actor, "Riverside", "purpose")
    await a.register.create(actor, draft, 77)
    ref = PartnershipRef(name="Riverside")
    view = await a.schedules.create_schedule(
        SCHEDULE_KIND, actor, ref, cadence="daily", local_time="10:00"
    )
    await b.engine.poll_changes()
    before = next_fire(b, view.id)
    assert before == next_fire(a, view.id)

    clock.moment += timedelta(minutes=5)
    await a.register.configure(actor, ref, timezone="America/Noronha")
    await a.schedules.retime(1)  # what the `partnership_changed` listener does in process a
    assert next_fire(a, view.id) != before
    assert await b.engine.poll_changes() == [view.id]
    assert next_fire(b, view.id) == next_fire(a, view.id)


def next_fire(process: Process, schedule_id: int) -> datetime:
    trigger = process.trigger(schedule_id)
    assert trigger is not None
    at = trigger.get_next_fire_time(None, NOW)  # type: ignore[attr-defined]
    assert at is not None
    return at


async def test_a_late_commit_within_the_overlap_is_still_found(two):
    a, b, clock = two
    actor = convener(GUILD_0)
    draft = await a.register.prepare_create(actor, "Riverside", "purpose")
    await a.register.create(actor, draft, 77)
    ref = PartnershipRef(name="Riverside")
    first = await a.schedules.create_schedule(
        SCHEDULE_KIND, actor, ref, cadence="daily", local_time="10:00"
    )
    clock.moment += timedelta(minutes=1)
    assert await b.engine.poll_changes() == [first.id]
    # A change stamped a minute earlier than the newest one b has seen (a slow commit, or a
    # process whose clock is behind) still reaches b.
    clock.moment -= CHANGE_OVERLAP / 2
    second = await a.schedules.create_schedule(
        SCHEDULE_KIND, actor, ref, cadence="daily", local_time="11:00"
    )
    assert await b.engine.poll_changes() == [second.id]
    assert b.trigger(second.id) is not None


async def test_the_first_poll_syncs_only_what_changed_after_the_engine_loaded(sessions):
    clock = Clock(NOW)
    a = Process(sessions, clock)
    made = [
        await make_partnership_schedule(sessions, GUILD_0, name, clock)
        for name in ("Riverside", "Hilltop", "Old Mill")
    ]
    b = Process(sessions, clock)
    await b.engine.start(catch_up=False)
    try:
        # All three were changed within the poll's overlap of the newest change: the load read
        # them as they are, so the poll leaves them (it once read and synced each again).
        assert await b.engine.poll_changes() == []
        clock.moment += timedelta(seconds=20)
        await a.schedules.pause(SCHEDULE_KIND, convener(GUILD_0), str(made[1]))
        assert b.trigger(made[1]) is not None
        assert await b.engine.poll_changes() == [made[1]]
        assert b.trigger(made[1]) is None
        assert b.trigger(made[0]) is not None and b.trigger(made[2]) is not None
    finally:
        await b.engine.shutdown()


async def test_a_process_only_follows_changes_to_servers_it_holds(sessions):
    clock = Clock(NOW)
    a = Process(sessions, clock)
    b = Process(sessions, clock, shard_count=2, shard_ids=[1])
    await a.engine.start(catch_up=False)
    await b.engine.start(catch_up=False)
    try:
        for guild_id, name in ((GUILD_0, "Riverside"), (GUILD_1, "Hilltop")):
            actor = convener(guild_id)
            draft = await a.register.prepare_create(actor, name, "purpose")
            await a.register.create(actor, draft, guild_id + 1)
            await a.schedules.create_schedule(
                SCHEDULE_KIND, actor, PartnershipRef(name=name), cadence="daily"
            )
        changed = await b.engine.poll_changes()
        async with sessions() as session:
            held = await session.exec(select(Schedule.id).where(Schedule.guild_id == GUILD_1))
            assert changed == list(held.all())
    finally:
        await a.engine.shutdown()
        await b.engine.shutdown()


async def test_a_schedule_paused_by_the_engine_for_a_missing_channel_reaches_others(two):
    a, b, clock = two
    schedule_id = await make_partnership_schedule(a.engine.sessions, GUILD_0, "Riverside", clock)
    await b.engine.poll_changes()
    assert b.trigger(schedule_id) is not None
    clock.moment += timedelta(minutes=1)
    await a.engine._pause_gone(schedule_id, "Its channel no longer exists.")
    assert await b.engine.poll_changes() == [schedule_id]
    assert b.trigger(schedule_id) is None


# ---------------------------------------------------------------------- the bot


def test_the_settings_choose_a_sharded_bot_and_its_engine_holds_the_same_servers(
    sessions: SessionFactory, tmp_path
):
    from discord.ext import commands

    from bot.app import PartnerBot, ShardedPartnerBot

    def settings(**values: object) -> Settings:
        return Settings(data_dir=tmp_path, _env_file=None, **values)  # type: ignore[call-arg,arg-type]

    plain = PartnerBot.for_settings(settings=settings(), sessions=sessions)
    assert type(plain) is PartnerBot and not isinstance(plain, commands.AutoShardedBot)
    assert plain.scheduler.holds(GUILD_0) and plain.scheduler.holds(GUILD_1)

    sharded = PartnerBot.for_settings(
        settings=settings(shard_count=2, shard_ids="1", schedule_poll_seconds=5),
        sessions=sessions,
    )
    assert isinstance(sharded, ShardedPartnerBot) and isinstance(sharded, commands.AutoShardedBot)
    assert (sharded.shard_count, sharded.shard_ids) == (2, [1])
    assert sharded.scheduler.holds(GUILD_1) and not sharded.scheduler.holds(GUILD_0)
    assert sharded.scheduler.poll_interval == 5


def test_the_polls_runs_stay_out_of_the_log_and_other_jobs_do_not():
    from bot.schedule_changes import POLL_JOB, QuietPoll

    def record(message: str, *args: object) -> logging.LogRecord:
        return logging.LogRecord("apscheduler", logging.INFO, "x", 1, message, args, None)

    quiet = QuietPoll()
    assert not quiet.filter(record('Running job "%s"', f"{POLL_JOB} (trigger: interval[0:00:15])"))
    assert quiet.filter(record('Running job "%s"', "ScheduleEngine._job (trigger: cron)"))
