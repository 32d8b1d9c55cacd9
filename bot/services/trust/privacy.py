"""What may be shown of trust check-ins, decided once here and used by every figure, reply, post,
chart and export (issue 10 §5).

- An individual answer is never shown to anyone but its author; conveners see who has answered,
  never what (`RoundStatus` carries user ids only).
- An aggregate is shown only when it draws on at least *k* distinct organisations (the
  partnership's anonymity threshold, read when the figure is shown: raising it hides older
  rounds too). People without an organisation count together as one organisation.
- Several people of one organisation weigh as one: a mean is taken per organisation first, then
  across organisations.
- The item of people in their own capacity is shown only over at least *k* such persons.
- Network figures need at least *k* rating organisations, and an organisation's trust received
  at least *k* organisations rating it. Nobody sees which organisation rated which, except a
  facilitator, and only for a round opened with `named_pairs` (announced before anyone rates):
  who that is, is `bot.services.access.may_read_named_pairs`.
- Signals about spread say that it is wide, never which organisation is low.
- Figures are computed per whole round only, and never before the round closes.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from statistics import fmean
from typing import TypeVar

from bot.services.vocab import MIN_ANONYMITY_THRESHOLD

# The group of people who answer without an organisation (in their own capacity, citizens).
OWN_GROUP = "own capacity"

Group = Hashable
T = TypeVar("T")


def threshold(anonymity_threshold: int) -> int:
    """The partnership's *k*, never below the minimum whatever is stored."""
    return max(MIN_ANONYMITY_THRESHOLD, anonymity_threshold)


def group_of(organisation_id: int | None) -> Group:
    """Whom an answer counts for: its organisation, or the one group of people without one."""
    return OWN_GROUP if organisation_id is None else organisation_id


def enough(groups: Iterable[Group], k: int) -> bool:
    """Whether at least `k` distinct organisations (or groups) stand behind a figure."""
    return len(set(groups)) >= k


def group_mean(values: Iterable[tuple[Group, float | None]], k: int) -> float | None:
    """The mean across groups of each group's own mean (don't-know answers left out), or None
    when fewer than `k` groups gave a value. Not rounded."""
    per_group = group_means(values)
    if len(per_group) < k:
        return None
    return fmean(per_group.values())


def group_means(values: Iterable[tuple[Group, float | None]]) -> dict[Group, float]:
    """Each group's mean of the values it gave. For rules only (spread, signals): never shown
    per group."""
    by_group: dict[Group, list[float]] = defaultdict(list)
    for group, value in values:
        if value is not None:
            by_group[group].append(value)
    return {group: fmean(vals) for group, vals in by_group.items()}


def spread(values: Iterable[tuple[Group, float | None]], k: int) -> float | None:
    """How far apart the groups' means are (highest minus lowest), over at least `k` groups;
    which group is low is never said."""
    per_group = group_means(values)
    if len(per_group) < k:
        return None
    return max(per_group.values()) - min(per_group.values())


def persons_mean(values: Sequence[int | None], k: int) -> float | None:
    """A mean over persons (the own-capacity item), over at least `k` persons who answered."""
    given = [v for v in values if v is not None]
    return fmean(given) if len(given) >= k else None


def one_decimal(value: float | None) -> float | None:
    return None if value is None else round(value + 0.0, 1)


def shuffled(items: Iterable[T]) -> list[T]:
    """Shared texts in random order, so their order says nothing about who answered when."""
    result = list(items)
    random.SystemRandom().shuffle(result)
    return result


NOT_ENOUGH = (
    "Not enough answers yet: results are shown when at least {k} organisations have answered "
    "(people taking part in their own capacity count together as one)."
)


def not_enough_words(k: int) -> str:
    return NOT_ENOUGH.format(k=k)
