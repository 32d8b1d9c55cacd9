"""/export through discord.py's real dispatch path: the file replied privately, every format
parsing, a meeting's minutes by autocomplete, the audit written, bad input and non-members
refused with nothing sent, and the server's upload limit met by compressing or by pointing to
the command line."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import sys
import zipfile

import pytest
from sqlmodel import select

from db.models import ExportRecord
from tests.browser import assert_drawn, load
from tests.cogs._goal_hubs import Hubs, hubs
from tests.cogs.conftest import World


# The module the bot loaded as its extension (discord.py loads a fresh copy into sys.modules).
def cog_module():
    return sys.modules["cogs.export"]


HOSTILE = "@everyone <script>alert(1)</script> **bold**"


async def audit(world: World) -> list[ExportRecord]:
    async with world.bot.sessions() as session:
        return list((await session.exec(select(ExportRecord))).all())


async def family_hubs(world: World) -> Hubs:
    h = await hubs(world)
    await world.run(h.council, "log note", channel_id=h.channel, text=HOSTILE, kind="decision")
    return h


async def export(world: World, h: Hubs, person=None, **options):
    return (await world.run(person or h.foodbank, "export", channel_id=h.channel, **options)).reply


async def test_each_format_is_replied_privately_as_a_file_that_parses(world: World):
    h = await family_hubs(world)
    for fmt, suffix in (("markdown", ".md"), ("html", ".html"), ("csv", ".zip"), ("json", ".json")):
        reply = await export(world, h, format=fmt)
        assert reply.ephemeral and "Here is the export of Family Hubs" in reply.content
        name, data = world.discord.uploads[-1]
        assert name.startswith("family-hubs-") and name.endswith(suffix), name
        assert [a["filename"] for a in reply.data["attachments"]] == [name]
        if fmt == "markdown":
            text = data.decode()
            assert "Family Hubs" in text and "<script>" not in text
            assert "@everyone" not in text
        elif fmt == "html":
            text = data.decode()
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>" not in text
        elif fmt == "csv":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                decisions = archive.read("decisions.csv").decode()
                assert HOSTILE in decisions and "codebook.csv" in archive.namelist()
        else:
            document = json.loads(data)
            assert document["importable"] is True
            assert any(n["text"] == HOSTILE for n in document["notes"])
    rows = await audit(world)
    assert [(r.format, r.via, r.user_id, r.audience) for r in rows] == [
        (fmt, "discord", h.foodbank.id, "internal") for fmt in ("markdown", "html", "csv", "json")
    ]


async def test_external_names_no_person(world: World):
    h = await family_hubs(world)
    reply = await export(world, h, format="markdown", audience="external")
    assert reply.ephemeral
    text = world.discord.uploads[-1][1].decode()
    assert "Council" in text
    for person in (world.convener, *world.reps):
        assert person.name not in text and str(person.id) not in text


async def test_a_meetings_minutes_by_autocomplete(world: World):
    h = await hubs(world)
    await world.run(h.council, "meeting start", channel_id=h.channel, title="Spring review")
    await world.run(
        h.council, "log note", channel_id=h.channel, text="Meet monthly", kind="decision"
    )
    await world.run(h.council, "meeting end", channel_id=h.channel)
    [meeting] = await world.discord.autocomplete(
        h.forum, "export", "meeting", guild_id=world.guild, channel_id=h.channel, meeting="spr"
    )
    reply = await export(world, h, h.forum, format="markdown", meeting=meeting)
    name, data = world.discord.uploads[-1]
    assert f"meeting-{meeting}" in name
    text = data.decode()
    assert "Spring review" in text and "Meet monthly" in text
    unknown = await export(world, h, h.forum, format="markdown", meeting="Winter")
    assert "can't find a meeting" in unknown.content and reply.ephemeral


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"since": "2026-13-01"}, "`since` should be a date"),
        ({"since": "2026-03-02", "until": "2026-03-01"}, "starts after it ends"),
    ],
)
async def test_bad_input_is_refused_kindly_and_sends_nothing(world: World, options, words):
    h = await family_hubs(world)
    reply = await export(world, h, format="markdown", **options)
    assert reply.ephemeral and words in reply.content
    assert world.discord.uploads == [] and await audit(world) == []


async def test_non_members_learn_nothing(world: World):
    await family_hubs(world)
    reply = (
        await world.run(world.outsider, "export", format="json", partnership="Family Hubs")
    ).reply
    missing = (
        await world.run(world.outsider, "export", format="json", partnership="Family Hubz")
    ).reply
    assert reply.ephemeral and reply.content == missing.content.replace("Hubz", "Hubs")
    assert world.discord.uploads == [] and await audit(world) == []


async def test_a_file_over_the_upload_limit_is_compressed_when_that_fits(world: World, monkeypatch):
    h = await family_hubs(world)
    await export(world, h, format="html")
    full = world.discord.uploads[-1][1]
    monkeypatch.setattr(cog_module(), "upload_limit", lambda interaction: len(full) // 2)
    reply = await export(world, h, format="html")
    name, data = world.discord.uploads[-1]
    assert name.endswith(".html.gz") and "compressed" in reply.content
    assert gzip.decompress(data).startswith(b"<!DOCTYPE html>")


async def test_a_file_too_big_even_compressed_points_to_the_command_line(world: World, monkeypatch):
    h = await family_hubs(world)
    monkeypatch.setattr(cog_module(), "upload_limit", lambda interaction: 200)
    reply = await export(world, h, format="csv")
    assert world.discord.uploads == []
    assert "upload limit" in reply.content and "partnerbot export --guild" in reply.content


async def test_the_report_from_discord_renders_in_chromium(world: World, tmp_path):
    h = await family_hubs(world)
    await export(world, h, format="html")
    name, data = world.discord.uploads[-1]
    page = tmp_path / name
    await asyncio.to_thread(page.write_bytes, data)
    seen = await asyncio.to_thread(load, page, tmp_path, screenshot=True)
    assert_drawn(seen.shot)
    assert "<h1>Family Hubs: partnership record</h1>" in seen.dom
    assert "script" not in seen.tags and seen.console == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in seen.dom
