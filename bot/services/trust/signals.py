"""Signals worth raising from a partnership's recent rounds, each with a suggested next step and
the theme of a reflective prompt that could follow (a key of `bot.prompts.THEMES`).

Where trust is lacking it has to be managed, not only built (Vangen & Huxham 2003): the steps
point to commitments to review and low-risk joint steps, not to a score to improve. Signals use
only figures that may be shown, and a spread never says which organisation is low.

- **A drop** of one point or more in follow-through or reliance between the last two rounds
  with results: review open commitments together; a trust prompt.
- **A wide spread in fair say**: the organisations' own means lie 2 points or more apart in the
  latest round with results: a power prompt.
- **No small win in three rounds**: the last three closed rounds all had results and nobody
  answered yes: name one low-risk joint step; a small-wins prompt.
- **Strongly asymmetric pairs** in the latest pairwise round with network figures: a count, never
  which pairs; a trust prompt.
"""

from __future__ import annotations

from bot.services.trust.views import RoundFigures, Signal
from bot.services.trust.vocab import ITEMS

DROP = 1.0
WIDE_SPREAD = 2.0
ROUNDS_WITHOUT_WIN = 3

_LABELS = {item.key: item.label.lower() for item in ITEMS}


def signals(rounds: list[RoundFigures]) -> list[Signal]:
    """Signals from closed rounds, oldest first."""
    found: list[Signal] = []
    shown = [r for r in rounds if r.shown]
    if len(shown) >= 2:
        before, latest = shown[-2], shown[-1]
        for key in ("follow_through", "reliance"):
            old, new = before.means.get(key), latest.means.get(key)
            if old is not None and new is not None and old - new >= DROP - 1e-9:
                found.append(
                    Signal(
                        f"{key}_drop",
                        f"{_LABELS[key].capitalize()} fell by {old - new:.1f} points since the "
                        "round before. Review open commitments together (who promised what, "
                        "and what got in the way), and consider a prompt on trust.",
                        "trust",
                    )
                )
    if shown and shown[-1].fair_say_spread is not None:
        gap = shown[-1].fair_say_spread
        if gap >= WIDE_SPREAD - 1e-9:
            found.append(
                Signal(
                    "fair_say_spread",
                    f"Organisations differ widely on having a fair say: their answers lie "
                    f"{gap:.1f} points apart. Talk about how decisions are made and who shapes "
                    "them, and consider a prompt on power.",
                    "power",
                )
            )
    recent = rounds[-ROUNDS_WITHOUT_WIN:]
    if len(recent) == ROUNDS_WITHOUT_WIN and all(r.shown and r.small_wins == 0 for r in recent):
        found.append(
            Signal(
                "no_small_win",
                f"Nobody reported a small win in the last {ROUNDS_WITHOUT_WIN} rounds. Name one "
                "low-risk step you can take together before the next check-in.",
                "small_wins",
            )
        )
    networked = [r for r in rounds if r.network is not None]
    if networked and networked[-1].network is not None:
        count = networked[-1].network.asymmetric_pairs
        if count:
            pairs = "pair of organisations sees" if count == 1 else "pairs of organisations see"
            found.append(
                Signal(
                    "asymmetric_pairs",
                    f"{count} {pairs} each other very differently (ratings 2 or more points "
                    "apart). Make room to talk about what each expects of the other.",
                    "trust",
                )
            )
    return found
