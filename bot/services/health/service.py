"""`HealthService`: signals of collaborative inertia for one partnership, on one screen.

Any member (or a Manage Server holder) may read it; anyone else learns nothing, through the
access gate. The trust signals are `/trust summary`'s own, read through `TrustService`, so
they respect the anonymity threshold exactly as the summary does.
"""

from __future__ import annotations

from bot.services.access import Actor, PartnershipRef, resolve
from bot.services.clock import Clock, SystemClock
from bot.services.health import facts as reads
from bot.services.health import signals as checks
from bot.services.health.views import HealthSignal, HealthView
from bot.services.health.vocab import TRUST_ROUNDS
from bot.services.trust import TrustService
from db.engine import SessionFactory
from db.models import Partnership


class HealthService:
    """The health view: `HealthService(sessions, *, clock)`."""

    def __init__(self, sessions: SessionFactory, *, clock: Clock | None = None) -> None:
        self.sessions = sessions
        self.clock = clock or SystemClock()
        self.trust = TrustService(sessions, clock=self.clock)

    async def health(self, actor: Actor, ref: PartnershipRef) -> HealthView:
        """What is worth discussing in the partnership now, with a suggested next step each."""
        now = self.clock.now()
        async with self.sessions() as session:
            access = await resolve(session, actor, ref)
            partnership = access.partnership
            facts = await reads.load(session, partnership, now)
        # The same partnership, by its name: the summary passes the gate again.
        trust = await self.trust.summary(
            actor, PartnershipRef(name=partnership.name), rounds=TRUST_ROUNDS
        )
        return HealthView(
            partnership_name=partnership.name,
            today=facts.today,
            signals=checks.signals(facts, trust),
            checked=checks.checked(facts, trust),
            participation=checks.participation(facts),
        )

    async def channel_signals(self, partnership_id: int) -> list[HealthSignal]:
        """The signals `/partnership health` shows any member, for what the bot posts in the
        partnership's own channel (the weekly digest): read from the same facts, with the trust
        summary as every member reads it. No free text, no check-in content."""
        now = self.clock.now()
        async with self.sessions() as session:
            partnership = await session.get(Partnership, partnership_id)
            if partnership is None:
                return []
            facts = await reads.load(session, partnership, now)
        trust = await self.trust.channel_summary(partnership_id, rounds=TRUST_ROUNDS)
        if trust is None:
            return []
        return checks.signals(facts, trust)
