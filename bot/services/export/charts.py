"""The HTML report's pictures, drawn with matplotlib's Agg backend in memory.

- the **trust trend**: `bot.charts.trust_trend_png`, the chart `/trust summary` posts (shown
  rounds as lines, withheld rounds as grey gaps), inlined as a PNG data URI; it carries no user
  text;
- **goal status**: how many goals have each status;
- the **goal web**: goals as nodes, one row per level (collaboration at the top, then
  organisation, then individual), coloured by level; links as arrows labelled by relation. The
  order within a row comes from networkx's spring layout with a fixed seed, so the same goals
  draw the same picture;
- the **membership timeline**: each organisation as a bar from joining to leaving (or to the
  end of the export), coloured by its status.

The last three are inline SVG. Their labels are user text: `chart_text` puts it on one line,
clips it and escapes `$` (which matplotlib would read as mathematics). Text is drawn as glyph
outlines, and `sanitise_svg` rebuilds the SVG from a parsed tree keeping only drawing
elements and plain attributes (no comments, scripts, styles, event handlers or outside
references), with ids renamed per chart so several charts live in one page. So nothing a user
typed can reach the page's markup through a chart.

A chart with nothing to draw is left out, and `Chart.missing` says why in one line.
"""

from __future__ import annotations

import base64
import html
import io
import re
import textwrap
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import networkx as nx
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FixedFormatter, FixedLocator, MaxNLocator

from bot.charts import PALETTE, TrendRound, tight_layout, trust_trend_png
from bot.services.export.document import Document, GoalRow, LinkRow, OrganisationRow
from bot.services.export.layout import Layout
from bot.services.goals.vocab import GoalStatus, Level
from bot.services.text import one_line
from bot.services.timeutil import end_of_day
from bot.services.trust.vocab import ITEMS

DPI = 100
SEED = 11  # the goal web's layout seed: the same goals always draw the same picture
LABEL_MAX = 40  # characters of an organisation's name on the timeline
GOAL_LABEL_MAX = 48  # characters of a goal's title in the web
GOAL_LABEL_WIDTH = 18  # characters per line of a goal's title in the web
PER_ROW = 5  # goals side by side in one row of the web; more take another row

LEVEL_ROWS: dict[str, int] = {Level.collaboration: 2, Level.organisation: 1, Level.individual: 0}
LEVEL_COLOURS: dict[str, str] = {
    Level.collaboration: PALETTE[0],
    Level.organisation: PALETTE[1],
    Level.individual: PALETTE[2],
}
STATUS_COLOURS: dict[str, str] = {
    "core": PALETTE[0],
    "associate": PALETTE[4],
    "observer": PALETTE[3],
    "invited": PALETTE[1],
    "former": "#999999",
}
OTHER_COLOUR = "#777777"
TREND_LABELS = {item.key: item.label for item in ITEMS}


@dataclass(frozen=True)
class Chart:
    key: str  # trust, goal_status, goal_web, membership
    title: str
    alt: str  # what the picture shows, for people who can't see it
    svg: str | None = None  # sanitised inline SVG markup
    png: bytes | None = None
    missing: str | None = None  # why there is no picture

    @property
    def data_uri(self) -> str | None:
        if self.png is None:
            return None
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def draw(document: Document, layout: Layout) -> list[Chart]:
    """Every chart of the report, in the order the report shows them (blocking: matplotlib)."""
    return [
        membership_timeline(document.organisations, layout),
        goal_status(document.goals),
        goal_web(document.goals, document.links),
        trust_trend(document, layout),
    ]


def chart_text(text: str, limit: int) -> str:
    """User text as a chart label: one line, at most `limit` characters, `$` escaped."""
    return one_line(text, limit).replace("$", r"\$")


# ---------------------------------------------------------------------------- the charts


def trust_trend(document: Document, layout: Layout) -> Chart:
    title = "Trust check-ins over time"
    rounds = sorted(document.trust, key=lambda r: r.closed_at)
    k = document.header.k
    if not rounds:
        return Chart("trust", title, "", missing="No check-in round closed in this period.")
    if not any(r.shown for r in rounds):
        return Chart(
            "trust",
            title,
            "",
            missing=f"Every round in this period was withheld (fewer than {k} organisations "
            "answered), so there is no trend to draw.",
        )
    png = trust_trend_png(
        [
            TrendRound(
                label=f"#{r.round_id}",
                shown=r.shown,
                organisations=r.organisations_answered,
                means={key: r.means.get(key) for key in TREND_LABELS} if r.shown else {},
                closed_at=layout.local(r.closed_at),
            )
            for r in rounds
        ],
        TREND_LABELS,
        title=title,
    )
    withheld = sum(not r.shown for r in rounds)
    alt = (
        f"Line chart of the check-in means on the 1 (disagree) to 5 (agree) scale for "
        f"{_count(len(rounds), 'closed round')}, oldest first, one line per question"
        + (
            f"; {_count(withheld, 'round')} withheld (fewer than {k} organisations answered) "
            "shown as grey gaps"
            if withheld
            else ""
        )
        + ". The figures are in the table of rounds."
    )
    return Chart("trust", title, alt, png=png)


def goal_status(goals: Sequence[GoalRow]) -> Chart:
    title = "Goals by status"
    if not goals:
        return Chart("goal_status", title, "", missing="No goals in this export.")
    order = {status.value: n for n, status in enumerate(GoalStatus)}
    counts = Counter(goal.status for goal in goals)
    statuses = sorted(counts, key=lambda s: (order.get(s, len(order)), s))
    figure = Figure(figsize=(7.0, 0.5 * len(statuses) + 1.4), dpi=DPI)
    axes = figure.add_subplot()
    y = list(range(len(statuses)))[::-1]
    values = [counts[s] for s in statuses]
    axes.barh(y, values, color=PALETTE[0])
    axes.set_yticks(y)
    axes.set_yticklabels([chart_text(Layout.value(s), 30) for s in statuses])
    for position, value in zip(y, values, strict=True):
        axes.text(value, position, f" {value}", va="center", fontsize=9)
    axes.set_xlim(0, max(values) * 1.15 + 0.5)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("goals")
    axes.set_title(title)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    tight_layout(figure)
    alt = "Bar chart of goals by status: " + ", ".join(
        f"{counts[s]} {Layout.value(s)}" for s in statuses
    )
    return Chart("goal_status", title, alt + ".", svg=_svg(figure, "goal_status", alt))


def goal_web(goals: Sequence[GoalRow], links: Sequence[LinkRow]) -> Chart:
    title = "The goal web"
    if not goals:
        return Chart("goal_web", title, "", missing="No goals in this export, so no goal web.")
    graph = nx.DiGraph()
    for goal in goals:
        graph.add_node(goal.id)
    shown_links = [
        link for link in links if link.from_goal in graph and link.to_goal in graph
    ]  # a link to a goal this audience doesn't see is left out with the goal
    for link in shown_links:
        graph.add_edge(link.from_goal, link.to_goal, relation=link.relation)
    positions = _web_positions(goals, graph)
    widest = min(max(Counter(_row(g) for g in goals).values()), PER_ROW)
    rows = len({y for _, y in positions.values()})
    figure = Figure(figsize=(max(8.0, 2.4 * widest), 1.9 * rows + 1.0), dpi=DPI)
    axes = figure.add_subplot()
    by_id = {goal.id: goal for goal in goals}
    nx.draw_networkx_edges(
        graph,
        positions,
        ax=axes,
        edge_color="#555555",
        arrows=True,
        arrowsize=16,
        node_size=900,
        connectionstyle="arc3,rad=0.12",
    )
    nx.draw_networkx_nodes(
        graph,
        positions,
        ax=axes,
        node_size=900,
        node_color=[LEVEL_COLOURS.get(by_id[n].level, OTHER_COLOUR) for n in graph.nodes],
        edgecolors="#333333",
    )
    nx.draw_networkx_labels(
        graph,
        positions,
        labels={n: f"#{n}" for n in graph.nodes},
        ax=axes,
        font_size=9,
        font_color="white",
        font_weight="bold",
    )
    for n, (x, y) in positions.items():
        axes.text(
            x + 0.035,
            y,
            _goal_label(by_id[n].title),
            ha="left",
            va="center",
            fontsize=8,
            linespacing=1.1,
        )
    if shown_links:
        nx.draw_networkx_edge_labels(
            graph,
            positions,
            edge_labels={
                (link.from_goal, link.to_goal): chart_text(Layout.relation(link.relation), 30)
                for link in shown_links
            },
            ax=axes,
            font_size=7,
            connectionstyle="arc3,rad=0.12",
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.9},
        )
    levels = [level for level in Level if any(g.level == level for g in goals)]
    axes.legend(
        handles=[
            Patch(color=LEVEL_COLOURS[level], label=f"{level.value} level") for level in levels
        ],
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=8,
        frameon=False,
    )
    axes.set_xlim(0.0, 1.05)
    axes.set_ylim(-0.4, rows - 0.6)
    axes.set_axis_off()
    axes.set_title(title)
    tight_layout(figure)
    per_level = Counter(g.level for g in goals)
    relations = Counter(Layout.relation(link.relation) for link in shown_links)
    alt = (
        f"Network of {_count(len(goals), 'goal')} by level ("
        + ", ".join(f"{per_level[level]} {level.value}" for level in levels)
        + f") and {_count(len(shown_links), 'link')}"
        + (" (" + ", ".join(f"{n} {r}" for r, n in sorted(relations.items())) + ")")
        * bool(relations)
        + ". The goals and links are listed in the sections beside it."
    )
    return Chart("goal_web", title, alt, svg=_svg(figure, "goal_web", alt))


def membership_timeline(organisations: Sequence[OrganisationRow], layout: Layout) -> Chart:
    title = "Membership over time"
    if not organisations:
        return Chart("membership", title, "", missing="No organisations in this export.")
    end = _timeline_end(layout)
    rows = sorted(organisations, key=lambda o: (o.joined_at, o.name))[::-1]
    figure = Figure(figsize=(9.0, 0.42 * len(rows) + 1.6), dpi=DPI)
    axes = figure.add_subplot()
    minimum = timedelta(hours=12)
    for y, org in enumerate(rows):
        start = layout.local(org.joined_at)
        stop = layout.local(org.left_at) if org.left_at is not None else end
        stop = max(stop, start + minimum)
        axes.barh(
            y,
            mdates.date2num(stop) - mdates.date2num(start),
            left=mdates.date2num(start),
            height=0.6,
            color=STATUS_COLOURS.get(org.status, OTHER_COLOUR),
            edgecolor="#333333" if org.left_at is not None else "none",
            hatch="//" if org.left_at is not None else None,
        )
    axes.axvline(mdates.date2num(end), color="#555555", linestyle="--", linewidth=1)
    axes.set_yticks(range(len(rows)))
    axes.set_yticklabels([chart_text(o.name, LABEL_MAX) for o in rows], fontsize=8)
    locator = mdates.AutoDateLocator(tz=layout.tz)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=layout.tz))
    _fix_ticks(axes.xaxis)
    statuses = sorted({o.status for o in rows}, key=lambda s: (s not in STATUS_COLOURS, s))
    handles = [Patch(color=STATUS_COLOURS.get(s, OTHER_COLOUR), label=s) for s in statuses]
    if any(o.left_at is not None for o in rows):
        handles.append(Patch(facecolor="white", edgecolor="#333333", hatch="//", label="left"))
    axes.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False
    )
    axes.set_title(title)
    axes.grid(axis="x", alpha=0.3)
    tight_layout(figure)
    left = sum(o.left_at is not None for o in rows)
    alt = (
        f"Timeline of {_count(len(rows), 'organisation')}, one bar each from joining to "
        f"leaving or to {end.date().isoformat()} (the dashed line)"
        + (f"; {left} left, drawn hatched" if left else "")
        + ". The dates are in the table of organisations."
    )
    return Chart("membership", title, alt, svg=_svg(figure, "membership", alt))


def _fix_ticks(axis: Axis) -> None:
    """The axis's ticks and their labels (and offset text) worked out once, its limits being
    final, and kept: matplotlib asks the locator and formatter again at every layout and
    drawing pass (a score of times for one chart, each several date conversions)."""
    locations = axis.get_major_locator()()
    formatter = axis.get_major_formatter()
    labels = formatter.format_ticks(list(locations))
    fixed = FixedFormatter(labels)
    fixed.set_offset_string(formatter.get_offset())
    axis.set_major_locator(FixedLocator(locations))
    axis.set_major_formatter(fixed)


def _timeline_end(layout: Layout) -> datetime:
    header = layout.header
    end = layout.local(header.generated_at)
    if header.until is not None:
        end = min(end, end_of_day(header.until, layout.tz).astimezone(layout.tz))
    return end


def _row(goal: GoalRow) -> int:
    return LEVEL_ROWS.get(goal.level, 0)


def _web_positions(goals: Sequence[GoalRow], graph: nx.DiGraph) -> dict[int, tuple[float, float]]:
    """A band of rows per level, collaboration at the top; within a level, goals in the order a
    seeded spring layout puts them, `PER_ROW` to a row. Levels without goals take no room."""
    spring = nx.spring_layout(graph, seed=SEED)
    levels: dict[int, list[int]] = {}
    for goal in goals:
        levels.setdefault(_row(goal), []).append(goal.id)
    positions: dict[int, tuple[float, float]] = {}
    y = 0
    for level in sorted(levels):
        ids = sorted(levels[level], key=lambda n: (float(spring[n][0]), n))
        chunks = [ids[i : i + PER_ROW] for i in range(0, len(ids), PER_ROW)]
        for chunk in reversed(chunks):
            for i, n in enumerate(chunk):
                positions[n] = ((i + 0.5) / len(chunk) * 0.9, float(y))
            y += 1
    return positions


def _goal_label(title: str) -> str:
    text = chart_text(title, GOAL_LABEL_MAX)
    return "\n".join(textwrap.wrap(text, GOAL_LABEL_WIDTH, max_lines=3, placeholder="…"))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


# ---------------------------------------------------------------------------- inline SVG

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
# What matplotlib draws with; anything else (metadata, style, script, foreignObject, image,
# text) is dropped with everything inside it.
DRAWING_ELEMENTS = frozenset(
    {
        "svg",
        "g",
        "defs",
        "path",
        "use",
        "clipPath",
        "rect",
        "circle",
        "ellipse",
        "line",
        "polyline",
        "polygon",
        "pattern",
        "linearGradient",
        "radialGradient",
        "stop",
        "mask",
    }
)
_ATTRIBUTE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*\Z")
_LENGTH = re.compile(r"[0-9]{1,5}(\.[0-9]{1,6})?pt")
_URL = re.compile(r"url\(\s*#([^)\s]+)\s*\)")


def _svg(figure: Figure, key: str, alt: str) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return sanitise_svg(buffer.getvalue().decode("utf-8"), prefix=key, label=alt)


def sanitise_svg(text: str, *, prefix: str, label: str) -> str:
    """The SVG in `text` rebuilt for inlining in HTML: drawing elements and plain attributes
    only, ids prefixed with `prefix`, references only to ids inside it, and `label` as its
    accessible name (role img, aria-label and a title)."""
    root = ET.fromstring(text)
    if root.tag != f"{{{SVG_NS}}}svg":
        raise ValueError("not an SVG document")
    ids: dict[str, str] = {}
    for element in root.iter():
        if "id" in element.attrib:
            ids[element.attrib["id"]] = f"{prefix}-{len(ids) + 1}"
    parts: list[str] = []
    _element(root, ids, parts, label=label)
    return "".join(parts)


def _element(element: ET.Element, ids: dict[str, str], parts: list[str], *, label: str) -> None:
    name = _local(element.tag)
    if name not in DRAWING_ELEMENTS:
        return
    attributes = [_attribute(key, value, ids) for key, value in element.attrib.items()]
    kept = [a for a in attributes if a is not None]
    if name == "svg":
        kept = [(k, v) for k, v in kept if k not in ("width", "height")]
        width = element.attrib.get("width", "")
        kept += [
            ("xmlns", SVG_NS),
            ("xmlns:xlink", XLINK_NS),
            ("role", "img"),
            ("aria-label", label),
        ]
        if _LENGTH.fullmatch(width):
            kept.append(("style", f"max-width: {width}"))
    parts.append(f"<{name}")
    for key, value in kept:
        parts.append(f' {key}="{html.escape(value, quote=True)}"')
    parts.append(">")
    if name == "svg":
        parts.append(f"<title>{html.escape(label, quote=False)}</title>")
    for child in element:
        _element(child, ids, parts, label=label)
    parts.append(f"</{name}>")


def _attribute(key: str, value: str, ids: dict[str, str]) -> tuple[str, str] | None:
    if key.startswith(f"{{{XLINK_NS}}}"):
        name = "xlink:" + _local(key)
    elif key.startswith("{"):
        return None
    else:
        name = key
    bare = name.removeprefix("xlink:")
    if not _ATTRIBUTE.match(bare) or bare.lower().startswith("on"):
        return None
    if name == "id":
        return name, ids[value]
    if bare == "href":
        target = ids.get(value[1:]) if value.startswith("#") else None
        return (name, f"#{target}") if target else None
    if "url(" in value:
        value = _URL.sub(lambda m: f"url(#{ids[m[1]]})" if m[1] in ids else "none", value)
        if "url(" in value.replace("url(#", ""):
            return None
    if "javascript:" in value.lower():
        return None
    return name, value


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
