"""The record of exports, read back: `/log exports` (issue 11 §4).

Exports are recorded in `export_record` (written where exports happen, `bot.services.export`),
not in the partnership log: exporting changes nothing in the partnership. Conveners read the
latest rows here (`bot.services.access.check_export_record`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func
from sqlmodel import col, select

from bot.services.access import Actor, PartnershipRef, check_export_record, resolve
from bot.services.clock import Clock
from bot.services.timeutil import zone
from db.engine import SessionFactory
from db.models import ExportRecord

# How many of the latest exports `/log exports` lists (one embed).
EXPORTS_SHOWN = 20


@dataclass(frozen=True)
class ExportLine:
    """One recorded export, as a convener reads it."""

    id: int
    user_id: int | None  # None from the command line
    via: str  # "discord" or "cli"
    format: str
    audience: str
    pseudonymised: bool
    since: date | None
    until: date | None
    meeting_id: int | None
    withheld: int
    size_bytes: int | None
    exported_at: datetime  # aware UTC
    local_time: str  # "2026-03-10 14:05 GMT", in the partnership's time zone


@dataclass(frozen=True)
class ExportList:
    partnership: str
    timezone: str
    lines: list[ExportLine]
    total: int  # every export recorded, of which `lines` are the latest


class ExportAudit:
    """`NoteService`'s part that reads the record of exports, for conveners."""

    sessions: SessionFactory
    clock: Clock

    async def export_records(
        self, actor: Actor, ref: PartnershipRef, *, limit: int = EXPORTS_SHOWN
    ) -> ExportList:
        """The latest exports of the partnership named or implied, newest first."""
        async with self.sessions() as session:
            access = await resolve(session, actor, ref)
            check_export_record(access)
            p = access.partnership
            scope = (
                ExportRecord.guild_id == p.guild_id,
                ExportRecord.partnership_id == p.id,
            )
            rows = (
                await session.exec(
                    select(ExportRecord)
                    .where(*scope)
                    .order_by(col(ExportRecord.exported_at).desc(), col(ExportRecord.id).desc())
                    .limit(max(1, limit))
                )
            ).all()
            total = (
                await session.exec(select(func.count(col(ExportRecord.id))).where(*scope))
            ).one()
        tz = zone(p.timezone)
        lines = []
        for row in rows:
            assert row.id is not None
            at = row.exported_at if row.exported_at.tzinfo else row.exported_at.replace(tzinfo=UTC)
            lines.append(
                ExportLine(
                    id=row.id,
                    user_id=row.user_id,
                    via=row.via,
                    format=row.format,
                    audience=row.audience,
                    pseudonymised=row.pseudonymised,
                    since=row.since,
                    until=row.until,
                    meeting_id=row.meeting_id,
                    withheld=row.withheld,
                    size_bytes=row.size_bytes,
                    exported_at=at,
                    local_time=at.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z"),
                )
            )
        return ExportList(p.name, p.timezone, lines, int(total or 0))
