"""How long an export of a long log takes in each format, next to the plainest export there is.

    .venv/bin/python -m benchmarks --only export_large_log [--size smoke|full]

For each size (full: 10k and 100k entries; smoke: 1k) it fills a fresh SQLite database with one
partnership (three organisations) and that many log entries (notes of every kind, actions), then
exports it in every format (markdown, html, csv, json) from the command line's path
(`export_as_operator`). The floor is the partnership's log read with the standard library's
`sqlite3` and written with `csv.writer`. For each format, export and floor alternate, five
times each; the medians are compared. As `partnerbot export` does, the process's heap is
settled first (`bot.heap.settle`). Targets (issue 14): at most 3× the floor and at most 2 s.
The note gives the peak of Python memory (tracemalloc) of one more export in that format, which
should stay flat as the log grows (issue 11 §5).

With a PostgreSQL server (`--postgres URL`, else TEST_DATABASE_URL), the same logs are filled
into a fresh database beside it and exported again, in rows marked "PostgreSQL"; their floor
is the log read with `asyncpg` (a server-side cursor, a batch at a time) and written with
`csv.writer`.
"""

from __future__ import annotations

import csv
import random
import sqlite3
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import asyncpg
from sqlalchemy import insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks.common import Row, fresh_postgres, postgres_base
from bot import heap
from bot.services.access import Actor, PartnershipRef
from bot.services.export.document import Format
from bot.services.export.service import ExportRequest, ExportService
from bot.services.register import RegisterService
from db.engine import create_engine, create_session_factory
from db.migrate import upgrade
from db.models import Event

NAME = "export_large_log"  # the benchmark
GUILD = 1
HUB = "Long Log Hub"  # the partnership
KINDS = ("note.note", "note.decision", "note.action", "note.small_win", "note.risk")


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


async def fill(url: str, events: int) -> tuple[ExportService, AsyncEngine]:
    await upgrade(url)
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    clock = Clock(start)
    register = RegisterService(
        sessions, default_timezone="Europe/London", admin_role_name="x", clock=clock
    )
    convener = Actor(GUILD, 2, "Ada", manage_guild=True)
    draft = await register.prepare_create(convener, HUB, "A partnership with a long log")
    partnership = await register.create(convener, draft, 5555)
    ref = PartnershipRef(name=HUB)
    for i, org in enumerate(("Council", "Health Trust", "Food Bank")):
        await register.add_partner(convener, ref, org, "public")
        await register.add_member(
            convener, ref, user_id=10 + i, display_name=f"Rep {i}", organisation=org
        )
    pid = partnership.id
    rng = random.Random(7)
    step = timedelta(minutes=5)
    batch: list[dict[str, object]] = []
    async with engine.begin() as conn:
        for n in range(events):
            kind = KINDS[n % len(KINDS)]
            text = f"Entry {n}: " + " ".join(
                rng.choice(("we", "agree", "to", "meet")) for _ in range(12)
            )
            payload: dict[str, object] = {"text": text, "meeting_id": None, "goal_id": None}
            if kind == "note.action":
                payload |= {
                    "owner_id": 10 + n % 3,
                    "owner_name": f"Rep {n % 3}",
                    "due": "2030-01-01",
                }
            batch.append(
                {
                    "guild_id": GUILD,
                    "partnership_id": pid,
                    "kind": kind,
                    "actor_id": 10 + n % 3,
                    "occurred_at": start + step * (n + 1),
                    "summary": f"Rep {n % 3} logged: “{text}”.",
                    "payload": payload,
                    "message_link": None,
                }
            )
            if len(batch) == 5000:
                await conn.execute(insert(Event), batch)
                batch = []
        if batch:
            await conn.execute(insert(Event), batch)
    clock.at = start + step * (events + 2)
    return ExportService(sessions, clock=clock), engine


SIZES = {"smoke": (1_000,), "full": (10_000, 100_000)}
TARGET_RATIO = 3.0
TARGET_SECONDS = 2.0


# The floor's columns and query (its placeholder filled in per driver: `?` or `$1`).
FLOOR_COLUMNS = ("id", "occurred_at", "kind", "actor_id", "summary", "payload")
FLOOR_SQL = (
    f"SELECT {', '.join(FLOOR_COLUMNS)} FROM event "
    "WHERE partnership_id = {} ORDER BY occurred_at, id"
)


def raw_csv(db_path: Path, out: Path) -> None:
    """The floor: the partnership's log, straight from sqlite3 into csv.writer."""
    with sqlite3.connect(db_path) as conn, out.open("w", newline="") as handle:
        (pid,) = conn.execute("SELECT id FROM partnership WHERE name = ?", (HUB,)).fetchone()
        writer = csv.writer(handle)
        writer.writerow(FLOOR_COLUMNS)
        writer.writerows(conn.execute(FLOOR_SQL.format("?"), (pid,)))


async def raw_csv_sqlite(db_path: Path, out: Path) -> None:
    raw_csv(db_path, out)


async def raw_csv_postgres(url: str, out: Path) -> None:
    """The floor on PostgreSQL: the partnership's log, from asyncpg into csv.writer."""
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(plain)
    try:
        with out.open("w", newline="") as handle:
            pid = await conn.fetchval("SELECT id FROM partnership WHERE name = $1", HUB)
            writer = csv.writer(handle)
            writer.writerow(FLOOR_COLUMNS)
            async with conn.transaction():
                cursor = await conn.cursor(FLOOR_SQL.format("$1"), pid)
                while batch := await cursor.fetch(BATCH):
                    writer.writerows(batch)
    finally:
        await conn.close()


FORMATS = (Format.markdown, Format.html, Format.csv, Format.json)
ROUNDS = 5  # export and floor, alternately, this many times each
BATCH = 500  # rows a fetch, in the PostgreSQL floor (as the export's own reads)


async def measure(
    service: ExportService,
    events: int,
    format: Format,
    floor_run: Callable[[], Awaitable[None]],
    where: str = "",
) -> Row:
    request = ExportRequest(format=format)
    timings: list[float] = []
    floors: list[float] = []
    heap.settle()  # as `partnerbot export` does before it exports
    for _ in range(ROUNDS):
        began = time.perf_counter()
        made = await service.export_as_operator(GUILD, HUB, request)
        timings.append(time.perf_counter() - began)
        made.path.unlink()
        began = time.perf_counter()
        await floor_run()
        floors.append(time.perf_counter() - began)
    tracemalloc.start()
    made = await service.export_as_operator(GUILD, HUB, request)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = made.size
    made.path.unlink()
    value, floor = statistics.median(timings), statistics.median(floors)
    return Row(
        benchmark=NAME,
        case=f"{format.value}, {events:,} entries{where}",
        value=value,
        floor=floor,
        unit="s",
        target=f"≤{TARGET_RATIO:g}× and ≤{TARGET_SECONDS:g} s",
        ok=value <= TARGET_RATIO * floor and value <= TARGET_SECONDS,
        note=f"peak Python memory {peak / 1e6:.1f} MB; file {size / 1e6:.1f} MB",
    )


async def run(size: str) -> list[Row]:
    rows = []
    for events in SIZES[size]:
        with tempfile.TemporaryDirectory() as folder:
            db_path, out = Path(folder) / "bench.db", Path(folder) / "floor.csv"
            service, engine = await fill(f"sqlite+aiosqlite:///{db_path}", events)
            floor_run = partial(raw_csv_sqlite, db_path, out)
            for format in FORMATS:
                rows.append(await measure(service, events, format, floor_run))
            await engine.dispose()
    base = postgres_base()
    if base:
        for events in SIZES[size]:
            with tempfile.TemporaryDirectory() as folder:
                async with fresh_postgres(base) as url:
                    service, engine = await fill(url, events)
                    floor_run = partial(raw_csv_postgres, url, Path(folder) / "floor.csv")
                    for format in FORMATS:
                        rows.append(
                            await measure(service, events, format, floor_run, ", PostgreSQL")
                        )
                    await engine.dispose()
    return rows
