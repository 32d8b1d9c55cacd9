"""Reading goals (`GoalService`'s reads): one goal, a partnership's list, what needs review,
autocomplete; each as the person reading may see it (`lookup.viewer_of`)."""

from __future__ import annotations

from typing import Any

from bot.errors import UserFacingError
from bot.services.access import Actor, AheadPlans, PartnershipRef, resolve
from bot.services.clock import Clock
from bot.services.goals import lookup
from bot.services.goals import web as goal_web
from bot.services.goals.cards import GoalCard, GoalTarget, ReviewItem
from bot.services.goals.vocab import STALE_DAYS, GoalStatus, Level
from bot.services.text import choice
from bot.services.timeutil import zone
from bot.services.vocab import Phase
from db.engine import SessionFactory
from db.models import Partnership

#: What `/goal list` read after the gate, per partnership as named (this process's own).
_LIST_PLANS = AheadPlans()


class GoalReading:
    """The reads of `GoalService`; it sets `sessions` and `clock`."""

    sessions: SessionFactory
    clock: Clock

    # ---- reading

    async def show(self, actor: Actor, target: GoalTarget) -> GoalCard:
        """One goal in full, for anyone who may see it."""
        async with self.sessions() as session:
            access, goal = await lookup.locate(session, actor, target)
            web = await goal_web.load_web(
                session, access.partnership, now=self.clock.now(), viewer=lookup.viewer_of(access)
            )
            return web.card(goal)

    async def list_goals(
        self,
        actor: Actor,
        ref: PartnershipRef,
        *,
        status: str | None = None,
        level: str | None = None,
        phase: str | None = None,
        summary: bool = False,
    ) -> tuple[Partnership, list[GoalCard]]:
        """A partnership's goals, oldest first, optionally only one status, level or
        co-production phase. `summary`: cards with only what a list shows (`load_summary`)."""
        status_value = choice(status, GoalStatus, what="status")
        level_value = choice(level, Level, what="level")
        phase_value = choice(phase, Phase, what="co-production phase")
        async with self.sessions() as session:
            # A list sends the reads it made last time with the gate's (`AheadPlans`): one
            # trip, its transaction's end included (none on PostgreSQL), when they still hold.
            ahead = _LIST_PLANS.get(actor, ref) if summary else []
            access = await resolve(session, actor, ref, ahead=ahead, last=True)
            viewer = lookup.viewer_of(access)
            if summary:
                _LIST_PLANS.remember(actor, ref, goal_web.summary_reads(access.partnership))
            web: goal_web.GoalWeb[Any, Any] = (
                await goal_web.load_summary(session, access.partnership, viewer=viewer)
                if summary
                else await goal_web.load_web(
                    session, access.partnership, now=self.clock.now(), viewer=viewer
                )
            )
            cards = [
                web.card(g)
                for g in web.visible_goals()
                if (status_value is None or g.status == status_value)
                and (level_value is None or g.level == level_value)
                and (phase_value is None or g.phase == phase_value)
            ]
            return access.partnership, cards

    async def review(
        self, actor: Actor, ref: PartnershipRef, *, days: int = STALE_DAYS
    ) -> tuple[Partnership, list[ReviewItem]]:
        """What needs attention, goal by goal: open goals only. Stale means proposed more than
        `days` ago and never agreed."""
        if days < 1:
            raise UserFacingError("`days` should be at least 1.")
        now = self.clock.now()
        async with self.sessions() as session:
            access = await resolve(session, actor, ref)
            p = access.partnership
            today = now.astimezone(zone(p.timezone)).date()
            web = await goal_web.load_web(
                session, p, now=self.clock.now(), viewer=lookup.viewer_of(access)
            )
            return p, web.review_items(today, now, days)

    async def autocomplete(
        self, actor: Actor, ref: PartnershipRef, current: str, *, limit: int = 25
    ) -> list[tuple[str, str]]:
        """(choice name, value = goal id) for the goals this person may see."""
        async with self.sessions() as session:
            return await lookup.goal_choices(session, actor, ref, current, limit=limit)
