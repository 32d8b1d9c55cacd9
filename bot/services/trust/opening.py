"""Opening a round, by a convener or a schedule: who may answer is fixed as it opens."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import UserFacingError
from bot.services.access import (
    Actor,
    PartnershipRef,
    lock,
    resolve,
    round_answerers,
)
from bot.services.timeutil import discord_timestamp
from bot.services.trust import events
from bot.services.trust import rounds as store
from bot.services.trust.base import CHANGING, TrustBase, _check_pairwise
from bot.services.trust.privacy import group_of, threshold
from bot.services.trust.views import (
    RoundView,
)
from bot.services.trust.vocab import parse_window
from db import queries
from db.engine import transaction
from db.models import Partnership


class OpeningCommands(TrustBase):
    async def open_round(
        self,
        actor: Actor,
        ref: PartnershipRef,
        *,
        window: str | None = None,
        pairwise: bool = False,
        named_pairs: bool = False,
        schedule_id: int | None = None,
    ) -> RoundView:
        """A convener opens a round now; who may answer it is fixed as it opens."""
        length = parse_window(window)
        _check_pairwise(pairwise, named_pairs)
        async with transaction(self.sessions) as session:
            access = await resolve(
                session, actor, ref, convener=True, writable=True, changing=CHANGING
            )
            partnership = access.partnership
            if partnership.channel_id is None:
                raise UserFacingError(
                    f"{partnership.name} has no channel, so there is nowhere to invite its "
                    "members to a check-in."
                )
            current = await queries.open_trust_round(session, partnership_id=access.partnership_id)
            if current is not None:
                raise UserFacingError(
                    f"A check-in round of {partnership.name} is already open until "
                    f"{discord_timestamp(current.closes_at)}. Close it with `/trust close` "
                    "before opening another."
                )
            view = await self._open(
                session,
                partnership,
                window=length,
                opened_by=actor.user_id,
                actor_name=actor.display_name,
                pairwise=pairwise,
                named_pairs=named_pairs,
                schedule_id=schedule_id,
            )
            if view is None:
                raise UserFacingError(
                    f"Nobody in {partnership.name} can answer a check-in yet: answers come from "
                    "representatives and substitutes of core and associate partners, and from "
                    "people in their own capacity. Add members with `/member add` first."
                )
            return view

    async def open_scheduled(
        self,
        partnership_id: int,
        schedule_id: int | None,
        window: str | timedelta | None = None,
        *,
        pairwise: bool = False,
        named_pairs: bool = False,
    ) -> RoundView | None:
        """A round opened by a schedule; None (and nothing done) when a round is already open,
        the partnership is archived or gone, or nobody could answer."""
        length = window if isinstance(window, timedelta) else parse_window(window)
        _check_pairwise(pairwise, named_pairs)
        async with transaction(self.sessions) as session:
            partnership = await session.get(Partnership, partnership_id)
            if partnership is None:
                return None
            await lock(session, partnership)
            if partnership.is_archived:
                return None
            if await queries.open_trust_round(session, partnership_id=partnership_id):
                return None
            return await self._open(
                session,
                partnership,
                window=length,
                opened_by=None,
                actor_name=None,
                pairwise=pairwise,
                named_pairs=named_pairs,
                schedule_id=schedule_id,
            )

    async def _open(
        self,
        session: AsyncSession,
        partnership: Partnership,
        *,
        window: timedelta,
        opened_by: int | None,
        actor_name: str | None,
        pairwise: bool,
        named_pairs: bool,
        schedule_id: int | None,
    ) -> RoundView | None:
        assert partnership.id is not None
        now = self.clock.now()
        members = [
            m for m, _org in await queries.active_members(session, partnership_id=partnership.id)
        ]
        statuses = {
            link.organisation_id: link.status
            for link, _org in await queries.partners(session, partnership_id=partnership.id)
        }
        answerers = round_answerers(members, statuses)
        if not answerers:
            return None
        org_ids = {a.organisation_id for a in answerers if a.organisation_id is not None}
        if pairwise and len(org_ids) < 2:
            raise UserFacingError(
                f"Pairwise ratings need at least two organisations with representatives in "
                f"{partnership.name}. Open the round without `pairwise`."
            )
        trust_round = await store.create(
            session,
            partnership,
            answerers,
            now=now,
            window=window,
            opened_by=opened_by,
            pairwise=pairwise,
            named_pairs=named_pairs,
            schedule_id=schedule_id,
        )
        assert trust_round.id is not None
        names = await store.organisations(session, trust_round.id)
        k = threshold(partnership.anonymity_threshold)
        groups = {group_of(a.organisation_id) for a in answerers}
        await events.round_opened(
            session,
            partnership,
            trust_round,
            actor_id=opened_by,
            actor_name=actor_name,
            organisations=list(names.values()),
            answerers=len(answerers),
            k=k,
            at=now,
        )
        return RoundView(
            round_id=trust_round.id,
            partnership_id=partnership.id,
            partnership_name=partnership.name,
            guild_id=partnership.guild_id,
            channel_id=trust_round.channel_id,
            opened_at=trust_round.opened_at,
            closes_at=trust_round.closes_at,
            remind_at=trust_round.remind_at,
            pairwise=pairwise,
            named_pairs=named_pairs,
            organisations=list(names.values()),
            answerers=len(answerers),
            k=k,
            below_threshold=len(groups) < k,
        )
