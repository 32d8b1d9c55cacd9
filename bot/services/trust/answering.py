"""Answering a check-in and rating partners: the form, the answer and the rating, each
replaced by a second one within the round."""

from __future__ import annotations

from sqlmodel import select

from bot.errors import UserFacingError
from bot.services.access import (
    Actor,
    AheadPlans,
    PartnershipRef,
    check_may_answer,
    check_may_rate,
    resolve,
)
from bot.services.trust import rounds as store
from bot.services.trust.answers import (
    CheckinAnswers,
    answers_of,
    check_rating,
    clean_answers,
    fill,
)
from bot.services.trust.base import CHANGING, TrustBase
from bot.services.trust.views import (
    CheckinForm,
    CheckinResult,
    RateResult,
)
from db import queries
from db.engine import transaction
from db.models import TrustAnswer, TrustRating, name_key

#: What a check-in read after the gate, per partnership as named (this process's own).
_CHECKIN_PLANS = AheadPlans()


class AnswerCommands(TrustBase):
    async def checkin_form(self, actor: Actor, ref: PartnershipRef) -> CheckinForm:
        """The open round this person may answer, with their own earlier answer in it."""
        async with self.sessions() as session:
            access = await resolve(session, actor, ref)
            trust_round = await self._open_round_of(session, access)
            assert trust_round.id is not None
            respondent = await store.respondent(session, trust_round.id, actor.user_id)
            check_may_answer(access, respondent)
            assert respondent is not None
            previous = await self._answer_of(session, trust_round.id, actor.user_id)
            names = await store.organisations(session, trust_round.id)
            org = respondent.organisation_id
            return CheckinForm(
                round_id=trust_round.id,
                partnership_name=access.partnership.name,
                speaks_for=names.get(org) if org is not None else None,
                own_item=org is None,
                previous=answers_of(previous) if previous is not None else None,
                closes_at=trust_round.closes_at,
                pairwise=trust_round.pairwise,
                named_pairs=trust_round.named_pairs,
                rate_organisations=(
                    [name for oid, name in names.items() if oid != org]
                    if trust_round.pairwise and org is not None
                    else []
                ),
            )

    async def checkin(
        self, actor: Actor, ref: PartnershipRef, answers: CheckinAnswers
    ) -> CheckinResult:
        """Record (or replace) this person's answer to the open round. The form and the
        one-command options both come here."""
        answers = clean_answers(answers, own_item=True)  # ranges and texts, before anything
        async with transaction(self.sessions) as session:
            # An answer changes only its author's rows: the partnership is locked shared, so
            # a whole partnership answering at once never waits out the lock timeout, and
            # the person's place in the round is held instead.
            # The open round is read with the gate's read (SQLite) or the membership's, under
            # the lock (PostgreSQL), as the last check-in here read it (`AheadPlans`).
            access = await resolve(
                session,
                actor,
                ref,
                writable=True,
                changing=CHANGING,
                shared_lock=True,
                ahead=_CHECKIN_PLANS.get(actor, ref),
                ahead_under_lock=True,
            )
            _CHECKIN_PLANS.remember(
                actor, ref, [queries.open_trust_round_read(partnership_id=access.partnership_id)]
            )
            trust_round = await self._open_round_of(session, access)
            assert trust_round.id is not None
            respondent = await store.respondent(session, trust_round.id, actor.user_id, lock=True)
            check_may_answer(access, respondent)
            assert respondent is not None
            own = respondent.organisation_id is None
            answers = clean_answers(answers, own_item=own)
            row = await self._answer_of(session, trust_round.id, actor.user_id)
            replaced = row is not None
            if row is None:
                row = TrustAnswer(
                    round_id=trust_round.id,
                    user_id=actor.user_id,
                    organisation_id=respondent.organisation_id,
                    own_capacity=own,
                    answered_on=self.clock.now().date(),
                )
            row.answered_on = self.clock.now().date()
            fill(row, answers)
            session.add(row)
            respondent.answered = True
            session.add(respondent)
            return CheckinResult(trust_round.id, replaced, access.partnership.name)

    async def rate(
        self,
        actor: Actor,
        ref: PartnershipRef,
        organisation: str,
        reliability: int,
        openness: int,
        mission: int,
    ) -> RateResult:
        """A representative's rating of another organisation of the open pairwise round
        (replacing their earlier rating of it)."""
        scores = check_rating(reliability, openness, mission)
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, writable=True, changing=CHANGING)
            trust_round = await self._open_round_of(session, access)
            assert trust_round.id is not None
            if not trust_round.pairwise:
                raise UserFacingError(
                    "This round has no pairwise ratings. A convener can open a round with "
                    "`pairwise:true`."
                )
            respondent = await store.respondent(session, trust_round.id, actor.user_id)
            rater = check_may_rate(access, respondent)
            names = await store.organisations(session, trust_round.id)
            wanted = name_key(organisation or "")
            rated = next((oid for oid, name in names.items() if name_key(name) == wanted), None)
            others = ", ".join(name for oid, name in names.items() if oid != rater)
            if rated is None:
                raise UserFacingError(
                    f"“{(organisation or '').strip()[:100]}” isn't one of the organisations of "
                    f"this round. You can rate: {others}."
                )
            if rated == rater:
                raise UserFacingError(
                    f"You can't rate your own organisation. You can rate: {others}."
                )
            row = (
                await session.exec(
                    select(TrustRating).where(
                        TrustRating.round_id == trust_round.id,
                        TrustRating.user_id == actor.user_id,
                        TrustRating.rated_organisation_id == rated,
                    )
                )
            ).first()
            replaced = row is not None
            if row is None:
                row = TrustRating(
                    round_id=trust_round.id,
                    user_id=actor.user_id,
                    rater_organisation_id=rater,
                    rated_organisation_id=rated,
                    rated_on=self.clock.now().date(),
                    **scores,
                )
            else:
                for key, value in scores.items():
                    setattr(row, key, value)
                row.rated_on = self.clock.now().date()
            session.add(row)
            return RateResult(trust_round.id, names[rated], replaced)
