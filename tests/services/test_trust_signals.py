"""Signals from trust check-in rounds, each triggered by synthetic rounds, with a suggested next
step and a prompt theme from the library."""

from __future__ import annotations

from dataclasses import replace

from bot.prompts import THEMES
from bot.services.trust import NetworkFigures, RoundFigures
from bot.services.trust.signals import signals
from tests.services.test_trust_world import HUBS, World, clock, convener, world

__all__ = ["clock", "world"]  # fixtures

ITEMS = ("expectations", "follow_through", "reliance", "fair_say")


def round_of(round_id: int, *, shown: bool = True, small_wins: int | None = 1, **means: float):
    return RoundFigures(
        round_id=round_id,
        closed_at=None,
        organisations_answered=3 if shown else 1,
        shown=shown,
        means={key: (means.get(key, 3.0) if shown else None) for key in ITEMS},
        small_wins=small_wins if shown else None,
        shared_comments=[],
        listened=None,
        network=None,
        fair_say_spread=1.0 if shown else None,
    )


def keys(rounds: list[RoundFigures]) -> list[str]:
    return [s.key for s in signals(rounds)]


def test_steady_rounds_raise_nothing():
    assert keys([round_of(1), round_of(2), round_of(3)]) == []


def test_a_drop_of_a_point_in_follow_through_or_reliance():
    found = signals(
        [
            round_of(1, follow_through=4.0, reliance=3.5),
            round_of(2, follow_through=3.0, reliance=2.4),
        ]
    )
    assert [s.key for s in found] == ["follow_through_drop", "reliance_drop"]
    assert all(s.suggested_theme == "trust" for s in found)
    assert "commitments" in found[0].message
    # 0.9 is not a drop of a point; a round without results in between is skipped.
    assert keys([round_of(1, reliance=3.0), round_of(2, reliance=2.1)]) == []
    assert keys(
        [round_of(1, reliance=4.0), round_of(2, shown=False), round_of(3, reliance=3.0)]
    ) == ["reliance_drop"]


def test_a_wide_spread_in_fair_say_names_nobody():
    wide = replace(round_of(1), fair_say_spread=2.5)
    [signal] = signals([wide])
    assert signal.key == "fair_say_spread" and signal.suggested_theme == "power"
    assert "2.5 points" in signal.message
    assert keys([replace(round_of(1), fair_say_spread=1.9)]) == []


def test_no_small_win_in_three_rounds():
    none = [round_of(i, small_wins=0) for i in (1, 2, 3)]
    [signal] = signals(none)
    assert signal.key == "no_small_win" and signal.suggested_theme == "small_wins"
    assert "low-risk" in signal.message
    assert keys(none[1:]) == []  # two rounds are not three
    assert keys([round_of(0, small_wins=1), *none[:2], round_of(4, small_wins=1)]) == []
    assert keys([none[0], round_of(2, shown=False), none[2]]) == []  # unknown is not none


def test_strongly_asymmetric_pairs_are_counted():
    network = NetworkFigures(
        raters=4, density=0.5, reciprocity=0.5, asymmetric_pairs=1, received={}
    )
    [signal] = signals([replace(round_of(1), network=network)])
    assert signal.key == "asymmetric_pairs" and signal.message.startswith("1 pair of")
    assert keys([replace(round_of(1), network=replace(network, asymmetric_pairs=0))]) == []


def test_every_suggested_theme_is_in_the_prompt_library():
    rounds = [
        round_of(1, follow_through=5.0, reliance=5.0, small_wins=0),
        round_of(2, small_wins=0),
        replace(
            round_of(3, follow_through=2.0, reliance=2.0, small_wins=0),
            fair_say_spread=3.0,
            network=NetworkFigures(
                raters=3, density=0.5, reciprocity=None, asymmetric_pairs=2, received={}
            ),
        ),
    ]
    found = signals(rounds)
    assert {s.key for s in found} == {
        "follow_through_drop",
        "reliance_drop",
        "fair_say_spread",
        "no_small_win",
        "asymmetric_pairs",
    }
    assert {s.suggested_theme for s in found} <= set(THEMES)


async def test_rounds_of_answers_raise_the_signals_in_the_summary(world: World):
    """Three real rounds: the last has follow-through a point lower, fair say far apart between
    organisations, and no small win in any of them."""
    plan = [
        {"council1": (4, 4), "charity": (4, 4), "health": (4, 4)},
        {"council1": (4, 4), "charity": (4, 4), "health": (4, 4)},
        {"council1": (3, 5), "charity": (3, 1), "health": (3, 3)},
    ]
    for answers in plan:
        await world.trust.open_round(convener, HUBS)
        for name, (follow_through, fair_say) in answers.items():
            await world.answer(
                name, follow_through=follow_through, fair_say=fair_say, small_win=False
            )
        await world.trust.close_round(convener, HUBS)
    summary = await world.trust.summary(world["health"], HUBS, rounds=3)
    assert [r.means["follow_through"] for r in summary.rounds] == [4.0, 4.0, 3.0]
    assert [s.key for s in summary.signals] == [
        "follow_through_drop",
        "fair_say_spread",
        "no_small_win",
    ]
    spread = next(s for s in summary.signals if s.key == "fair_say_spread")
    assert "4.0 points" in spread.message
    assert not any(org in spread.message for org in ("Council", "Charity", "Health"))
