"""Concurrent check-ins: all of them land, none fails on a lock.

    .venv/bin/python -m benchmarks --only checkins [--size smoke|full] [--postgres URL]

A partnership with that many people in their own capacity opens a round; then every one of
them answers at once (`TrustService.checkin`, `asyncio.gather`), through one engine as in the
bot. Full: 500 check-ins; smoke: 50. On SQLite (a fresh file) and on PostgreSQL (a fresh
database made beside the one `--postgres` or TEST_DATABASE_URL names, dropped afterwards; left
out when neither is given). Targets: no error (a lock error above all), every answer stored.
The floor is the same number of concurrent one-row inserts into a one-column table, each in
its own write transaction, through the same engine.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import Column, Integer, MetaData, Table, func, insert
from sqlmodel import select

from benchmarks.common import Row, fresh_postgres, postgres_base
from bot.services.access import Actor, PartnershipRef
from bot.services.register import RegisterService
from bot.services.trust import CheckinAnswers, TrustService
from db.engine import SessionFactory, create_engine, create_session_factory, transaction
from db.migrate import upgrade
from db.models import Membership, TrustAnswer

NAME = "checkins"
COUNT = {"smoke": 50, "full": 500}
GUILD = 77
HUB = "Check-in Hub"
FLOOR = Table("bench_floor", MetaData(), Column("n", Integer))


async def prepare(sessions: SessionFactory, people: int) -> TrustService:
    """The partnership, its people in their own capacity, and an open round."""
    convener = Actor(GUILD, 1, "Connie", manage_guild=True)
    register = RegisterService(sessions, default_timezone="Europe/London", admin_role_name="x")
    draft = await register.prepare_create(convener, HUB, "See whether trust is growing.")
    hub = await register.create(convener, draft, 4242)
    now = datetime.now(UTC)
    async with transaction(sessions) as session:
        await (await session.connection()).execute(
            insert(Membership),
            [
                {
                    "partnership_id": hub.id,
                    "user_id": 1_000 + n,
                    "display_name": f"Person {n}",
                    "organisation_id": None,
                    "capacity": "individual",
                    "is_convener": False,
                    "joined_at": now,
                }
                for n in range(people)
            ],
        )
    trust = TrustService(sessions)
    await trust.open_round(convener, PartnershipRef(name=HUB), window="7d")
    return trust


def _kind(error: BaseException) -> str:
    words = str(error).lower()
    if "locked" in words or "lock" in words or "busy" in words:
        return "lock"
    return type(error).__name__


async def measure(url: str, backend: str, count: int) -> Row:
    await upgrade(url)
    engine = create_engine(url)
    try:
        sessions = create_session_factory(engine)
        trust = await prepare(sessions, count)
        async with engine.begin() as conn:
            await conn.run_sync(FLOOR.metadata.create_all)
        ref = PartnershipRef(name=HUB)
        answers = CheckinAnswers(expectations=4, follow_through=3, reliance=4, listened=4)

        async def one(n: int) -> None:
            await trust.checkin(Actor(GUILD, 1_000 + n, f"Person {n}"), ref, answers)

        async def plain(n: int) -> None:
            async with transaction(sessions) as session:
                await (await session.connection()).execute(insert(FLOOR).values(n=n))

        began = time.perf_counter()
        results = await asyncio.gather(*(one(n) for n in range(count)), return_exceptions=True)
        value = time.perf_counter() - began
        began = time.perf_counter()
        floor_results = await asyncio.gather(
            *(plain(n) for n in range(count)), return_exceptions=True
        )
        floor = time.perf_counter() - began
        errors = Counter(_kind(r) for r in results if isinstance(r, BaseException))
        floor_errors = sum(isinstance(r, BaseException) for r in floor_results)
        async with sessions() as session:
            stored = (await session.exec(select(func.count()).select_from(TrustAnswer))).one()
            floor_stored = (await session.exec(select(func.count()).select_from(FLOOR))).one()
        first = next((r for r in results if isinstance(r, BaseException)), None)
        other = ", ".join(f"{n} {kind}" for kind, n in errors.items() if kind != "lock")
        note = (
            f"lock errors {errors['lock']}, other errors {other or 0}, "
            f"answers stored {stored}/{count}; floor: {floor_errors} errors, "
            f"{floor_stored}/{count} stored"
        )
        if first is not None:
            note += f"; first error: {type(first).__name__}: {str(first)[:120]}"
        return Row(
            benchmark=NAME,
            case=f"{count} concurrent check-ins, {backend}",
            value=value,
            floor=floor,
            unit="s",
            target=f"0 lock errors, {count} stored",
            ok=not errors and stored == count,
            note=note,
        )
    finally:
        await engine.dispose()


async def run(size: str) -> list[Row]:
    count = COUNT[size]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        rows.append(await measure(f"sqlite+aiosqlite:///{folder}/checkins.db", "SQLite", count))
    base = postgres_base()
    if base:
        async with fresh_postgres(base) as url:
            rows.append(await measure(url, "PostgreSQL", count))
    return rows
