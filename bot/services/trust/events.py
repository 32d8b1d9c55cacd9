"""The partnership log's sentences for trust check-ins: a round opened, a round closed (with its
results as the threshold allows them). Answers and ratings are never logged."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import log
from bot.services.text import jsonable
from bot.services.timeutil import as_utc, zone
from bot.services.trust.figures import payload
from bot.services.trust.views import RoundFigures
from bot.services.trust.vocab import ITEMS
from db.models import Event, Partnership, TrustRound

OPENED = "trust.round_opened"
CLOSED = "trust.round_closed"


async def round_opened(
    session: AsyncSession,
    partnership: Partnership,
    trust_round: TrustRound,
    *,
    actor_id: int | None,
    actor_name: str | None,
    organisations: list[str],
    answerers: int,
    k: int,
    at: datetime,
) -> Event:
    closes = as_utc(trust_round.closes_at).astimezone(zone(partnership.timezone))
    who = actor_name or ("A schedule" if actor_id is None else "A convener")
    extra = ""
    if trust_round.pairwise:
        extra = (
            " with pairwise ratings, named to the facilitator"
            if trust_round.named_pairs
            else " with pairwise ratings"
        )
    return await log.record(
        session,
        partnership,
        OPENED,
        f"{who} opened a trust check-in round{extra} for {answerers} "
        f"{'person' if answerers == 1 else 'people'}, until "
        f"{closes:%Y-%m-%d %H:%M} ({partnership.timezone}).",
        actor_id=actor_id,
        payload={
            "round_id": trust_round.id,
            "schedule_id": trust_round.schedule_id,
            "closes_at": jsonable(trust_round.closes_at),
            "pairwise": trust_round.pairwise,
            "named_pairs": trust_round.named_pairs,
            "organisations": organisations,
            "answerers": answerers,
            "k": k,
        },
        at=at,
    )


async def round_closed(
    session: AsyncSession,
    partnership: Partnership,
    trust_round: TrustRound,
    figures: RoundFigures,
    *,
    actor_id: int | None,
    k: int,
    at: datetime,
) -> Event:
    if figures.shown:
        means = "; ".join(
            f"{item.label.lower()} {figures.means[item.key]}"
            for item in ITEMS
            if figures.means.get(item.key) is not None
        )
        results = f" {figures.organisations_answered} organisations answered" + (
            f": {means}." if means else "."
        )
    else:
        results = f" Fewer than {k} organisations answered, so no results are shown."
    early = " early" if actor_id is not None else ""
    return await log.record(
        session,
        partnership,
        CLOSED,
        f"Trust check-in round #{trust_round.id} closed{early}.{results}",
        actor_id=actor_id,
        payload={"round_id": trust_round.id, "k": k, **payload(figures)},
        at=at,
    )
