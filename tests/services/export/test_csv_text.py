"""`csv_text` writes what the csv module writes, on awkward text as on plain."""

from __future__ import annotations

import csv
import io
import random

import pytest

from bot.services.export.writers.csv_cells import csv_text

# Every character the csv module treats apart (comma, quote, line breaks), and a few it does
# not but that look as if it might (spaces, tab, NUL, other line separators, non-ASCII).
AWKWARD = ",\"\r\n \t\x00\x0b\x85\u2028é“”'=;|"


def by_csv(rows: list[list[str]]) -> str:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize(
    "rows",
    [
        [],
        [[]],
        [[""]],
        [["", ""]],
        [["a"], [""], ["b", ""]],
        [["plain", "cells", "only"]],
        [["a,b", 'say "hi"', "two\nlines", "cr\rlf\r\n", '"', ",", '""', "end"]],
        [['{"goal_id":null,"text":"Entry 1: we agree"}', "Rep 1 logged: “Entry 1”."]],
        [["'=SUM(A1)", "x"]],
    ],
)
def test_the_same_as_the_csv_module(rows: list[list[str]]) -> None:
    assert csv_text(rows) == by_csv(rows)


def test_the_same_on_random_awkward_rows() -> None:
    rng = random.Random(14)
    alphabet = AWKWARD + "abc"
    rows = [
        ["".join(rng.choice(alphabet) for _ in range(rng.randrange(6))) for _ in range(width)]
        for width in (rng.randrange(5) for _ in range(5000))
    ]
    assert csv_text(rows) == by_csv(rows)
    # Row by row too: a batch's text is its rows' texts, one after another.
    assert "".join(csv_text([row]) for row in rows) == by_csv(rows)


def test_a_cell_that_is_not_text_is_refused() -> None:
    with pytest.raises(TypeError):
        csv_text([["1", 2]])  # type: ignore[list-item]
