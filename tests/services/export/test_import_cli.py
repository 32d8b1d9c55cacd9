"""`partnerbot import FILE --guild ID` as an operator meets it: it migrates the database named by
DATABASE_URL itself, prints what it imported, and on any refusal exits 1 with one line and
writes nothing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.__main__ import main
from db.engine import create_engine, create_session_factory
from db.migrate import current_revisions, head_revisions
from db.models import Event, Partnership
from tests.services.export.json_world import NEW_GUILD, build, save, write_export

# One database is enough to write the file from; the import's own database is SQLite.
on_sqlite = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
async def export_file(sessions, tmp_path: Path) -> Path:
    world = await build(sessions)
    path = tmp_path / "family-hubs.json"
    await write_export(sessions, world.partnership, world.clock.now(), path)
    return path


@pytest.fixture
def target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database the import has to create and migrate itself."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'moved' / 'moved.db'}"
    (tmp_path / "moved").mkdir()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    return url


async def cli(*args: str) -> int:
    # main() runs its own event loop, so it runs in a thread of its own.
    return await asyncio.to_thread(main, list(args))


async def counts(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            conn = await session.connection()
            partnerships = await conn.execute(select(func.count()).select_from(Partnership))
            events = await conn.execute(select(func.count()).select_from(Event))
            return partnerships.scalar_one(), events.scalar_one()
    finally:
        await engine.dispose()


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("partnerbot: ") and "Traceback" not in err
    return lines[0]


@on_sqlite
async def test_import_migrates_then_loads_and_says_what(export_file, target, capsys):
    records = json.loads(export_file.read_text())["records"]
    logged = len(records["event"])
    assert logged > 30  # the world's whole log: every feature's entries
    assert await cli("import", str(export_file), "--guild", str(NEW_GUILD)) == 0
    out = capsys.readouterr().out
    assert f"Imported “Family Hubs” into server {NEW_GUILD}" in out
    assert f"log entries: {logged}" in out and "goals: 2" in out and "stances: 4" in out
    assert "organisations: 3 registered" in out
    assert "1 schedule(s) arrived paused" in out and "no channel in this server" in out
    assert await current_revisions(target) == head_revisions()
    assert await counts(target) == (1, logged)

    # Again: the name is taken now. One line, exit 1, nothing more written.
    assert await cli("import", str(export_file), "--guild", str(NEW_GUILD)) == 1
    captured = capsys.readouterr()
    assert "already has a partnership called “Family Hubs”" in one_line(captured.err)
    assert captured.out == ""
    assert await counts(target) == (1, logged)


@on_sqlite
async def test_refusals_are_one_line_and_exit_1(export_file, target, capsys, tmp_path):
    missing = tmp_path / "nowhere.json"
    assert await cli("import", str(missing), "--guild", "5") == 1
    assert "Cannot read" in one_line(capsys.readouterr().err)

    broken = tmp_path / "broken.json"
    raw = export_file.read_bytes()
    save(broken, raw[: raw.rindex(b'{"actor_id"') + 30])
    assert await cli("import", str(broken), "--guild", "5") == 1
    assert "not a complete JSON document" in one_line(capsys.readouterr().err)
    assert await counts(target) == (0, 0)  # migrated, and nothing imported

    newer = tmp_path / "newer.json"
    save(newer, raw.replace(b'"schema_version": 2,', b'"schema_version": 9,', 1))
    assert await cli("import", str(newer), "--guild", "5") == 1
    assert "newer Partnerbot" in one_line(capsys.readouterr().err)


async def test_import_needs_a_file_and_a_server(target, capsys):
    with pytest.raises(SystemExit) as exit_:
        await cli("import", "x.json")
    assert exit_.value.code == 2
    assert "--guild" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        await cli("import", "--help")
    assert "all or nothing" in capsys.readouterr().out
