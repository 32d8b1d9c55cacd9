"""`ExportService`: one partnership's export, written to a temporary file and recorded in the
export audit (`ExportRecord`, not the log: exporting changes nothing in the partnership).

- From Discord (`export`): any member of the partnership (`access.check_may_export`);
  everyone else learns nothing. From the command line (`export_as_operator`): whoever holds
  the database.
- The research export (`pseudonymise`) is the command line's only, and only while the
  partnership's `research_consent` is on; its salt is made on first use (`pseudonyms`).
- The file is written by the format's writer (`writers.WRITERS`) into a temporary file, never
  held in memory; the caller moves or deletes it. A failure leaves no file and no audit row.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import NotFound, UserFacingError
from bot.services.access import Actor, PartnershipRef, check_may_export, resolve
from bot.services.clock import Clock, SystemClock
from bot.services.export import writers
from bot.services.export.document import Audience, Format, Person
from bot.services.export.gather import gather
from bot.services.export.pseudonyms import Pseudonyms, ensure_salt
from bot.services.meetings.events import STARTED
from bot.services.text import record_number
from bot.services.timeutil import parse_date, zone
from db import queries
from db.engine import SessionFactory, transaction
from db.models import Event, ExportRecord, Partnership, name_key


@dataclass(frozen=True)
class ExportRequest:
    format: Format
    audience: Audience = Audience.internal
    since: date | None = None  # in the partnership's zone, inclusive
    until: date | None = None  # the end of that day
    meeting: int | str | None = None  # a meeting's number (its `meeting.started` entry) or title
    pseudonymise: bool = False  # command line only; needs partnership.research_consent
    keep_text: bool = False  # with pseudonymise: keep free text

    @classmethod
    def parse(
        cls,
        *,
        format: str,
        audience: str | None = None,
        since: str | None = None,
        until: str | None = None,
        meeting: str | None = None,
    ) -> ExportRequest:
        """A request from the words a person typed (Discord's options), or a clear error."""
        meeting_ref: int | str | None = None
        if meeting is not None and meeting.strip():
            meeting_ref = record_number(meeting) or meeting.strip()
        return check_request(
            cls(
                format=format,  # type: ignore[arg-type]  # checked by check_request
                audience=audience or Audience.internal,  # type: ignore[arg-type]
                since=parse_date(since, option="since") if since else None,
                until=parse_date(until, option="until") if until else None,
                meeting=meeting_ref,
            )
        )


@dataclass(frozen=True)
class ExportFile:
    path: Path  # a temporary file; the caller deletes it (or moves it)
    filename: str  # e.g. "family-hubs-2026-03-01-to-2026-03-31-internal.md"
    size: int
    withheld: int
    partnership: str


def no_consent(p: Partnership) -> UserFacingError:
    return UserFacingError(
        f"{p.name} has not consented to research exports, so it can't be pseudonymised. "
        "A convener can turn consent on with `/partnership configure research_consent:on` "
        "(the change is logged)."
    )


def check_request(request: ExportRequest) -> ExportRequest:
    """The request with its format and audience as their enums, or a clear error for what is
    wrong with it whatever the partnership; nothing is done either way."""
    try:
        request = replace(
            request, format=Format(request.format), audience=Audience(request.audience)
        )
    except ValueError:
        formats = ", ".join(f.value for f in Format)
        raise UserFacingError(
            f"Exports are {formats}, for the internal or the external audience."
        ) from None
    if request.since and request.until and request.since > request.until:
        raise UserFacingError(
            f"The period starts after it ends: `since` {request.since.isoformat()} is after "
            f"`until` {request.until.isoformat()}."
        )
    if request.meeting is not None and (request.since or request.until):
        raise UserFacingError(
            "A meeting's export covers that meeting: leave out `since` and `until`, or leave "
            "out `meeting` to export a period."
        )
    if request.keep_text and not request.pseudonymise:
        raise UserFacingError("Keeping text applies only to a pseudonymised export.")
    return request


def slug(name: str) -> str:
    """A partnership's name as a file name's part: ASCII letters and digits joined by hyphens."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_name.lower())
    return "-".join(words)[:60].strip("-") or "partnership"


class ExportService:
    def __init__(self, sessions: SessionFactory, *, clock: Clock = SystemClock()) -> None:
        self.sessions = sessions
        self.clock = clock

    async def export(self, actor: Actor, ref: PartnershipRef, request: ExportRequest) -> ExportFile:
        """From Discord: any member of the partnership; recorded with via="discord"."""
        request = check_request(request)
        async with self.sessions() as session:
            access = await resolve(session, actor, ref)
            check_may_export(access, pseudonymise=request.pseudonymise)
            partnership = access.partnership
            member = access.membership
        name = (member.display_name if member else "") or actor.display_name
        exporter = Person(name or f"User {actor.user_id}", actor.user_id)
        return await self._export(
            partnership, request, via="discord", user_id=actor.user_id, exported_by=exporter
        )

    async def export_as_operator(
        self, guild_id: int, partnership: str, request: ExportRequest
    ) -> ExportFile:
        """From the command line (the operator holds the database): recorded with via="cli"."""
        request = check_request(request)
        async with self.sessions() as session:
            found = await queries.partnership_named(session, guild_id=guild_id, name=partnership)
        if found is None:
            raise NotFound(f"There is no partnership called “{partnership}” in server {guild_id}.")
        return await self._export(found, request, via="cli", user_id=None, exported_by=None)

    async def _export(
        self,
        p: Partnership,
        request: ExportRequest,
        *,
        via: str,
        user_id: int | None,
        exported_by: Person | None,
    ) -> ExportFile:
        assert p.id is not None
        now = self.clock.now()
        async with self.sessions() as session:
            meeting_id = (
                await find_meeting(session, p, request.meeting)
                if request.meeting is not None
                else None
            )
        pseudonyms = await self._pseudonyms(p) if request.pseudonymise else None
        document = await gather(
            self.sessions,
            p,
            audience=request.audience,
            since=request.since,
            until=request.until,
            meeting_id=meeting_id,
            now=now,
            exported_by=exported_by,
            pseudonyms=pseudonyms,
            keep_text=request.keep_text,
            notes_by_kind=writers.NOTES_BY_KIND[request.format],
        )
        suffix = writers.SUFFIX[request.format]
        handle, name = tempfile.mkstemp(prefix="partnerbot-export-", suffix=f".{suffix}")
        path = Path(name)
        try:
            with os.fdopen(handle, "wb") as out:
                await writers.WRITERS[request.format](document, out)
                out.flush()
                size = os.fstat(out.fileno()).st_size
            async with transaction(self.sessions) as session:
                session.add(
                    ExportRecord(
                        guild_id=p.guild_id,
                        partnership_id=p.id,
                        user_id=user_id,
                        via=via,
                        format=request.format.value,
                        audience=request.audience.value,
                        pseudonymised=request.pseudonymise,
                        since=request.since,
                        until=request.until,
                        meeting_id=meeting_id,
                        withheld=document.header.withheld,
                        size_bytes=size,
                        exported_at=now,
                    )
                )
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            raise
        finally:
            if document.close is not None:
                document.close()
        return ExportFile(
            path=path,
            filename=file_name(p, request, meeting_id, now),
            size=size,
            withheld=document.header.withheld,
            partnership=p.name,
        )

    async def _pseudonyms(self, p: Partnership) -> Pseudonyms:
        """The partnership's pseudonyms, after checking its consent (read afresh, under its
        lock): the salt is made and saved on first use."""
        async with transaction(self.sessions) as session:
            fresh = await session.get(Partnership, p.id, with_for_update=True)
            if fresh is None:
                raise NotFound(f"There is no partnership called “{p.name}” any more.")
            if not fresh.research_consent:
                raise no_consent(fresh)
            return Pseudonyms(await ensure_salt(session, fresh))


async def find_meeting(session: AsyncSession, p: Partnership, ref: int | str) -> int:
    """A meeting of this partnership by its number or its exact title (any case)."""
    starts = (
        await session.exec(
            select(Event)
            .where(
                Event.guild_id == p.guild_id,
                Event.partnership_id == p.id,
                Event.kind == STARTED,
            )
            .order_by(col(Event.occurred_at), col(Event.id))
        )
    ).all()
    number = ref if isinstance(ref, int) else record_number(ref)
    if number is not None:
        for start in starts:
            if start.id == number:
                return number
    key = name_key(str(ref))
    named = [s.id for s in starts if name_key(str(s.payload.get("title") or "")) == key]
    if len(named) == 1 and named[0] is not None:
        return named[0]
    if len(named) > 1:
        numbers = ", ".join(f"#{n}" for n in named)
        raise UserFacingError(
            f"Several meetings of {p.name} are called “{ref}” ({numbers}). Give its number."
        )
    raise UserFacingError(
        f"I can't find a meeting “{ref}” in {p.name}. Give the number `/log show` shows for its "
        "start, or its exact title."
    )


def file_name(p: Partnership, request: ExportRequest, meeting_id: int | None, now: datetime) -> str:
    """`family-hubs-2026-03-01-to-2026-03-31-internal.md`, `family-hubs-meeting-41-…`."""
    if meeting_id is not None:
        what = f"meeting-{meeting_id}"
    else:
        today = now.astimezone(zone(p.timezone)).date()
        start = request.since.isoformat() if request.since else "start"
        what = f"{start}-to-{(request.until or today).isoformat()}"
    audience = request.audience.value + ("-research" if request.pseudonymise else "")
    return f"{slug(p.name)}-{what}-{audience}.{writers.SUFFIX[request.format]}"
