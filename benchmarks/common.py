"""What every benchmark returns: rows of one table (see `benchmarks/__main__.py`), and the
PostgreSQL database a benchmark may measure on (`fresh_postgres`)."""

from __future__ import annotations

import os
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from tests.e2e.harness import fresh_database

#: Set by `python -m benchmarks --postgres URL`; else TEST_DATABASE_URL.
POSTGRES_ENV = "BENCH_POSTGRES_URL"


@dataclass
class Row:
    """One measured case next to its floor (the same work done the plainest way, in the same
    run). `ratio` is value / floor when there is a floor; `ok` says whether the target is met
    (None when the case has no target)."""

    benchmark: str
    case: str
    value: float
    floor: float | None
    unit: str
    target: str
    ok: bool | None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.floor is None or self.floor == 0:
            return None
        return self.value / self.floor


def postgres_base() -> str | None:
    """The PostgreSQL server's database URL given to the benchmarks, if any."""
    return os.environ.get(POSTGRES_ENV) or os.environ.get("TEST_DATABASE_URL") or None


def fresh_postgres(base: str) -> AbstractAsyncContextManager[str]:
    """A new, empty database beside `base` on the same server (its URL), dropped afterwards."""
    return fresh_database(base, prefix="pb_bench")
