"""Charts as PNG images in memory, drawn with matplotlib's Agg backend (no display, no files).

`trust_trend_png` draws the trust check-in trend over rounds: one line per item on the 1–5
agreement scale, a round whose results are hidden (fewer than *k* organisations answered) left
as a gap with the words "not enough answers", and under each round how many organisations
answered it, so a change in who answered (turnover) is read beside the trend.

Only figures that may be shown reach this module: the privacy rule is decided in the trust
service, and a suppressed round arrives here without its means.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SCALE_MIN, SCALE_MAX = 1, 5
WIDTH_INCHES, HEIGHT_INCHES, DPI = 8.0, 4.5, 100
# Colours that stay apart for the common colour-vision deficiencies (Okabe–Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
MARKERS = ("o", "s", "^", "D", "v", "P")


@dataclass(frozen=True)
class TrendRound:
    """One closed round as the chart sees it.

    `means` holds each item's mean (None: nobody gave a view on it); it is empty when the round's
    results are not shown. `organisations` is how many organisations answered; `turnover` an
    optional short note about who came and went since the round before ("+1 −2").
    """

    label: str
    shown: bool
    organisations: int
    means: Mapping[str, float | None] = field(default_factory=dict)
    closed_at: datetime | None = None
    turnover: str | None = None


def trust_trend_png(
    rounds: Sequence[TrendRound],
    labels: Mapping[str, str],
    *,
    title: str = "Trust check-ins",
) -> bytes:
    """The trend of each item in `labels` (key → legend text) over `rounds`, oldest first."""
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
    # Drawn on an Agg canvas of its own, whose renderer the layout and the PNG share: the
    # text measured for the layout is not measured again for the picture.
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(rounds)))
    for n, (key, text) in enumerate(labels.items()):
        values = [_value(r, key) for r in rounds]
        axes.plot(
            positions,
            values,
            label=text,
            color=PALETTE[n % len(PALETTE)],
            marker=MARKERS[n % len(MARKERS)],
            linewidth=2,
        )
    for position, r in zip(positions, rounds, strict=True):
        if not r.shown:
            axes.axvspan(position - 0.4, position + 0.4, color="#DDDDDD", alpha=0.6, linewidth=0)
            axes.text(
                position,
                (SCALE_MIN + SCALE_MAX) / 2,
                "not enough\nanswers",
                ha="center",
                va="center",
                fontsize=8,
                color="#555555",
            )
    axes.set_ylim(SCALE_MIN - 0.2, SCALE_MAX + 0.2)
    axes.set_yticks(range(SCALE_MIN, SCALE_MAX + 1))
    axes.set_yticklabels(["1 disagree", "2", "3", "4", "5 agree"])
    axes.set_xlim(-0.6, max(len(rounds) - 0.4, 0.6))
    axes.set_xticks(positions)
    axes.set_xticklabels([_tick(r) for r in rounds], fontsize=8)
    axes.grid(axis="y", alpha=0.3)
    axes.set_title(title)
    if labels:
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    if not rounds:
        axes.text(0, 3, "No closed rounds yet", ha="center", va="center", color="#555555")
    tight_layout(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def tight_layout(figure: Figure) -> None:
    """`figure.tight_layout()`, then no layout engine left on the figure: matplotlib leaves a
    placeholder engine, for which `savefig` draws the whole figure once more (to no effect)
    before drawing it for the file."""
    figure.tight_layout()
    figure.set_layout_engine(None)


def _value(r: TrendRound, key: str) -> float:
    value = r.means.get(key) if r.shown else None
    return float("nan") if value is None else float(value)


def _tick(r: TrendRound) -> str:
    lines = [r.label]
    if r.closed_at is not None:
        lines.append(f"{r.closed_at:%d %b}")
    orgs = f"{r.organisations} org" + ("" if r.organisations == 1 else "s")
    lines.append(f"{orgs} {r.turnover}" if r.turnover else orgs)
    return "\n".join(lines)
