"""How much one stance costs the database: the statements an endorse issues, and the stance rows
a goal's card reads, stay small however long a goal's history grows."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, text
from sqlalchemy.dialects import postgresql

from bot.services.access import Actor, PartnershipRef
from bot.services.goals import GoalService, GoalTarget
from bot.services.goals.latest import _LATEST, _LATEST_OF_PARTNERSHIP, latest_stances
from bot.services.goals.rows import GoalRow, LinkRow
from bot.services.register import RegisterService
from db.engine import SessionFactory
from db.models import Goal, GoalLink, GoalStance, utcnow
from db.postgres_driver import is_combined
from tests.statements import count_postgres_trips, statements_run

GUILD = 1000
convener = Actor(GUILD, 2, "Ada", manage_channels=True)
reps = [Actor(GUILD, 10 + n, f"Rep {n}") for n in range(3)]
citizen = Actor(GUILD, 20, "Fay")
ORGS = ("Riverside Council", "Food Bank", "Parents' Forum")
HERE = PartnershipRef(name="Family Hubs")
#: An endorse reads the goal, the partnership with the person's membership, then the goal web
#: once (goals with their links, partners, people, the latest stances and the readings of the
#: goal and the goals linked to it, removals): the voice, its last stance and the card after the
#: stance come from that one read, and the log mark is the entry it writes. PostgreSQL reads the
#: partnership with its lock, then the membership under the lock, and adds the goal's lock. It
#: was 17 on SQLite (19 on PostgreSQL) before the web was read only once, 9 (12) before the goals
#: and links were read together, and 11 on PostgreSQL before the partnership was found and locked
#: in one statement. PostgreSQL also reads the stance's id (its INSERT then goes with the log
#: entry's: a SELECT more, a statement fewer).
MAX_SELECTS = {"sqlite": 8, "postgresql": 11}
#: The same endorse by the goal's number in a partnership named: the goal is found among the web's
#: goals, not read alone first (PostgreSQL: its lock reads no row into the session).
NAMED_SELECTS = {"sqlite": 7, "postgresql": 9}
#: Round trips of a second endorse in a partnership named, on PostgreSQL (14 before reads were
#: combined, 10 before the goal's lock was dropped, its touch and the stance went with the log
#: entry, and the reads of the goals near it and the stance's id were planned with the others).
ENDORSE_TRIPS = 5
#: A list: the partnership with the person's membership, the goals with their links, the
#: partners and the latest stances (the people too once one of them has a stance).
LIST_SELECTS = 4


def counting(sessions: SessionFactory) -> AbstractContextManager[list[str]]:
    """The SQL statements run through the sessions' engine meanwhile (a statement
    `read_ahead` only notes runs in its trip, counted when its rows are taken)."""
    return statements_run(sessions, noted=False)


@pytest.fixture
async def goals(sessions: SessionFactory) -> GoalService:
    register = RegisterService(sessions, default_timezone="Europe/London", admin_role_name="x")
    draft = await register.prepare_create(convener, "Family Hubs", "Joined-up early help")
    await register.create(convener, draft, 5555)
    for org in ORGS:
        await register.add_partner(convener, HERE, org, "voluntary", status="core")
    for actor, org in zip(reps, ORGS, strict=True):
        await register.add_member(
            convener, HERE, user_id=actor.user_id, display_name=actor.display_name, organisation=org
        )
    await register.add_member(
        convener, HERE, user_id=citizen.user_id, display_name="Fay", capacity="citizen"
    )
    return GoalService(sessions)


async def _history(sessions: SessionFactory, goal_id: int, rows: int) -> None:
    """`rows` old stances, from every voice in turn, long ago."""
    start = utcnow() - timedelta(days=300)
    org_ids = [None, *range(1, 4)]
    async with sessions() as session, session.begin():
        await (await session.connection()).execute(
            insert(GoalStance),
            [
                {
                    "goal_id": goal_id,
                    "organisation_id": org_ids[n % 4],
                    "user_id": citizen.user_id if n % 4 == 0 else reps[n % 4 - 1].user_id,
                    "display_name": "Old",
                    "capacity": "citizen" if n % 4 == 0 else "representative",
                    "stance": "object",
                    "recorded_at": start + timedelta(minutes=n),
                }
                for n in range(rows)
            ],
        )


@pytest.mark.parametrize("named", [False, True], ids=["by-number", "by-number-in-partnership"])
async def test_an_endorse_issues_a_bounded_number_of_selects_whatever_the_history(
    goals: GoalService, sessions: SessionFactory, named: bool
) -> None:
    card = await goals.propose(convener, HERE, title="Shared referrals")
    await goals.take_stance(reps[0], GoalTarget(str(card.id)), "agree")
    target = GoalTarget(str(card.id), HERE if named else PartnershipRef())
    bound = (NAMED_SELECTS if named else MAX_SELECTS)[sessions.kw["bind"].dialect.name]
    counts = []
    for history in (10, 500):
        await _history(sessions, card.id, history)
        with counting(sessions) as seen:
            result = await goals.take_stance(reps[1], target, "reservations")
        assert result.stance == "reservations"
        assert result.card.goal.id == card.id
        selects = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
        assert len(selects) <= bound, "\n\n".join(selects)
        counts.append(len(selects))
    assert counts[0] == counts[1]


async def test_a_list_reads_the_people_only_once_one_of_them_has_a_stance(
    goals: GoalService, sessions: SessionFactory
) -> None:
    card = await goals.propose(convener, HERE, title="Shared referrals")
    await goals.take_stance(reps[0], GoalTarget(str(card.id)), "agree")
    with counting(sessions) as before:
        _p, cards = await goals.list_goals(reps[0], HERE, summary=True)
    assert cards[0].people == []
    assert len(before) == LIST_SELECTS, "\n\n".join(before)
    await goals.take_stance(citizen, GoalTarget(str(card.id)), "object")
    with counting(sessions) as after:
        _p, cards = await goals.list_goals(reps[0], HERE, summary=True)
    shown = [(p.display_name, p.latest.stance if p.latest else None) for p in cards[0].people]
    assert shown == [("Fay", "object")]
    assert len(after) == LIST_SELECTS + 1, "\n\n".join(after)


def test_a_lists_rows_are_columns_of_a_goal_and_a_link() -> None:
    for row, model in ((GoalRow, Goal), (LinkRow, GoalLink)):
        columns = set(model.__table__.columns.keys())  # type: ignore[attr-defined, union-attr]
        assert {f.name for f in fields(row)} <= columns


async def test_a_list_reads_its_goals_as_plain_rows_with_the_same_values(
    goals: GoalService,
) -> None:
    whole = await goals.propose(convener, HERE, title="Joined-up early help")
    part = await goals.propose(convener, HERE, title="Shared referrals")
    await goals.link(convener, GoalTarget(str(part.id)), str(whole.id), "part_of")
    await goals.update(convener, GoalTarget(str(part.id)), progress=40)
    await goals.take_stance(reps[0], GoalTarget(str(whole.id)), "agree")
    _p, summary = await goals.list_goals(reps[0], HERE, summary=True)
    _p, full = await goals.list_goals(reps[0], HERE)
    assert all(isinstance(card.goal, GoalRow) for card in summary)
    assert all(isinstance(card.goal, Goal) for card in full)
    for short, long in zip(summary, full, strict=True):
        for name in (f.name for f in fields(GoalRow)):
            assert getattr(short.goal, name) == getattr(long.goal, name), name
        assert (short.progress, short.rolled_up, short.parts, short.tally) == (
            long.progress,
            long.rolled_up,
            long.parts,
            long.tally,
        )
    assert (summary[0].progress, summary[0].rolled_up, summary[0].parts) == (40, True, 1)


async def test_only_each_voices_latest_stance_is_read(
    goals: GoalService, sessions: SessionFactory
) -> None:
    old = await goals.propose(convener, HERE, title="Shared referrals")
    quiet = await goals.propose(convener, HERE, title="One front door")
    await _history(sessions, old.id, 400)  # 100 objections from each of four voices
    await goals.take_stance(reps[0], GoalTarget(str(old.id)), "agree")
    await goals.take_stance(citizen, GoalTarget(str(old.id)), "unsure")
    await goals.take_stance(reps[2], GoalTarget(str(quiet.id)), "agree")

    async with sessions() as session:
        found = await latest_stances(session, [old.id, quiet.id])

    # One row per voice: three organisations and the citizen; the quiet goal's only stance.
    assert len(found[old.id]) == 4
    assert {(s.organisation_id is None, s.user_id): s.stance for s in found[old.id]} == {
        (False, reps[0].user_id): "agree",
        (False, reps[1].user_id): "object",
        (False, reps[2].user_id): "object",
        (True, citizen.user_id): "unsure",
    }
    assert [s.stance for s in found[quiet.id]] == ["agree"]
    # The card shows the same: the latest stance of each organisation.
    card = await goals.show(convener, GoalTarget(str(old.id)))
    assert sorted(o.latest.stance for o in card.organisations if o.latest) == [
        "agree",
        "object",
        "object",
    ]


def _rows_read(plan: dict[str, Any]) -> int:
    """How many stance rows the plan's nodes read (PostgreSQL's EXPLAIN ANALYZE), but for those
    read by id (the chosen rows themselves)."""
    own = (
        plan.get("Actual Rows", 0) * plan.get("Actual Loops", 1)
        if plan.get("Relation Name") == "goal_stance" and plan.get("Index Name") != "pk_goal_stance"
        else 0
    )
    return own + sum(_rows_read(child) for child in plan.get("Plans", []))


async def test_the_latest_stances_read_a_few_rows_however_long_the_history(
    goals: GoalService, sessions: SessionFactory
) -> None:
    # PostgreSQL has no skip scan: picking each goal's voices with DISTINCT read every stance
    # of the goal. Each voice is now found with one seek from the one before.
    if sessions.kw["bind"].dialect.name != "postgresql":
        pytest.skip("reads PostgreSQL's plan")
    card = await goals.propose(convener, HERE, title="Shared referrals")
    read: list[int] = []
    for history in (40, 800):
        await _history(sessions, card.id, history)
        async with sessions() as session:
            await session.exec(text("ANALYZE goal_stance"))
            # As on a database in use, where the table holds every goal's stances: a test's few
            # hundred rows are quicker to scan whole than to look up.
            await session.exec(text("SET LOCAL enable_seqscan = off"))
            statement = _LATEST.params(goal_ids=[card.id])
            sql = statement.compile(
                dialect=session.bind.dialect,
                compile_kwargs={"literal_binds": True, "render_postcompile": True},
            )
            explained = await session.exec(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}"))
            plan = explained.scalar_one()
        read.append(_rows_read(plan[0]["Plan"]))
    # Four voices (three organisations and a citizen): a handful of rows either way.
    assert read[1] == read[0] and read[1] < 20, read


def test_the_latest_stances_limits_are_written_into_their_sql() -> None:
    # A prepared statement whose LIMIT is sent as a value gets a generic plan that PostgreSQL
    # costs for any limit, above the plans it makes for each call's values; on the benchmark's
    # database it then planned the read again on every call (0.7 ms of every card).
    sql = str(_LATEST_OF_PARTNERSHIP.compile(dialect=postgresql.dialect()))
    assert sql.count("LIMIT 1") == 6 and "LIMIT %(" not in sql


async def test_a_stance_touches_its_goal_in_the_trip_of_its_insert(
    goals: GoalService, sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The goal's `updated_at` is written with the next statement (`write_behind`): on
    PostgreSQL in its own statement, with the stance (on SQLite in its trip: `tests/db`)."""
    card = await goals.propose(convener, HERE, title="Shared referrals")

    async def updated_at() -> datetime:
        async with sessions() as session:
            goal = await session.get(Goal, card.id)
            assert goal is not None
            return goal.updated_at

    before = await updated_at()
    sent = count_postgres_trips(monkeypatch)
    await goals.take_stance(reps[1], GoalTarget(str(card.id)), "reservations")
    monkeypatch.undo()
    if sessions.kw["bind"].dialect.name == "postgresql":
        assert not [s for s in sent if s.startswith("UPDATE goal")], sent
        inserts = [s for s in sent if "INSERT INTO goal_stance" in s]
        assert len(inserts) == 1 and inserts[0].startswith("WITH _behind_1 AS (UPDATE goal")
    assert await updated_at() > before


async def test_a_named_endorse_on_postgresql_makes_few_round_trips(
    goals: GoalService, sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL, a second endorse in a partnership named: BEGIN, the partnership found and
    locked, the membership with every read of the web and the stance's id (one statement,
    `ahead_under_lock`), the log entry with the goal's touch and the stance in its WITH, and the
    COMMIT. No lock of the goal: every write to a goal holds its partnership's."""
    if sessions.kw["bind"].dialect.name != "postgresql":
        pytest.skip("counts PostgreSQL's round trips")
    card = await goals.propose(convener, HERE, title="Shared referrals")
    target = GoalTarget(str(card.id), HERE)
    await goals.take_stance(reps[0], target, "agree")  # its reads are learned and planned
    sent = count_postgres_trips(monkeypatch)
    result = await goals.take_stance(reps[0], target, "reservations")
    monkeypatch.undo()
    assert result.stance == "reservations"
    shown = "\n\n".join(s[:120] for s in sent)
    assert not [s for s in sent if "FROM goal" in s and "FOR UPDATE" in s], shown
    # (BEGIN is noted as it goes, inside its first statement's trip.)
    assert sent.count("BEGIN") == 1 and sent[-1] == "COMMIT", shown
    statements = [s for s in sent if s != "BEGIN"]
    assert "FOR UPDATE" in statements[0] and statements[0].startswith("SELECT partnership"), shown
    assert is_combined(statements[1]) and "FROM membership" in statements[1], shown
    # The goal's touch and the stance (its id read ahead) go with the log entry's INSERT.
    assert statements[2].startswith("WITH _behind_1 AS (UPDATE goal"), shown
    assert "_behind_2 AS (INSERT INTO goal_stance" in statements[2], shown
    assert "INSERT INTO event" in statements[2], shown
    assert len(sent) == ENDORSE_TRIPS, shown
