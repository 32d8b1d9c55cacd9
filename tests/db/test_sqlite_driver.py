"""SQLite's statements make one trip each to aiosqlite's thread, and behave as before: rows,
row counts, inserted ids, many-row inserts, errors and transactions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import bindparam, insert, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from db import sqlite_driver
from db.ahead import read_ahead, write_behind
from db.engine import create_engine, create_session_factory, transaction
from db.migrate import upgrade
from db.models import Organisation, Partnership, utcnow
from db.sqlite_driver import DRIVER
from tests.statements import count_trips


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    await upgrade(url)
    engine = create_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The functions sent to aiosqlite's thread, by name."""
    return count_trips(monkeypatch)


@pytest.fixture
def rolled_back(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The rollbacks queued on aiosqlite's thread without a trip (run later, on the thread)."""
    queued: list[object] = []
    original = sqlite_driver.partial

    def noted(fn: Any, *args: Any) -> Any:
        if fn is sqlite_driver._rollback:
            queued.append(args)
        return original(fn, *args)

    monkeypatch.setattr(sqlite_driver, "partial", noted)
    return queued


def _partnership(n: int) -> dict[str, object]:
    return {
        "guild_id": 1,
        "name": f"P{n}",
        "name_key": f"p{n}",
        "purpose": "",
        "timezone": "UTC",
        "created_by": 1,
        "created_at": utcnow(),
    }


async def test_aiosqlite_urls_use_the_one_trip_driver(engine: AsyncEngine) -> None:
    assert engine.dialect.driver == DRIVER
    assert engine.url.drivername == f"sqlite+{DRIVER}"


async def test_a_select_is_one_trip_and_returns_its_rows(
    engine: AsyncEngine, trips: list[str]
) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))  # the connection's own setup is not counted
        trips.clear()
        rows = (await conn.execute(text("SELECT 1 AS a, 'x' AS b UNION ALL SELECT 2, 'y'"))).all()
        assert trips == ["_run"]
    assert [tuple(r) for r in rows] == [(1, "x"), (2, "y")]


async def test_writes_report_row_counts_ids_and_many_rows(engine: AsyncEngine) -> None:
    sessions = create_session_factory(engine)
    async with transaction(sessions) as session:
        conn = await session.connection()
        await conn.execute(insert(Partnership), [_partnership(n) for n in range(5)])
        result = await conn.execute(
            update(Partnership)
            .where(Partnership.name_key.in_(["p1", "p2"]))  # type: ignore[attr-defined]
            .values(purpose="shared")
        )
        assert result.rowcount == 2
        org = Organisation(guild_id=1, name="Food Bank", name_key="food bank", sector="voluntary")
        session.add(org)
        await session.flush()
        assert org.id is not None
    async with sessions() as session:
        names = (await session.exec(select(Partnership.name).order_by(Partnership.name))).all()
    assert list(names) == [f"P{n}" for n in range(5)]


async def test_errors_and_rollbacks_behave_as_before(engine: AsyncEngine) -> None:
    sessions = create_session_factory(engine)
    with pytest.raises(IntegrityError):
        async with transaction(sessions) as session:
            conn = await session.connection()
            await conn.execute(insert(Partnership), [_partnership(1)])
            await conn.execute(insert(Partnership), [_partnership(1)])  # the same name twice
    with pytest.raises(OperationalError):
        async with engine.connect() as conn:
            await conn.execute(text("SELECT * FROM no_such_table"))
    async with sessions() as session:
        count = (await session.exec(select(Partnership.id))).all()
    assert count == []  # the failed transaction left nothing behind


async def test_a_read_is_one_trip_begin_and_rollback_included(
    engine: AsyncEngine, trips: list[str]
) -> None:
    """BEGIN travels with the first statement, and the rollback that ends a read is queued on
    the connection's thread without a wait; a transaction that ran nothing costs no trip."""
    sessions = create_session_factory(engine)
    async with sessions() as session:
        await session.exec(select(Partnership.id))  # the pooled connection opens and is tuned
    trips.clear()
    async with sessions() as session:
        await session.exec(select(Partnership.id))
    assert trips == ["_run"]
    trips.clear()
    async with transaction(sessions):
        pass
    assert trips == []
    async with transaction(sessions) as session:
        session.add(Partnership(**_partnership(9)))  # type: ignore[arg-type]
    async with sessions() as session:
        assert (await session.exec(select(Partnership.name))).all() == ["P9"]


async def test_a_committed_write_leaves_no_rollback_to_queue(
    engine: AsyncEngine, rolled_back: list[object]
) -> None:
    """The pool resets a connection as it comes back (a rollback): after a commit, or after
    the rollback that ended a read, nothing is open, so nothing more goes to aiosqlite's
    thread; a read still ends with its one rollback, a failed write with its own."""
    sessions = create_session_factory(engine)
    async with sessions() as session:
        await session.exec(select(Partnership.id))  # the pooled connection opens and is tuned
    rolled_back.clear()
    async with sessions() as session:
        await session.exec(select(Partnership.id))
    assert len(rolled_back) == 1  # a read ends with one (not a second for the pool's reset)
    async with transaction(sessions) as session:
        session.add(Partnership(**_partnership(3)))  # type: ignore[arg-type]
    assert len(rolled_back) == 1
    async with sessions() as session:
        assert (await session.exec(select(Partnership.name))).all() == ["P3"]
    assert len(rolled_back) == 2  # a read after a write still ends its transaction
    with pytest.raises(IntegrityError):
        async with transaction(sessions) as session:
            conn = await session.connection()
            await conn.execute(insert(Partnership), [_partnership(3)])  # the same name again
    assert len(rolled_back) == 3  # and a failed write is rolled back


async def test_reads_ahead_go_in_one_trip_and_give_what_each_read_gives(
    engine: AsyncEngine, trips: list[str]
) -> None:
    """`read_ahead`: its statements run together in one trip (BEGIN included), each then gives
    the rows it gives alone, without a trip; another statement first (a write) makes them read
    again, and so does the transaction's end."""
    sessions = create_session_factory(engine)
    async with transaction(sessions) as session:
        conn = await session.connection()
        await conn.execute(insert(Partnership), [_partnership(n) for n in range(3)])
    names = select(Partnership.name).order_by(Partnership.name)
    by_id = select(Partnership.id).where(Partnership.name == bindparam("name"))
    reads = [(names, {}), (by_id, {"name": "P1"})]
    async with sessions() as session:
        await session.exec(select(Partnership.id))  # the pooled connection opens and is tuned
    for _ in range(2):  # the second time, the statements' SQL is known without running them
        trips.clear()
        async with sessions() as session:
            await read_ahead(session, reads)
            assert trips == ["_run_ahead"]
            assert (await session.exec(by_id, params={"name": "P1"})).all() == [2]
            assert (await session.exec(names)).all() == ["P0", "P1", "P2"]
            assert trips == ["_run_ahead"]
    trips.clear()
    async with transaction(sessions) as session:
        await read_ahead(session, reads)
        session.add(Partnership(**_partnership(3)))  # type: ignore[arg-type]
        await session.flush()  # a write: what was read ahead is read again
        assert (await session.exec(names)).all() == ["P0", "P1", "P2", "P3"]
        assert trips.count("_run_ahead") == 1 and trips.count("_run") == 2
    async with sessions() as session:
        await read_ahead(session, reads)
    async with sessions() as session:  # the same connection, a new transaction: read again
        assert (await session.exec(by_id, params={"name": "P3"})).all() == [4]
        assert (await session.exec(by_id, params={"name": "P1"})).all() == [2]


async def test_last_reads_end_a_read_in_their_own_trip(
    engine: AsyncEngine, trips: list[str], rolled_back: list[object]
) -> None:
    """`read_ahead(last=True)` in a read session: one trip runs the reads and ends the
    transaction, so the session's end queues no rollback; a read after it still works, in a
    transaction of its own that sees what was committed meanwhile. In a write transaction
    `last` changes nothing: the write still commits."""
    sessions = create_session_factory(engine)
    async with transaction(sessions) as session:
        for n in range(2):
            session.add(Partnership(**_partnership(n)))  # type: ignore[arg-type]
    names = select(Partnership.name).order_by(Partnership.name)
    by_id = select(Partnership.id).where(Partnership.name == bindparam("name"))
    reads = [(names, {}), (by_id, {"name": "P1"})]
    trips.clear()
    rolled_back.clear()  # the pooled connection was opened and tuned
    async with sessions() as session:
        await read_ahead(session, reads, last=True)
        raw = (await (await session.connection()).get_raw_connection()).dbapi_connection
        assert not raw._connection._conn.in_transaction  # ended on the thread, in that trip
        assert (await session.exec(names)).all() == ["P0", "P1"]
        assert (await session.exec(by_id, params={"name": "P1"})).all() == [2]
    assert trips == ["_run_ahead"] and rolled_back == []
    async with sessions() as session:
        await read_ahead(session, reads, last=True)
        async with transaction(sessions) as writer:  # committed after the reads ended
            writer.add(Partnership(**_partnership(2)))  # type: ignore[arg-type]
        assert (await session.exec(names)).all() == ["P0", "P1"]  # as read ahead
        assert (await session.exec(by_id, params={"name": "P2"})).all() == [3]  # read anew
        assert raw._connection._conn.in_transaction  # that read began a transaction
    assert len(rolled_back) == 1  # which the session's end rolls back
    async with transaction(sessions) as session:
        await read_ahead(session, reads, last=True)
        raw = (await (await session.connection()).get_raw_connection()).dbapi_connection
        assert raw._connection._conn.in_transaction  # a write's transaction is not ended
        session.add(Partnership(**_partnership(3)))  # type: ignore[arg-type]
    async with sessions() as session:
        assert (await session.exec(names)).all() == ["P0", "P1", "P2", "P3"]


async def test_writes_left_behind_go_with_the_next_trip(
    engine: AsyncEngine, trips: list[str]
) -> None:
    """`write_behind`: the write makes no trip of its own; it runs first in the transaction's
    next trip (a statement, which then sees it, or the COMMIT), is dropped with a rollback, and
    a write that fails makes the transaction fail, with nothing of it kept."""
    sessions = create_session_factory(engine)
    async with transaction(sessions) as session:
        for n in range(2):
            session.add(Partnership(**_partnership(n)))  # type: ignore[arg-type]
    rename = (
        update(Partnership)
        .where(Partnership.name == bindparam("old"))
        .values(purpose=bindparam("purpose"))
    )
    purposes = select(Partnership.purpose).order_by(Partnership.name)
    trips.clear()
    async with transaction(sessions) as session:
        await write_behind(session, rename, {"old": "P0", "purpose": "first"})
        assert trips == []
        assert (await session.exec(purposes)).all() == ["first", ""]  # ran just before
        assert trips == ["_run"]
        await write_behind(session, rename, {"old": "P1", "purpose": "second"})
    assert trips == ["_run", "_commit"]  # the second with the COMMIT
    async with sessions() as session:
        assert (await session.exec(purposes)).all() == ["first", "second"]
    trips.clear()
    async with transaction(sessions) as session:  # the write is its only statement
        await write_behind(session, rename, {"old": "P1", "purpose": "alone"})
    assert trips == ["_commit"]
    with pytest.raises(RuntimeError):
        async with transaction(sessions) as session:
            await write_behind(session, rename, {"old": "P0", "purpose": "dropped"})
            raise RuntimeError("changed my mind")
    clash = update(Partnership).where(Partnership.name == "P1").values(name_key=bindparam("key"))
    with pytest.raises(IntegrityError):
        async with transaction(sessions) as session:
            await write_behind(session, rename, {"old": "P0", "purpose": "lost"})
            await write_behind(session, clash, {"key": "p0"})  # fails at the COMMIT's trip
    async with sessions() as session:
        assert (await session.exec(purposes)).all() == ["first", "alone"]


async def _fill(engine: AsyncEngine, n: int) -> None:
    if not n:
        return
    async with engine.begin() as conn:
        await conn.execute(insert(Partnership), [_partnership(i) for i in range(n)])


NAMES = select(Partnership.name).order_by(Partnership.id)  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [0, 3, 499, 500, 501, 1234])
async def test_a_stream_brings_its_first_rows_with_its_statement(
    engine: AsyncEngine, trips: list[str], n: int
) -> None:
    # A server-side cursor (`yield_per`): the statement and its first batch in one trip, each
    # later batch in one more, none to find the end or to close the cursor.
    await _fill(engine, n)
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        trips.clear()
        result = await conn.stream(NAMES.execution_options(yield_per=500))
        got = [row[0] async for batch in result.partitions(500) for row in batch]
    assert got == [f"P{i}" for i in range(n)]
    first = sqlite_driver.FIRST_ROWS
    later = 0 if n < first else (n - first) // 500 + 1
    assert trips == ["_open"] + ["_more"] * later


async def test_a_stream_read_in_odd_sizes_gives_every_row_once(engine: AsyncEngine) -> None:
    await _fill(engine, 1234)
    async with engine.connect() as conn:
        result = await conn.stream(NAMES.execution_options(stream_results=True))
        got = [(await result.fetchone())[0]]  # type: ignore[index]
        for size in (1, 7, 600, 3):
            got += [row[0] for row in await result.fetchmany(size)]
        got += [row[0] for row in await result.fetchall()]
    assert got == [f"P{i}" for i in range(1234)]


async def test_a_stream_left_early_closes_its_cursor_and_the_connection_goes_on(
    engine: AsyncEngine, trips: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[bool] = []
    close = sqlite_driver._close_cursor

    def noted(cursor: Any) -> None:  # on aiosqlite's thread
        close(cursor)
        closed.append(True)

    monkeypatch.setattr(sqlite_driver, "_close_cursor", noted)
    await _fill(engine, 1200)
    sessions = create_session_factory(engine)
    async with transaction(sessions) as session:
        conn = await session.connection()
        result = await conn.stream(NAMES.execution_options(yield_per=100))
        first = await result.fetchmany(100)
        await result.close()  # 1,100 rows never read
        trips.clear()
        org = Organisation(guild_id=1, name="Food Bank", name_key="food bank", sector="voluntary")
        session.add(org)
        await session.flush()
        count = (await conn.execute(text("SELECT count(*) FROM partnership"))).scalar()
    assert [row[0] for row in first] == [f"P{i}" for i in range(100)]
    # The open cursor closed on the thread, queued before the next trip, without one of its own.
    assert count == 1200 and trips == ["_run", "_run", "commit"] and closed == [True]
    async with sessions() as session:
        names = (await session.exec(select(Organisation.name))).all()
    assert names == ["Food Bank"]


async def test_a_stream_first_in_its_transaction_begins_it_and_sees_what_came_before(
    engine: AsyncEngine,
) -> None:
    await _fill(engine, 2)
    sessions = create_session_factory(engine)
    async with transaction(sessions) as session:
        conn = await session.connection()
        # A write nobody reads goes with the stream's own trip, after the BEGIN.
        await write_behind(
            session,
            insert(Partnership),
            _partnership(7),  # type: ignore[arg-type]
        )
        result = await conn.stream(NAMES.execution_options(yield_per=10))
        got = [row[0] for row in await result.all()]
    assert got == ["P0", "P1", "P7"]
    with pytest.raises(OperationalError):
        async with engine.connect() as conn:
            await conn.stream(text("SELECT * FROM no_such_table"))
