"""What every benchmark returns: rows of one table (see `benchmarks/__main__.py`), and the
PostgreSQL database a benchmark may measure on (`fresh_postgres`)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

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


@asynccontextmanager
async def fresh_postgres(base: str) -> AsyncIterator[str]:
    """A new, empty database beside `base` on the same server (its URL), dropped afterwards."""
    name = f"pb_bench_{uuid.uuid4().hex[:8]}"
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    await _admin(base, f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        await _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()
