"""`/goal perceive`: an organisation records how it reads a goal (`readings`).

One transaction: find the goal, ask the access gate whose reading this person may record (only
an organisation's representative or substitute, for it), add the reading (append-only), write
`goal.perceived` to the log, and return the goal's card with the spread after it.
"""

from __future__ import annotations

from bot.errors import UserFacingError
from bot.services.access import Actor, reading_voice
from bot.services.clock import Clock
from bot.services.goals import events, lookup
from bot.services.goals import web as goal_web
from bot.services.goals.cards import GoalTarget, PerceptionResult
from bot.services.goals.vocab import ORIGIN_DETAIL_MAX, PERCEIVED
from bot.services.text import choice, clean_text
from db.engine import SessionFactory, transaction
from db.models import GoalPerception


async def perceive(
    sessions: SessionFactory,
    clock: Clock,
    actor: Actor,
    target: GoalTarget,
    *,
    origin: str | None = None,
    relevance: str | None = None,
    content: str | None = None,
    origin_detail: str | None = None,
) -> PerceptionResult:
    """Record the reading of the organisation this person speaks for. At least one dimension;
    a detail goes with an origin ("a grant condition of the lottery fund")."""
    given = {"origin": origin, "relevance": relevance, "content": content}
    wanted = {
        name: value
        for name, value in (
            (name, choice(raw, PERCEIVED[name], what=name)) for name, raw in given.items()
        )
        if value is not None
    }
    detail = (
        clean_text(origin_detail, what="origin detail", limit=ORIGIN_DETAIL_MAX)
        if origin_detail is not None and origin_detail.strip()
        else None
    )
    if detail and "origin" not in wanted:
        raise UserFacingError("`origin_detail` says more about an origin: give `origin` with it.")
    if not wanted:
        raise UserFacingError(
            "Give at least one of `origin`, `relevance` or `content`: how your organisation "
            "reads the goal."
        )
    async with transaction(sessions) as session:
        access, goal = await lookup.locate_to_change(session, actor, target)
        voice = await reading_voice(session, access)
        assert goal.id is not None and voice.organisation_id is not None
        now = clock.now()
        row = GoalPerception(
            goal_id=goal.id,
            organisation_id=voice.organisation_id,
            origin=wanted.get("origin"),
            origin_detail=detail,
            relevance=wanted.get("relevance"),
            content=wanted.get("content"),
            recorded_by=actor.user_id,
            recorded_at=now,
        )
        session.add(row)
        await session.flush()
        p = access.partnership
        organisation = voice.organisation or "An organisation"
        entry = events.perceived(
            actor, p, goal, voice.organisation_id, organisation, wanted, detail, row.id
        )
        await events.write(session, p, actor, entry, at=now)
        web = await goal_web.load_web(session, p, now=now)
        card = web.seen_by(lookup.drawn_for(access, goal)).card(goal)
        return PerceptionResult(card, organisation, wanted, detail)
