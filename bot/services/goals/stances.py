"""Taking a stance on a goal, and confirming one given subject to referral: the stance
methods of `GoalService` (the rules are in `agreement` and `referral`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import UserFacingError
from bot.services.access import Access, Actor, AheadPlans, resolve, stance_voice
from bot.services.clock import Clock
from bot.services.goals import agreement, events, lookup, referral, responses
from bot.services.goals import web as goal_web
from bot.services.goals.announce import announcement
from bot.services.goals.cards import GoalTarget, StanceResult, Standing
from bot.services.goals.latest import voice_latest, with_new_stance
from bot.services.goals.vocab import COMMENT_MAX, Referral, Stance
from bot.services.text import choice, clean_long_text
from bot.services.timeutil import parse_date
from db import queries
from db.ahead import write_behind
from db.engine import SessionFactory, transaction
from db.models import Goal, GoalStance, stored

# On the tables, not the mapped classes, so the ORM's bulk path (which copies the statement
# on every call) is skipped; the goal object is brought up to date by hand.
_STANCES = GoalStance.__table__  # type: ignore[attr-defined]
_GOALS = Goal.__table__  # type: ignore[attr-defined]
_INSERT_STANCE = insert(_STANCES).returning(_STANCES.c.id)
_INSERT_STANCE_WITH_ID = insert(_STANCES)
_TOUCH = (
    update(_GOALS).where(_GOALS.c.id == bindparam("goal_id")).values(updated_at=bindparam("now"))
)


#: What a stance on a goal given by number read first, per partnership as named (this
#: process's own).
_STANCE_PLANS = AheadPlans()


class StanceMethods:
    """Stances on goals; mixed into `GoalService`."""

    sessions: SessionFactory
    clock: Clock

    async def standing(self, actor: Actor, goal_id: int) -> Standing:
        """Check, before a form opens, that this person may take a stance on the goal now."""
        async with self.sessions() as session:
            access, goal = await lookup.locate(session, actor, GoalTarget.by_id(goal_id))
            access.check_writable(lookup.GOALS)
            lookup.ensure_open(goal)
            responses.refuse_stance(goal)
            voice = await stance_voice(session, access)
            assert goal.id is not None
            return Standing(goal.id, goal.title, voice)

    async def take_stance(
        self,
        actor: Actor,
        target: GoalTarget,
        stance: str | None,
        comment: str | None = None,
        *,
        refer_by: str | None = None,
        confirm: bool = False,
    ) -> StanceResult:
        """Record the stance of the organisation this person speaks for (or their own), and
        mark the goal agreed if this stance meets the partnership's rule.

        From a representative who must refer back, agreement or reservations are recorded
        subject to referral (`refer_by`: when the answer is expected) and not counted; `confirm`
        confirms the organisation's pending stance (`stance` None: as it was given), which
        may agree the goal (`referral`)."""
        stance_value = choice(stance, Stance, what="stance")
        if stance_value is None and not confirm:
            raise UserFacingError("Choose a stance: agree, reservations, unsure or object.")
        clean_comment = clean_long_text(comment, what="comment", limit=COMMENT_MAX) or None
        refer_day = parse_date(refer_by, option="refer_by") if refer_by else None
        if confirm and refer_day is not None:
            raise UserFacingError(
                "`refer_by` goes with a stance given subject to referral, not with its "
                "confirmation: leave it out when you confirm."
            )
        async with transaction(self.sessions) as session:
            access, goal, web = await self._goal_and_web(session, actor, target)
            p = access.partnership
            voice = await stance_voice(session, access, partners=web.partners)
            assert goal.id is not None
            now = self.clock.now()
            pending: GoalStance | None = None
            state: str
            previous: str | None
            rows = web.stances.get(goal.id, [])
            if confirm:
                pending = await referral.pending_to_confirm(
                    session, access, voice, goal, stance_value
                )
                stance_value = stance_value or Stance(pending.stance)
                state, day, previous = Referral.confirmed, pending.refer_by, pending.stance
            else:
                assert stance_value is not None
                state, day = referral.referral_for(access, voice, stance_value, refer_day, now)
                last = voice_latest(rows, voice.organisation_id, actor.user_id)
                previous = last.stance if last is not None else None
            member = access.membership
            values: dict[str, Any] = {
                "goal_id": goal.id,
                "organisation_id": voice.organisation_id,
                "user_id": actor.user_id,
                "display_name": (actor.display_name or "")[:100],
                "capacity": voice.capacity,
                "stance": stance_value,
                "comment": clean_comment,
                "recorded_at": now,
                "mandate": member.mandate if member and voice.organisation_id else None,
                "referral": state,
                "refer_by": day,
            }
            # PostgreSQL: the stance's id, read with the web's reads (`_goal_and_web`'s plan),
            # so that its INSERT returns nothing. SQLite: None, the INSERT returns it.
            stance_id = await queries.next_id(session, "goal_stance")
            # The goal is changed when a stance is taken. Nothing reads the result of that
            # write: it goes with the next statement (`write_behind`), not in a trip of its own.
            await write_behind(session, _TOUCH, {"goal_id": goal.id, "now": now})
            set_committed_value(goal, "updated_at", now)
            # INSERT rather than the unit of work: stances are never changed afterwards (the
            # table refuses it), so the row needs no session. With its id known, it goes with
            # the log entry's statement, as the goal's touch does.
            if stance_id is None:
                stance_id = (await session.exec(_INSERT_STANCE, params=values)).scalar_one()
            else:
                await write_behind(session, _INSERT_STANCE_WITH_ID, {"id": stance_id, **values})
            row = stored(GoalStance, id=stance_id, **values)
            entry = events.stance_taken(
                actor,
                p,
                goal,
                voice,
                row,
                previous=previous,
                confirmed_from=pending,
            )
            logged = await events.write(session, p, actor, entry, at=self.clock.now())
            # The card goes to the channel too (when posted): drawn as everyone sees it.
            web = replace(
                web,
                stances={**web.stances, goal.id: with_new_stance(rows, row)},
                as_of=logged.id if logged is not None and logged.id else web.as_of,
            )
            card = web.card(goal)
            agreed_now = False
            if goal.agreed_at is None and card.tally.met:
                await agreement.mark_agreed(
                    session, actor, goal, card, at=now, by_stance=row, voice=voice
                )
                agreed_now = True
            if agreed_now:
                session.add(goal)
                await session.flush()
                card = web.card(goal)
            return StanceResult(
                card,
                voice,
                stance_value,
                previous,
                agreed_now,
                clean_comment,
                announcement(card, agreed=True, by_organisation=voice.organisation)
                if agreed_now
                else None,
                referral=state,
                refer_by=day,
            )

    async def _goal_and_web(
        self, session: AsyncSession, actor: Actor, target: GoalTarget
    ) -> tuple[Access, Goal, goal_web.GoalWeb]:
        """The goal a stance is taken on, checked as `lookup.locate_to_change` checks it and
        open to stances, and its web as the card is drawn after the change.

        The web is read once, before the stance: its partners say whom the person speaks
        for, its stances what the voice said last, and the new stance is then put in its
        place without reading the web again. A goal given by number in a partnership named
        is found among the web's goals (`lookup.found_among`), not read alone first."""
        number = lookup.named_number(target)
        if number is None:
            access, goal = await lookup.locate_to_change(session, actor, target)
        else:
            # The web's first reads as the last stance in this partnership made them
            # (`AheadPlans`) go with the gate's read, in one trip, when they still hold; on
            # PostgreSQL, with the membership's, once the partnership's lock is held. The goal
            # needs no lock of its own: every write to a goal holds its partnership's lock
            # (the gate's, and `GoalService.attach_message`'s), so none can come between.
            ahead = _STANCE_PLANS.get(actor, target.partnership)
            if (await session.connection()).dialect.name == "postgresql":
                ahead = [*ahead, queries.next_id_read("goal_stance")]  # the stance's id
            access = await resolve(
                session, actor, target.partnership, ahead=ahead, ahead_under_lock=True
            )

        async def load(focus: int | None) -> goal_web.GoalWeb:
            return await goal_web.load_web(
                session,
                access.partnership,
                now=self.clock.now(),
                focus=focus,
                mark=False,
                # Someone speaking for no organisation adds a person's stance to the web.
                with_people=access.organisation_id is None,
            )

        if number is None:
            lookup.ensure_open(goal)
            responses.refuse_stance(goal)
            web = await load(goal.id)
        else:
            web = await load(number)
            # Its reads next time: the web's first ones and those of the goals near this one.
            planned = goal_web.web_reads(
                access.partnership,
                focus=number,
                with_people=access.organisation_id is None,
                near=tuple(web.focus or ()),
            )
            _STANCE_PLANS.remember(actor, target.partnership, planned)
            goal = await lookup.found_among(session, access, web.goals, target, number)
            lookup.ensure_open(goal)
            responses.refuse_stance(goal)
            if goal.id != number:  # a title that reads as a number
                web = await load(goal.id)
        return access, goal, web.seen_by(lookup.drawn_for(access, goal))

    async def confirm(self, actor: Actor, goal_id: int) -> StanceResult:
        """The Confirm button: confirm the organisation's stance given subject to referral."""
        return await self.take_stance(actor, GoalTarget.by_id(goal_id), None, confirm=True)
