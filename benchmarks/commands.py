"""Command round trips of the real bot on a large database, next to a bare bot's.

    .venv/bin/python -m benchmarks --only commands [--size smoke|full] [--postgres URL]

The database (`benchmarks/bench_db.py`): full, 1,000 partnerships and 320,000 log events;
smoke, 20 and 5,000. It is built once per size and kept under `data/benchmarks/`. With a
PostgreSQL server (`--postgres URL`, else TEST_DATABASE_URL), every case runs again on the same
database built afresh in a new PostgreSQL database beside it (rows marked "PostgreSQL"; the
bare bot keeps no data, so its floor is the same). The real bot
(`partnerbot run`, tests/e2e/harness.py) answers on one loopback Discord (tests/e2e/
fake_discord.py), a bare discord.py bot answering "ok" (`benchmarks/bare_bot.py`) on another,
both on 127.0.0.1. Each call to the bot is followed by one to the bare bot, so machine noise
falls on both alike; each command's floor is the bare bot's answers taken next to it.

A round trip runs from the interaction dispatch leaving the fake's socket to the answer the
person sees being there (for a deferred command, the filled-in answer, not the "thinking…").

Targets (issue 14): reads (`/partnership info`, `/goal list`) p50 ≤ 3× the bare bot, writes
(`/goal endorse`, `/trust checkin`) ≤ 5×, and no growth with history: an endorse on a goal with
thousands of stance rows (in Busy Hub) within 1.25× of one on a goal with ten (in its twin,
Bench Hub).
"""

from __future__ import annotations

import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from benchmarks import bench_db
from benchmarks.common import Row, fresh_postgres, postgres_base
from tests.e2e.fake_discord import FakeDiscord
from tests.e2e.harness import REPO_ROOT, BotProcess

NAME = "commands"
#: discord.py's warnings that the bot's event loop was held up (a blocking call).
STALL = re.compile(r"heartbeat blocked|Can't keep up")
ROUNDS = {"smoke": 6, "full": 100}
WARMUP = 3
READ_TARGET, WRITE_TARGET, GROWTH_TARGET = 3.0, 5.0, 1.25
#: Quiet logs (at DEBUG every SQL statement would be formatted and written, on the clock), and
#: this checkout's code whatever is installed.
QUIET = {"LOG_LEVEL": "WARNING", "PYTHONPATH": str(REPO_ROOT)}


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def round_trip(fake: FakeDiscord, *call: Any, **options: Any) -> float:
    sent = await fake.invoke(*call, **options)
    reply = await sent.response(timeout=60)
    done = time.perf_counter()
    record = fake.interaction(sent)
    assert reply.content or reply.embeds, reply
    return done - record.sent_at


async def run(size: str) -> list[Row]:
    rows = await _run(size, None)
    base = postgres_base()
    if base:
        async with fresh_postgres(base) as url:
            rows += await _run(size, url)
    return rows


async def _run(size: str, postgres: str | None) -> list[Row]:
    """Every case on SQLite (a copy of the kept database), or on PostgreSQL (`postgres`: an
    empty database, built now)."""
    rounds = ROUNDS[size]
    where = ", PostgreSQL" if postgres else ""
    with tempfile.TemporaryDirectory(prefix="partnerbot-bench-") as folder:
        tmp = Path(folder)
        async with FakeDiscord() as fake, FakeDiscord() as bare_fake:
            world = bench_db.World.build(fake)
            data = tmp / "bot"
            data.mkdir()
            if postgres:
                await bench_db.built_at(postgres, size, world)
            else:
                cached = await bench_db.built(size, world)
                shutil.copyfile(cached, data / "partnerbot.db")
                await bench_db.reopen_round(data / "partnerbot.db")
            bot = BotProcess(
                fake,
                data_dir=data,
                log_path=tmp / "partnerbot.log",
                dev_guild_id=int(world.guild["id"]),
                extra_env=QUIET,
                database_url=postgres or "",
                start_timeout=120,
            )
            bare_guild = bare_fake.add_guild("Bare")
            bare_user = bare_fake.add_member(bare_guild, "Pat Plain")
            bare_channel = bare_fake.find_channel(bare_guild, "general")
            bare = BotProcess(
                bare_fake,
                data_dir=tmp / "bare",
                log_path=tmp / "bare.log",
                dev_guild_id=int(bare_guild["id"]),
                extra_env=QUIET,
                command=[sys.executable, "-m", "benchmarks.bare_bot"],
            )
            try:
                await bot.start()
                await bare.start()
                rows = await _measure(
                    world, fake, bare_fake, (bare_user, bare_guild, bare_channel), rounds, where
                )
                stalls = [line for line in bot.log_text().splitlines() if STALL.search(line)]
                rows.append(
                    Row(
                        benchmark=NAME,
                        case=f"event loop stalls in the bot's log{where}",
                        value=len(stalls),
                        floor=None,
                        unit="",
                        target="0",
                        ok=not stalls,
                        note=stalls[0][:160] if stalls else "",
                    )
                )
                return rows
            except BaseException:
                print(bot.log_tail(40), file=sys.stderr)
                raise
            finally:
                await bot.stop()
                await bare.stop()


async def _measure(
    world: bench_db.World,
    fake: FakeDiscord,
    bare_fake: FakeDiscord,
    bare_where: tuple[Any, Any, Any],
    rounds: int,
    where: str,
) -> list[Row]:
    hub, guild, channel = bench_db.HUB, world.guild, world.general
    stances = ("agree", "reservations")

    def calls(i: int) -> dict[str, Callable[[], Awaitable[float]]]:
        return {
            "/partnership info": lambda: round_trip(
                fake, world.convener, guild, channel, "partnership info", partnership=hub
            ),
            "/goal list": lambda: round_trip(
                fake, world.reps[0], guild, channel, "goal list", partnership=hub
            ),
            "/goal endorse (10 stances)": lambda: round_trip(
                fake,
                world.reps[0],
                guild,
                channel,
                "goal endorse",
                goal=str(world.few_goal),
                stance=stances[i % 2],
                partnership=hub,
            ),
            f"/goal endorse ({world.many:,} stances)": lambda: round_trip(
                fake,
                world.reps[1],
                guild,
                channel,
                "goal endorse",
                goal=str(world.many_goal),
                stance=stances[i % 2],
                partnership=bench_db.BUSY_HUB,
            ),
            "/trust checkin": lambda: round_trip(
                fake,
                world.reps[2],
                guild,
                channel,
                "trust checkin",
                expectations=str(3 + i % 2),
                follow_through="4",
                reliance="3",
                small_win="yes",
                partnership=hub,
            ),
        }

    samples: dict[str, list[float]] = {}
    floors: dict[str, list[float]] = {}
    for i in range(WARMUP + rounds):
        for case, call in calls(i).items():
            value = await call()
            floor = await round_trip(bare_fake, *bare_where, "ping")
            if i >= WARMUP:
                samples.setdefault(case, []).append(value)
                floors.setdefault(case, []).append(floor)
    rows = []
    for case, values in samples.items():
        value, floor = statistics.median(values), statistics.median(floors[case])
        write = "endorse" in case or "checkin" in case
        target = WRITE_TARGET if write else READ_TARGET
        rows.append(
            Row(
                benchmark=NAME,
                case=f"{case} p50{where}",
                value=value * 1000,
                floor=floor * 1000,
                unit="ms",
                target=f"≤{target:g}×",
                ok=value <= target * floor,
                note=f"p95 {p(values, 0.95) * 1000:.1f} ms (bare {p(floors[case], 0.95) * 1000:.1f}"
                f" ms), {len(values)} calls",
            )
        )
    few = statistics.median(samples["/goal endorse (10 stances)"])
    many = statistics.median(samples[f"/goal endorse ({world.many:,} stances)"])
    rows.append(
        Row(
            benchmark=NAME,
            case=f"endorse, {world.many:,} vs 10 stances p50{where}",
            value=many * 1000,
            floor=few * 1000,
            unit="ms",
            target=f"≤{GROWTH_TARGET:g}×",
            ok=many <= GROWTH_TARGET * few,
            note="no growth with history: the floor is the twin goal with ten stances",
        )
    )
    return rows
