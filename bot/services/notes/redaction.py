"""Removing a person's words from the log's views: `/log redact entry` (issue 11 §4).

The partnership log is append-only, so a redaction never changes an entry: it inserts one
`Redaction` row naming the entry (and the stance, reflection answer or reading the entry
recorded), and every reader replaces the text with a marker when it reads
(`bot.services.redaction`). The redaction itself is a new log entry, `log.redacted`, naming the
entry and who removed it, and never the text.

What can be removed: a note of any kind (its closing entry, for an action, follows it), a
stance's comment, a reflection answer, the origin detail of an organisation's own reading of a
goal (`/goal perceive`; the reading itself stays, as a stance does without its comment). Who:
the person who wrote it, or a convener (`bot.services.access.check_redaction`). An archived
partnership still accepts a redaction: a person's request to remove their words outlives the
partnership's work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import NotFound, UserFacingError
from bot.services import log, redaction
from bot.services.access import (
    Actor,
    PartnershipRef,
    authorize_by_id,
    check_redaction,
    may_redact,
    redactable_author,
    resolve,
)
from bot.services.clock import Clock
from bot.services.notes.views import NoteDraft
from bot.services.notes.vocab import ACTION_DONE, ARTICLE, NoteKind, event_kind
from bot.services.text import choice_name, name_of, record_number
from db.engine import SessionFactory, transaction
from db.models import (
    Event,
    GoalPerception,
    GoalStance,
    Membership,
    Partnership,
    PromptAnswer,
    PromptPost,
    Redaction,
)

NOTE_KINDS = frozenset(event_kind(k) for k in NoteKind)
STANCE = "goal.stance"
ANSWER = "prompt.answered"
PERCEIVED = "goal.perceived"
REDACTABLE = (*sorted(NOTE_KINDS), STANCE, ANSWER, PERCEIVED)
# The payload key holding the person's words, by kind (a note's is "text").
_TEXT_KEY = {STANCE: "comment", ANSWER: "answer", PERCEIVED: "origin_detail"}
REDACTED = "log.redacted"
# Entries looked through for the autocomplete (newest first); older ones are typed by number.
CHOICES_SCANNED = 300
_LINK = re.compile(r"https://discord\.com/channels/([0-9]+)/([0-9]+)/([0-9]+)")


def entry_not_found() -> NotFound:
    return NotFound(
        "I can't find that entry. Choose one from the list as you type, or give the number "
        "`/log show` shows."
    )


@dataclass(frozen=True)
class Redacted:
    """What a redaction removed, for the cog to reply and to edit what was posted."""

    event_id: int
    kind: str
    what: str  # "a decision", "a stance comment", "a reflection answer", "an origin detail"
    reason: str  # "author" or "convener"
    partnership_id: int
    partnership: str
    guild_id: int
    marker: str
    # The words removed, only to find the copies the bot posted without keeping their ids (a
    # meeting's summary, a reflection shared in a thread); never stored or shown.
    words: str = ""
    # A note's post in the partnership's channel, rebuilt with the marker, and its meeting.
    channel_id: int | None = None
    message_id: int | None = None
    note: NoteDraft | None = None
    author: str = ""
    meeting_id: int | None = None
    # A stance or a reading: its goal, whose posted card shows the comment or the detail.
    goal_id: int | None = None
    # A reflection answer: the prompt's thread where it was shared.
    thread_id: int | None = None
    post_id: int | None = None


def person_text(event: Event) -> str | None:
    """The words of a person's that this entry holds and a redaction can remove, if any."""
    key = "text" if event.kind in NOTE_KINDS else _TEXT_KEY.get(event.kind)
    if key is None:
        return None
    value = (event.payload or {}).get(key)
    return value if isinstance(value, str) and value else None


def entry_words(kind: str) -> str:
    """What an entry is, in a few words: "a decision", "a stance comment"."""
    if kind in NOTE_KINDS:
        return ARTICLE[NoteKind(kind.removeprefix("note."))]
    return {
        STANCE: "a stance comment",
        ANSWER: "a reflection answer",
        PERCEIVED: "an origin detail",
    }.get(kind, "an entry")


def not_redactable(event: Event) -> UserFacingError:
    number = event.id
    if event.kind == ACTION_DONE:
        action = event.payload.get("action_id")
        return UserFacingError(
            f"Entry #{number} closes action #{action}. Remove the action's text (entry "
            f"#{action}) and its closing entry shows it as removed too."
        )
    if event.kind == STANCE:
        return UserFacingError(f"Entry #{number} is a stance without a comment: no text to remove.")
    if event.kind == PERCEIVED:
        return UserFacingError(
            f"Entry #{number} is a reading without an origin detail: no text to remove."
        )
    if event.kind == ANSWER:
        return UserFacingError(
            f"Entry #{number} records an anonymous or private reflection answer, whose words "
            "are not in the log. Its author can take it back with `/reflect withdraw`."
        )
    return UserFacingError(
        f"Entry #{number} holds no one's own words to remove. Notes, decisions, actions, small "
        "wins, risks, stance comments, reflection answers and readings' origin details can be "
        "removed."
    )


class Redacting:
    """`NoteService`'s part that removes a person's text and offers what may be removed."""

    sessions: SessionFactory
    clock: Clock

    async def redact(self, actor: Actor, ref: PartnershipRef, entry: str) -> Redacted:
        """Remove the text of one log entry, by its author or a convener: one `Redaction` row
        and one `log.redacted` entry, in one transaction. The entry itself is never changed."""
        number = record_number(entry or "")
        if number is None:
            raise entry_not_found()
        async with transaction(self.sessions) as session:
            event = await session.get(Event, number)
            if event is None or event.guild_id != actor.guild_id:
                raise entry_not_found()
            # The gate locks the partnership's row: two redactions of one entry queue.
            access = await authorize_by_id(session, actor, event.partnership_id)
            if access is None:
                raise entry_not_found()
            if ref.name and ref.name.strip():
                named = await resolve(session, actor, ref)
                if named.partnership_id != access.partnership_id:
                    raise entry_not_found()
            text = person_text(event)
            if text is None:
                raise not_redactable(event)
            check_redaction(access, event.actor_id)
            if await _redaction_of(session, number) is not None:
                raise UserFacingError(
                    f"The text of entry #{number} has already been removed; it shows as "
                    f"“{redaction.REMOVED}” everywhere. There is nothing more to do."
                )
            p = access.partnership
            stance_id = await _stance_of(session, event) if event.kind == STANCE else None
            answer_id = await _answer_of(session, p, event) if event.kind == ANSWER else None
            perception_id = (
                await _perception_of(session, event) if event.kind == PERCEIVED else None
            )
            reason = "author" if actor.user_id == event.actor_id else "convener"
            now = self.clock.now()
            session.add(
                Redaction(
                    guild_id=p.guild_id,
                    partnership_id=access.partnership_id,
                    event_id=number,
                    stance_id=stance_id,
                    answer_id=answer_id,
                    perception_id=perception_id,
                    redacted_by=actor.user_id,
                    reason=reason,
                    redacted_at=now,
                )
            )
            await session.flush()
            what = entry_words(event.kind)
            await log.record(
                session,
                p,
                REDACTED,
                _summary(actor, number, what, reason),
                actor_id=actor.user_id,
                # Never the text: only which entry, whose request, and what it recorded.
                payload={
                    "event_id": number,
                    "kind": event.kind,
                    "reason": reason,
                    "stance_id": stance_id,
                    "answer_id": answer_id,
                    "perception_id": perception_id,
                },
                at=now,
            )
            return await _result(session, p, event, what, reason, text)

    async def autocomplete_redactable(
        self, actor: Actor, ref: PartnershipRef, current: str, *, limit: int = 25
    ) -> list[tuple[str, str]]:
        """(choice name, entry number) for the entries of the partnership named or implied
        whose text this person may remove (their own; any, for a convener), newest first;
        nothing for anyone who may not see it."""
        async with self.sessions() as session:
            try:
                access = await resolve(session, actor, ref)
            except UserFacingError:
                return []
            p = access.partnership
            query = select(Event).where(
                Event.guild_id == p.guild_id,
                Event.partnership_id == p.id,
                col(Event.kind).in_(REDACTABLE),
            )
            author = redactable_author(access)
            if author is not None:
                query = query.where(Event.actor_id == author)
            query = query.order_by(col(Event.occurred_at).desc(), col(Event.id).desc())
            rows = (await session.exec(query.limit(CHOICES_SCANNED))).all()
            removed = await redaction.load(session, p, self.clock.now())
        typed = " ".join(current.lstrip("#").split()).casefold()
        found = []
        for event in rows:
            if event.id in removed.events or not may_redact(access, event.actor_id):
                continue
            words = person_text(event)
            if words is None:
                continue
            shown = removed.event_text(event) or words
            if typed and typed not in shown.casefold() and typed != str(event.id):
                continue
            what = entry_words(event.kind).split(" ", 1)[-1]
            found.append((choice_name(f"#{event.id} {what}: {shown}"), str(event.id)))
            if len(found) >= limit:
                break
        return found


def _summary(actor: Actor, number: int, what: str, reason: str) -> str:
    who = name_of(actor.display_name)
    if reason == "author":
        return f"{who} removed the text of their entry #{number} ({what})."
    return f"{who} removed the text of entry #{number} ({what}) as a convener."


async def _redaction_of(session: AsyncSession, event_id: int) -> Redaction | None:
    return (await session.exec(select(Redaction).where(Redaction.event_id == event_id))).first()


async def _stance_of(session: AsyncSession, event: Event) -> int | None:
    """The `GoalStance` row a `goal.stance` entry recorded: named in its payload; for entries
    written before it was, the latest stance of that person on that goal with that comment
    recorded no later than the entry (the row is written first, in the same transaction)."""
    payload = event.payload or {}
    goal_id = payload.get("goal_id")
    named = payload.get("stance_id")
    if named is not None:
        row = await session.get(GoalStance, int(named))
        if row is not None and row.goal_id == goal_id:
            return row.id
    if goal_id is None:
        return None
    rows = (
        await session.exec(
            select(GoalStance)
            .where(
                GoalStance.goal_id == int(goal_id),
                GoalStance.user_id == event.actor_id,
                GoalStance.stance == str(payload.get("stance") or ""),
            )
            .order_by(col(GoalStance.id).desc())
        )
    ).all()
    at = _aware(event.occurred_at)
    for row in rows:
        if row.comment == payload.get("comment") and _aware(row.recorded_at) <= at:
            return row.id
    return None


async def _perception_of(session: AsyncSession, event: Event) -> int | None:
    """The `GoalPerception` a `goal.perceived` entry recorded (named in its payload), if it is
    a reading of the entry's goal."""
    payload = event.payload or {}
    named = payload.get("perception_id")
    if named is None:
        return None
    row = await session.get(GoalPerception, int(named))
    return row.id if row is not None and row.goal_id == payload.get("goal_id") else None


async def _answer_of(session: AsyncSession, p: Partnership, event: Event) -> int | None:
    """The `PromptAnswer` a `prompt.answered` entry recorded, if it is this partnership's."""
    named = (event.payload or {}).get("answer_id")
    if named is None:
        return None
    row = await session.get(PromptAnswer, int(named))
    return row.id if row is not None and row.partnership_id == p.id else None


async def _result(
    session: AsyncSession, p: Partnership, event: Event, what: str, reason: str, text: str
) -> Redacted:
    assert event.id is not None and p.id is not None
    payload = event.payload or {}
    base = Redacted(
        event_id=event.id,
        kind=event.kind,
        what=what,
        reason=reason,
        partnership_id=p.id,
        partnership=p.name,
        guild_id=p.guild_id,
        marker=redaction.REMOVED,
        words=text,
    )
    if event.kind in NOTE_KINDS:
        link = _message_of(event.message_link)
        author = await _display_name(session, p, event.actor_id)
        return replace(
            base,
            channel_id=link[0] if link else None,
            message_id=link[1] if link else None,
            note=_note(p, event),
            author=author,
            meeting_id=_int(payload.get("meeting_id")),
        )
    if event.kind in (STANCE, PERCEIVED):
        return replace(base, goal_id=_int(payload.get("goal_id")))
    post_id = payload.get("post_id")
    return replace(base, thread_id=await _thread_of(session, post_id), post_id=_int(post_id))


def _message_of(link: str | None) -> tuple[int, int] | None:
    """(channel id, message id) of a message link, or None."""
    match = _LINK.fullmatch(link or "")
    return (int(match[2]), int(match[3])) if match else None


def _note(p: Partnership, event: Event) -> NoteDraft:
    """The note as posted, with its text replaced by the marker."""
    payload = event.payload or {}
    assert p.id is not None
    goal_id = payload.get("goal_id")
    owner_id = payload.get("owner_id")
    return NoteDraft(
        partnership_id=p.id,
        partnership=p.name,
        guild_id=p.guild_id,
        channel_id=p.channel_id,
        kind=event.kind.removeprefix("note."),
        text=redaction.REMOVED,
        goal_id=int(goal_id) if goal_id is not None else None,
        goal_title=payload.get("goal_title"),
        review_on=_date(payload.get("review_on")),
        owner_id=int(owner_id) if owner_id is not None else None,
        owner_name=payload.get("owner_name"),
        due=_date(payload.get("due")),
        phase=payload.get("phase"),
    )


async def _display_name(session: AsyncSession, p: Partnership, user_id: int | None) -> str:
    """The author's name as the register has it (one membership row per person), if any."""
    if user_id is None:
        return ""
    member = (
        await session.exec(
            select(Membership).where(
                Membership.partnership_id == p.id, Membership.user_id == user_id
            )
        )
    ).first()
    return member.display_name if member is not None else ""


async def _thread_of(session: AsyncSession, post_id: object) -> int | None:
    if post_id is None:
        return None
    post = await session.get(PromptPost, int(str(post_id)))
    return post.thread_id if post is not None else None


def _int(value: object) -> int | None:
    return int(str(value)) if value is not None else None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
