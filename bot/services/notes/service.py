"""`NoteService`: notes in the partnership log, actions closed, and the log read page by page.

A note is checked first (`prepare`), then posted by the cog in the partnership's channel, then
recorded with a link to that message (`record`), which checks it again in its own transaction:
the log is append-only, so the link must be known when the event is written.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import NotFound, UserFacingError
from bot.services import redaction
from bot.services.access import (
    Access,
    Actor,
    PartnershipRef,
    authorize_by_id,
    check_action_closing,
    resolve,
)
from bot.services.clock import Clock, SystemClock
from bot.services.goals.lookup import find_in, hidden_goals, not_about, viewer_of
from bot.services.goals.vocab import GoalVisibility
from bot.services.meetings.events import open_meeting
from bot.services.notes import events, reminders
from bot.services.notes.audit import ExportAudit
from bot.services.notes.redaction import Redacting
from bot.services.notes.views import ActionDone, LogLine, LogPage, NoteDraft, NoteResult
from bot.services.notes.vocab import (
    PAGE_SIZE,
    TEXT_MAX,
    NoteKind,
    event_kind,
)
from bot.services.text import choice, choice_name, clean_text, clip, message_link, record_number
from bot.services.timeutil import parse_date, zone
from bot.services.vocab import Phase
from db import queries
from db.engine import SessionFactory, transaction
from db.models import Event, Partnership

NOTES = "its log"  # what an archived partnership refuses to change
OPEN, OVERDUE, DONE = "open", "overdue", "done"


def action_not_found() -> NotFound:
    return NotFound(
        "I can't find that open action. Choose one from the list as you type, or give the "
        "number `/log show kind:action` shows."
    )


class NoteService(Redacting, ExportAudit):
    """The partnership log's notes and pages, for the people in the partnership; removing a
    person's text (`Redacting`) and reading the record of exports (`ExportAudit`)."""

    def __init__(self, sessions: SessionFactory, *, clock: Clock = SystemClock()) -> None:
        self.sessions = sessions
        self.clock = clock

    # ---- notes

    async def prepare(
        self,
        actor: Actor,
        ref: PartnershipRef,
        *,
        text: str,
        kind: str | None = None,
        goal: str | None = None,
        review_on: str | None = None,
        owner_id: int | None = None,
        due: str | None = None,
        phase: str | None = None,
    ) -> NoteDraft:
        """Check a note before it is posted; nothing is written. A small win may name the
        co-production `phase` it concerns (commissioning, design, delivery, assessment)."""
        clean = clean_text(text, what="note", limit=TEXT_MAX, multiline=True)
        kind_value = choice(kind, NoteKind, what="kind of note") or NoteKind.note
        goal_text = " ".join((goal or "").split()) or None
        if kind_value != NoteKind.decision and (goal_text or review_on):
            raise UserFacingError(
                "Only a decision names a goal or a review date. Choose kind decision, or leave "
                "out `goal` and `review_on`."
            )
        if kind_value != NoteKind.action and (owner_id is not None or due):
            raise UserFacingError(
                "Only an action has an owner and a due date. Choose kind action, or leave out "
                "`owner` and `due`."
            )
        phase_value = choice(phase, Phase, what="co-production phase")
        if kind_value != NoteKind.small_win and phase_value is not None:
            raise UserFacingError(
                "Only a small win names the co-production phase it concerns. Choose kind small "
                "win, or leave out `phase`."
            )
        if kind_value == NoteKind.action and (owner_id is None or not due):
            raise UserFacingError("An action needs an `owner` (a member) and a `due` date.")
        review_day = parse_date(review_on, option="review_on") if review_on else None
        due_day = parse_date(due, option="due") if due else None
        async with self.sessions() as session:
            access = await resolve(session, actor, ref)
            access.check_writable(NOTES)
            draft = await self._check(
                session, access, kind_value, clean, goal_text, review_day, owner_id, due_day
            )
            return replace(draft, phase=phase_value)

    async def record(
        self, actor: Actor, draft: NoteDraft, *, channel_id: int | None, message_id: int | None
    ) -> NoteResult:
        """Write the note's event, linked to its posted message; checked again in this
        transaction (the owner may have left, the partnership been archived, meanwhile)."""
        async with transaction(self.sessions) as session:
            access = await authorize_by_id(session, actor, draft.partnership_id, writable=True)
            if access is None:
                raise NotFound("I can't find that partnership among the ones you belong to.")
            checked = await self._check(
                session,
                access,
                draft.kind,
                draft.text,
                str(draft.goal_id) if draft.goal_id is not None else None,
                draft.review_on,
                draft.owner_id,
                draft.due,
            )
            checked = replace(checked, phase=draft.phase)
            link = message_link(access.partnership.guild_id, channel_id, message_id)
            # A note logged while a meeting is open belongs to it (read under the gate's lock).
            meeting = await open_meeting(session, access.partnership)
            event = await events.noted(
                session,
                access.partnership,
                actor,
                checked,
                link,
                at=self.clock.now(),
                meeting_id=meeting.id if meeting is not None else None,
            )
            assert event.id is not None
            if checked.kind == NoteKind.action and checked.due is not None:
                await reminders.add_timers(
                    session, access.partnership, event.id, checked.due, now=self.clock.now()
                )
            return NoteResult(event.id, checked, link)

    async def _check(
        self,
        session: AsyncSession,
        access: Access,
        kind: str,
        text: str,
        goal_text: str | None,
        review_day: date | None,
        owner_id: int | None,
        due_day: date | None,
    ) -> NoteDraft:
        p = access.partnership
        today = self._today(p)
        goal_id = goal_title = None
        if goal_text:
            found = await find_in(session, p, goal_text, viewer_of(access))
            if found.visibility != GoalVisibility.partnership:
                raise UserFacingError(
                    f"Goal #{found.id} isn't shared with the whole partnership, and a decision is "
                    "posted in the channel for everyone. Share the goal first with "
                    "`/goal visibility`, or leave out `goal`."
                )
            goal_id, goal_title = found.id, found.title
        if review_day is not None and review_day < today:
            raise UserFacingError(
                f"The review date {review_day.isoformat()} has passed in {p.name}'s time zone. "
                "Choose today or a later date."
            )
        owner_name = None
        if owner_id is not None:
            member = await queries.active_membership(
                session, partnership_id=access.partnership_id, user_id=owner_id
            )
            if member is None:
                raise UserFacingError(
                    f"An action's owner must be a current member of {p.name}. Ask a convener "
                    "to add them first, or choose a member."
                )
            owner_name = member.display_name or None
        if due_day is not None and due_day < today:
            raise UserFacingError(
                f"The due date {due_day.isoformat()} has passed in {p.name}'s time zone. "
                "Choose today or a later date."
            )
        return NoteDraft(
            partnership_id=access.partnership_id,
            partnership=p.name,
            guild_id=p.guild_id,
            channel_id=p.channel_id,
            kind=kind,
            text=text,
            goal_id=goal_id,
            goal_title=goal_title,
            review_on=review_day,
            owner_id=owner_id,
            owner_name=owner_name,
            due=due_day,
        )

    # ---- actions

    async def close_action(self, actor: Actor, ref: PartnershipRef, action: str) -> ActionDone:
        """Close an open action: its owner or a convener. A new event; nothing is changed."""
        number = record_number(action or "")
        if number is None:
            raise action_not_found()
        async with transaction(self.sessions) as session:
            access, event = await self._action(session, actor, ref, number)
            check_action_closing(access, _owner(event))
            access.check_writable(NOTES)
            if number in await _done_ids(session, access.partnership):
                raise UserFacingError(f"Action #{number} is already done.")
            now = self.clock.now()
            removed = await redaction.load(session, access.partnership, now)
            words = str(event.payload.get("text") or "")
            shown = str(removed.event(event)[1].get("text") or "")
            # Text removed at a person's request is never written again: the closing entry
            # repeats the marker. Retention only hides text when read, so it repeats the words.
            kept = redaction.REMOVED if shown == redaction.REMOVED else words
            await events.action_done(session, access.partnership, actor, event, kept, at=now)
            return ActionDone(number, shown, access.partnership.name, _owner(event))

    async def _action(
        self, session: AsyncSession, actor: Actor, ref: PartnershipRef, number: int
    ) -> tuple[Access, Event]:
        event = await session.get(Event, number)
        if event is None or event.kind != event_kind(NoteKind.action):
            raise action_not_found()
        access = await authorize_by_id(session, actor, event.partnership_id)
        if access is None:
            raise action_not_found()
        if ref.name and ref.name.strip():
            named = await resolve(session, actor, ref)
            if named.partnership_id != access.partnership_id:
                raise action_not_found()
        return access, event

    async def autocomplete_actions(
        self, actor: Actor, ref: PartnershipRef, current: str, *, limit: int = 25
    ) -> list[tuple[str, str]]:
        """(choice name, action number) for the open actions of the partnership named or
        implied; nothing for anyone who may not see it."""
        async with self.sessions() as session:
            try:
                access = await resolve(session, actor, ref)
            except UserFacingError:
                return []
            lines = await self._actions(session, access.partnership)
        typed = " ".join(current.lstrip("#").split()).casefold()
        found = []
        for line in lines:
            text = line.summary
            if line.state == DONE:
                continue
            if typed and typed not in text.casefold() and typed != str(line.id):
                continue
            due = f" · due {line.due.isoformat()}" if line.due else ""
            found.append((choice_name(f"#{line.id} {text}", due), str(line.id)))
        return found[:limit]

    # ---- reading

    async def page(
        self,
        actor: Actor,
        ref: PartnershipRef,
        *,
        page: int = 0,
        since: str | None = None,
        kind: str | None = None,
        phase: str | None = None,
    ) -> LogPage:
        """A page of the log, newest first: members and server managers only. `phase`: only
        the small wins that name that co-production phase."""
        kind_value, phase_value = _kind_and_phase(kind, phase)
        since_day = parse_date(since, option="since") if since else None
        async with self.sessions() as session:
            access = await resolve(session, actor, ref)
            return await self._page(session, access, page, kind_value, since_day, phase_value)

    async def page_by_id(
        self,
        actor: Actor,
        partnership_id: int,
        *,
        page: int,
        kind: str | None,
        since: date | None,
        phase: str | None = None,
    ) -> LogPage:
        """The same page for a button, which names its partnership by id."""
        kind_value, phase_value = _kind_and_phase(kind, phase)
        async with self.sessions() as session:
            access = await authorize_by_id(session, actor, partnership_id)
            if access is None:
                raise NotFound("I can't find that partnership among the ones you belong to.")
            return await self._page(session, access, page, kind_value, since, phase_value)

    async def _page(
        self,
        session: AsyncSession,
        access: Access,
        page: int,
        kind: str | None,
        since: date | None,
        phase: str | None = None,
    ) -> LogPage:
        p = access.partnership
        page = max(0, page)
        start = _day_start(since, p) if since else None
        removed = await redaction.load(session, p, self.clock.now())
        if kind == NoteKind.action:
            lines = [
                line
                for line in await self._actions(session, p, removed)
                if start is None or line.occurred_at >= start
            ]
            chunk = lines[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
            older = len(lines) > (page + 1) * PAGE_SIZE
        else:
            query = select(Event).where(
                Event.guild_id == p.guild_id,
                Event.partnership_id == p.id,
                # Entries naming a goal this person may not see are not shown.
                not_about(await hidden_goals(session, p, viewer_of(access))),
            )
            if kind is not None:
                query = query.where(Event.kind == event_kind(kind))
            if phase is not None:
                query = query.where(col(Event.payload)["phase"].as_string() == phase)
            if start is not None:
                query = query.where(Event.occurred_at >= start)
            query = (
                query.order_by(col(Event.occurred_at).desc(), col(Event.id).desc())
                .offset(page * PAGE_SIZE)
                .limit(PAGE_SIZE + 1)
            )
            rows = list((await session.exec(query)).all())
            older = len(rows) > PAGE_SIZE
            chunk = [_line(e, removed) for e in rows[:PAGE_SIZE]]
        assert p.id is not None
        return LogPage(p.id, p.name, chunk, page, older, kind, since, phase)

    async def _actions(
        self,
        session: AsyncSession,
        p: Partnership,
        removed: redaction.Redactions | None = None,
    ) -> list[LogLine]:
        """Every action with its state: open and overdue first (soonest due), then done
        (latest first). The state is derived from the log: done once a close names it."""
        if removed is None:
            removed = await redaction.load(session, p, self.clock.now())
        rows = (
            await session.exec(
                select(Event)
                .where(
                    Event.guild_id == p.guild_id,
                    Event.partnership_id == p.id,
                    Event.kind == event_kind(NoteKind.action),
                )
                .order_by(col(Event.occurred_at).desc(), col(Event.id).desc())
            )
        ).all()
        done = await _done_ids(session, p)
        today = self._today(p)
        lines = []
        for event in rows:
            due = _date(event.payload.get("due"))
            if event.id in done:
                state = DONE
            elif due is not None and due < today:
                state = OVERDUE
            else:
                state = OPEN
            lines.append(
                _line(event, removed, owner_id=_owner(event), due=due, state=state, text_only=True)
            )
        undone = sorted(
            (line for line in lines if line.state != DONE),
            key=lambda line: (line.due or date.max, line.id),
        )
        return undone + [line for line in lines if line.state == DONE]

    def _today(self, p: Partnership) -> date:
        return self.clock.now().astimezone(zone(p.timezone)).date()


async def _done_ids(session: AsyncSession, p: Partnership) -> set[int]:
    assert p.id is not None
    return set(await queries.closed_actions(session, guild_id=p.guild_id, partnership_id=p.id))


def _owner(event: Event) -> int | None:
    owner = event.payload.get("owner_id")
    return int(owner) if owner is not None else None


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _kind_and_phase(kind: str | None, phase: str | None) -> tuple[str | None, str | None]:
    """A page's kind and phase, as typed: a phase is named only by small wins, so it implies
    that kind, and refuses any other."""
    kind_value = choice(kind, NoteKind, what="kind of note")
    phase_value = choice(phase, Phase, what="co-production phase")
    if phase_value is None:
        return kind_value, None
    if kind_value not in (None, NoteKind.small_win):
        raise UserFacingError(
            "Only small wins name the co-production phase they concern. Choose kind small win, "
            "or leave out `kind`."
        )
    return NoteKind.small_win, phase_value


def _day_start(day: date, p: Partnership) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone(p.timezone)).astimezone(UTC)


def _line(
    event: Event,
    removed: redaction.Redactions,
    *,
    owner_id: int | None = None,
    due: date | None = None,
    state: str | None = None,
    text_only: bool = False,
) -> LogLine:
    """One entry as it may be read: a removed text shows its marker, never the words."""
    assert event.id is not None
    summary, payload = removed.event(event)
    if text_only:
        summary = str(payload.get("text") or "")
    return LogLine(
        id=event.id,
        kind=event.kind,
        summary=clip(summary, 1000),
        occurred_at=event.occurred_at,
        message_link=event.message_link,
        owner_id=owner_id,
        due=due,
        state=state,
        removed=removed.event_text(event),
    )
