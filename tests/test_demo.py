"""`partnerbot demo`: the demo partnership holds what the demo promises (on SQLite and
PostgreSQL), the same every run, and the command keeps to its own database in DATA_DIR."""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import col, select

import bot.demo
import bot.demo.report
from bot.__main__ import main
from bot.demo import DEMO_GUILD, DemoClock, DemoPartnership, build_demo
from bot.demo.cast import (
    END,
    FOOD,
    FORUM,
    HEALTH,
    HELEN,
    HUBS,
    NAME,
    PEOPLE,
    START,
)
from bot.services.goals import GoalService
from bot.services.notes import NoteService
from db.engine import SessionFactory, create_engine, create_session_factory
from db.models import (
    Event,
    Membership,
    Organisation,
    PartnerOrganisation,
    Partnership,
    PromptAnswer,
    PromptPost,
    Schedule,
    TrustRating,
)
from tests.browser import assert_drawn, load


async def events(sessions: SessionFactory, prefix: str) -> list[Event]:
    async with sessions() as session:
        rows = await session.exec(
            select(Event).where(col(Event.kind).startswith(prefix)).order_by(col(Event.id))
        )
        return list(rows.all())


async def count(sessions: SessionFactory, model: type) -> int:
    async with sessions() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


async def test_the_demo_holds_what_it_promises(sessions: SessionFactory):
    """Built once per database (it takes a moment), then checked part by part."""
    clock = DemoClock()
    made = await build_demo(sessions, clock)
    for check in (
        one_partnership_over_a_year_with_made_up_ids,
        organisations_join_one_leaves_and_a_representative_changes,
        goals_at_every_level_agreed_objected_and_linked,
        prompts_posted_now_and_answered,
        trust_rounds_closed_one_withheld,
        actions_done_open_and_overdue_as_of_the_demos_now,
        two_meetings_with_attendance_and_minutes,
    ):
        await check(sessions, made, clock)


async def one_partnership_over_a_year_with_made_up_ids(
    sessions: SessionFactory, made: DemoPartnership, clock: DemoClock
) -> None:
    assert clock.now() == made.now == END and made.start == START.date()
    async with sessions() as session:
        [partnership] = (await session.exec(select(Partnership))).all()
        guilds = set((await session.exec(select(Event.guild_id))).all())
    assert (partnership.id, partnership.name, partnership.guild_id) == (
        made.partnership_id,
        NAME,
        DEMO_GUILD,
    )
    assert partnership.timezone == "Europe/London" and partnership.relationship == "enabler"
    assert guilds == {DEMO_GUILD}
    logged = await events(sessions, "")
    assert logged[0].occurred_at == START and logged[-1].occurred_at <= END
    assert [e.occurred_at for e in logged] == sorted(e.occurred_at for e in logged)


async def organisations_join_one_leaves_and_a_representative_changes(
    sessions: SessionFactory, made: DemoPartnership, clock: DemoClock
) -> None:
    async with sessions() as session:
        partners = (
            await session.exec(
                select(Organisation.name, Organisation.sector, PartnerOrganisation).join(
                    PartnerOrganisation,
                    col(PartnerOrganisation.organisation_id) == col(Organisation.id),
                )
            )
        ).all()
        members = {m.display_name: m for m in (await session.exec(select(Membership))).all()}
    sectors = Counter(sector for _name, sector, _link in partners)
    assert sectors == {"public": 1, "health": 1, "voluntary": 2, "community_group": 1}
    left = {name: link for name, _sector, link in partners if link.left_at is not None}
    assert list(left) == [FOOD] and left[FOOD].status == "former"
    assert made.organisations == 5 and made.organisations_left == (FOOD,)
    # The forum came in as an associate and became core.
    changes = [e.payload for e in await events(sessions, "partner.status_changed")]
    assert [(c["organisation"], c["from"], c["status"]) for c in changes] == [
        (FORUM, "associate", "core")
    ]

    # The health trust's representative changed; the food network's left with it.
    assert members["Anil Mehta"].left_at is not None
    assert members["Grace Obi"].left_at is None
    assert members["Anil Mehta"].organisation_id == members["Grace Obi"].organisation_id
    assert members["Kieran Doyle"].left_at is not None
    assert len(members) == made.people == len(PEOPLE)
    assert len(await events(sessions, "member.left")) == 2
    citizens = [m for m in members.values() if m.capacity == "citizen"]
    assert len(citizens) == 2 and all(m.organisation_id is None for m in citizens)


async def goals_at_every_level_agreed_objected_and_linked(
    sessions: SessionFactory, made: DemoPartnership, clock: DemoClock
) -> None:
    goals = GoalService(sessions, clock=clock)
    _p, cards = await goals.list_goals(HELEN, HUBS)
    assert {c.goal.level for c in cards} == {"collaboration", "organisation", "individual"}
    agreed = [c for c in cards if c.agreed]
    assert len(agreed) == made.goals_agreed == 4
    objected = [
        c
        for c in cards
        if any(line.latest and line.latest.stance == "object" for line in c.organisations)
    ]
    assert len(objected) == made.goals_objected == 1
    [pooled] = objected
    assert not pooled.agreed and pooled.tally.objecting == 1
    assert [
        line.name for line in pooled.organisations if line.latest and line.latest.stance == "object"
    ] == [HEALTH]
    stances = Counter(
        line.latest.stance for c in cards for line in c.organisations if line.latest is not None
    )
    assert stances["reservations"] >= 2 and stances["unsure"] >= 1
    assert sum(len(c.links) for c in cards) == 2 * 4  # each link shows on both its goals
    assert any(c.rolled_up for c in cards)  # the front door's progress comes from its parts
    assert {c.goal.status for c in cards} >= {"achieved", "in_progress", "proposed"}
    assert len(cards) == made.goals
    # Organisations read the front door differently: imposed from outside, or their own.
    [read] = [c for c in cards if c.readings]
    assert {r.value for r in read.readings.spread["origin"]} == {"external", "members"}


async def prompts_posted_now_and_answered(
    sessions: SessionFactory, made: DemoPartnership, clock: DemoClock
) -> None:
    async with sessions() as session:
        posts = (await session.exec(select(PromptPost))).all()
    assert len(posts) == made.prompts == 6
    assert all(p.message_id is not None and p.schedule_id is None for p in posts)
    assert len({p.theme for p in posts}) == 6
    assert await count(sessions, PromptAnswer) == made.answers == 20
    async with sessions() as session:
        [schedule] = (await session.exec(select(Schedule))).all()
    assert schedule.kind == "prompt" and schedule.state == "active"


async def trust_rounds_closed_one_withheld(
    sessions: SessionFactory, made: DemoPartnership, clock: DemoClock
) -> None:
    closed = [e.payload for e in await events(sessions, "trust.round_closed")]
    assert [c["shown"] for c in closed] == [True, True, False, True]
    assert made.trust_rounds == 4 and made.trust_rounds_withheld == 1
    withheld = closed[2]
    assert withheld["organisations_answered"] < withheld["k"] == 3
    assert withheld["means"] == {} and withheld["small_wins"] is None
    shown = [c for c in closed if c["shown"]]
    assert all(c["organisations_answered"] >= c["k"] for c in shown)
    assert all(
        set(c["means"]) == {"expectations", "follow_through", "reliance", "fair_say"} for c in shown
    )
    # One round had pairwise ratings: its network figures are in the log.
    networks = [c["network"] for c in closed if c["network"]]
    assert len(networks) == 1 and len(networks[0]["received"]) == 5
    assert await count(sessions, TrustRating) == 5 * 4


async def actions_done_open_and_overdue_as_of_the_demos_now(
    sessions: SessionFactory, made: DemoPartnership, clock: DemoClock
) -> None:
    notes = NoteService(sessions, clock=clock)
    page = await notes.page(HELEN, HUBS, kind="action")
    states = Counter(line.state for line in page.lines)
    assert states == {"done": 3, "overdue": 2, "open": 1}
    assert (made.actions_done, made.actions_overdue, made.actions_open) == (3, 2, 1)
    kinds = Counter(e.kind for e in await events(sessions, "note."))
    assert kinds["note.decision"] >= 3 and kinds["note.small_win"] >= 2
    assert kinds["note.risk"] >= 2 and kinds["note.note"] >= 2


async def two_meetings_with_attendance_and_minutes(
    sessions: SessionFactory, made: DemoPartnership, clock: DemoClock
) -> None:
    meetings = await events(sessions, "meeting.")
    started = [e for e in meetings if e.kind == "meeting.started"]
    assert len(started) == made.meetings == 2
    assert len([e for e in meetings if e.kind == "meeting.ended"]) == 2
    for meeting in started:
        attended = [
            e.payload["organisation"]
            for e in meetings
            if e.kind == "meeting.attended" and e.payload["meeting_id"] == meeting.id
        ]
        assert len(attended) >= 5 and "own capacity" in attended
        items = [
            e for e in await events(sessions, "note.") if e.payload.get("meeting_id") == meeting.id
        ]
        assert {"note.decision", "note.action"} <= {e.kind for e in items}


async def test_the_demo_is_the_same_every_run(sqlite_template: Path, tmp_path: Path):
    """Two builds in two fresh databases give the same log and the same ratings."""

    async def build(name: str) -> tuple[list[tuple[object, ...]], list[tuple[int, ...]]]:
        path = tmp_path / name
        shutil.copy(sqlite_template, path)
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        try:
            sessions = create_session_factory(engine)
            await build_demo(sessions, DemoClock())
            async with sessions() as session:
                log = [
                    (e.kind, e.occurred_at, e.summary, e.payload, e.message_link)
                    for e in (await session.exec(select(Event).order_by(col(Event.id)))).all()
                ]
                ratings = sorted(
                    (r.reliability, r.openness, r.mission)
                    for r in (await session.exec(select(TrustRating))).all()
                )
            return log, ratings
        finally:
            await engine.dispose()

    assert await build("one.db") == await build("two.db")


async def test_a_clock_already_past_the_start_is_refused(sessions):
    with pytest.raises(ValueError, match="cannot go back"):
        await build_demo(sessions, DemoClock(END))
    assert await count(sessions, Partnership) == 0


# ---- the command


def write(out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("<!doctype html><title>demo</title>", encoding="utf-8")


@pytest.fixture
def reports(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """Stand in for the HTML export (built and tested in its own module): record what the
    command passed, read the partnership from the sessions given, and write a small file."""
    calls: list[dict[str, object]] = []

    async def fake_write_report(sessions, clock, demo, out: Path) -> Path:
        async with sessions() as session:
            names = list((await session.exec(select(Partnership.name))).all())
        calls.append({"names": names, "now": clock.now(), "demo": demo, "out": out})
        await asyncio.to_thread(write, out)
        return out

    monkeypatch.setattr(bot.demo.report, "write_report", fake_write_report)
    return calls


@pytest.fixture
def operator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with no .env and no Discord token."""
    for name in ("DISCORD_TOKEN", "DATABASE_URL", "DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_demo_writes_its_report_into_data_dir_without_a_token(
    operator: Path, reports, monkeypatch: pytest.MonkeyPatch, capsys
):
    data = operator / "somewhere" / "data"
    monkeypatch.setenv("DATA_DIR", str(data))
    # The bot's database is elsewhere; the demo must not make it.
    absent = operator / "bot.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{absent}")
    assert main(["demo"]) == 0
    assert not absent.exists() and not Path(f"{absent}-wal").exists()
    out = capsys.readouterr().out
    report = (data / "demo-report.html").resolve()
    assert report.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert (data / "demo.db").exists()
    [call] = reports
    assert call["names"] == [NAME] and call["now"] == END and call["out"] == report
    assert f"{(data / 'demo.db').resolve()}" in out and "rebuilt on every run" in out
    assert str(report) in out
    assert "8 goals" in out and "1 withheld" in out and "2 overdue" in out


def test_demo_starts_from_scratch_every_run_and_leaves_database_url_alone(
    operator: Path, reports, monkeypatch: pytest.MonkeyPatch
):
    data = operator / "data"
    data.mkdir()
    monkeypatch.setenv("DATA_DIR", str(data))
    (data / "demo.db").write_bytes(b"not a database at all")
    (data / "demo.db-wal").write_bytes(b"left over")
    live = operator / "live.db"
    live.write_bytes(b"the bot's own database")
    before = live.stat().st_mtime_ns
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{live}")
    assert main(["demo"]) == 0
    # Again, to a file of the operator's choosing: a kept database would refuse the name.
    assert main(["demo", "-o", str(operator / "out" / "report.html")]) == 0
    assert [call["names"] for call in reports] == [[NAME], [NAME]]
    first, second = (call["demo"] for call in reports)
    assert first == second
    assert (operator / "out" / "report.html").exists()
    assert live.read_bytes() == b"the bot's own database"
    assert live.stat().st_mtime_ns == before
    assert not Path(f"{live}-wal").exists() and not Path(f"{live}-shm").exists()


def test_demo_says_when_it_cannot_write_the_report(
    operator: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    async def quick(sessions, clock):
        return None  # the year itself is tested above; this is about the report

    async def refuse(sessions, clock, demo, out: Path) -> Path:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(bot.demo, "build_demo", quick)
    monkeypatch.setattr(bot.demo.report, "write_report", refuse)
    monkeypatch.setenv("DATA_DIR", str(operator / "data"))
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://nobody@127.0.0.1:1/nothing")
    assert main(["demo", "-o", str(operator / "r.html")]) == 1
    err = capsys.readouterr().err
    assert "cannot write the report" in err and "Permission denied" in err
    assert "Traceback" not in err


def test_demo_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "DATA_DIR/demo.db" in out and "DATABASE_URL" in out and "-o FILE" in out


def test_the_demo_report_renders_in_chromium(operator: Path, monkeypatch: pytest.MonkeyPatch):
    """The real report, as someone evaluating Partnerbot opens it: every chart drawn inline,
    no script, nothing fetched, nothing on the console."""
    monkeypatch.setenv("DATA_DIR", str(operator / "data"))
    report = operator / "report.html"
    assert main(["demo", "-o", str(report)]) == 0
    page = report.read_text(encoding="utf-8")
    assert NAME in page and "Brookfield Food Network" in page
    seen = load(report, operator, screenshot=True)
    assert_drawn(seen.shot)
    assert f"<h1>{NAME}: partnership record</h1>" in seen.dom
    assert "script" not in seen.tags and seen.tags.count("svg") == 3
    assert "Line chart of the check-in means" in seen.dom and seen.tags.count("img") == 1
    assert seen.console == []
