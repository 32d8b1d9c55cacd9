"""Closing rounds (early by a convener, or when their window ends) and the one reminder at
80 % of the window, each claimed exactly once."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import UserFacingError
from bot.services.access import (
    Actor,
    PartnershipRef,
    lock,
    resolve,
)
from bot.services.trust import events
from bot.services.trust import rounds as store
from bot.services.trust.base import CHANGING, TrustBase, logger
from bot.services.trust.privacy import threshold
from bot.services.trust.views import (
    Reminder,
    RoundResults,
)
from db import queries
from db.engine import transaction
from db.models import Partnership, TrustRound


class ClosingCommands(TrustBase):
    async def close_round(self, actor: Actor, ref: PartnershipRef) -> RoundResults:
        """A convener closes the open round early; its results are worked out now."""
        async with transaction(self.sessions) as session:
            access = await resolve(
                session, actor, ref, convener=True, writable=True, changing=CHANGING
            )
            trust_round = await queries.open_trust_round(
                session, partnership_id=access.partnership_id
            )
            if trust_round is None or not await store.claim_close(
                session, trust_round.id or 0, now=self.clock.now(), closed_by=actor.user_id
            ):
                raise UserFacingError(f"No check-in round of {access.partnership.name} is open.")
            return await self._finish(session, access.partnership, trust_round, actor.user_id)

    async def close_due(self) -> list[RoundResults]:
        """Close every round whose window has ended, each exactly once."""
        async with self.sessions() as session:
            due = [r.id for r in await store.due_to_close(session, self.clock.now())]
        closed = []
        for round_id in due:
            try:
                result = await self._close_one(round_id)
            except Exception:
                logger.exception("Could not close trust round %s", round_id)
                continue
            if result is not None:
                closed.append(result)
        return closed

    async def _close_one(self, round_id: int | None) -> RoundResults | None:
        assert round_id is not None
        async with transaction(self.sessions) as session:
            trust_round = await session.get(TrustRound, round_id)
            if trust_round is None:
                return None
            partnership = await session.get(Partnership, trust_round.partnership_id)
            assert partnership is not None
            await lock(session, partnership)
            if not await store.claim_close(session, round_id, now=self.clock.now(), closed_by=None):
                return None  # another process closed it first
            return await self._finish(session, partnership, trust_round, None)

    async def _finish(
        self,
        session: AsyncSession,
        partnership: Partnership,
        trust_round: TrustRound,
        closed_by: int | None,
    ) -> RoundResults:
        """After the claim: unlink people from answers, work out and log the results."""
        assert trust_round.id is not None
        await session.refresh(trust_round)
        await store.unlink(session, trust_round.id)
        results = await self._results(session, partnership, trust_round, closed_by)
        await events.round_closed(
            session,
            partnership,
            trust_round,
            results.figures,
            actor_id=closed_by,
            k=results.k,
            at=self.clock.now(),
        )
        return results

    async def results_of(self, round_id: int) -> RoundResults | None:
        """A closed round's results again (to post them once more after a passing failure);
        None when it is not closed."""
        async with self.sessions() as session:
            trust_round = await session.get(TrustRound, round_id)
            if trust_round is None or trust_round.closed_at is None:
                return None
            partnership = await session.get(Partnership, trust_round.partnership_id)
            assert partnership is not None
            return await self._results(session, partnership, trust_round, trust_round.closed_by)

    async def _results(
        self,
        session: AsyncSession,
        partnership: Partnership,
        trust_round: TrustRound,
        closed_by: int | None,
    ) -> RoundResults:
        assert trust_round.id is not None
        k = threshold(partnership.anonymity_threshold)
        result = (await self._figures(session, [trust_round], k))[0]
        return RoundResults(
            round_id=trust_round.id,
            partnership_name=partnership.name,
            channel_id=trust_round.channel_id,
            guild_id=partnership.guild_id,
            shown=result.shown,
            figures=result,
            k=k,
            partnership_id=partnership.id or 0,
            early=closed_by is not None,
        )

    async def remind_round(self, round_id: int) -> Reminder | None:
        """Claim one round's reminder: who to remind, or None when it is closed, reminded
        already, archived, or everyone has answered."""
        async with transaction(self.sessions) as session:
            trust_round = await session.get(TrustRound, round_id)
            if trust_round is None:
                return None
            partnership = await session.get(Partnership, trust_round.partnership_id)
            assert partnership is not None and partnership.id is not None
            await lock(session, partnership)
            await session.refresh(trust_round)
            if trust_round.closes_at <= self.clock.now():
                return None  # its close comes instead
            if not await store.claim_reminder(session, round_id, now=self.clock.now()):
                return None
            if partnership.is_archived:
                return None  # marked reminded: an archived partnership takes no answers
            waiting = await self._waiting(session, partnership.id, round_id)
            if not waiting:
                return None
            return Reminder(
                round_id=round_id,
                partnership_name=partnership.name,
                guild_id=partnership.guild_id,
                channel_id=trust_round.channel_id,
                closes_at=trust_round.closes_at,
                user_ids=waiting,
            )

    async def close_ended(self, round_id: int) -> RoundResults | None:
        """Close one round whose window has ended; None when it was closed already (early by a
        convener, or by another process)."""
        return await self._close_one(round_id)
