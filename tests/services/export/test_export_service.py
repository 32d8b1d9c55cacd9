"""`ExportService`: who may export, the file it writes, the audit row it records (not a log
entry), meetings by number or title, and bad requests that write nothing."""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path
from typing import BinaryIO

import pytest
from sqlmodel import select

from bot.errors import NotFound, UserFacingError
from bot.services.access import Actor, PartnershipRef, Where
from bot.services.export import writers
from bot.services.export.document import Audience, Document, Format, Person
from bot.services.export.service import ExportRequest, ExportService, slug
from db.engine import SessionFactory
from db.models import Event, ExportRecord
from tests.services.export.world import (
    CHANNEL,
    GUILD,
    HUBS,
    MEETING_TITLE,
    NAME,
    NOW,
    World,
    ada,
    bea,
    build_world,
    outsider,
    tiny_writer,
)

MARKDOWN = ExportRequest(format=Format.markdown)


@pytest.fixture
async def world(sessions: SessionFactory) -> World:
    return await build_world(sessions)


@pytest.fixture(autouse=True)
def folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The stand-in writer for every format, and temporary files in the test's own folder."""
    for fmt in Format:
        monkeypatch.setitem(writers.WRITERS, fmt, tiny_writer)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


def service(w: World) -> ExportService:
    return ExportService(w.sessions, clock=w.clock)


async def records(w: World) -> list[ExportRecord]:
    async with w.sessions() as session:
        return list((await session.exec(select(ExportRecord))).all())


async def event_count(w: World) -> int:
    async with w.sessions() as session:
        return len((await session.exec(select(Event))).all())


async def test_a_member_exports_and_the_export_is_audited_not_logged(world: World):
    before = await event_count(world)
    request = ExportRequest(
        Format.csv, Audience.external, since=date(2026, 3, 1), until=date(2026, 3, 31)
    )
    done = await service(world).export(bea, PartnershipRef(where=Where(CHANNEL)), request)
    text = done.path.read_text()
    assert done.path.suffix == ".zip" and done.size == len(text.encode())
    assert f"partnership: {NAME}" in text and "audience: external" in text
    assert "period: 2026-03-01 to 2026-03-31" in text
    assert done.filename == (
        "family-hubs-bold-click-https-evil-example-code-heading-2026-03-01-to-2026-03-31-"
        "external.zip"
    )
    assert (done.partnership, done.withheld) == (NAME, 0)
    [record] = await records(world)
    assert (record.via, record.user_id, record.format, record.audience) == (
        "discord",
        bea.user_id,
        "csv",
        "external",
    )
    assert (record.since, record.until, record.meeting_id) == (
        date(2026, 3, 1),
        date(2026, 3, 31),
        None,
    )
    assert (record.withheld, record.size_bytes, record.pseudonymised) == (0, done.size, False)
    assert record.exported_at == NOW and record.partnership_id == world.partnership_id
    assert await event_count(world) == before  # exporting changes nothing in the log
    done.path.unlink()


async def test_the_exporter_is_named_internally_only(world: World, monkeypatch: pytest.MonkeyPatch):
    seen: list[Person | None] = []

    async def keep_header(document: Document, out: BinaryIO) -> None:
        seen.append(document.header.exported_by)
        await tiny_writer(document, out)

    monkeypatch.setitem(writers.WRITERS, Format.markdown, keep_header)
    done = await service(world).export(bea, HUBS, MARKDOWN)
    external = await service(world).export(
        bea, HUBS, ExportRequest(Format.markdown, Audience.external)
    )
    assert seen == [Person(bea.display_name, bea.user_id), None]
    external.path.unlink()
    assert done.withheld == 1 and done.filename.endswith("-start-to-2026-04-15-internal.md")
    record = (await records(world))[0]
    assert record.withheld == 1 and record.audience == "internal"
    done.path.unlink()


async def test_non_members_learn_nothing(world: World, folder: Path):
    with pytest.raises(NotFound) as refused:
        await service(world).export(outsider, HUBS, MARKDOWN)
    assert (
        refused.value.message == f"I can't find a partnership called “{NAME}” that you belong to."
    )
    with pytest.raises(NotFound):
        await service(world).export(Actor(GUILD + 1, ada.user_id, "Ada"), HUBS, MARKDOWN)
    assert await records(world) == [] and os.listdir(folder) == []
    # Someone with Manage Server acts as a convener of every partnership in the server.
    manager = Actor(GUILD, 77, "Server manager", manage_guild=True)
    done = await service(world).export(manager, HUBS, MARKDOWN)
    assert [r.user_id for r in await records(world)] == [77]
    done.path.unlink()


async def test_from_the_command_line(world: World):
    done = await service(world).export_as_operator(GUILD, NAME.upper(), MARKDOWN)
    [record] = await records(world)
    assert (record.via, record.user_id) == ("cli", None)
    assert "person: Adaeze Okafor" in done.path.read_text()
    done.path.unlink()
    with pytest.raises(NotFound, match="There is no partnership called “Elsewhere” in server 1000"):
        await service(world).export_as_operator(GUILD, "Elsewhere", MARKDOWN)
    with pytest.raises(NotFound):
        await service(world).export_as_operator(GUILD + 1, NAME, MARKDOWN)


async def test_a_meeting_by_number_or_title(world: World):
    for ref in (world.meeting_id, f"#{world.meeting_id}", MEETING_TITLE.upper()):
        done = await service(world).export(bea, HUBS, ExportRequest(Format.markdown, meeting=ref))
        text = done.path.read_text()
        assert f"note {world.note_ids['decision']} decision" in text
        assert f"note {world.note_ids['open']} " not in text
        assert done.filename.endswith(f"-meeting-{world.meeting_id}-internal.md")
        done.path.unlink()
    assert [r.meeting_id for r in await records(world)] == [world.meeting_id] * 3
    for ref in ("Spring meeting", world.note_ids["decision"], 999999):
        with pytest.raises(UserFacingError, match="can't find a meeting"):
            await service(world).export(bea, HUBS, ExportRequest(Format.markdown, meeting=ref))
    # Two meetings of one title: the number decides.
    for _ in range(2):
        draft = await world.meetings.prepare_start(ada, HUBS, title="Weekly")
        await world.meetings.record_start(ada, draft, channel_id=CHANNEL, message_id=1)
        await world.meetings.end(ada, HUBS)
    with pytest.raises(UserFacingError, match=r"Several meetings .* are called “weekly”"):
        await service(world).export(bea, HUBS, ExportRequest(Format.markdown, meeting="weekly"))
    assert len(await records(world)) == 3


async def test_bad_requests_write_nothing(world: World, folder: Path):
    bad = [
        (
            ExportRequest(Format.json, since=date(2026, 4, 2), until=date(2026, 4, 1)),
            "starts after",
        ),
        (ExportRequest(Format.json, meeting=1, since=date(2026, 4, 1)), "leave out `since`"),
        (ExportRequest(Format.json, keep_text=True), "pseudonymised"),
        (ExportRequest("pdf"), "Exports are markdown, html, csv, json"),  # type: ignore[arg-type]
        (ExportRequest(Format.json, "everyone"), "internal or the external"),  # type: ignore[arg-type]
    ]
    for request, words in bad:
        with pytest.raises(UserFacingError, match=words):
            await service(world).export(bea, HUBS, request)
        with pytest.raises(UserFacingError, match=words):
            await service(world).export_as_operator(GUILD, NAME, request)
    assert await records(world) == [] and os.listdir(folder) == []


async def test_plain_words_for_format_and_audience(world: World):
    request = ExportRequest("json", "external")  # type: ignore[arg-type]
    done = await service(world).export(bea, HUBS, request)
    assert done.filename.endswith("-external.json")
    assert [(r.format, r.audience) for r in await records(world)] == [("json", "external")]
    done.path.unlink()


async def test_a_failing_writer_leaves_no_file_and_no_record(
    world: World, folder: Path, monkeypatch: pytest.MonkeyPatch
):
    async def broken(document: Document, out: BinaryIO) -> None:
        out.write(b"half a file")
        raise RuntimeError("the disk is full")

    monkeypatch.setitem(writers.WRITERS, Format.html, broken)
    with pytest.raises(RuntimeError):
        await service(world).export(bea, HUBS, ExportRequest(Format.html))
    assert await records(world) == [] and os.listdir(folder) == []


def test_file_names_are_plain():
    assert slug("Family Hubs") == "family-hubs"
    assert slug("Café <script>alert(1)</script> ../../etc") == "cafe-script-alert-1-script-etc"
    assert slug("Ｆａｍｉｌｙ") == "family"
    assert slug("家庭") == "partnership"


async def test_each_format_gathers_a_spool_as_it_reads_the_notes(
    world: World, monkeypatch: pytest.MonkeyPatch
):
    # JSON reads every note from the log at once: its spool keeps no file per kind of note.
    seen: dict[Format, bool] = {}

    def capturing(fmt: Format):  # type: ignore[no-untyped-def]
        async def write(document: Document, out: BinaryIO) -> None:
            assert document.close is not None
            seen[fmt] = document.close.__self__.by_kind  # type: ignore[attr-defined]
            await tiny_writer(document, out)

        return write

    for fmt in Format:
        monkeypatch.setitem(writers.WRITERS, fmt, capturing(fmt))
        await service(world).export(bea, HUBS, ExportRequest(format=fmt))
    assert seen == {fmt: fmt != Format.json for fmt in Format} == writers.NOTES_BY_KIND
