"""An organisation's reading of a goal in the exports: its origin detail, once removed with
`/log redact` or past the retention period, reads as its marker in the importable records (the
`goal_perception` row and the `goal.perceived` entry) and in every format that shows the log;
the external audience never gets the detail."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Awaitable, Callable
from typing import BinaryIO

from sqlmodel import col, select

from bot.services.export.document import Audience, Document
from bot.services.export.writers import csv_zip, html, json_doc, markdown
from bot.services.redaction import EXPIRED, REMOVED
from db.models import Event, Partnership
from tests.services.export.test_gather import export, set_partnership, world
from tests.services.export.world import HUBS, World, bea, gathered, strings

__all__ = ["world"]  # the fixture, shared with test_gather

DETAIL = "a grant condition of the lottery fund"  # Food Bank's reading, in the test world
Writer = Callable[[Document, BinaryIO], Awaitable[None]]


async def document(w: World, audience: Audience = Audience.internal) -> Document:
    async with w.sessions() as session:
        partnership = await session.get(Partnership, w.partnership_id)
    assert partnership is not None
    return await gathered(w, partnership, audience)


async def written(w: World, writer: Writer) -> str:
    out = io.BytesIO()
    await writer(await document(w), out)
    if writer is csv_zip.write:
        archive = zipfile.ZipFile(out)
        return "\n".join(archive.read(name).decode() for name in archive.namelist())
    return out.getvalue().decode()


async def records(w: World) -> dict[str, list[dict]]:
    out = io.BytesIO()
    await json_doc.write(await document(w), out)
    return json.loads(out.getvalue())["records"]


async def detailed_entry(w: World) -> Event:
    async with w.sessions() as session:
        rows = (
            await session.exec(
                select(Event).where(Event.kind == "goal.perceived").order_by(col(Event.id))
            )
        ).all()
    [entry] = [e for e in rows if e.payload.get("origin_detail") == DETAIL]
    return entry


async def test_a_removed_detail_is_in_no_export(world: World):
    for writer in (markdown.write, html.write, csv_zip.write, json_doc.write):
        assert DETAIL in await written(world, writer), writer.__module__
    entry = await detailed_entry(world)
    await world.notes.redact(bea, HUBS, str(entry.id))
    for writer in (markdown.write, html.write, csv_zip.write, json_doc.write):
        assert DETAIL not in await written(world, writer), writer.__module__
    stored = await records(world)
    [reading] = [r for r in stored["goal_perception"] if r["id"] == entry.payload["perception_id"]]
    assert reading["origin_detail"] == REMOVED and reading["origin"] == "external"
    [logged] = [e for e in stored["event"] if e["id"] == entry.id]
    assert logged["payload"]["origin_detail"] == REMOVED
    assert f"(“{REMOVED}”)" in logged["summary"]
    [redaction] = stored["redaction"]
    assert redaction["perception_id"] == reading["id"]
    r = await export(world)
    assert not [t for t in strings(r) if DETAIL in t]
    [row] = [row for row in r.log if row.id == entry.id]
    assert REMOVED in row.summary


async def test_retention_expires_a_detail_in_the_exports(world: World):
    await set_partnership(world, retention_months=1)  # now 15 April: before ~15 March goes
    entry = await detailed_entry(world)
    stored = await records(world)
    [reading] = [r for r in stored["goal_perception"] if r["id"] == entry.payload["perception_id"]]
    assert reading["origin_detail"] == EXPIRED
    [logged] = [e for e in stored["event"] if e["id"] == entry.id]
    assert logged["payload"]["origin_detail"] == EXPIRED and DETAIL not in logged["summary"]
    for writer in (markdown.write, html.write, csv_zip.write):
        assert DETAIL not in await written(world, writer), writer.__module__


async def test_the_external_audience_never_gets_a_detail(world: World):
    r = await export(world, Audience.external)
    assert not [t for t in strings(r) if DETAIL in t]
