"""Rounds in the database: opening one with its fixed set of who may answer, claiming a close or
a reminder exactly once, removing the link between people and their answers at close, and
loading closed rounds for their figures.

Every function runs in the caller's session; claims are conditional updates, so two processes
(or a close and a scheduled close) can never both act on the same round.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import bindparam, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import timers
from bot.services.access import Answerer
from bot.services.trust.figures import RoundData
from bot.services.trust.vocab import REMIND_AT
from db import queries
from db.models import Partnership, TrustAnswer, TrustRating, TrustRespondent, TrustRound

# The round's one-off timers (`bot.timers`): its reminder at 80 % of the window, its close.
REMIND_TIMER = "trust.remind"
CLOSE_TIMER = "trust.close"


async def create(
    session: AsyncSession,
    partnership: Partnership,
    answerers: list[Answerer],
    *,
    now: datetime,
    window: timedelta,
    opened_by: int | None,
    pairwise: bool,
    named_pairs: bool,
    schedule_id: int | None,
) -> TrustRound:
    """A new round and its respondents: who may answer is fixed now."""
    assert partnership.id is not None
    trust_round = TrustRound(
        guild_id=partnership.guild_id,
        partnership_id=partnership.id,
        schedule_id=schedule_id,
        opened_by=opened_by,
        channel_id=partnership.channel_id,
        pairwise=pairwise,
        named_pairs=named_pairs,
        opened_at=now,
        closes_at=now + window,
        remind_at=now + window * REMIND_AT,
    )
    session.add(trust_round)
    await session.flush()
    assert trust_round.id is not None
    for answerer in answerers:
        session.add(
            TrustRespondent(
                round_id=trust_round.id,
                user_id=answerer.user_id,
                organisation_id=answerer.organisation_id,
            )
        )
    await session.flush()
    await add_timers(session, trust_round, now=now)
    return trust_round


async def add_timers(session: AsyncSession, trust_round: TrustRound, *, now: datetime) -> None:
    """The round's reminder (unless sent) and close, in the caller's transaction."""
    assert trust_round.id is not None
    due = [(CLOSE_TIMER, trust_round.closes_at)]
    if trust_round.reminded_at is None:
        due.insert(0, (REMIND_TIMER, trust_round.remind_at))
    for kind, at in due:
        await timers.add(
            session,
            kind,
            trust_round.id,
            at,
            guild_id=trust_round.guild_id,
            partnership_id=trust_round.partnership_id,
            now=now,
        )


async def seed_timers(
    session: AsyncSession, now: datetime, held: timers.Held = timers.holds_every_server
) -> int:
    """Timers for the rounds open before timers existed, in the servers `held` keeps
    (idempotent): how many rounds."""
    open_rounds = list(
        (
            await session.exec(
                select(TrustRound).where(
                    col(TrustRound.closed_at).is_(None), held(col(TrustRound.guild_id))
                )
            )
        ).all()
    )
    for trust_round in open_rounds:
        await add_timers(session, trust_round, now=now)
    return len(open_rounds)


async def respondents(session: AsyncSession, round_id: int) -> list[TrustRespondent]:
    return list(
        (
            await session.exec(
                select(TrustRespondent)
                .where(TrustRespondent.round_id == round_id)
                .order_by(col(TrustRespondent.id))
            )
        ).all()
    )


# Built once (building a statement costs more than running it), with and without the lock.
_ONE_RESPONDENT = select(TrustRespondent).where(
    col(TrustRespondent.round_id) == bindparam("round_id"),
    col(TrustRespondent.user_id) == bindparam("user_id"),
)
_RESPONDENT = {False: _ONE_RESPONDENT, True: _ONE_RESPONDENT.with_for_update()}


async def respondent(
    session: AsyncSession, round_id: int, user_id: int, *, lock: bool = False
) -> TrustRespondent | None:
    """This person's place in the round; `lock` holds it (PostgreSQL) for the transaction, so
    two answers of one person at once are taken one after the other."""
    params = {"round_id": round_id, "user_id": user_id}
    return (await session.exec(_RESPONDENT[lock], params=params)).first()


async def organisations(session: AsyncSession, round_id: int) -> dict[int, str]:
    """The organisations of a round (fixed when it opened), id → name, by name."""
    ids = (
        await session.exec(
            select(TrustRespondent.organisation_id)
            .where(
                TrustRespondent.round_id == round_id,
                col(TrustRespondent.organisation_id).is_not(None),
            )
            .distinct()
        )
    ).all()
    names = await queries.organisation_names(session, ids=[i for i in ids if i is not None])
    return dict(sorted(names.items(), key=lambda item: item[1].casefold()))


async def claim_close(
    session: AsyncSession, round_id: int, *, now: datetime, closed_by: int | None
) -> bool:
    """Mark the round closed, if nobody has yet: True for the one caller that did."""
    result = await session.exec(
        update(TrustRound)
        .where(col(TrustRound.id) == round_id, col(TrustRound.closed_at).is_(None))
        .values(closed_at=now, closed_by=closed_by)
    )
    return bool(result.rowcount)


async def claim_reminder(session: AsyncSession, round_id: int, *, now: datetime) -> bool:
    """Mark the round reminded, if it is still open and nobody has yet."""
    result = await session.exec(
        update(TrustRound)
        .where(
            col(TrustRound.id) == round_id,
            col(TrustRound.reminded_at).is_(None),
            col(TrustRound.closed_at).is_(None),
        )
        .values(reminded_at=now)
    )
    return bool(result.rowcount)


async def unlink(session: AsyncSession, round_id: int) -> None:
    """Remove the link between people and what they answered, for good: answers and ratings are
    written afresh, in random order and without the person; unshared texts are dropped (nobody
    could ever read them again). `TrustRespondent` keeps only who answered."""
    answers = list(
        (await session.exec(select(TrustAnswer).where(TrustAnswer.round_id == round_id))).all()
    )
    ratings = list(
        (await session.exec(select(TrustRating).where(TrustRating.round_id == round_id))).all()
    )
    fresh_answers = [
        TrustAnswer(
            **a.model_dump(exclude={"id", "user_id", "comment", "small_win_text"}),
            comment=a.comment if a.share_comment else None,
            small_win_text=a.small_win_text if a.share_comment else None,
        )
        for a in answers
    ]
    fresh_ratings = [TrustRating(**r.model_dump(exclude={"id", "user_id"})) for r in ratings]
    for row in (*answers, *ratings):
        await session.delete(row)
    await session.flush()
    rng = random.SystemRandom()
    rng.shuffle(fresh_answers)
    rng.shuffle(fresh_ratings)
    session.add_all([*fresh_answers, *fresh_ratings])
    await session.flush()


async def due_to_close(session: AsyncSession, now: datetime) -> list[TrustRound]:
    return list(
        (
            await session.exec(
                select(TrustRound)
                .where(col(TrustRound.closed_at).is_(None), TrustRound.closes_at <= now)
                .order_by(col(TrustRound.closes_at), col(TrustRound.id))
            )
        ).all()
    )


async def closed_rounds(session: AsyncSession, partnership_id: int, limit: int) -> list[TrustRound]:
    """The partnership's last `limit` closed rounds, oldest first."""
    newest = (
        await session.exec(
            select(TrustRound)
            .where(
                TrustRound.partnership_id == partnership_id,
                col(TrustRound.closed_at).is_not(None),
            )
            .order_by(col(TrustRound.closed_at).desc(), col(TrustRound.id).desc())
            .limit(limit)
        )
    ).all()
    return list(reversed(newest))


async def previous_pairwise(session: AsyncSession, trust_round: TrustRound) -> TrustRound | None:
    """The last closed pairwise round of the partnership opened before this one."""
    return (
        await session.exec(
            select(TrustRound)
            .where(
                TrustRound.partnership_id == trust_round.partnership_id,
                col(TrustRound.pairwise).is_(True),
                col(TrustRound.closed_at).is_not(None),
                col(TrustRound.id) < trust_round.id,
            )
            .order_by(col(TrustRound.id).desc())
        )
    ).first()


async def load(session: AsyncSession, trust_round: TrustRound) -> RoundData:
    """A round's organisations, answers, ratings and respondent count."""
    assert trust_round.id is not None
    people = await respondents(session, trust_round.id)
    answers = list(
        (
            await session.exec(
                select(TrustAnswer)
                .where(TrustAnswer.round_id == trust_round.id)
                .order_by(col(TrustAnswer.id))
            )
        ).all()
    )
    ratings: list[TrustRating] = []
    if trust_round.pairwise:
        ratings = list(
            (
                await session.exec(
                    select(TrustRating)
                    .where(TrustRating.round_id == trust_round.id)
                    .order_by(col(TrustRating.id))
                )
            ).all()
        )
    return RoundData(
        round=trust_round,
        organisations=await organisations(session, trust_round.id),
        answers=answers,
        ratings=ratings,
        respondents=len(people),
    )
