"""The schedule engine at scale: start-up with many schedules, and a burst of due prompts.

    .venv/bin/python -m benchmarks --only scheduler [--size smoke|full]
    .venv/bin/python -m benchmarks.scheduler [smoke|full]      (this benchmark alone)

Sizes: full, 10,000 schedules of which 1,000 fall due in the same minute, 8 commands during the
burst; smoke, 200, 50 and 3. Cases, each next to its floor from the same run:

- **engine start** in process: `ScheduleEngine.start` on N varied schedules (weekly, at 96
  times of day, in five zones) read from SQLite; floor, a bare APScheduler adding N jobs with
  ready-made cron triggers. Target: ≤ 2 s for 10,000.
- **gateway READY** of the real bot (`partnerbot run`, tests/e2e/harness.py, against
  tests/e2e/fake_discord.py) with N schedules; floor, the same bot with none. Target: within a
  few seconds of the floor, whatever N (the engine loads after connecting). The bot's own log
  says how long it then took to load them.
- **burst**: M daily prompts due at the same minute, each in its own channel, posted through
  the fake with Discord's global limit on (50 requests a second, 429 above). Measured from the
  minute to the last thread; floor, a bare discord.py client posting the same messages and
  threads (`benchmarks/_bare_poster.py`). Target ≈ 2M/50 s, never over 50 requests in any second,
  each prompt exactly once (one message and one thread per channel).
- **commands during the burst**: `/partnership info` round trips spread over the burst; floor,
  the same calls just before it. Target: every one under Discord's 3 s.
- **CPU per post**: the bot process's CPU time over the burst / M; floor, the bare client's.
  Target ≤ 5 ms.

The bot checks every partnership channel at start (`ChannelSync.repair_all`, from the gateway's
copy of each): the CPU row's note says whether that check had ended (the bot's log says so) when
the burst began, so that the burst's CPU is the posts' own.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from benchmarks._schedule_seed import SeedRow, seed, varied_rows
from benchmarks.common import Row
from bot.scheduling import ScheduleEngine
from db.engine import create_engine, create_session_factory
from db.migrate import upgrade
from tests.e2e._discord_ratelimit import GlobalRateLimit
from tests.e2e.fake_discord import FakeDiscord, Perm
from tests.e2e.harness import REPO_ROOT, BotProcess

NAME = "scheduler"
SIZES = {"smoke": (200, 50, 3), "full": (10_000, 1_000, 8)}
ROUNDS = 3
DISCORD_LIMIT = 50
LOAD_TARGET = 2.0  # seconds for 10,000 schedules
READY_SLACK = 3.0  # seconds over the floor that still count as "a few"
COMMAND_DEADLINE = 3.0
CPU_TARGET_MS = 5.0
ENV = {"LOG_LEVEL": "INFO"}
STARTED = re.compile(r"Schedule engine started with (\d+) schedules in ([\d.]+) s")
CHECKED = re.compile(r"Checked (\d+) partnership channels? in ([\d.]+) s")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(size: str) -> list[Row]:
    schedules, burst, commands = SIZES[size]
    rows = await _engine_start(schedules)
    rows += await _in_the_bot(schedules, burst, commands)
    return rows


# ---------------------------------------------------------------------------- engine start


async def _engine_start(n: int) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="partnerbot-bench-") as folder:
        url = f"sqlite+aiosqlite:///{folder}/engine.db"
        await upgrade(url)
        await seed(url, varied_rows(n, datetime.now(UTC), guild_id=1), guild_id=1)
        engine_db = create_engine(url)
        sessions = create_session_factory(engine_db)
        triggers = [
            CronTrigger(day_of_week=i % 7, hour=(i // 7) % 24, minute=(i * 15) % 60, timezone=UTC)
            for i in range(n)
        ]
        mine: list[float] = []
        floor: list[float] = []
        try:
            for _ in range(ROUNDS):  # interleaved, so machine noise falls on both alike
                engine = ScheduleEngine(sessions)

                async def nothing(_due: Any) -> dict[str, Any]:
                    return {}

                engine.register("prompt", nothing)
                began = time.perf_counter()
                await engine.start(catch_up=False)
                mine.append(time.perf_counter() - began)
                jobs = engine.aps.get_jobs() if engine.aps else []
                # The schedules' own jobs; the engine's poll of changes is one more.
                loaded = sum(1 for job in jobs if job.id.startswith("schedule:"))
                await engine.shutdown()
                assert loaded == n, f"{loaded} jobs for {n} schedules"
                floor.append(await _bare_aps(triggers))
        finally:
            await engine_db.dispose()
    value, base = min(mine), min(floor)
    return [
        Row(
            NAME,
            f"engine start, {n:,} schedules (in process)",
            value,
            base,
            "s",
            "≤ 2 s at 10,000",
            value <= LOAD_TARGET * max(n, 10_000) / 10_000,
            "floor: bare APScheduler adding the jobs",
        )
    ]


async def _bare_aps(triggers: list[CronTrigger]) -> float:
    async def job() -> None:
        return None

    began = time.perf_counter()
    aps = AsyncIOScheduler(timezone=UTC)
    aps.start(paused=True)
    for i, trigger in enumerate(triggers):
        aps.add_job(job, trigger=trigger, id=str(i))
    aps.resume()
    took = time.perf_counter() - began
    aps.shutdown(wait=False)
    return took


# ---------------------------------------------------------------------------- the real bot


def _burst_minute(lead: float) -> datetime:
    """The first whole minute at least `lead` seconds away."""
    soon = datetime.now(UTC) + timedelta(seconds=lead)
    return soon.replace(second=0, microsecond=0) + timedelta(minutes=1)


async def _start(
    fake: FakeDiscord, data: Path, log: Path, guild_id: int
) -> tuple[BotProcess, float]:
    bot = BotProcess(
        fake, data_dir=data, log_path=log, dev_guild_id=guild_id, extra_env=ENV, start_timeout=180
    )
    began = time.perf_counter()
    await bot.start()
    return bot, time.perf_counter() - began


async def _round_trip(fake: FakeDiscord, *call: Any, **options: Any) -> float:
    sent = await fake.invoke(*call, **options)
    reply = await sent.response(timeout=60)
    done = time.perf_counter()
    assert reply.content or reply.embeds, reply
    return done - fake.interaction(sent).sent_at


async def _in_the_bot(n: int, m: int, k: int) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="partnerbot-bench-") as folder:
        tmp = Path(folder)
        async with FakeDiscord(global_rate_limit=DISCORD_LIMIT) as fake:
            guild = fake.add_guild("Bench Council")
            guild_id = int(guild["id"])
            convener = fake.add_member(guild, "Connie Convener", permissions=Perm.MANAGE_GUILD)
            general = fake.find_channel(guild, "general")
            channels = [int(fake.add_channel(guild, f"bench-{i}")["id"]) for i in range(m)]

            # The floor of READY: the same bot, the same database, no schedules.
            empty = tmp / "empty"
            empty.mkdir()
            await upgrade(f"sqlite+aiosqlite:///{empty}/partnerbot.db")
            bot, ready_floor = await _start(fake, empty, tmp / "empty.log", guild_id)
            await bot.stop()

            data = tmp / "bot"
            data.mkdir()
            url = f"sqlite+aiosqlite:///{data}/partnerbot.db"
            await upgrade(url)
            now = datetime.now(UTC)
            at = _burst_minute(lead=2 * ready_floor + 10 + n / 1000)
            burst_rows = [
                SeedRow(channel_id=cid, timezone="UTC", local_time=at.strftime("%H:%M"))
                for cid in channels
            ]
            await seed(
                url, burst_rows + varied_rows(n - m, now, guild_id=guild_id), guild_id=guild_id
            )
            bot, ready = await _start(fake, data, tmp / "bot.log", guild_id)
            try:
                rows = await _burst(fake, bot, (convener, guild, general), channels, at, k)
            finally:
                await bot.stop()
            found = STARTED.findall(bot.log_text())
            loaded, load_seconds = (int(found[-1][0]), float(found[-1][1])) if found else (0, -1.0)
            done = _occurrences_done(data / "partnerbot.db")
            bare = await _bare_burst(fake, channels)
    exactly_once = rows.pop("exactly_once") and done == m
    burst_seconds, max_rate = rows["seconds"], rows["max_rate"]
    ideal = 2 * m / DISCORD_LIMIT
    during, idle = rows["during"], rows["idle"]
    return [
        Row(
            NAME,
            f"gateway READY after start, {n:,} schedules",
            ready,
            ready_floor,
            "s",
            "within a few s of no schedules",
            ready - ready_floor <= READY_SLACK,
            "floor: the same bot with none",
        ),
        Row(
            NAME,
            f"engine load in the bot after READY, {loaded:,} schedules",
            load_seconds,
            None,
            "s",
            "≤ 2 s at 10,000",
            0 <= load_seconds <= LOAD_TARGET * max(n, 10_000) / 10_000,
        ),
        Row(
            NAME,
            f"burst: {m:,} prompts due in one minute, posted",
            burst_seconds,
            bare["seconds"],
            "s",
            f"≈ {ideal:.0f} s (50 req/s), each once",
            exactly_once and burst_seconds <= ideal * 1.3 + 5,
            f"{done} occurrences done; floor: bare discord.py client",
        ),
        Row(
            NAME,
            "burst: most requests in any second",
            max_rate,
            bare["max_rate"],
            "req/s",
            "≤ 50",
            max_rate <= DISCORD_LIMIT and rows["limited"] == 0,
            f"{int(rows['limited'])} answered 429; floor: the bare client unpaced",
        ),
        Row(
            NAME,
            f"command round trip during the burst, p50 of {len(during)}",
            statistics.median(during),
            statistics.median(idle),
            "s",
            "< 3 s",
            statistics.median(during) < COMMAND_DEADLINE,
            "/partnership info; floor: the same just before",
        ),
        Row(
            NAME,
            f"command round trip during the burst, max of {len(during)}",
            max(during),
            max(idle),
            "s",
            "< 3 s",
            max(during) < COMMAND_DEADLINE,
        ),
        Row(
            NAME,
            "CPU per scheduled post",
            rows["cpu"] / m * 1000,
            bare["cpu"] / m * 1000,
            "ms",
            "≤ 5 ms",
            rows["cpu"] / m * 1000 <= CPU_TARGET_MS,
            "bot process CPU over the burst / posts; floor: bare client; the start's channel "
            + ("check had ended" if rows["checked"] else "check still ran"),
        ),
    ]


def _posts(fake: FakeDiscord, channels: set[int], since: int) -> tuple[int, int, float]:
    """Prompt messages and threads made in the burst channels after request `since`."""
    messages = threads = 0
    last = 0.0
    for record in fake.requests[since:]:
        if record.method != "POST" or record.status not in (200, 201):
            continue
        channel = int(record.params.get("channel_id", 0))
        if channel not in channels:
            continue
        if record.route == "/channels/{channel_id}/messages":
            messages += 1
        elif record.route == "/channels/{channel_id}/messages/{message_id}/threads":
            threads += 1
        else:
            continue
        last = max(last, record.at)
    return messages, threads, last


async def _burst(
    fake: FakeDiscord,
    bot: BotProcess,
    where: tuple[Any, Any, Any],
    channels: list[int],
    at: datetime,
    k: int,
) -> dict[str, Any]:
    m = len(channels)
    convener, guild, general = where
    info = {"partnership": "Bench 0"}
    await _round_trip(fake, convener, guild, general, "partnership info", **info)  # warm up
    idle = [
        await _round_trip(fake, convener, guild, general, "partnership info", **info)
        for _ in range(k)
    ]
    wait = (at - datetime.now(UTC)).total_seconds()
    assert wait > 0, f"the bot took too long to start; the burst minute {at} has passed"
    await asyncio.sleep(wait)
    assert bot.pid is not None
    checked = CHECKED.search(bot.log_text()) is not None
    cpu = _cpu_seconds(bot.pid)
    mark = len(fake.requests)
    began = time.perf_counter()
    spacing = (2 * m / DISCORD_LIMIT) / (k + 1)

    async def commands() -> list[float]:
        times = []
        for _ in range(k):
            await asyncio.sleep(spacing)
            times.append(
                await _round_trip(fake, convener, guild, general, "partnership info", **info)
            )
        return times

    during_task = asyncio.create_task(commands())
    wanted = set(channels)
    deadline = began + 2 * m / 5 + 120
    while True:
        messages, threads, last = _posts(fake, wanted, mark)
        if (messages >= m and threads >= m) or time.perf_counter() > deadline:
            break
        await asyncio.sleep(0.2)
    cpu = _cpu_seconds(bot.pid) - cpu
    during = await during_task
    per_channel = [len(fake.messages(cid)) for cid in channels]
    assert fake.rate_limit is not None
    return {
        "seconds": (last - began) if last else float("inf"),
        "exactly_once": all(count == 1 for count in per_channel) and threads == m,
        "max_rate": float(fake.rate_limit.max_rate),
        "limited": float(fake.rate_limit.limited),
        "during": during,
        "idle": idle,
        "cpu": cpu,
        "checked": checked,
    }


def _occurrences_done(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT count(*) FROM occurrence WHERE state = 'done'").fetchone()
    return int(row[0])


async def _bare_burst(fake: FakeDiscord, channels: list[int]) -> dict[str, float]:
    """Run the bare client in its own process against the same fake (with a fresh count)."""
    fake.rate_limit = GlobalRateLimit(DISCORD_LIMIT)
    env = dict(os.environ, DISCORD_TOKEN=fake.token, DISCORD_API_BASE_URL=fake.base_url)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks._bare_poster",
        env=env,
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    out, _ = await proc.communicate("\n".join(map(str, channels)).encode())
    assert proc.returncode == 0, "the bare poster failed"
    result = json.loads(out.decode().strip().splitlines()[-1])
    result["max_rate"] = float(fake.rate_limit.max_rate)
    return result


if __name__ == "__main__":
    size = sys.argv[1] if len(sys.argv) > 1 else "smoke"
    for row in asyncio.run(run(size)):
        floor = f"{row.floor:.3f}" if row.floor is not None else "-"
        ratio = f"{row.ratio:.2f}x" if row.ratio is not None else ""
        print(
            f"{row.case:<52} {row.value:9.3f} {row.unit:<5} {floor:>9} {ratio:>7} {row.ok}"
            f"  {row.note}"
        )
