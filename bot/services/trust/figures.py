"""A closed round's figures, as `privacy` allows them to be shown: per-item means (per
organisation first, then across organisations), small wins, shared texts, the own-capacity item
and the network."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.services.trust import network as net
from bot.services.trust.privacy import (
    enough,
    group_mean,
    group_of,
    one_decimal,
    persons_mean,
    shuffled,
    spread,
)
from bot.services.trust.views import RoundFigures
from bot.services.trust.vocab import ITEM_KEYS
from db.models import TrustAnswer, TrustRating, TrustRound


@dataclass
class RoundData:
    """Everything one round's figures are computed from (answers already without persons)."""

    round: TrustRound
    organisations: dict[int, str]  # the organisations of the round, id → name
    answers: list[TrustAnswer] = field(default_factory=list)
    ratings: list[TrustRating] = field(default_factory=list)
    respondents: int = 0  # people who may answer

    @property
    def round_id(self) -> int:
        assert self.round.id is not None
        return self.round.id

    def network(self) -> net.Network:
        return net.build(
            self.organisations,
            (
                (
                    r.rater_organisation_id,
                    r.rated_organisation_id,
                    r.reliability,
                    r.openness,
                    r.mission,
                )
                for r in self.ratings
            ),
        )


def organisations_answered(answers: list[TrustAnswer]) -> int:
    return len({group_of(a.organisation_id) for a in answers})


def figures(data: RoundData, k: int, *, previous: RoundData | None = None) -> RoundFigures:
    """The round's figures with threshold `k`; `previous` is the last pairwise round before it
    (for the change in the network)."""
    answers = data.answers
    groups = [group_of(a.organisation_id) for a in answers]
    shown = enough(groups, k)
    means: dict[str, float | None] = {key: None for key in ITEM_KEYS}
    small_wins = None
    shared: list[str] = []
    fair_say_spread = None
    if shown:
        for key in ITEM_KEYS:
            means[key] = one_decimal(
                group_mean(((group_of(a.organisation_id), getattr(a, key)) for a in answers), k)
            )
        win_groups = [group_of(a.organisation_id) for a in answers if a.small_win is not None]
        if enough(win_groups, k):
            small_wins = sum(1 for a in answers if a.small_win)
        shared = shuffled(_shared_texts(answers))
        fair_say_spread = spread(((group_of(a.organisation_id), a.fair_say) for a in answers), k)
    listened = one_decimal(persons_mean([a.listened for a in answers if a.own_capacity], k))
    network = None
    if data.round.pairwise:
        network = net.public(
            data.network(),
            data.organisations,
            k,
            previous=previous.network() if previous is not None else None,
        )
    return RoundFigures(
        round_id=data.round_id,
        closed_at=data.round.closed_at,
        organisations_answered=len(set(groups)),
        shown=shown,
        means=means,
        small_wins=small_wins,
        shared_comments=shared,
        listened=listened,
        network=network,
        respondents=len(answers),
        fair_say_spread=fair_say_spread,
    )


def _shared_texts(answers: list[TrustAnswer]) -> list[str]:
    """The texts people chose to share anonymously: their comment and their small win."""
    texts = []
    for a in answers:
        if not a.share_comment:
            continue
        if a.small_win_text:
            texts.append(f"Small win: {a.small_win_text}")
        if a.comment:
            texts.append(a.comment)
    return texts


def payload(figures: RoundFigures) -> dict[str, object]:
    """The round's figures for the log: only what may be shown, never a text or a pair."""
    network = figures.network
    return {
        "shown": figures.shown,
        "organisations_answered": figures.organisations_answered,
        "means": figures.means if figures.shown else {},
        "small_wins": figures.small_wins,
        "shared_comments": len(figures.shared_comments),
        "listened": figures.listened,
        "network": (
            {
                "density": network.density,
                "reciprocity": network.reciprocity,
                "asymmetric_pairs": network.asymmetric_pairs,
                "received": network.received,
            }
            if network is not None
            else None
        ),
    }
