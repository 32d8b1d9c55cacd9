"""The health view's chart: participation per organisation over the last six months, as a PNG
drawn in memory with matplotlib's Agg backend (the look of `bot.charts`).

One line per organisation (core and associate partners): goal stances it took plus reflection
answers given by people speaking for it, per calendar month in the partnership's time zone,
this month so far last. Falling participation shows as a line heading down; an organisation
at zero throughout is a flat line on the floor. Check-in answers are never part of it.

Organisation names are user text: a `$` would start matplotlib's mathtext, so it is escaped;
a name starting with `_` would be dropped from the legend, so it is shown after a space.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.charts import DPI, HEIGHT_INCHES, MARKERS, PALETTE, WIDTH_INCHES, tight_layout
from bot.services.health.views import Participation
from bot.services.text import clip

LABEL_MAX = 40
OTHERS_COLOUR = "#777777"
FLOOR = -0.25  # a little room below zero, so a line at zero stays visible


def chart_text(text: str, limit: int = LABEL_MAX) -> str:
    """User text as a chart label: one line, clipped, `$` escaped, shown by the legend."""
    shown = clip(" ".join(text.split()), limit).replace("$", r"\$")
    return f" {shown}" if shown.startswith("_") else shown


def participation_png(participation: Participation, *, title: str) -> bytes:
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
    # An Agg canvas of its own: the layout and the PNG share its renderer, so the text measured
    # for the layout is not measured again for the picture (as `bot.charts.trust_trend_png`).
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    months = participation.months
    positions = list(range(len(months)))
    for n, (name, counts) in enumerate(participation.counts.items()):
        axes.plot(
            positions,
            counts,
            label=chart_text(name),
            color=PALETTE[n % len(PALETTE)],
            marker=MARKERS[n % len(MARKERS)],
            linewidth=2,
        )
    if participation.others:
        axes.plot(
            positions,
            participation.others_counts,
            label=f"{participation.others} other organisations together",
            color=OTHERS_COLOUR,
            linestyle="--",
            linewidth=1.5,
        )
    ticks = [f"{month:%b %Y}" for month in months]
    if ticks:
        ticks[-1] += "\n(so far)"
    axes.set_xticks(positions)
    axes.set_xticklabels(ticks, fontsize=8)
    axes.set_xlim(-0.3, max(len(months) - 0.7, 0.3))
    axes.set_ylim(bottom=FLOOR)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("stances + reflection answers", fontsize=9)
    axes.grid(axis="y", alpha=0.3)
    axes.set_title(chart_text(title, 80))
    if participation.counts or participation.others:
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    if not participation.total:
        message = (
            "No stances or reflection answers in these months"
            if participation.counts
            else "No core or associate partners yet"
        )
        axes.text(
            0.5,
            0.5,
            message,
            transform=axes.transAxes,
            ha="center",
            va="center",
            color="#555555",
        )
        axes.set_ylim(FLOOR, 1)
    tight_layout(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
