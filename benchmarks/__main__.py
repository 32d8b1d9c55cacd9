"""Run the benchmarks: `python -m benchmarks [--size smoke|full] [--only NAME ...] [--json FILE]
[--postgres URL]`.

Each module in MODULES exposes `NAME` and `async def run(size) -> list[Row]`; a module not
present in this checkout is skipped with a note. Every case is measured next to its floor in
the same run, so the ratio, not the raw time, is what is compared with the target. The table
goes to stdout, the rows to JSON (`benchmarks/results/<size>.json` unless `--json` says
otherwise), with the machine they came from and its speed, read before the first benchmark and
after each (`benchmarks.machine_speed`: on a shared machine it moves while they run).

The exit status is non-zero only when a benchmark fails to run (an exception); a missed target
is reported in the table's `ok` column, not as a failure: timings are not tests.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import platform
import sys
import time
import traceback
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import POSTGRES_ENV, Row
from benchmarks.machine_speed import Speed, gauge

#: In the order they run. A module missing from this checkout is skipped.
MODULES = ("commands", "checkins", "export_large_log", "scheduler")
RESULTS = Path(__file__).resolve().parent / "results"
#: Seconds each reading of the machine's speed takes, by size.
GAUGE_SECONDS = {"smoke": 0.5, "full": 2.0}


def machine() -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "processor": _cpu_model(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def table(rows: list[Row]) -> str:
    head = ("benchmark", "case", "value", "floor", "ratio", "target", "ok")
    lines = [
        (
            r.benchmark,
            r.case,
            f"{_number(r.value)} {r.unit}".strip(),
            f"{_number(r.floor)} {r.unit}".strip() if r.floor is not None else "-",
            f"{r.ratio:.2f}×" if r.ratio is not None else "-",
            r.target or "-",
            {True: "yes", False: "NO", None: "-"}[r.ok],
        )
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines, strict=False)]
    out = [
        "  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True))
        for line in (head, *lines)
    ]
    out.insert(1, "  ".join("-" * w for w in widths))
    notes = [f"  {r.benchmark} / {r.case}: {r.note}" for r in rows if r.note]
    return "\n".join(out + (["", "Notes:", *notes] if notes else []))


async def run_all(size: str, only: list[str] | None) -> tuple[list[Row], list[str], list[Speed]]:
    """Each benchmark of `only` (all when None) in turn: their rows, the names of those that
    failed to run, and the machine's speed (`gauge`), read before the first and after each."""
    rows: list[Row] = []
    failures: list[str] = []
    speeds: list[Speed] = []
    for name in MODULES:
        if only and name not in only:
            continue
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError as error:
            if error.name == f"benchmarks.{name}":
                print(f"-- {name}: not in this checkout, skipped", flush=True)
                continue
            raise
        if not speeds:
            speeds.append(gauge(f"before {module.NAME}", GAUGE_SECONDS[size]))
            print(speeds[-1].line(), flush=True)
        print(f"-- {module.NAME} ({size})", flush=True)
        began = time.perf_counter()
        try:
            got: list[Row] = await module.run(size)
        except Exception:
            traceback.print_exc()
            failures.append(name)
        else:
            rows.extend(got)
            print(table(got), flush=True)
            print(f"   ({time.perf_counter() - began:.0f} s)", flush=True)
        speeds.append(gauge(f"after {module.NAME}", GAUGE_SECONDS[size]))
        print(speeds[-1].line() + "\n", flush=True)
    return rows, failures, speeds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--size", choices=("smoke", "full"), default="full")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=MODULES)
    parser.add_argument("--json", type=Path, metavar="FILE")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="a PostgreSQL server's database URL (postgresql+asyncpg://…) beside which the "
        "benchmarks that use PostgreSQL make a fresh database; default TEST_DATABASE_URL",
    )
    args = parser.parse_args(argv)
    if args.postgres:
        os.environ[POSTGRES_ENV] = args.postgres
    started = datetime.now(UTC)
    rows, failures, speeds = asyncio.run(run_all(args.size, args.only))
    print("== All benchmarks\n" + table(rows))
    target = args.json or RESULTS / f"{args.size}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "size": args.size,
        "started": started.isoformat(timespec="seconds"),
        "machine": machine() | {"speed": [speed.as_json() for speed in speeds]},
        "failed": failures,
        "rows": [asdict(r) | {"ratio": r.ratio} for r in rows],
    }
    target.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nWrote {target}")
    if failures:
        print(f"Failed to run: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
