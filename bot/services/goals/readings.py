"""Each organisation's own reading of a goal, and their spread (Vangen & Huxham 2012: goals are
variously perceived; what each partner takes a goal's origin, relevance and content to be is
the data).

An organisation's representative or substitute records its reading (`/goal perceive`); the
convener's classification stays the partnership's working view. Readings are append-only: for
each dimension, the latest reading of each current partner organisation counts, so recording
only the relevance keeps the organisation's earlier origin.

The spread is shown as counts ("3 organisations see it as from an external stakeholder, 1 as
from the members"), never with the organisations' names beside them: the conversation is about
how differently the goal is read, not about which partner reads it which way. The log records
who recorded what, as it does for every change.

An origin detail is a person's own words: one removed (`/log redact`) or older than the
retention period reads as its marker (`bot.services.redaction`), as a stance comment does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bot.services.frozen import quick_init
from bot.services.goals.vocab import PERCEIVED, Content, Origin, Relevance
from bot.services.redaction import Redactions
from bot.services.vocab import label
from db.models import GoalPerception

# How a reading reads after "see it as …".
READING_WORDS: dict[str, dict[str, str]] = {
    "origin": {
        Origin.members: "from the members",
        Origin.external: "from an external stakeholder (funder, statutory duty)",
        Origin.unknown: "of unknown origin",
    },
    "relevance": {
        Relevance.needs_collaboration: "needing the collaboration",
        Relevance.achievable_alone: "achievable by one organisation alone",
        Relevance.unassessed: "not yet assessed",
    },
    "content": {
        Content.process: "about process (how we work)",
        Content.substantive: "substantive (what we achieve)",
    },
}
DETAILS_SHOWN = 3  # origin details quoted in a spread; the rest are counted


@dataclass(frozen=True)
class Reading:
    """One reading of one dimension and how many organisations hold it."""

    dimension: str
    value: str
    organisations: int

    @property
    def words(self) -> str:
        return READING_WORDS.get(self.dimension, {}).get(self.value, label(self.value))


@quick_init
@dataclass(frozen=True)
class Readings:
    """The spread of organisations' readings of one goal."""

    organisations: int = 0  # organisations with a reading of any dimension
    spread: dict[str, tuple[Reading, ...]] = field(default_factory=dict)  # most held first
    details: tuple[str, ...] = ()  # origin details given with the current origin readings

    def __bool__(self) -> bool:
        return self.organisations > 0

    def counts(self) -> list[Reading]:
        """Every reading held, dimension by dimension (origin, relevance, content)."""
        return [r for name in PERCEIVED for r in self.spread.get(name, ())]

    def lines(self, quote: Callable[[str], str] = str) -> list[str]:
        """One sentence per dimension read: “Origin: 3 organisations see it as …, 1 as …”.
        `quote` makes an origin detail safe for where it is shown (it is typed by people)."""
        out = []
        for name in PERCEIVED:
            readings = self.spread.get(name)
            if not readings:
                continue
            first, *rest = readings
            verb = "sees" if first.organisations == 1 else "see"
            parts = [f"{_organisations(first.organisations)} {verb} it as {first.words}"]
            parts += [f"{r.organisations} as {r.words}" for r in rest]
            text = f"{label(name).capitalize()}: {', '.join(parts)}."
            if name == "origin" and self.details:
                shown = [f"“{quote(d)}”" for d in self.details[:DETAILS_SHOWN]]
                more = len(self.details) - len(shown)
                text += " In their words: " + "; ".join(shown)
                text += f" and {more} more." if more else "."
            out.append(text)
        return out


def _organisations(n: int) -> str:
    return f"{n} organisation" + ("" if n == 1 else "s")


def spread(
    rows: Iterable[GoalPerception],
    organisations: set[int],
    redactions: Redactions | None = None,
) -> Readings:
    """The spread of the latest reading of each dimension by each of `organisations` (the
    current partners), from rows in the order recorded; origin details removed by
    `redactions` read as their marker."""
    latest: dict[str, dict[int, GoalPerception]] = {name: {} for name in PERCEIVED}
    for row in rows:
        if row.organisation_id not in organisations:
            continue
        for name in PERCEIVED:
            if getattr(row, name) is not None:
                latest[name][row.organisation_id] = row
    held: dict[str, tuple[Reading, ...]] = {}
    readers: set[int] = set()
    for name, enum in PERCEIVED.items():
        counts = Counter(str(getattr(row, name)) for row in latest[name].values())
        if not counts:
            continue
        readers |= set(latest[name])
        order = {str(v.value): i for i, v in enumerate(enum)}
        held[name] = tuple(
            Reading(name, value, n)
            for value, n in sorted(counts.items(), key=lambda c: (-c[1], order.get(c[0], 99)))
        )
    removed = redactions or Redactions()
    details = tuple(
        removed.perception_detail(row.id, row.recorded_at) or row.origin_detail
        for _org, row in sorted(latest["origin"].items(), key=lambda item: item[1].recorded_at)
        if row.origin_detail
    )
    return Readings(len(readers), held, details)
