"""Trust check-in rounds in an export: whole rounds only, from what the log kept at closing.

A round's figures come from its `trust.round_closed` entry (`bot.services.trust.figures
.payload`: only what could be shown then, never an answer, a text or a pair), so an export never
reads the answer tables, and a partnership moved by `partnerbot import` exports the same.

The threshold is the partnership's *k* now (`privacy.threshold`), as everywhere: raising it
hides older rounds too. A round is shown when its entry says it was shown and at least *k*
organisations answered it. Inside a shown round, a figure that needed *k* and can't be checked
against a *k* raised since the close (small wins, the own-capacity item, the network) is
withheld too. Trust received per organisation is never exported.

**Withheld** counts aggregates withheld: one for each round whose figures are withheld, plus,
inside a shown round, one for each item mean, small-win count, own-capacity item and network
(of a pairwise round) that is not shown. An own-capacity item that nobody could answer is not
counted: the entry can't tell it from one that too few answered, and most partnerships would
count one for every round.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.services.export.document import TrustRoundRow
from bot.services.trust.vocab import ITEM_KEYS, ITEMS


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def shown(payload: dict[str, Any], k: int) -> bool:
    return bool(payload.get("shown")) and _int(payload.get("organisations_answered")) >= k


def round_row(
    payload: dict[str, Any],
    *,
    closed_at: datetime,
    opened_at: datetime | None,
    pairwise: bool,
    k: int,
) -> tuple[TrustRoundRow, int]:
    """One closed round as the threshold allows it now, and how many aggregates it withholds."""
    round_id = _int(payload.get("round_id"))
    answered = _int(payload.get("organisations_answered"))
    if not shown(payload, k):
        row = TrustRoundRow(
            round_id, opened_at or closed_at, closed_at, answered, False, {}, None, None
        )
        return row, 1
    raised = k > _int(payload.get("k"), k)  # k raised since the close: unverifiable figures go
    stored = payload.get("means") if isinstance(payload.get("means"), dict) else {}
    means = {key: _float((stored or {}).get(key)) for key in ITEM_KEYS}
    withheld = sum(1 for value in means.values() if value is None)
    small_wins = None if raised else payload.get("small_wins")
    small_wins = small_wins if isinstance(small_wins, int) else None
    withheld += small_wins is None
    listened = _float(payload.get("listened"))
    if raised and listened is not None:
        listened = None
        withheld += 1
    network = payload.get("network") if isinstance(payload.get("network"), dict) else None
    if raised:
        network = None
    if pairwise and network is None:
        withheld += 1
    row = TrustRoundRow(
        round_id=round_id,
        opened_at=opened_at or closed_at,
        closed_at=closed_at,
        organisations_answered=answered,
        shown=True,
        means=means,
        small_wins=small_wins,
        listened=listened,
        density=_float(network.get("density")) if network else None,
        reciprocity=_float(network.get("reciprocity")) if network else None,
    )
    return row, withheld


def closed_summary(row: TrustRoundRow, k: int) -> str:
    """The log's sentence for a closed round, with only the figures the row shows."""
    head = f"Trust check-in round #{row.round_id} closed."
    if not row.shown:
        return (
            f"{head} Fewer than {k} organisations answered (or the threshold has been raised "
            "since), so no results are shown."
        )
    means = "; ".join(
        f"{item.label.lower()} {row.means[item.key]}"
        for item in ITEMS
        if row.means.get(item.key) is not None
    )
    return f"{head} {row.organisations_answered} organisations answered" + (
        f": {means}." if means else "."
    )


def closed_payload(row: TrustRoundRow, k: int) -> dict[str, Any]:
    """The closed round's payload, with only what the row shows (never per organisation)."""
    payload: dict[str, Any] = {
        "round_id": row.round_id,
        "k": k,
        "shown": row.shown,
        "organisations_answered": row.organisations_answered,
    }
    if row.shown:
        payload |= {
            "means": dict(row.means),
            "small_wins": row.small_wins,
            "listened": row.listened,
            "density": row.density,
            "reciprocity": row.reciprocity,
        }
    return payload
