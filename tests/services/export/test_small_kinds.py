"""The small kinds of the log an export reads beside its streams (`gather._events`): the same
entries, in the same order, as a plain `kind IN (…)` read, on SQLite and PostgreSQL; and on
SQLite each kind is looked up in the index by partnership, kind and time, so that a long log
of notes is not walked."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.dialects import sqlite
from sqlmodel import col, select

from bot.services.export.gather import SMALL_KINDS, _events, events_query
from db.engine import SessionFactory
from db.models import Event, Partnership
from tests.services.export.world import NOW, World, build_world


@pytest.fixture
async def world(sessions: SessionFactory) -> World:
    return await build_world(sessions)


async def _plain(
    w: World, kinds: tuple[str, ...], until: datetime | None, since: datetime | None
) -> list[int]:
    """The entries' ids as the export read them before: one `kind IN (…)`, in time order."""
    p = w.partnership
    query = select(Event.id).where(
        Event.guild_id == p.guild_id,
        Event.partnership_id == p.id,
        col(Event.kind).in_(kinds),
    )
    if until is not None:
        query = query.where(col(Event.occurred_at) <= until)
    if since is not None:
        query = query.where(col(Event.occurred_at) >= since)
    async with w.sessions() as session:
        found = await session.exec(query.order_by(col(Event.occurred_at), col(Event.id)))
        return [number for number in found.all() if number is not None]


@pytest.mark.parametrize("bounded", [False, True])
async def test_the_same_entries_in_the_same_order(world: World, bounded: bool) -> None:
    p = world.partnership
    async with world.sessions() as session:
        kinds = tuple(
            await session.exec(select(Event.kind).where(Event.partnership_id == p.id).distinct())
        )
        first = (
            await session.exec(
                select(Event.occurred_at)
                .where(Event.partnership_id == p.id)
                .order_by(col(Event.occurred_at))
                .limit(1)
            )
        ).one()
    last = NOW
    since, until = (
        (first + timedelta(days=1), last - timedelta(days=1)) if bounded else (None, None)
    )
    async with world.sessions() as session:
        p = await session.get(Partnership, world.partnership.id)
        assert p is not None
        read = await _events(session, p, SMALL_KINDS, until=until, since=since)
        every = await _events(session, p, kinds, until=until, since=since)
        assert await _events(session, p, (), until=until) == []
    small = [event.id for event in read]
    assert small == await _plain(world, SMALL_KINDS, until, since)
    assert small, "the world holds register entries, meetings and trust rounds"
    assert [event.id for event in every] == await _plain(world, kinds, until, since)
    assert len(every) > len(small)  # the notes too, when asked for


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # SQLite's plan is the one checked
async def test_each_kind_is_looked_up_in_its_index(world: World) -> None:
    statement, values = events_query(world.partnership, SMALL_KINDS, until=NOW, since=None)
    compiled = statement.compile(dialect=sqlite.dialect())
    async with world.sessions() as session:
        connection = await session.connection()
        plan = (
            await connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {compiled}",
                tuple(
                    _sqlite(values.get(name, compiled.params[name]))
                    for name in compiled.positiontup or ()
                ),
            )
        ).all()
    steps = [row[-1] for row in plan]
    looked_up = [step for step in steps if "ix_event_partnership_kind_time" in step]
    assert len(looked_up) == len(SMALL_KINDS), steps
    assert all("kind=?" in step for step in looked_up), steps
    assert not [step for step in steps if step.startswith("SCAN event")], steps
    assert not [step for step in steps if "ix_event_partnership_time" in step], steps


def _sqlite(value: object) -> object:
    return value.isoformat(" ") if isinstance(value, datetime) else value


async def test_the_statement_is_built_once_and_each_partnership_reads_its_own(
    world: World,
) -> None:
    """The statement is kept by kinds and bounds, its server and partnership bound each time it
    runs: another partnership's read (in another server) finds only its own entries, and the
    first's stays as it was."""
    p = world.partnership
    async with world.sessions() as session:
        other = Partnership(
            guild_id=p.guild_id + 1,
            name=p.name,
            name_key=p.name_key,
            channel_id=p.channel_id + 1,
            created_by=p.created_by,
            timezone=p.timezone,
            purpose="Another server's partnership of the same name",
        )
        session.add(other)
        await session.flush()
        assert other.id is not None
        first = await session.exec(
            select(Event)
            .where(Event.partnership_id == p.id, col(Event.kind).in_(SMALL_KINDS))
            .order_by(col(Event.id))
            .limit(1)
        )
        copied = first.one()
        session.add(
            Event(
                guild_id=other.guild_id,
                partnership_id=other.id,
                kind=copied.kind,
                actor_id=copied.actor_id,
                occurred_at=copied.occurred_at,
                summary=copied.summary,
                payload=dict(copied.payload),
            )
        )
        await session.commit()
        own = await _events(session, p, SMALL_KINDS, until=NOW)
        theirs = await _events(session, other, SMALL_KINDS, until=NOW)
    assert [event.id for event in own] == await _plain(world, SMALL_KINDS, NOW, None)
    assert [(e.partnership_id, e.guild_id, e.kind) for e in theirs] == [
        (other.id, other.guild_id, copied.kind)
    ]
    mine, mine_values = events_query(p, SMALL_KINDS, until=NOW)
    same, their_values = events_query(other, SMALL_KINDS, until=NOW)
    assert mine is same
    assert mine_values != their_values
