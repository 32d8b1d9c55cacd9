"""What every part of `TrustService` shares: sessions, the clock, and the reads the commands
have in common (the open round, a person's own answer, who is still waiting)."""

from __future__ import annotations

import logging

from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import UserFacingError
from bot.services.access import (
    Access,
)
from bot.services.clock import Clock, SystemClock
from bot.services.timeutil import discord_timestamp
from bot.services.trust import rounds as store
from bot.services.trust.figures import RoundData, figures
from bot.services.trust.views import (
    RoundFigures,
)
from db import queries
from db.engine import SessionFactory
from db.models import TrustAnswer, TrustRound

logger = logging.getLogger(__name__)

MAX_SUMMARY_ROUNDS = 24
CHANGING = "its check-ins"


# Built once: building a statement costs more than running it.
_ANSWER_OF = select(TrustAnswer).where(
    col(TrustAnswer.round_id) == bindparam("round_id"),
    col(TrustAnswer.user_id) == bindparam("user_id"),
)


class TrustBase:
    def __init__(self, sessions: SessionFactory, *, clock: Clock | None = None) -> None:
        self.sessions = sessions
        self.clock = clock or SystemClock()

    async def _figures(
        self, session: AsyncSession, closed: list[TrustRound], k: int
    ) -> list[RoundFigures]:
        """Figures of closed rounds, each with the pairwise round before it for the change."""
        loaded: dict[int, RoundData] = {}

        async def data_of(trust_round: TrustRound) -> RoundData:
            assert trust_round.id is not None
            if trust_round.id not in loaded:
                loaded[trust_round.id] = await store.load(session, trust_round)
            return loaded[trust_round.id]

        found = []
        for trust_round in closed:
            previous = None
            if trust_round.pairwise:
                earlier = await store.previous_pairwise(session, trust_round)
                previous = await data_of(earlier) if earlier is not None else None
            found.append(figures(await data_of(trust_round), k, previous=previous))
        return found

    async def _open_round_of(self, session: AsyncSession, access: Access) -> TrustRound:
        trust_round = await queries.open_trust_round(session, partnership_id=access.partnership_id)
        if trust_round is not None:
            return trust_round
        last = (
            await session.exec(
                select(TrustRound)
                .where(TrustRound.partnership_id == access.partnership_id)
                .order_by(col(TrustRound.id).desc())
            )
        ).first()
        name = access.partnership.name
        if last is not None and last.closed_at is not None:
            raise UserFacingError(
                f"The last check-in round of {name} closed "
                f"{discord_timestamp(last.closed_at)}, so it no longer takes answers. "
                "The next round will be announced in the channel."
            )
        raise UserFacingError(f"No check-in round of {name} is open right now.")

    async def _answer_of(
        self, session: AsyncSession, round_id: int, user_id: int
    ) -> TrustAnswer | None:
        params = {"round_id": round_id, "user_id": user_id}
        return (await session.exec(_ANSWER_OF, params=params)).first()

    async def _waiting(
        self, session: AsyncSession, partnership_id: int, round_id: int
    ) -> list[int]:
        """People who may answer the round and have not, still members of the partnership."""
        members = {
            m.user_id
            for m, _org in await queries.active_members(session, partnership_id=partnership_id)
        }
        return [
            p.user_id
            for p in await store.respondents(session, round_id)
            if not p.answered and p.user_id in members
        ]


def _check_pairwise(pairwise: bool, named_pairs: bool) -> None:
    if named_pairs and not pairwise:
        raise UserFacingError(
            "`named_pairs` only applies to a round with pairwise ratings: add `pairwise:true`."
        )
