"""The inter-organisational trust network of one pairwise round, with networkx.

An organisation's rating of another is the mean of its representatives' ratings (per dimension,
then over the three dimensions, so each rating lies between 1 and 4). From the directed graph of
those ratings: trust received and given per organisation, ties (ratings of 3 or more), density
(ties over n(n−1), n the organisations of the round), reciprocity (the share of ties returned),
asymmetry per pair (strong when the two mutual ratings differ by 2 or more), and change since an
earlier round over the organisations present in both.

Everything here is complete and named; `public` keeps what everyone may see (`privacy`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from statistics import fmean
from typing import Any

import networkx as nx

from bot.services.trust.views import NetworkFigures, PairLine, Turnover
from bot.services.trust.vocab import RATING_DIMENSIONS, STRONG_ASYMMETRY, TIE_AT

# (rater organisation, rated organisation, reliability, openness, mission): one person's rating.
Rating = tuple[int, int, int, int, int]


@dataclass(frozen=True)
class Network:
    """The full network of one round: for rules and the facilitator, never shown as it is."""

    graph: nx.DiGraph  # nodes: organisation ids; edge weight: mean rating, 1–4

    @property
    def organisations(self) -> set[int]:
        return set(self.graph.nodes)

    def rating(self, rater: int, rated: int) -> float | None:
        data = self.graph.get_edge_data(rater, rated)
        return None if data is None else float(data["weight"])

    def raters(self) -> int:
        return sum(1 for node in self.graph if self.graph.out_degree(node) > 0)

    def ties(self) -> nx.DiGraph:
        tied = nx.DiGraph()
        tied.add_nodes_from(self.graph.nodes)
        tied.add_edges_from(
            (a, b) for a, b, weight in self.graph.edges(data="weight") if weight >= TIE_AT
        )
        return tied

    def density(self) -> float:
        if self.graph.number_of_nodes() < 2:
            return 0.0
        return float(nx.density(self.ties()))

    def reciprocity(self) -> float | None:
        tied = self.ties()
        if tied.number_of_edges() == 0:
            return None
        return float(nx.overall_reciprocity(tied))

    def received(self) -> dict[int, tuple[float, int]]:
        """Organisation → (mean rating received, how many organisations rated it)."""
        found = {}
        for node in self.graph:
            weights = [w for _a, _b, w in self.graph.in_edges(node, data="weight")]
            if weights:
                found[node] = (fmean(weights), len(weights))
        return found

    def given(self) -> dict[int, tuple[float, int]]:
        """Organisation → (mean rating given, how many it rated): never shown to partners."""
        found = {}
        for node in self.graph:
            weights = [w for _a, _b, w in self.graph.out_edges(node, data="weight")]
            if weights:
                found[node] = (fmean(weights), len(weights))
        return found

    def pairs(self) -> list[tuple[int, int, float | None, float | None]]:
        """Every pair of organisations with at least one rating between them, both ways."""
        found = []
        for a, b in combinations(sorted(self.graph.nodes), 2):
            ab, ba = self.rating(a, b), self.rating(b, a)
            if ab is not None or ba is not None:
                found.append((a, b, ab, ba))
        return found

    def asymmetric_pairs(self) -> int:
        return sum(
            1
            for _a, _b, ab, ba in self.pairs()
            if ab is not None and ba is not None and abs(ab - ba) >= STRONG_ASYMMETRY - 1e-9
        )

    def mean_rating(self) -> float | None:
        weights = [w for _a, _b, w in self.graph.edges(data="weight")]
        return fmean(weights) if weights else None

    def restricted(self, organisations: Iterable[int]) -> Network:
        return Network(nx.DiGraph(self.graph.subgraph(organisations)))


def build(organisations: Iterable[int], ratings: Iterable[Rating]) -> Network:
    """The network of a round: organisations as nodes, each organisation's mean rating of each
    other as a weighted edge (per dimension over its representatives, then over dimensions)."""
    per_dimension: dict[tuple[int, int], dict[str, list[int]]] = defaultdict(
        lambda: {key: [] for key in RATING_DIMENSIONS}
    )
    for rater, rated, reliability, openness, mission in ratings:
        if rater == rated:
            continue
        dims = per_dimension[(rater, rated)]
        dims["reliability"].append(reliability)
        dims["openness"].append(openness)
        dims["mission"].append(mission)
    graph = nx.DiGraph()
    graph.add_nodes_from(organisations)
    for (rater, rated), dims in per_dimension.items():
        if rater in graph and rated in graph:
            weight = fmean(fmean(values) for values in dims.values())
            graph.add_edge(rater, rated, weight=weight)
    return Network(graph)


def turnover(before: set[int], after: set[int]) -> Turnover:
    return Turnover(
        joined=len(after - before), left=len(before - after), stayed=len(before & after)
    )


def change(before: Network, after: Network, k: int) -> dict[str, Any] | None:
    """Change in network figures since `before`, over the organisations present in both; None
    when fewer than `k` organisations are common to both."""
    common = before.organisations & after.organisations
    if len(common) < k:
        return None
    old, new = before.restricted(common), after.restricted(common)
    old_reciprocity, new_reciprocity = old.reciprocity(), new.reciprocity()
    old_mean, new_mean = old.mean_rating(), new.mean_rating()
    return {
        "organisations": len(common),
        "density": round(new.density() - old.density(), 2),
        "reciprocity": (
            round(new_reciprocity - old_reciprocity, 2)
            if new_reciprocity is not None and old_reciprocity is not None
            else None
        ),
        "mean_rating": (
            round(new_mean - old_mean, 1) if new_mean is not None and old_mean is not None else None
        ),
    }


def public(
    network: Network,
    names: dict[int, str],
    k: int,
    *,
    previous: Network | None = None,
) -> NetworkFigures | None:
    """What everyone may see of a round's network: nothing unless at least `k` organisations
    rated; trust received only for organisations rated by at least `k`; no pair named."""
    if network.raters() < k:
        return None
    received = {
        names.get(org, "?"): round(mean, 1)
        for org, (mean, raters) in network.received().items()
        if raters >= k
    }
    reciprocity = network.reciprocity()
    return NetworkFigures(
        raters=network.raters(),
        density=round(network.density(), 2),
        reciprocity=None if reciprocity is None else round(reciprocity, 2),
        asymmetric_pairs=network.asymmetric_pairs(),
        received=dict(sorted(received.items())),
        change=change(previous, network, k) if previous is not None else None,
        turnover=(
            turnover(previous.organisations, network.organisations)
            if previous is not None
            else None
        ),
    )


def named_pairs(
    network: Network,
    names: dict[int, str],
    round_id: int,
) -> list[PairLine]:
    """One line per pair naming both organisations. Only for whom
    `access.may_read_named_pairs` allows: the caller asks it first."""
    lines = []
    for a, b, ab, ba in network.pairs():
        lines.append(
            PairLine(
                round_id=round_id,
                first=names.get(a, "?"),
                second=names.get(b, "?"),
                first_to_second=None if ab is None else round(ab, 1),
                second_to_first=None if ba is None else round(ba, 1),
                asymmetric=ab is not None
                and ba is not None
                and abs(ab - ba) >= STRONG_ASYMMETRY - 1e-9,
            )
        )
    return sorted(lines, key=lambda line: (line.first.casefold(), line.second.casefold()))
