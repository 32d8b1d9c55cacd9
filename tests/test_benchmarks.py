"""The benchmark runner works at its smoke size: it runs a module, prints its table and writes
the JSON. Nothing here is timed: whether a target is met is reported, never asserted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import export_large_log
from benchmarks.__main__ import main, table
from benchmarks.common import Row, postgres_base
from benchmarks.machine_speed import WINDOW, gauge


def test_a_row_without_floor_has_no_ratio_and_the_table_shows_both() -> None:
    measured = Row("b", "with floor", 6.0, 2.0, "ms", "≤3×", True, note="p95 7 ms")
    alone = Row("b", "alone", 5.0, None, "s", "", None)
    assert measured.ratio == 3.0
    assert alone.ratio is None
    text = table([measured, alone])
    assert "3.00×" in text and "p95 7 ms" in text
    assert text.splitlines()[3].split()[-1] == "-"  # no target, no verdict


def test_the_smoke_size_runs_a_module_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(export_large_log.SIZES, "smoke", (200,))  # smaller still
    out = tmp_path / "smoke.json"
    assert main(["--size", "smoke", "--only", "export_large_log", "--json", str(out)]) == 0
    document = json.loads(out.read_text())
    assert document["size"] == "smoke" and document["failed"] == []
    rows = document["rows"]
    formats = ("markdown", "html", "csv", "json")
    # Every format, each next to its floor; again on PostgreSQL when a server is given.
    expected = [f"{f}, 200 entries" for f in formats]
    if postgres_base():
        expected += [f"{f}, 200 entries, PostgreSQL" for f in formats]
    assert [r["case"] for r in rows] == expected
    for row in rows:
        assert row["benchmark"] == "export_large_log"
        assert row["value"] > 0 and row["floor"] > 0
        assert row["ratio"] == pytest.approx(row["value"] / row["floor"])
        assert isinstance(row["ok"], bool)
    # The machine's speed, read before the benchmark and after it, goes with the rows.
    speeds = document["machine"]["speed"]
    assert [s["when"] for s in speeds] == ["before export_large_log", "after export_large_log"]
    for speed in speeds:
        assert 0 < speed["fastest"] <= speed["slowest"]
        assert speed["spread"] >= 1.0
    printed = capsys.readouterr().out
    assert "export_large_log" in printed
    assert "-- machine before export_large_log: 10⁷ additions in" in printed


def test_the_gauge_reads_the_whole_and_its_windows() -> None:
    speed = gauge("now", seconds=3 * WINDOW)
    assert speed.when == "now"
    # The median of all the chunks lies between the medians of the fastest and slowest windows.
    assert speed.fastest * (1 - 1e-9) <= speed.loop_seconds <= speed.slowest * (1 + 1e-9)
    assert speed.spread == speed.slowest / speed.fastest >= 1.0
    assert speed.as_json()["spread"] == round(speed.spread, 3)
    assert speed.line().startswith("-- machine now: 10⁷ additions in ")
