"""`MeetingService`: meetings started, attended and ended, all in the partnership log.

A start is checked first (`prepare_start`), then posted by the cog in the partnership's channel
with its "I'm here" button, then recorded with a link to that message (`record_start`), which
checks again in its own transaction: the log is append-only, so the link must be known when the
event is written. Every write passes the access gate in a write transaction, which locks the
partnership's row, so two starts, or two presses of one person, are serialised.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import NotFound, UserFacingError
from bot.services import log, redaction
from bot.services.access import (
    Access,
    Actor,
    PartnershipRef,
    authorize_by_id,
    check_may_attend,
    check_meeting_ending,
    resolve,
)
from bot.services.clock import Clock, SystemClock
from bot.services.meetings import events
from bot.services.meetings.views import (
    Attendance,
    MeetingDraft,
    MeetingItem,
    MeetingStarted,
    MeetingSummary,
)
from bot.services.text import choice_name, clean_text, message_link, name_of
from bot.services.timeutil import zone
from db import queries
from db.engine import SessionFactory, transaction
from db.models import Event, Partnership

TITLE_MAX = 100
MEETINGS = "its meetings"  # what an archived partnership refuses to change


def meeting_ended() -> UserFacingError:
    return UserFacingError(
        "This meeting has ended, so attendance can't be recorded any more. "
        "Press the button of the meeting that is open now."
    )


class MeetingService:
    """Meetings of a partnership, for its members."""

    def __init__(self, sessions: SessionFactory, *, clock: Clock = SystemClock()) -> None:
        self.sessions = sessions
        self.clock = clock

    async def prepare_start(
        self, actor: Actor, ref: PartnershipRef, *, title: str | None = None
    ) -> MeetingDraft:
        """Check a meeting may start; nothing is written."""
        clean = clean_text(title, what="title", limit=TITLE_MAX) if title else None
        async with self.sessions() as session:
            access = await resolve(session, actor, ref)
            access.check_writable(MEETINGS)
            return await self._check_start(session, access, clean)

    async def record_start(
        self, actor: Actor, draft: MeetingDraft, *, channel_id: int | None, message_id: int | None
    ) -> MeetingStarted:
        """Write `meeting.started`, linked to its posted message; checked again here (another
        meeting may have started meanwhile)."""
        async with transaction(self.sessions) as session:
            access = await authorize_by_id(
                session, actor, draft.partnership_id, writable=True, changing=MEETINGS
            )
            if access is None:
                raise NotFound("I can't find that partnership among the ones you belong to.")
            checked = await self._check_start(session, access, draft.title)
            link = message_link(access.partnership.guild_id, channel_id, message_id)
            event = await events.started(
                session, access.partnership, actor, checked.title, link, at=self.clock.now()
            )
            assert event.id is not None
            return MeetingStarted(event.id, checked, link)

    async def _check_start(
        self, session: AsyncSession, access: Access, title: str | None
    ) -> MeetingDraft:
        p = access.partnership
        current = await events.open_meeting(session, p)
        if current is not None:
            raise UserFacingError(
                f"A meeting of {p.name} is already open: “{current.payload.get('title')}”. "
                "End it with `/meeting end` before starting another."
            )
        today = self.clock.now().astimezone(zone(p.timezone)).date()
        return MeetingDraft(
            partnership_id=access.partnership_id,
            partnership=p.name,
            channel_id=p.channel_id,
            title=title or f"Meeting on {today.isoformat()}",
        )

    async def attend(self, actor: Actor, partnership_id: int, message_id: int) -> Attendance:
        """Record that `actor` is at the meeting whose message carries the button they pressed:
        once per person per meeting, with the organisation they speak for (or own capacity)."""
        async with transaction(self.sessions) as session:
            # The gate locks the partnership's row: two presses at once are serialised.
            access = await authorize_by_id(
                session, actor, partnership_id, writable=True, changing=MEETINGS
            )
            if access is None:
                raise NotFound("I can't find that partnership among the ones you belong to.")
            check_may_attend(access)
            p = access.partnership
            meeting = await events.open_meeting(session, p)
            if meeting is None or not str(meeting.message_link or "").endswith(f"/{message_id}"):
                raise meeting_ended()
            assert meeting.id is not None
            title = str(meeting.payload.get("title") or "")
            for seen in await events.attendees(session, p, meeting):
                if seen.payload.get("user_id") == actor.user_id:
                    return Attendance(
                        meeting.id, title, p.name, str(seen.payload.get("organisation")), False
                    )
            org_id = access.organisation_id
            organisation = events.OWN_CAPACITY_LABEL
            if org_id is not None:
                names = await queries.organisation_names(session, ids=[org_id])
                organisation = names.get(org_id, organisation)
            await events.attended(
                session, p, actor, meeting, org_id, organisation, at=self.clock.now()
            )
            return Attendance(meeting.id, title, p.name, organisation, True)

    async def end(self, actor: Actor, ref: PartnershipRef) -> MeetingSummary:
        """End the open meeting (its starter or a convener) and sum it up."""
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, writable=True, changing=MEETINGS)
            p = access.partnership
            meeting = await events.open_meeting(session, p)
            if meeting is None:
                raise UserFacingError(
                    f"No meeting of {p.name} is open. Start one with `/meeting start`."
                )
            check_meeting_ending(access, meeting.actor_id)
            now = self.clock.now()
            ended = await events.ended(session, p, actor, meeting, at=now)
            removed = await redaction.load(session, p, now)
            return await _summary(session, p, meeting, ended, removed)

    async def autocomplete_meetings(
        self, actor: Actor, ref: PartnershipRef, current: str, *, limit: int = 25
    ) -> list[tuple[str, str]]:
        """(choice name, meeting number) for the partnership's meetings, newest first; nothing
        for anyone who may not see the partnership."""
        async with self.sessions() as session:
            try:
                access = await resolve(session, actor, ref)
            except UserFacingError:
                return []
            p = access.partnership
            started = await log.events(session, p, kinds=[events.STARTED], newest_first=True)
        typed = " ".join(current.lstrip("#").split()).casefold()
        found = []
        for meeting in started:
            title = str(meeting.payload.get("title") or "")
            day = meeting.occurred_at.astimezone(zone(p.timezone)).date().isoformat()
            if typed and typed not in title.casefold() and typed != str(meeting.id):
                continue
            found.append((choice_name(f"#{meeting.id} {title}", f" · {day}"), str(meeting.id)))
        return found[:limit]


async def _summary(
    session: AsyncSession,
    p: Partnership,
    meeting: Event,
    ended: Event,
    removed: redaction.Redactions,
) -> MeetingSummary:
    """The meeting summed up; a note whose text was removed shows its marker."""
    assert meeting.id is not None
    attendance: dict[str, list[str]] = defaultdict(list)
    for seen in await events.attendees(session, p, meeting):
        organisation = str(seen.payload.get("organisation") or events.OWN_CAPACITY_LABEL)
        attendance[organisation].append(name_of(seen.payload.get("display_name")))
    ordered = {
        org: attendance[org]
        for org in sorted(attendance, key=lambda o: (o == events.OWN_CAPACITY_LABEL, o.casefold()))
    }
    items = [
        MeetingItem(
            id=e.id or 0,
            kind=e.kind.removeprefix("note."),
            text=str(removed.event(e)[1].get("text") or ""),
            message_link=e.message_link,
            owner_id=_int(e.payload.get("owner_id")),
            due=_date(e.payload.get("due")),
        )
        for e in await events.during(session, p, meeting)
    ]
    return MeetingSummary(
        meeting_id=meeting.id,
        partnership=p.name,
        channel_id=p.channel_id,
        title=str(meeting.payload.get("title") or ""),
        started_at=meeting.occurred_at,
        ended_at=ended.occurred_at,
        attendance=ordered,
        items=items,
    )


def _int(value: object) -> int | None:
    return int(str(value)) if value is not None else None


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
