"""The health chart renders a valid PNG: with data, with none, with more organisations than
lines, and with organisation names that would otherwise be mathtext or hidden from the legend."""

from __future__ import annotations

from datetime import date

import pytest
from matplotlib.cbook import is_math_text
from matplotlib.figure import Figure

from bot.services.health.chart import chart_text, participation_png
from bot.services.health.views import Participation
from tests.test_charts import chunks, size

MONTHS = [date(2026, m, 1) for m in range(6, 12)]


def valid(png: bytes) -> None:
    kinds = [kind for kind, _ in chunks(png)]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds
    assert size(png) == (800, 450)


def test_participation_per_organisation_is_a_valid_png():
    data = Participation(
        MONTHS,
        {"Council": [3, 4, 2, 5, 1, 0], "Food Bank": [0, 1, 1, 0, 2, 3]},
    )
    valid(participation_png(data, title="Participation per organisation: Family Hubs"))


def test_no_activity_and_no_partners_still_draw():
    quiet = Participation(MONTHS, {"Council": [0] * 6})
    valid(participation_png(quiet, title="Quiet"))
    valid(participation_png(Participation(MONTHS, {}), title="Empty"))


def test_the_rest_are_drawn_as_one_line():
    data = Participation(
        MONTHS, {f"Org {n}": [n] * 6 for n in range(7)}, others=3, others_counts=[1] * 6
    )
    valid(participation_png(data, title="Many"))


# Each of the first three, drawn unescaped, makes matplotlib raise (a mathtext parse error).
HOSTILE = [
    "$x^$ broken",
    "$\\undefinedcommand$",
    "$\\frac{1}$",
    "$x^2$ Trust",
    "Costs in $ and £",
    "$$",
    "a $b$ c $d",
    "\\$ already escaped",
    "ends with \\",
    "_hidden from legends",
    "^_{}\\frac{1}{0}",
    "x" * 300,
]


@pytest.mark.parametrize("name", HOSTILE)
def test_labels_with_dollars_and_underscores_do_not_crash(name: str):
    data = Participation(MONTHS, {name: [1, 2, 3, 2, 1, 0], "Other": [0, 0, 1, 1, 0, 0]})
    valid(participation_png(data, title=f"Participation: {name}"))


def test_chart_text_escapes_dollars_and_keeps_names_in_the_legend():
    assert chart_text("Costs in $") == r"Costs in \$"
    assert chart_text("_Team") == " _Team"
    assert len(chart_text("x" * 300)) == 40
    # Unescaped, matplotlib would read it as mathtext; escaped, it shows the name itself.
    assert is_math_text("$x^2$") and not is_math_text(chart_text("$x^2$"))
    assert not is_math_text(chart_text("a $b$ c $d"))
    # A label starting with "_" is left out of a legend; shown after a space, it stays.
    figure = Figure()
    axes = figure.add_subplot()
    for name in ("_Team", "Council"):
        axes.plot([0, 1], [0, 1], label=chart_text(name))
    assert [t.get_text() for t in axes.legend().get_texts()] == [" _Team", "Council"]
