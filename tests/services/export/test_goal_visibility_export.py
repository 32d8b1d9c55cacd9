"""Goals the whole partnership does not see never leave the bot: no export format, for no
audience, whoever exports (a convener, the goal's own organisation, the operator), carries an
organisation's own goal or a goal kept to the conveners, a link to one, a reading of one, or a
log entry naming one; and the JSON export without them still imports."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

from bot.services.export.document import Audience, Format
from bot.services.export.importer import import_document
from bot.services.export.service import ExportRequest, ExportService
from bot.services.goals import GoalTarget
from db.engine import SessionFactory
from tests.services.export.world import COUNCIL, GUILD, HUBS, NAME, ada, build_world, eve

SECRET = "Quietly keep the Riverside depot"
CONVENING = "Settle the quiet funding dispute"
DETAIL = "The depot lease ends in June"
NEW_GUILD = 3000


def text_of(path: Path) -> str:
    """Every file's text, a zip's members included."""
    data = path.read_bytes()
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(
                archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
            )
    return data.decode("utf-8", "replace")


async def test_no_export_carries_a_goal_the_partnership_does_not_see(
    sessions: SessionFactory, tmp_path: Path
):
    world = await build_world(sessions)
    world.clock.step(minutes=1)
    secret = await world.goals.propose(
        eve, HUBS, title=SECRET, organisation=COUNCIL, visibility="organisation"
    )
    await world.goals.update(eve, GoalTarget(str(secret.id), HUBS), progress=30, note=SECRET)
    await world.goals.perceive(
        eve, GoalTarget(str(secret.id), HUBS), origin="external", origin_detail=DETAIL
    )
    world.clock.step(minutes=1)
    convening = await world.goals.propose(ada, HUBS, title=CONVENING, visibility="conveners")
    shared_id = world.goal_ids["shared"]
    await world.goals.link(
        ada, GoalTarget(str(convening.id), HUBS), str(shared_id), "contributes_to"
    )
    service = ExportService(sessions, clock=world.clock)
    exports = []
    for fmt in Format:
        for audience in Audience:
            request = ExportRequest(fmt, audience)
            exports.append((fmt, audience, await service.export(eve, HUBS, request)))
            exports.append((fmt, audience, await service.export(ada, HUBS, request)))
            exports.append((fmt, audience, await service.export_as_operator(GUILD, NAME, request)))
    for fmt, audience, done in exports:
        text = text_of(done.path)
        assert "Fewer families in crisis" in text or fmt == Format.csv, (fmt, audience)
        for title in (SECRET, CONVENING, DETAIL):
            assert title not in text, (fmt, audience, title)
        for goal_id in (secret.id, convening.id):
            assert not re.search(rf"goal \\?#{goal_id}\b", text), (fmt, audience, goal_id)
    # The whole internal JSON (the records `partnerbot import` loads) still imports.
    whole = await service.export_as_operator(GUILD, NAME, ExportRequest(Format.json))
    document = json.loads(whole.path.read_text())
    assert document["importable"] is True and document["records"]
    kept = whole.path.rename(tmp_path / "whole.json")
    await import_document(sessions, kept, NEW_GUILD, now=world.clock.now())
    for _fmt, _audience, done in exports:
        done.path.unlink()
