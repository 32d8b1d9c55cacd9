"""PostgreSQL runs a command's guessed reads as one statement (`db.postgres_driver`): each read
gives what it gives alone, in one round trip; a read session's last reads need no transaction;
anything else run in between makes what was read stale, and is never served from it."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from db import postgres_driver
from db.ahead import read_ahead, write_behind
from db.engine import create_session_factory, transaction
from db.models import Event, Goal, Partnership
from tests.statements import count_postgres_trips

PARTNERSHIPS = Partnership.__table__  # type: ignore[attr-defined]
EVENTS = Event.__table__  # type: ignore[attr-defined]
GOALS = Goal.__table__  # type: ignore[attr-defined]

# Built once, as the services build theirs: the same statement each call, only values change.
BY_GUILD = (
    select(PARTNERSHIPS.c.id, PARTNERSHIPS.c.name, PARTNERSHIPS.c.count_individuals)
    .where(PARTNERSHIPS.c.guild_id == bindparam("guild_id"))
    .order_by(PARTNERSHIPS.c.name)
)
LOG = (
    select(EVENTS.c.id, EVENTS.c.occurred_at, EVENTS.c.payload, EVENTS.c.message_link)
    .where(EVENTS.c.guild_id == bindparam("guild_id"))
    .order_by(EVENTS.c.id.desc())
)
DUE = select(GOALS.c.id, GOALS.c.review_on).where(GOALS.c.partnership_id == bindparam("pid"))
RENAME = (
    update(PARTNERSHIPS)
    .where(PARTNERSHIPS.c.id == bindparam("pid"))
    .values(name=bindparam("new_name"))
)


@pytest.fixture
async def world(pg: AsyncEngine) -> dict[str, Any]:
    """Two partnerships of a server of their own, a log with JSON payloads and a goal with a
    review date: text, integers, booleans, times, dates, JSON and NULLs."""
    guild = random.randrange(10**12, 10**13)
    async with pg.begin() as conn:
        pids = []
        for name, count in (("Riverside “Hub”", True), ("Alder's Forum", False)):
            pids.append(
                (
                    await conn.execute(
                        insert(PARTNERSHIPS).returning(PARTNERSHIPS.c.id),
                        {
                            "guild_id": guild,
                            "name": name,
                            "name_key": name.lower(),
                            "purpose": "p",
                            "timezone": "Europe/London",
                            "count_individuals": count,
                            "created_by": 1,
                            "created_at": datetime.now(UTC),
                            "citizen_phases": [],
                            "coproduction_levels": [],
                        },
                    )
                ).scalar_one()
            )
        for n in range(3):
            await conn.execute(
                insert(EVENTS),
                {
                    "guild_id": guild,
                    "partnership_id": pids[0],
                    "kind": "note.note",
                    "occurred_at": datetime(2026, 11, 1 + n, 9, 30, tzinfo=UTC),
                    "summary": "s",
                    "payload": {"n": n, "text": 'it\'s "quoted"', "nested": [1, None]},
                    "message_link": None if n else "https://example.invalid/1",
                },
            )
        await conn.execute(
            insert(GOALS),
            {
                "partnership_id": pids[0],
                "title": "Shared referrals",
                "title_key": "shared referrals",
                "review_on": date(2027, 1, 31),
                "proposed_by": 1,
                "proposed_at": datetime.now(UTC),
                "updated_at": datetime.now(UTC),
            },
        )
    return {"guild_id": guild, "pids": pids}


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The round trips to the server from now on (`count_postgres_trips`)."""
    return count_postgres_trips(monkeypatch)


def reads(world: dict[str, Any]) -> list[tuple[Any, dict[str, Any]]]:
    return [
        (BY_GUILD, {"guild_id": world["guild_id"]}),
        (LOG, {"guild_id": world["guild_id"]}),
        (DUE, {"pid": world["pids"][0]}),
    ]


async def run_each(session: AsyncSession, world: dict[str, Any]) -> list[list[tuple[Any, ...]]]:
    return [
        [tuple(row) for row in (await session.exec(statement, params=values)).all()]
        for statement, values in reads(world)
    ]


async def test_postgresql_urls_run_on_this_driver(pg: AsyncEngine) -> None:
    assert pg.url.drivername == f"postgresql+{postgres_driver.DRIVER}"


async def test_reads_read_ahead_give_what_they_give_alone_in_one_round_trip(
    pg: AsyncEngine, world: dict[str, Any], trips: list[str]
) -> None:
    sessions = create_session_factory(pg)
    async with sessions() as session:  # alone: each is learned (its columns and types)
        alone = await run_each(session, world)
    trips.clear()
    async with sessions() as session:
        await read_ahead(session, reads(world), last=True)
        together = await run_each(session, world)

    assert together == alone
    # Types and order come through the records as they come through columns.
    log = together[1]
    assert [row[2]["n"] for row in log] == [2, 1, 0]
    assert log[0][1] == datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
    assert log[2][2]["text"] == 'it\'s "quoted"' and log[2][2]["nested"] == [1, None]
    assert (log[0][3], log[2][3]) == (None, "https://example.invalid/1")
    assert together[0] == [
        (world["pids"][1], "Alder's Forum", False),
        (world["pids"][0], "Riverside “Hub”", True),
    ]
    assert together[2][0][1] == date(2027, 1, 31)
    # One statement, and no BEGIN: a read session's last reads need no transaction.
    assert len(trips) == 1 and postgres_driver.is_combined(trips[0]), trips


async def test_a_read_never_run_alone_is_not_combined_until_it_has(
    pg: AsyncEngine, world: dict[str, Any], trips: list[str]
) -> None:
    fresh = select(PARTNERSHIPS.c.name_key).where(PARTNERSHIPS.c.guild_id == bindparam("g"))
    sessions = create_session_factory(pg)
    async with sessions() as session:
        await run_each(session, world)
    trips.clear()
    async with sessions() as session:
        await read_ahead(session, [*reads(world), (fresh, {"g": world["guild_id"]})], last=True)
        assert trips == []  # nothing known of `fresh` yet: each runs when asked
        await run_each(session, world)
        assert (await session.exec(fresh, params={"g": world["guild_id"]})).all()
    assert len(trips) == 5 and not any(map(postgres_driver.is_combined, trips))


async def test_a_write_in_between_makes_what_was_read_stale(
    pg: AsyncEngine, world: dict[str, Any], trips: list[str]
) -> None:
    sessions = create_session_factory(pg)
    async with sessions() as session:
        await run_each(session, world)
    trips.clear()
    async with transaction(sessions) as session:
        await read_ahead(session, reads(world))
        await session.exec(RENAME, params={"pid": world["pids"][1], "new_name": "Birch Forum"})
        statement, values = reads(world)[0]
        names = [row[1] for row in (await session.exec(statement, params=values)).all()]
    # Read again after the write, in the write's transaction: the new name.
    assert names == ["Birch Forum", "Riverside “Hub”"]
    # (BEGIN is noted as it goes, inside its first statement's trip.)
    statements = [trip for trip in trips if trip not in ("BEGIN", "COMMIT")]
    assert trips.count("BEGIN") == 1 and postgres_driver.is_combined(statements[0])
    assert statements[1].startswith("UPDATE partnership")
    assert statements[2].startswith("SELECT partnership.id")  # not served from the read ahead
    assert len(statements) == 3


async def test_an_error_in_reads_read_ahead_is_sqlalchemys_as_for_any_statement(
    pg: AsyncEngine, world: dict[str, Any]
) -> None:
    ratio = select(GOALS.c.id / bindparam("by")).where(GOALS.c.partnership_id == bindparam("pid"))
    sessions = create_session_factory(pg)
    async with sessions() as session:
        await session.exec(ratio, params={"by": 1, "pid": world["pids"][0]})
        await run_each(session, world)
    async with sessions() as session:
        with pytest.raises(DBAPIError, match="division by zero"):
            await read_ahead(
                session, [reads(world)[0], (ratio, {"by": 0, "pid": world["pids"][0]})], last=True
            )
    async with sessions() as session:  # the connection serves the next command
        assert len((await run_each(session, world))[0]) == 2


def test_only_plain_reads_are_combined() -> None:
    columns = [("id", 23, None, None, None, None, None)]
    assert postgres_driver._combinable("SELECT a.id FROM a WHERE a.x = $1::INTEGER", columns)
    assert postgres_driver._combinable("WITH RECURSIVE v(x) AS (SELECT 1) SELECT x", columns)
    for sql in (
        "SELECT a.id FROM a WHERE a.id = $1::INTEGER FOR UPDATE",  # a lock
        "SELECT a.id FROM a WHERE a.name = 'x'",  # quoted text
        "WITH w AS (UPDATE a SET x = 1 RETURNING a.id) SELECT id FROM w",  # a write
        "INSERT INTO a (x) VALUES ($1::INTEGER) RETURNING a.id",
    ):
        assert not postgres_driver._combinable(sql, columns), sql
    # A database's own type (an enum, say) is left to run alone.
    assert not postgres_driver._combinable("SELECT a.kind FROM a", [("kind", 16390, *[None] * 5)])


def test_parameters_are_numbered_on_from_read_to_read() -> None:
    sql = postgres_driver.combined_sql(
        [
            ("SELECT a.x FROM a WHERE a.y = $1 AND a.z = $2", 2),
            ("SELECT b.x FROM b WHERE b.y = $1", 1),
        ]
    )
    # Neither has run alone here, so neither's columns are known: each gives its records.
    assert sql == (
        "SELECT _ahead_1.*, _ahead_2.* FROM "
        "(SELECT ARRAY(SELECT _ahead FROM "
        "(SELECT a.x FROM a WHERE a.y = $1 AND a.z = $2) AS _ahead) AS _1) AS _ahead_1, "
        "(SELECT ARRAY(SELECT _ahead FROM (SELECT b.x FROM b WHERE b.y = $3) AS _ahead) AS _1)"
        " AS _ahead_2"
    )
    # A read whose placeholders are not exactly its parameters is not combined.
    assert postgres_driver.combined_sql([("SELECT $1, $3", 2), ("SELECT 1", 0)]) is None


def test_a_read_of_plain_columns_comes_back_as_one_array_per_column(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    int4, text, int4_array = 23, 25, 1007
    plain = 'SELECT a.id, a.name AS "the name" FROM a WHERE a.y = $1'
    listed = "SELECT b.id, b.ids FROM b"
    twice = "SELECT c.id, d.id FROM c, d"

    def column(name: str, oid: int) -> tuple[Any, ...]:
        return (name, oid, None, None, None, None, None)

    monkeypatch.setattr(postgres_driver, "_COLUMNS", {})
    monkeypatch.setattr(postgres_driver, "_COMBINED", {})
    monkeypatch.setattr(
        postgres_driver,
        "_DESCRIPTIONS",
        {
            plain: [column("id", int4), column("the name", text)],
            listed: [column("id", int4), column("ids", int4_array)],  # an array: records
            twice: [column("id", int4), column("id", int4)],  # two of a name: records
        },
    )
    sql = postgres_driver.combined_sql([(plain, 1), (listed, 0), (twice, 0)])
    assert sql == (
        "SELECT _ahead_1.*, _ahead_2.*, _ahead_3.* FROM "
        '(SELECT array_agg(_ahead."id") AS _1, array_agg(_ahead."the name") AS _2 '
        f"FROM ({plain}) AS _ahead) AS _ahead_1, "
        f"(SELECT ARRAY(SELECT _ahead FROM ({listed}) AS _ahead) AS _1) AS _ahead_2, "
        f"(SELECT ARRAY(SELECT _ahead FROM ({twice}) AS _ahead) AS _1) AS _ahead_3"
    )
    # The rows: the columns zipped (none when the aggregate had no rows: NULL), the records
    # as tuples.
    description = postgres_driver._DESCRIPTIONS
    row = ([1, 2], ["x", None], [(3, [4, 5])], [])
    assert postgres_driver._rows(row, 0, description[plain], plain) == ([(1, "x"), (2, None)], 2)
    assert postgres_driver._rows(row, 2, description[listed], listed) == ([(3, [4, 5])], 3)
    assert postgres_driver._rows(row, 3, description[twice], twice) == ([], 4)
    assert postgres_driver._rows((None, None), 0, description[plain], plain) == ([], 2)


async def test_reads_of_either_form_and_of_no_rows_give_what_they_give_alone(
    pg: AsyncEngine, world: dict[str, Any], trips: list[str]
) -> None:
    listed = select(GOALS.c.id, array([GOALS.c.id, GOALS.c.partnership_id])).where(
        GOALS.c.partnership_id == bindparam("pid")
    )
    mixed = [
        (listed, {"pid": world["pids"][0]}),  # an array column: records
        (DUE, {"pid": world["pids"][1]}),  # no goals: an aggregate of no rows
        *reads(world),
    ]

    async def each(session: AsyncSession) -> list[list[tuple[Any, ...]]]:
        return [
            [tuple(row) for row in (await session.exec(statement, params=values)).all()]
            for statement, values in mixed
        ]

    sessions = create_session_factory(pg)
    async with sessions() as session:
        alone = await each(session)
    trips.clear()
    async with sessions() as session:
        await read_ahead(session, mixed, last=True)
        together = await each(session)
    assert together == alone
    assert together[0][0][1] == [together[0][0][0], world["pids"][0]] and together[1] == []
    assert len(trips) == 1 and postgres_driver.is_combined(trips[0]), trips
    assert "SELECT ARRAY(SELECT _ahead" in trips[0] and "array_agg(_ahead." in trips[0]


# ---- writes left behind (`write_behind`)

TOUCH = (
    update(GOALS)
    .where(GOALS.c.partnership_id == bindparam("pid"))
    .values(review_on=bindparam("day"))
)
PURPOSE = (
    update(PARTNERSHIPS)
    .where(PARTNERSHIPS.c.id == bindparam("pid"))
    .values(purpose=bindparam("purpose"))
)
NOTE = insert(EVENTS).returning(EVENTS.c.id)
REVIEW = select(GOALS.c.review_on).where(GOALS.c.partnership_id == bindparam("pid"))


def note(world: dict[str, Any], summary: str) -> dict[str, Any]:
    return {
        "guild_id": world["guild_id"],
        "partnership_id": world["pids"][0],
        "kind": "note.note",
        "occurred_at": datetime(2026, 11, 30, 12, 0, tzinfo=UTC),
        "summary": summary,
        "payload": {},
        "message_link": None,
    }


async def reviews(pg: AsyncEngine, world: dict[str, Any]) -> list[Any]:
    async with create_session_factory(pg)() as session:
        return list((await session.exec(REVIEW, params={"pid": world["pids"][0]})).scalars())


async def test_a_write_left_behind_goes_in_the_next_inserts_statement(
    pg: AsyncEngine, world: dict[str, Any], trips: list[str]
) -> None:
    sessions = create_session_factory(pg)
    day = date(2027, 3, 1)
    async with transaction(sessions) as session:
        await write_behind(session, TOUCH, {"pid": world["pids"][0], "day": day})
        await write_behind(session, PURPOSE, {"pid": world["pids"][0], "purpose": "Together"})
        assert trips == []  # nothing sent yet
        event_id = (await session.exec(NOTE, params=note(world, "with"))).scalar_one()
    statements = [trip for trip in trips if trip not in ("BEGIN", "COMMIT")]
    assert len(statements) == 1, statements  # both writes went with the INSERT
    assert statements[0].startswith("WITH _behind_1 AS (UPDATE goal SET")
    assert "_behind_2 AS (UPDATE partnership SET" in statements[0]
    assert "INSERT INTO event" in statements[0]
    assert await reviews(pg, world) == [day]
    async with sessions() as session:
        purpose = select(PARTNERSHIPS.c.purpose).where(PARTNERSHIPS.c.id == bindparam("pid"))
        assert (await session.exec(purpose, params={"pid": world["pids"][0]})).one()[0] == (
            "Together"
        )
        summary = select(EVENTS.c.summary).where(EVENTS.c.id == bindparam("id"))
        assert (await session.exec(summary, params={"id": event_id})).one()[0] == "with"


async def test_a_write_left_behind_runs_alone_before_a_read_and_before_the_commit(
    pg: AsyncEngine, world: dict[str, Any], trips: list[str]
) -> None:
    sessions = create_session_factory(pg)
    pid = world["pids"][0]
    async with transaction(sessions) as session:
        await write_behind(session, TOUCH, {"pid": pid, "day": date(2027, 4, 1)})
        # A read sees it: it ran just before, alone.
        assert list((await session.exec(REVIEW, params={"pid": pid})).scalars()) == [
            date(2027, 4, 1)
        ]
        await write_behind(session, TOUCH, {"pid": pid, "day": date(2027, 5, 1)})
    statements = [trip for trip in trips if trip not in ("BEGIN", "COMMIT")]
    assert [s.split(" ")[0] for s in statements] == ["UPDATE", "SELECT", "UPDATE"]
    assert trips.count("BEGIN") == 1  # all in the one transaction
    assert await reviews(pg, world) == [date(2027, 5, 1)]  # the last one with the COMMIT
    # An INSERT into the written table, or one that reads, takes no write with it.
    assert (
        postgres_driver.with_writes(
            [("UPDATE goal SET x = $1", 1)], "INSERT INTO goal (x) VALUES ($1)", 1
        )
        is None
    )
    assert (
        postgres_driver.with_writes(
            [("UPDATE goal SET x = $1", 1)], "INSERT INTO event (x) SELECT goal.x FROM goal", 0
        )
        is None
    )


async def test_a_write_left_behind_is_dropped_with_a_rollback_and_fails_with_its_insert(
    pg: AsyncEngine, world: dict[str, Any]
) -> None:
    sessions = create_session_factory(pg)
    pid = world["pids"][0]
    with pytest.raises(RuntimeError):
        async with transaction(sessions) as session:
            await write_behind(session, TOUCH, {"pid": pid, "day": date(2030, 1, 1)})
            raise RuntimeError("changed my mind")
    assert await reviews(pg, world) == [date(2027, 1, 31)]
    # A write that fails fails the INSERT it went with, and nothing of either is kept.
    clash = (
        update(PARTNERSHIPS)
        .where(PARTNERSHIPS.c.id == bindparam("pid"))
        .values(name_key=bindparam("key"))
    )
    with pytest.raises(IntegrityError):
        async with transaction(sessions) as session:
            await write_behind(session, TOUCH, {"pid": pid, "day": date(2030, 1, 1)})
            await write_behind(session, clash, {"pid": pid, "key": "alder's forum"})
            await session.exec(NOTE, params=note(world, "lost"))
    assert await reviews(pg, world) == [date(2027, 1, 31)]
    # …and one left for the COMMIT fails the COMMIT.
    with pytest.raises(IntegrityError):
        async with transaction(sessions) as session:
            await write_behind(session, clash, {"pid": pid, "key": "alder's forum"})
    async with sessions() as session:  # the connection serves the next command
        lost = select(EVENTS.c.id).where(EVENTS.c.summary == "lost")
        assert (await session.exec(lost)).all() == []


def test_writes_and_their_insert_are_numbered_on() -> None:
    sql = postgres_driver.with_writes(
        [("UPDATE a SET x = $1 WHERE a.id = $2", 2), ("DELETE FROM b WHERE b.id = $1", 1)],
        "INSERT INTO c (x, y) VALUES ($1, $2) RETURNING c.id",
        2,
    )
    assert sql == (
        "WITH _behind_1 AS (UPDATE a SET x = $1 WHERE a.id = $2), "
        "_behind_2 AS (DELETE FROM b WHERE b.id = $3) "
        "INSERT INTO c (x, y) VALUES ($4, $5) RETURNING c.id"
    )
