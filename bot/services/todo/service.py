"""`TodoService`: what awaits one person, in one partnership or in all of theirs.

Five kinds of things wait for someone, each read from the feature that owns it:

- **stances**: goals of the whole collaboration that are not yet agreed (and not closed) and
  have no stance from the voice this person speaks for: their organisation, through them as its
  representative or substitute, or themselves in their own capacity. Only a voice that counts
  toward agreement is asked (`access.stance_voice`, the goals' own rule): a core organisation,
  or a person in their own capacity when the partnership counts individuals. Observers and
  facilitators take no stance.
- **responses**: an organisation's or a person's own goal (which is not put to agreement) that
  is not closed, that this person sees, and that still waits for a response from the
  organisation they speak for: one of the other active partner organisations (`Fit.waiting`,
  as the goal's card counts them), never the goal's owner (`access.response_voice`).
- **prompts**: reflective prompts posted in the last `PROMPT_DAYS` days that they have not
  answered.
- **trust**: the open check-in round, if they are among those it asked (fixed when it opened)
  and have not answered.
- **actions**: actions they own that are not closed, open or overdue (due date passed in the
  partnership's time zone).

Only partnerships the person belongs to, and not archived ones, hold anything to do: a server
manager who is not a member has nothing waiting there. Nothing private is read: whether someone
answered a check-in, never what; an action's text as everyone reads it (a removed text shows its
marker).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import Forbidden
from bot.services import log, redaction
from bot.services.access import (
    Access,
    Actor,
    PartnershipRef,
    Voice,
    authorize,
    resolve,
    stance_voice,
)
from bot.services.clock import Clock, SystemClock
from bot.services.goals.lookup import viewer_of
from bot.services.goals.nudges import awaits_agreement
from bot.services.goals.rows import AnyGoal
from bot.services.goals.vocab import CLOSED, takes_responses
from bot.services.goals.web import load_web
from bot.services.notes.vocab import NoteKind, event_kind
from bot.services.text import message_link
from bot.services.timeutil import as_utc, zone
from bot.services.todo.views import TodoItem, TodoKind, TodoList
from db import queries
from db.engine import SessionFactory
from db.models import Goal, Membership, Partnership, PromptAnswer, PromptPost, TrustRespondent

PROMPT_DAYS = 14  # prompts posted this many days ago or later still wait for an answer


class TodoService:
    """`/todo`: `TodoService(sessions, *, clock)`."""

    def __init__(self, sessions: SessionFactory, *, clock: Clock | None = None) -> None:
        self.sessions = sessions
        self.clock = clock or SystemClock()

    async def todo(self, actor: Actor, ref: PartnershipRef) -> TodoList:
        """What awaits `actor`: in the partnership named, or whose channel (or thread) the
        command is used in; anywhere else, in every partnership of theirs in the server."""
        now = self.clock.now()
        async with self.sessions() as session:
            named = bool(ref.name and ref.name.strip())
            here = (
                await queries.partnership_in_channels(
                    session, guild_id=actor.guild_id, channel_ids=ref.where.channel_ids
                )
                if not named
                else None
            )
            if named or here is not None:
                access = await resolve(session, actor, ref)
                p = access.partnership
                items = await self._items(session, access, now) if self._counts(access) else []
                return TodoList(
                    items,
                    partnership=p.name,
                    partnerships=1,
                    member=access.membership is not None,
                    archived=p.is_archived,
                )
            partnerships = await _member_of(session, actor)
            items = []
            for p in partnerships:
                items += await self._items(session, await authorize(session, actor, p), now)
            return TodoList(items, partnership=None, partnerships=len(partnerships))

    @staticmethod
    def _counts(access: Access) -> bool:
        return access.membership is not None and not access.partnership.is_archived

    async def _items(self, session: AsyncSession, access: Access, now: datetime) -> list[TodoItem]:
        return [
            *await _goals(session, access, now),
            *await _prompts(session, access, now),
            *await _trust(session, access, now),
            *await _actions(session, access, now),
        ]


async def _member_of(session: AsyncSession, actor: Actor) -> list[Partnership]:
    """The open partnerships of the server this person is an active member of, by name."""
    rows = await session.exec(
        select(Partnership)
        .join(Membership, col(Membership.partnership_id) == col(Partnership.id))
        .where(
            Partnership.guild_id == actor.guild_id,
            col(Partnership.archived_at).is_(None),
            Membership.user_id == actor.user_id,
            col(Membership.left_at).is_(None),
        )
        .order_by(col(Partnership.name_key))
    )
    return list(rows.all())


def _today(p: Partnership, now: datetime) -> date:
    return as_utc(now).astimezone(zone(p.timezone)).date()


async def _goals(session: AsyncSession, access: Access, now: datetime) -> list[TodoItem]:
    """Goals awaiting agreement that have no stance yet from the voice this person speaks for,
    then organisations' and people's goals awaiting its response."""
    try:
        voice = await stance_voice(session, access)
    except Forbidden:
        return []  # observers and facilitators take no stance and give no response
    responding = voice.organisation_id is not None
    if not voice.counted and not responding:
        return []  # shown, not counted, and no organisation to respond for: nothing waits
    p = access.partnership
    web = await load_web(session, p, now=now, viewer=viewer_of(access))
    stances: list[TodoItem] = []
    responses: list[TodoItem] = []
    for goal in web.visible_goals():
        if voice.counted and awaits_agreement(goal):
            card = web.card(goal)
            if voice.organisation_id is not None:
                lines = [
                    o.latest
                    for o in card.organisations
                    if o.organisation_id == voice.organisation_id
                ]
            else:
                lines = [m.latest for m in card.people if m.user_id == access.actor.user_id]
            if lines and lines[0] is None:
                stances.append(_goal_item(TodoKind.stance, access, goal, card.id, voice))
        elif responding and awaits_response(goal, access.actor.user_id):
            card = web.card(goal)
            if card.fit is not None and voice.organisation in card.fit.waiting:
                responses.append(_goal_item(TodoKind.response, access, goal, card.id, voice))
    return [*stances, *responses]


def awaits_response(goal: AnyGoal, user_id: int) -> bool:
    """An organisation's or a person's goal still open, not this person's own."""
    return (
        takes_responses(goal)
        and goal.status not in CLOSED
        and (goal.owner_user_id is None or goal.owner_user_id != user_id)
    )


def _goal_item(kind: str, access: Access, goal: Goal, number: int, voice: Voice) -> TodoItem:
    p = access.partnership
    return TodoItem(
        kind=kind,
        partnership_id=access.partnership_id,
        partnership=p.name,
        number=number,
        title=goal.title,
        link=message_link(p.guild_id, goal.channel_id, goal.message_id),
        organisation=voice.organisation,
        due=goal.respond_by,
    )


async def _prompts(session: AsyncSession, access: Access, now: datetime) -> list[TodoItem]:
    """Prompts posted in the last `PROMPT_DAYS` days this person has not answered, newest first."""
    p = access.partnership
    # Answered: a current answer (neither replaced nor withdrawn) is there; a withdrawn answer
    # leaves the prompt waiting again.
    answered = select(PromptAnswer.post_id).where(
        PromptAnswer.partnership_id == access.partnership_id,
        PromptAnswer.user_id == access.actor.user_id,
        col(PromptAnswer.replaced_at).is_(None),
        col(PromptAnswer.withdrawn_at).is_(None),
    )
    rows = await session.exec(
        select(PromptPost)
        .where(
            PromptPost.guild_id == p.guild_id,
            PromptPost.partnership_id == access.partnership_id,
            col(PromptPost.message_id).is_not(None),
            col(PromptPost.posted_at) >= now - timedelta(days=PROMPT_DAYS),
            col(PromptPost.id).not_in(answered.scalar_subquery()),
        )
        .order_by(col(PromptPost.posted_at).desc(), col(PromptPost.id).desc())
    )
    return [
        TodoItem(
            kind=TodoKind.prompt,
            partnership_id=access.partnership_id,
            partnership=p.name,
            number=post.id or 0,
            title=post.text,
            link=message_link(p.guild_id, post.channel_id, post.message_id),
            posted_at=post.posted_at,
        )
        for post in rows.all()
    ]


async def _trust(session: AsyncSession, access: Access, now: datetime) -> list[TodoItem]:
    """The open check-in round, if it asked this person and they have not answered."""
    trust_round = await queries.open_trust_round(session, partnership_id=access.partnership_id)
    if trust_round is None or as_utc(trust_round.closes_at) <= now:
        return []
    waiting = (
        await session.exec(
            select(TrustRespondent.id).where(
                TrustRespondent.round_id == trust_round.id,
                TrustRespondent.user_id == access.actor.user_id,
                col(TrustRespondent.answered).is_(False),
            )
        )
    ).first()
    if waiting is None:
        return []
    return [
        TodoItem(
            kind=TodoKind.trust,
            partnership_id=access.partnership_id,
            partnership=access.partnership.name,
            number=trust_round.id or 0,
            title="",
            closes_at=trust_round.closes_at,
        )
    ]


async def _actions(session: AsyncSession, access: Access, now: datetime) -> list[TodoItem]:
    """Actions this person owns that no close names yet, soonest due first."""
    p = access.partnership
    closed = await queries.closed_actions(
        session, guild_id=p.guild_id, partnership_id=access.partnership_id
    )
    mine = [
        event
        for event in await log.events(session, p, kinds=[event_kind(NoteKind.action)])
        if event.id not in closed and _int(event.payload.get("owner_id")) == access.actor.user_id
    ]
    if not mine:
        return []
    removed = await redaction.load(session, p, now)
    today = _today(p, now)
    found = []
    for event in mine:
        assert event.id is not None
        due = _date(event.payload.get("due"))
        found.append(
            TodoItem(
                kind=TodoKind.action,
                partnership_id=access.partnership_id,
                partnership=p.name,
                number=event.id,
                title=str(removed.event(event)[1].get("text") or ""),
                link=event.message_link,
                due=due,
                overdue=due is not None and due < today,
            )
        )
    return sorted(found, key=lambda item: (item.due or date.max, item.number))


def _int(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
