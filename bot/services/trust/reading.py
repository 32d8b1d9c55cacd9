"""Reading: who has answered (conveners), and the summary with its signals (members)."""

from __future__ import annotations

from bot.errors import UserFacingError
from bot.services.access import (
    Actor,
    PartnershipRef,
    may_read_named_pairs,
    require_convener,
    resolve,
)
from bot.services.trust import network as net
from bot.services.trust import rounds as store
from bot.services.trust.base import MAX_SUMMARY_ROUNDS, TrustBase
from bot.services.trust.privacy import threshold
from bot.services.trust.signals import signals
from bot.services.trust.views import (
    PairLine,
    RoundStatus,
    TrustSummary,
)
from db import queries
from db.models import Partnership


class ReadingCommands(TrustBase):
    async def status(self, actor: Actor, ref: PartnershipRef) -> RoundStatus:
        """Who has answered the open round and who hasn't: never what anyone answered."""
        async with self.sessions() as session:
            access = await resolve(session, actor, ref)
            require_convener(access, "see who has answered a check-in")
            trust_round = await self._open_round_of(session, access)
            assert trust_round.id is not None
            people = await store.respondents(session, trust_round.id)
            return RoundStatus(
                round_id=trust_round.id,
                closes_at=trust_round.closes_at,
                answered=[p.user_id for p in people if p.answered],
                waiting=await self._waiting(session, access.partnership_id, trust_round.id),
                partnership_name=access.partnership.name,
            )

    async def summary(self, actor: Actor, ref: PartnershipRef, rounds: int = 6) -> TrustSummary:
        """The last closed rounds' figures as the threshold allows, the signals they raise, and,
        for a facilitator only, the named pairs of rounds opened with `named_pairs`."""
        if not 1 <= rounds <= MAX_SUMMARY_ROUNDS:
            raise UserFacingError(
                f"A summary covers 1 to {MAX_SUMMARY_ROUNDS} rounds; you asked for {rounds}."
            )
        async with self.sessions() as session:
            access = await resolve(session, actor, ref)
            partnership = access.partnership
            k = threshold(partnership.anonymity_threshold)
            closed = await store.closed_rounds(session, access.partnership_id, rounds)
            shown = await self._figures(session, closed, k)
            pairs: list[PairLine] = []
            for trust_round in closed:
                if trust_round.pairwise and may_read_named_pairs(access, trust_round):
                    data = await store.load(session, trust_round)
                    pairs += net.named_pairs(data.network(), data.organisations, data.round_id)
            current = await queries.open_trust_round(session, partnership_id=access.partnership_id)
            return TrustSummary(
                partnership_name=partnership.name,
                k=k,
                rounds=shown,
                signals=signals(shown),
                named_pairs=pairs,
                open_round_id=current.id if current else None,
                open_closes_at=current.closes_at if current else None,
            )

    async def channel_summary(self, partnership_id: int, rounds: int = 6) -> TrustSummary | None:
        """The summary every member reads, for what the bot posts in the partnership's own
        channel (the digest): the same figures and signals under the same threshold, and never
        named pairs. None when there is no such partnership."""
        async with self.sessions() as session:
            partnership = await session.get(Partnership, partnership_id)
            if partnership is None:
                return None
            k = threshold(partnership.anonymity_threshold)
            closed = await store.closed_rounds(session, partnership_id, rounds)
            shown = await self._figures(session, closed, k)
            current = await queries.open_trust_round(session, partnership_id=partnership_id)
            return TrustSummary(
                partnership_name=partnership.name,
                k=k,
                rounds=shown,
                signals=signals(shown),
                named_pairs=[],
                open_round_id=current.id if current else None,
                open_closes_at=current.closes_at if current else None,
            )
