"""The demo's HTML report: the export the CLI makes, written where the operator asked."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.demo import DemoPartnership
from bot.demo.world import DemoClock
from bot.services.export.document import Format
from db.engine import SessionFactory


async def write_report(
    sessions: SessionFactory, clock: DemoClock, demo: DemoPartnership, out: Path
) -> Path:
    """Export the demo partnership as HTML, as `partnerbot export --format html` does, at the
    demo's "now", and move the file to `out`. Returns where it is."""
    from bot.services.export.service import ExportRequest, ExportService

    exported = await ExportService(sessions, clock=clock).export_as_operator(
        demo.guild_id, demo.name, ExportRequest(format=Format.html)
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(exported.path, out)
    return out
