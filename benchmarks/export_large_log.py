"""How long an export of a long log takes, and whether its memory grows with the log.

    .venv/bin/python benchmarks/export_large_log.py [--events 10000 100000] [--postgres URL]

For each size it fills a fresh database with one partnership (three organisations, a goal) and
that many log entries (notes of every kind, actions, check-in closings, member changes), then
exports it in every format from the command line's path (`export_as_operator`), and prints the
seconds and the peak of Python memory (tracemalloc) each took, and the file's size. The target
(issue 11 §5): 100k entries in a few seconds, with a peak that stays flat as the log grows.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from bot.services.access import Actor, PartnershipRef
from bot.services.export.document import Format
from bot.services.export.service import ExportRequest, ExportService
from bot.services.register import RegisterService
from db.engine import create_engine, create_session_factory
from db.migrate import upgrade
from db.models import Event

GUILD = 1
NAME = "Long Log Hub"
KINDS = ("note.note", "note.decision", "note.action", "note.small_win", "note.risk")


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


async def fill(url: str, events: int) -> tuple[ExportService, int]:
    await upgrade(url)
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    clock = Clock(start)
    register = RegisterService(
        sessions, default_timezone="Europe/London", admin_role_name="x", clock=clock
    )
    convener = Actor(GUILD, 2, "Ada", manage_guild=True)
    draft = await register.prepare_create(convener, NAME, "A partnership with a long log")
    partnership = await register.create(convener, draft, 5555)
    ref = PartnershipRef(name=NAME)
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
    return ExportService(sessions, clock=clock), events


async def measure(url: str, events: int) -> None:
    service, _ = await fill(url, events)
    for fmt in Format:
        # Time first, untraced (tracing allocations slows Python several times over), then the
        # same export again under tracemalloc for its peak.
        began = time.perf_counter()
        made = await service.export_as_operator(GUILD, NAME, ExportRequest(format=fmt))
        seconds = time.perf_counter() - began
        made.path.unlink()
        tracemalloc.start()
        made = await service.export_as_operator(GUILD, NAME, ExportRequest(format=fmt))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"{events:>8} entries  {fmt.value:<9} {seconds:6.2f} s  "
            f"peak {peak / 1e6:6.1f} MB  file {made.size / 1e6:7.1f} MB",
            flush=True,
        )
        made.path.unlink()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database")
    args = parser.parse_args()
    for events in args.events:
        if args.postgres:
            await measure(args.postgres, events)
        else:
            with tempfile.TemporaryDirectory() as folder:
                await measure(f"sqlite+aiosqlite:///{folder}/bench.db", events)


if __name__ == "__main__":
    asyncio.run(main())
