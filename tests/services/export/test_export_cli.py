"""`partnerbot export` end to end through `bot.__main__.main`, on an SQLite file holding the
export world (tests/services/export/world.py): files, standard output, the audit, and bad input
answered with one line and exit 1, leaving no file behind.

The real writers are tested on their own; here every format is the stand-in `tiny_writer`.
"""

from __future__ import annotations

import asyncio
import gc
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import pytest
from sqlmodel import select

from bot import heap
from bot.__main__ import main
from bot.services.export import writers
from bot.services.export.document import Document, Format
from db.engine import create_engine, create_session_factory, transaction
from db.migrate import upgrade
from db.models import Partnership
from tests.services.export.world import GUILD, NAME, OVERDUE_ACTION, build_world, tiny_writer

BASE = ["export", "--guild", str(GUILD), "--partnership", NAME]


async def _build(url: str) -> None:
    await upgrade(url)
    engine = create_engine(url)
    try:
        await build_world(create_session_factory(engine))
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The world in an SQLite file, built once (off any running loop) and copied per test."""
    path = tmp_path_factory.mktemp("export-cli") / "world.db"
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _build(f"sqlite+aiosqlite:///{path}")).result()
    return path


@pytest.fixture
def database(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "db").mkdir()
    path = tmp_path / "db" / "partnerbot.db"
    shutil.copy(template, path)
    (tmp_path / "tmp").mkdir()  # the export's temporary files
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    for fmt in Format:
        monkeypatch.setitem(writers.WRITERS, fmt, tiny_writer)
    yield path


def audit(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT via, user_id, format, audience, since, until, pseudonymised FROM export_record"
        ).fetchall()


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_export_to_a_file(database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    target = tmp_path / "out" / "minutes.md"
    target.parent.mkdir()
    code = main([*BASE, "--format", "markdown", "--until", "2026-03-31", "-o", str(target)])
    out, err = capsys.readouterr()
    assert code == 0, err
    text = target.read_text()
    assert text.startswith(f"partnership: {NAME}\naudience: internal\n")
    assert "period: the start to 2026-03-31" in text and OVERDUE_ACTION in text
    assert out.strip() == f"Exported {NAME} to {target} ({len(text.encode())} bytes)."
    assert err == ""
    assert audit(database) == [("cli", None, "markdown", "internal", None, "2026-03-31", 0)]
    assert sorted(p.name for p in target.parent.iterdir()) == ["minutes.md"]
    assert list((tmp_path / "tmp").iterdir()) == []  # the temporary file was moved


def test_the_heap_is_settled_before_the_export(
    database: Path, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
):
    """Everything but the export itself is built: the cyclic collector stops walking it."""
    frozen: list[int] = []
    settle = heap.settle

    def settled() -> None:
        settle()
        frozen.append(gc.get_freeze_count())

    monkeypatch.setattr(heap, "settle", settled)
    assert main([*BASE, "--format", "json"]) == 0
    assert len(frozen) == 1 and frozen[0] > 0
    assert capsysbinary.readouterr().out.startswith(f"partnership: {NAME}".encode())


def test_export_to_standard_output(database: Path, capsysbinary: pytest.CaptureFixture[bytes]):
    code = main([*BASE, "--format", "json", "--audience", "external", "--since", "2026-04-01"])
    out, err = capsysbinary.readouterr()
    assert code == 0, err
    assert out.startswith(f"partnership: {NAME}\naudience: external\n".encode())
    assert b"withheld: 1" in out and b"person:" not in out
    assert audit(database) == [("cli", None, "json", "external", "2026-04-01", None, 0)]


def test_a_meeting_by_number(database: Path, capsysbinary: pytest.CaptureFixture[bytes]):
    with sqlite3.connect(database) as db:
        [(meeting,)] = db.execute("SELECT id FROM event WHERE kind = 'meeting.started'").fetchall()
    assert main([*BASE, "--format", "html", "--meeting", f"#{meeting}"]) == 0
    out = capsysbinary.readouterr().out
    assert b"note.decision" in out and b"note.risk" not in out


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--partnership", "Elsewhere"], "There is no partnership called “Elsewhere” in server"),
        (["--since", "2026-13-01"], "--since should be a date written YYYY-MM-DD"),
        (["--until", "31/03/2026"], "--until should be a date written YYYY-MM-DD"),
        (["--since", "2026-04-02", "--until", "2026-04-01"], "starts after it ends"),
        (["--pseudonymise"], "has not consented to research exports"),
        (["--keep-text"], "--keep-text applies only with --pseudonymise"),
        (["--meeting", "Spring meeting"], "can't find a meeting “Spring meeting”"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    database: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    words: str,
):
    target = tmp_path / "export.md"
    args = [*BASE, "--format", "markdown", "-o", str(target), *options]
    if "--partnership" in options:
        args = [
            "export",
            "--guild",
            str(GUILD),
            "--format",
            "markdown",
            "-o",
            str(target),
            *options,
        ]
    assert main(args) == 1
    out, err = capsys.readouterr()
    assert out == ""
    line = one_line(err)
    assert line.startswith("partnerbot: ") and words in line
    assert not target.exists()
    assert audit(database) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db", "tmp"]
    assert list((tmp_path / "tmp").iterdir()) == []


def test_consent_allows_the_research_export(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    async def turn_on() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{database}")
        try:
            async with transaction(create_session_factory(engine)) as session:
                for partnership in (await session.exec(select(Partnership))).all():
                    partnership.research_consent = True
                    session.add(partnership)
        finally:
            await engine.dispose()

    asyncio.run(turn_on())
    target = tmp_path / "research.md"
    assert main([*BASE, "--format", "csv", "--pseudonymise", "-o", str(target)]) == 0
    text = target.read_text()
    assert "person: Person " in text and "Adaeze" not in text
    assert audit(database) == [("cli", None, "csv", "internal", None, None, 1)]


def test_a_failed_export_leaves_the_old_file_alone(
    database: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
):
    async def full_disk(document: Document, out: BinaryIO) -> None:
        out.write(b"half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setitem(writers.WRITERS, Format.html, full_disk)
    target = tmp_path / "report.html"
    target.write_text("last week's report")
    assert main([*BASE, "--format", "html", "-o", str(target)]) == 1
    line = one_line(capsys.readouterr().err)
    assert line == "partnerbot: cannot write the export: No space left on device"
    assert target.read_text() == "last week's report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db", "report.html", "tmp"]
    assert list((tmp_path / "tmp").iterdir()) == []
    assert audit(database) == []


def test_a_zip_is_never_written_to_a_terminal(
    database: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main([*BASE, "--format", "csv"]) == 1
    assert "zip file: write it with -o FILE" in one_line(capsys.readouterr().err)
    assert audit(database) == []


def test_a_missing_folder_is_refused_first(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    assert main([*BASE, "--format", "json", "-o", str(tmp_path / "no" / "x.json")]) == 1
    assert "give a file in a folder that exists" in one_line(capsys.readouterr().err)
    assert main([*BASE, "--format", "json", "-o", str(tmp_path)]) == 1
    assert audit(database) == []


def test_migrations_run_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    fresh = tmp_path / "fresh.db"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{fresh}")
    assert main([*BASE, "--format", "markdown"]) == 1
    assert "There is no partnership called" in one_line(capsys.readouterr().err)
    with sqlite3.connect(fresh) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert {"alembic_version", "export_record", "event"} <= tables


def test_help(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_:
        main(["export", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for option in (
        "--guild",
        "--partnership",
        "--format",
        "--audience",
        "--since",
        "--until",
        "--meeting",
        "--pseudonymise",
        "--keep-text",
        "-o FILE",
    ):
        assert option in out
