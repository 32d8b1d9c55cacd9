"""`db.ahead.rows`: a plain read that `read_ahead` read is made from the rows waiting on the
connection, without SQLAlchemy's execution, and gives what the session would have given: the
same values of the same types (times with their zone, dates, booleans, nulls), in the same
order; otherwise, or with changes waiting to be flushed, the session runs it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.services.access import Actor, PartnershipRef
from bot.services.goals import GoalService, GoalTarget
from bot.services.goals.latest import latest_stances_read, partnership_latest_read
from bot.services.register import RegisterService
from bot.services.register.lookup import current_views_read
from db import ahead, queries
from db.engine import SessionFactory
from db.models import Goal, Organisation, PartnerOrganisation, Partnership, utcnow

GUILD = 1000
convener = Actor(GUILD, 2, "Ada", manage_channels=True)
reps = [Actor(GUILD, 10 + n, f"Rep {n}") for n in range(2)]
citizen = Actor(GUILD, 20, "Fay")
HERE = PartnershipRef(name="Family Hubs")


@pytest.fixture
async def world(sessions: SessionFactory) -> tuple[int, list[int]]:
    """A partnership with two partners, their representatives (one with a mandate to refer
    back), a citizen and a convener; two goals with stances of every kind: (partnership id,
    goal ids)."""
    register = RegisterService(sessions, default_timezone="Europe/London", admin_role_name="x")
    draft = await register.prepare_create(
        convener, "Family Hubs", "Joined-up early help", relationship="antecedent"
    )
    partnership = await register.create(convener, draft, 5555)
    for org in ("Riverside Council", "Food Bank"):
        await register.add_partner(convener, HERE, org, "voluntary", status="core")
    await register.add_member(
        convener, HERE, user_id=10, display_name="Rep 0", organisation="Riverside Council"
    )
    await register.add_member(
        convener,
        HERE,
        user_id=11,
        display_name="Rep 1",
        organisation="Food Bank",
        mandate="must_refer_back",
    )
    await register.add_member(convener, HERE, user_id=20, display_name="Fay", capacity="citizen")
    goals = GoalService(sessions)
    ids = []
    for title in ("Shared referrals", "One front door"):
        card = await goals.propose(convener, HERE, title=title)
        ids.append(card.id)
        await goals.take_stance(reps[0], GoalTarget(str(card.id)), "agree", comment="Yes")
        refer_by = (utcnow() + timedelta(days=7)).date().isoformat()
        await goals.take_stance(
            reps[1], GoalTarget(str(card.id)), "reservations", refer_by=refer_by
        )
        await goals.take_stance(citizen, GoalTarget(str(card.id)), "object")
    assert partnership.id is not None
    return partnership.id, ids


def reads_of(partnership_id: int, goal_ids: list[int]) -> list[tuple[Any, dict[str, Any]]]:
    """Plain reads of every kind the commands make: joined, ordered, with times, dates,
    booleans and nulls, one with a list of values expanded into its SQL."""
    return [
        queries.partner_rows_read(partnership_id=partnership_id),
        *current_views_read(partnership_id),
        partnership_latest_read(partnership_id),
        latest_stances_read(goal_ids),
    ]


def executions(sessions: SessionFactory) -> tuple[list[str], Any]:
    """The statements the engine executes from now on, and the listener to remove."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(sessions.kw["bind"].sync_engine, "before_cursor_execute", record)
    return seen, record


async def test_rows_read_ahead_are_the_sessions_rows_made_without_executing_them(
    sessions: SessionFactory, world: tuple[int, list[int]]
) -> None:
    partnership_id, goal_ids = world
    reads = reads_of(partnership_id, goal_ids)
    async with sessions() as session:
        # As each read has run through the session (PostgreSQL combines only reads it has seen).
        expected = [(await session.exec(s, params=p)).all() for s, p in reads]
    assert all(expected), "every read finds rows"
    async with sessions() as session:
        await ahead.read_ahead(session, reads)
        seen, record = executions(sessions)
        try:
            got = [await ahead.rows(session, s, p) for s, p in reads]
        finally:
            event.remove(sessions.kw["bind"].sync_engine, "before_cursor_execute", record)
    assert seen == [], "taken from what was read ahead, no statement executed"
    for want, have in zip(expected, got, strict=True):
        assert [tuple(row) for row in have] == [tuple(row) for row in want]
        for want_row, have_row in zip(want, have, strict=True):
            assert [type(v) for v in have_row] == [type(v) for v in want_row]
            times = [
                (v, w) for v, w in zip(have_row, want_row, strict=True) if hasattr(v, "tzinfo")
            ]
            assert all(v.tzinfo == w.tzinfo for v, w in times)
    stances = got[-2]
    assert any(isinstance(row[-1], date) for row in stances), "a date, refer by"
    assert any(row[2] is None for row in stances), "a null: the citizen's own voice"


async def test_rows_runs_the_statement_when_nothing_waits_for_it(
    sessions: SessionFactory, world: tuple[int, list[int]]
) -> None:
    partnership_id, goal_ids = world
    statement, values = queries.partner_rows_read(partnership_id=partnership_id)
    async with sessions() as session:
        expected = (await session.exec(statement, params=values)).all()
    async with sessions() as session:
        seen, record = executions(sessions)
        try:
            got = await ahead.rows(session, statement, values)
            # Read ahead with other values: these are not what waits.
            other = latest_stances_read(goal_ids[:1])
            await ahead.read_ahead(session, [latest_stances_read(goal_ids[1:]), other])
            mark = len(seen)
            again = await ahead.rows(session, *latest_stances_read(goal_ids))
        finally:
            event.remove(sessions.kw["bind"].sync_engine, "before_cursor_execute", record)
    assert [tuple(r) for r in got] == [tuple(r) for r in expected]
    assert len(seen) >= 1
    assert len(seen) > mark, "not read ahead with these values: run"
    assert {row[1] for row in again} == set(goal_ids)


async def test_rows_lets_the_session_flush_waiting_changes_first(
    sessions: SessionFactory, world: tuple[int, list[int]]
) -> None:
    partnership_id, goal_ids = world
    statement, values = queries.partner_rows_read(partnership_id=partnership_id)
    async with sessions() as session, session.begin():
        await ahead.read_ahead(session, [(statement, values), latest_stances_read(goal_ids)])
        organisation = Organisation(
            guild_id=GUILD, name="Youth Club", name_key="youth club", sector="voluntary"
        )
        session.add(organisation)
        await session.flush()
        assert organisation.id is not None
        await ahead.read_ahead(session, [(statement, values), latest_stances_read(goal_ids)])
        session.add(
            PartnerOrganisation(
                partnership_id=partnership_id,
                organisation_id=organisation.id,
                status="core",
                joined_at=utcnow(),
            )
        )
        got = await ahead.rows(session, statement, values)
    assert "Youth Club" in [row[1] for row in got], "the waiting partner, flushed first"


async def test_rows_refuses_a_statement_of_orm_entities(
    sessions: SessionFactory, world: tuple[int, list[int]]
) -> None:
    async with sessions() as session:
        with pytest.raises(TypeError, match="plain columns"):
            await ahead.rows(session, select(Goal), {})
        with pytest.raises(TypeError, match="plain columns"):
            await ahead.rows(session, select(Partnership.id, Goal), {})


async def test_a_session_keeps_its_connection_for_its_reads_until_its_transaction_ends(
    sessions: SessionFactory, world: tuple[int, list[int]]
) -> None:
    partnership_id, goal_ids = world
    statement, values = queries.partner_rows_read(partnership_id=partnership_id)
    async with sessions() as session:
        await ahead.read_ahead(session, [(statement, values), latest_stances_read(goal_ids)])
        connection, _raw = session.info[ahead._HELD]
        assert connection is await session.connection()
        await ahead.rows(session, statement, values)
        await session.commit()
        assert ahead._HELD not in session.info, "forgotten as the transaction ended"
        # A new transaction in the same session: found afresh, and what it reads is current.
        async with sessions() as other, other.begin():
            await other.exec(
                PartnerOrganisation.__table__.update()  # type: ignore[attr-defined]
                .where(PartnerOrganisation.__table__.c.partnership_id == partnership_id)  # type: ignore[attr-defined]
                .values(status="associate")
            )
        await ahead.read_ahead(session, [(statement, values), latest_stances_read(goal_ids)])
        assert session.info[ahead._HELD][0] is await session.connection()
        got = await ahead.rows(session, statement, values)
    assert {row[2] for row in got} == {"associate"}
    assert ahead._HELD not in session.info
