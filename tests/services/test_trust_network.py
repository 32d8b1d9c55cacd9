"""The trust network of pairwise rounds, on a hand-computed four-organisation example, and who
sees named pairs."""

from __future__ import annotations

import pytest

from bot.errors import UserFacingError
from bot.services.trust import PairLine, TrustSummary
from tests.services.test_trust_world import HUBS, World, admin, clock, convener, world

__all__ = ["clock", "world"]  # fixtures

# Each person's ratings: (rated organisation, reliability, openness, mission).
RATINGS = {
    "council1": [("Charity", 4, 4, 4), ("Health", 3, 3, 3), ("Housing", 2, 2, 2)],
    "council2": [("Charity", 2, 2, 2)],  # Council rates Charity (4 + 2) / 2 = 3
    "charity": [("Council", 4, 3, 4), ("Health", 2, 2, 2), ("Housing", 1, 1, 1)],
    "health": [("Council", 3, 3, 3), ("Charity", 1, 2, 3), ("Housing", 4, 4, 4)],
    "housing": [("Council", 4, 4, 4), ("Charity", 4, 4, 4), ("Health", 2, 1, 1)],
}
# By hand, each organisation's rating of another (mean over its people, then the dimensions):
#   Council → Charity 3, → Health 3, → Housing 2
#   Charity → Council 11/3 ≈ 3.67, → Health 2, → Housing 1
#   Health  → Council 3, → Charity 2, → Housing 4
#   Housing → Council 4, → Charity 4, → Health 4/3 ≈ 1.33
# Ties (3 or more): C→Ch, C→He, Ch→C, He→C, He→Ho, Ho→C, Ho→Ch = 7 of 4·3 = 12: density 0.58.
# Returned ties: C↔Ch and C↔He, 4 of the 7 ties: reciprocity 0.57.
# Pairs 2 or more apart: Council–Housing |2 − 4| = 2, Charity–Housing |1 − 4| = 3,
#   Health–Housing |4 − 1.33| = 2.67: three (Council–Charity 0.67, Council–Health 0,
#   Charity–Health 0 are not).
# Received: Council (11/3 + 3 + 4) / 3 = 3.56 → 3.6; Charity (3 + 2 + 4) / 3 = 3.0;
#   Health (3 + 2 + 4/3) / 3 = 2.11 → 2.1; Housing (2 + 1 + 4) / 3 = 2.33 → 2.3.
DENSITY = 0.58
RECIPROCITY = 0.57
ASYMMETRIC = 3
RECEIVED = {"Charity": 3.0, "Council": 3.6, "Health": 2.1, "Housing": 2.3}


async def rate_all(w: World, ratings: dict[str, list[tuple[str, int, int, int]]]) -> None:
    for name, given in ratings.items():
        for organisation, reliability, openness, mission in given:
            await w.trust.rate(w[name], HUBS, organisation, reliability, openness, mission)


async def pairwise_round(w: World, *, named_pairs: bool = False) -> None:
    view = await w.trust.open_round(convener, HUBS, pairwise=True, named_pairs=named_pairs)
    assert view.pairwise and view.named_pairs == named_pairs
    await rate_all(w, RATINGS)
    await w.trust.close_round(convener, HUBS)


def pairs_of(summary: TrustSummary) -> dict[frozenset[str], PairLine]:
    return {frozenset((p.first, p.second)): p for p in summary.named_pairs}


async def test_network_figures_match_the_hand_computed_example(world: World):
    await pairwise_round(world)
    summary = await world.trust.summary(world["health"], HUBS)
    [figures] = summary.rounds
    network = figures.network
    assert network is not None
    assert network.raters == 4
    assert network.density == DENSITY
    assert network.reciprocity == RECIPROCITY
    assert network.asymmetric_pairs == ASYMMETRIC
    assert network.received == RECEIVED
    assert network.change is None and network.turnover is None
    # The signal counts the asymmetric pairs and names none.
    [signal] = [s for s in summary.signals if s.key == "asymmetric_pairs"]
    assert signal.message.startswith("3 pairs")
    assert not any(org in signal.message for org in RECEIVED)


async def test_trust_received_needs_k_raters_and_the_network_k_rating_organisations(
    world: World,
):
    await pairwise_round(world)
    await world.register.configure(convener, HUBS, anonymity_threshold=4)
    network = (await world.trust.summary(world["health"], HUBS)).rounds[0].network
    # Four organisations rated, but each was rated by only three.
    assert network is not None and network.received == {}
    await world.register.configure(convener, HUBS, anonymity_threshold=5)
    assert (await world.trust.summary(world["health"], HUBS)).rounds[0].network is None


async def test_change_is_over_the_organisations_in_both_rounds_with_turnover(world: World):
    await pairwise_round(world)
    await world.register.remove_partner(convener, HUBS, "Housing")
    await world.trust.open_round(convener, HUBS, pairwise=True)
    everyone_high = {
        name: [(org, 4, 4, 4) for org in ("Council", "Charity", "Health") if org != own]
        for name, own in (("council1", "Council"), ("charity", "Charity"), ("health", "Health"))
    }
    await rate_all(world, everyone_high)
    await world.trust.close_round(convener, HUBS)
    network = (await world.trust.summary(world["health"], HUBS)).rounds[-1].network
    assert network is not None and network.turnover is not None
    assert (network.turnover.joined, network.turnover.left, network.turnover.stayed) == (0, 1, 3)
    # Over Council, Charity and Health only, round one had ties C→Ch, C→He, Ch→C, He→C:
    # density 4/6, all returned; mean rating (3 + 3 + 11/3 + 2 + 3 + 2) / 6 = 2.78.
    # Round two: every rating 4, density 1, all returned, mean 4.
    assert network.change == {
        "organisations": 3,
        "density": 0.33,
        "reciprocity": 0.0,
        "mean_rating": 1.2,
    }


async def test_no_named_pair_for_conveners_members_or_server_managers(world: World):
    await pairwise_round(world, named_pairs=True)
    for actor in (convener, world["council1"], admin):
        summary = await world.trust.summary(actor, HUBS)
        assert summary.named_pairs == []
        assert summary.rounds[0].network is not None


async def test_named_pairs_reach_the_facilitator_only_for_named_pairs_rounds(world: World):
    await pairwise_round(world, named_pairs=False)
    assert (await world.trust.summary(world["facilitator"], HUBS)).named_pairs == []

    await pairwise_round(world, named_pairs=True)
    summary = await world.trust.summary(world["facilitator"], HUBS)
    pairs = pairs_of(summary)
    assert len(pairs) == 6
    assert {p.round_id for p in summary.named_pairs} == {summary.rounds[-1].round_id}
    council_housing = pairs[frozenset(("Council", "Housing"))]
    ratings = {
        council_housing.first: council_housing.first_to_second,
        council_housing.second: council_housing.second_to_first,
    }
    assert ratings == {"Council": 2.0, "Housing": 4.0} and council_housing.asymmetric
    charity_council = pairs[frozenset(("Charity", "Council"))]
    assert {charity_council.first_to_second, charity_council.second_to_first} == {3.0, 3.7}
    assert not charity_council.asymmetric
    assert sum(p.asymmetric for p in summary.named_pairs) == ASYMMETRIC


async def test_pairwise_needs_two_organisations(world: World):
    for org in ("Charity", "Health", "Housing"):
        await world.register.remove_partner(convener, HUBS, org)
    with pytest.raises(UserFacingError, match="at least two organisations"):
        await world.trust.open_round(convener, HUBS, pairwise=True)
