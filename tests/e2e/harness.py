"""Run the real bot as its own process, the way the README runs it, against the fake Discord.

`BotProcess.start()` runs `partnerbot run` (the console script; `python -m bot run` when it is not
installed) with only the environment a host would set:

    DISCORD_TOKEN=<the fake's token>
    DISCORD_API_BASE_URL=http://127.0.0.1:PORT/api/v10
    DATA_DIR=<a temporary folder>      (its own SQLite file, unless DATABASE_URL is given)
    DEV_GUILD_ID=<the fake server>     (so `run` syncs the commands there at start)
    LOG_LEVEL=DEBUG

and returns once the bot has registered its commands in that server and its gateway session is
READY with every GUILD_CREATE sent. The working directory is the data folder, so a developer's
`.env` is never read. The bot's output goes to a log file; `log_tail()` shows its end.

On PostgreSQL (`database_url`, see `e2e_database` and `fresh_database`), each test gets a new,
empty database on TEST_DATABASE_URL's server, which the bot migrates as it starts. Several
processes can share one (`SHARD_COUNT` / `SHARD_IDS` in `extra_env`); a sharded process is
ready once each of its shards has identified.

`stop()` sends SIGTERM, then SIGKILL after a timeout. Every child is also killed if the test
process dies (PR_SET_PDEATHSIG on Linux, and an atexit sweep), so no bot outlives a test run.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .fake_discord import FakeDiscord, GatewaySession

REPO_ROOT = Path(__file__).resolve().parents[2]

#: Settings the bot reads from the environment; never inherited from the test runner's.
SETTINGS_KEYS = (
    "DISCORD_TOKEN",
    "DATABASE_URL",
    "DATA_DIR",
    "DEV_GUILD_ID",
    "LOG_LEVEL",
    "DEFAULT_TIMEZONE",
    "DISCORD_API_BASE_URL",
    "ADMIN_ROLE_NAME",
    "PROMPT_GRACE_HOURS",
    "SHARD_COUNT",
    "SHARD_IDS",
    "SCHEDULE_POLL_SECONDS",
    "DB_POOL_SIZE",
    "DB_MAX_OVERFLOW",
)

#: DEBUG chatter left out of `log_tail` (the full log stays in the file).
NOISE = re.compile(r" DEBUG +(aiosqlite|sqlalchemy|discord\.client: Dispatching event socket_)")
ERROR_LINE = re.compile(r"^\S+ \S+ (ERROR|CRITICAL)\s|^Traceback \(most recent call last\)")

_live_pids: set[int] = set()


def _kill_leftovers() -> None:
    for pid in list(_live_pids):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


atexit.register(_kill_leftovers)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the kernel kills the bot if the test process dies first."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(Exception):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def partnerbot_command(*args: str) -> list[str]:
    """`partnerbot …` from this interpreter's environment, else `python -m bot …`."""
    script = Path(sys.executable).parent / "partnerbot"
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "bot", *args]


def bot_environment(fake: FakeDiscord, data_dir: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS_KEYS}
    env.update(
        DISCORD_TOKEN=fake.token,
        DISCORD_API_BASE_URL=fake.base_url,
        DATA_DIR=str(data_dir),
        DATABASE_URL="",
        LOG_LEVEL="DEBUG",
        DEFAULT_TIMEZONE="Europe/London",
        PYTHONUNBUFFERED="1",
    )
    if not (Path(sys.executable).parent / "partnerbot").exists():
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.update(overrides)
    return env


# ---------------------------------------------------------------------------- the database


def e2e_database() -> str:
    """Where the bot keeps its data in these tests: `E2E_DATABASE=sqlite|postgresql`, by
    default PostgreSQL under CI=true (its server is TEST_DATABASE_URL's), else SQLite."""
    chosen = os.environ.get("E2E_DATABASE", "").strip().lower()
    if not chosen:
        chosen = "postgresql" if os.environ.get("CI", "").lower() == "true" else "sqlite"
    if chosen not in ("sqlite", "postgresql"):
        raise ValueError(f"E2E_DATABASE must be sqlite or postgresql, not {chosen!r}")
    return chosen


def postgres_server() -> str | None:
    """TEST_DATABASE_URL, or None (then PostgreSQL tests skip; under CI=true they fail)."""
    return os.environ.get("TEST_DATABASE_URL") or None


async def _admin(server_url: str, statement: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def fresh_database(server_url: str, prefix: str = "pb_e2e") -> AsyncIterator[str]:
    """A new, empty PostgreSQL database beside `server_url`'s (the bot migrates it at start),
    dropped afterwards. The benchmarks use it too (`prefix="pb_bench"`)."""
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    await _admin(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------------------- the process


class BotFailed(AssertionError):
    """The bot process did not start, or died."""


class BotProcess:
    """One `partnerbot run` child process; restartable with the same data folder."""

    def __init__(
        self,
        fake: FakeDiscord,
        *,
        data_dir: Path,
        log_path: Path,
        dev_guild_id: int,
        extra_env: dict[str, str] | None = None,
        database_url: str = "",
        # Starting migrates the database first: an empty PostgreSQL one takes a while.
        start_timeout: float = 60.0,
        stop_timeout: float = 10.0,
        command: list[str] | None = None,
    ) -> None:
        self.fake = fake
        # What to run instead of `partnerbot run` (a benchmark's bare bot), in the same way.
        self.command = command
        self.data_dir = data_dir
        self.log_path = log_path
        self.dev_guild_id = dev_guild_id
        self.extra_env = dict(extra_env or {})
        self.database_url = database_url  # "" for an SQLite file in the data folder
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.proc: asyncio.subprocess.Process | None = None
        self.session: GatewaySession | None = None
        self.starts = 0
        self.exit_codes: list[int] = []
        self.allow_errors = False  # set by a test that provokes logged errors on purpose
        self.shard_sessions: list[GatewaySession] = []  # a sharded process's, one per shard
        self.data_dir.mkdir(parents=True, exist_ok=True)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    async def start(self) -> GatewaySession:
        """Start the bot and wait until it has synced its commands and is READY."""
        if self.running:
            raise RuntimeError("the bot is already running")
        mark = self.fake.mark()
        self.starts += 1
        command = self.command or partnerbot_command("run")
        env = bot_environment(
            self.fake,
            self.data_dir,
            DEV_GUILD_ID=str(self.dev_guild_id),
            DATABASE_URL=self.database_url,
            **self.extra_env,
        )
        with self.log_path.open("ab") as log:
            log.write(f"===== start #{self.starts}: {' '.join(command)}\n".encode())
            log.flush()
            self.proc = await asyncio.create_subprocess_exec(
                *command,
                cwd=self.data_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        _live_pids.add(self.proc.pid)
        ready = asyncio.ensure_future(self._ready(mark))
        exited = asyncio.ensure_future(self.proc.wait())
        try:
            done, _ = await asyncio.wait(
                {ready, exited}, timeout=self.start_timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for task in (ready, exited):
                if not task.done():
                    task.cancel()
        if ready in done and not ready.cancelled() and ready.exception() is None:
            self.session = ready.result()
            return self.session
        if exited in done:
            code = self.proc.returncode
            await self.stop()
            raise BotFailed(f"partnerbot exited with {code} before it was ready\n{self.log_tail()}")
        problem = ready.exception() if ready in done else None
        await self.stop()
        raise BotFailed(
            f"partnerbot was not ready within {self.start_timeout:.0f}s ({problem})\n"
            f"{self.log_tail()}"
        )

    @property
    def shards(self) -> list[tuple[int, int]] | None:
        """The shards (id, count) this process runs, or None when it runs unsharded."""
        count = self.extra_env.get("SHARD_COUNT", "").strip()
        if not count:
            return None
        ids = self.extra_env.get("SHARD_IDS", "").strip()
        chosen = [int(i) for i in ids.split(",")] if ids else range(int(count))
        return [(i, int(count)) for i in chosen]

    async def _ready(self, mark: Any) -> GatewaySession:
        await self.fake.wait_for_commands(self.dev_guild_id, since=mark, timeout=self.start_timeout)
        shards = self.shards
        if shards is None:
            return await self.fake.wait_until_connected(since=mark, timeout=self.start_timeout)
        self.shard_sessions = await self.fake.changes.wait_for(
            lambda: self._shard_sessions(mark, shards),
            timeout=self.start_timeout,
            what=f"the bot to identify shards {shards}",
        )
        return self.shard_sessions[0]

    def _shard_sessions(
        self, mark: Any, shards: list[tuple[int, int]]
    ) -> list[GatewaySession] | None:
        found = {
            s.shard: s
            for s in self.fake.gateway.sessions[mark.sessions :]
            if s.ready and s.connected and not s.invalidated
        }
        if all(shard in found for shard in shards):
            return [found[shard] for shard in shards]
        return None

    async def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after `stop_timeout`. Returns the exit code."""
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), self.stop_timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        _live_pids.discard(proc.pid)
        assert proc.returncode is not None
        self.exit_codes.append(proc.returncode)
        with self.log_path.open("ab") as log:
            log.write(f"===== stopped: exit code {proc.returncode}\n".encode())
        return proc.returncode

    async def restart(self) -> GatewaySession:
        """Stop the process and start a new one on the same data folder (it identifies anew)."""
        await self.stop()
        return await self.start()

    # ---- the log

    def log_text(self) -> str:
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def this_start_log(self) -> str:
        """The log written since the latest start (each start writes a "===== start #n" line)."""
        text = self.log_text()
        mark = f"===== start #{self.starts}:"
        return text[text.rfind(mark) :] if mark in text else text

    async def wait_for_log(self, needle: str, *, within: float = 30.0) -> None:
        """Wait until the running process has logged `needle` since it started: READY from
        Discord is not yet the bot's `on_ready`, which discord.py holds for its guilds, so the
        schedule engine starts a few seconds after `start` returns."""
        deadline = time.monotonic() + within
        while needle not in self.this_start_log():
            if not self.running:
                raise BotFailed(f"the bot exited before logging {needle!r}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise BotFailed(f"no {needle!r} in the bot's log after {within:.0f} s")
            await asyncio.sleep(0.1)

    def log_tail(self, lines: int = 80, *, noise: bool = False) -> str:
        """The last `lines` lines of the bot's log, without database DEBUG chatter."""
        kept = [line for line in self.log_text().splitlines() if noise or not NOISE.search(line)]
        return "\n".join(kept[-lines:])

    def error_lines(self) -> list[str]:
        """ERROR/CRITICAL log lines and tracebacks the bot wrote."""
        return [line for line in self.log_text().splitlines() if ERROR_LINE.search(line)]


@dataclass
class CliResult:
    returncode: int
    output: str


async def run_cli(
    fake: FakeDiscord,
    data_dir: Path,
    *args: str,
    timeout: float = 60.0,  # noqa: ASYNC109 - kills the child on expiry
    **env: str,
) -> CliResult:
    """Run another `partnerbot` command (e.g. `sync`) against the fake, to completion, in an
    existing data folder."""
    proc = await asyncio.create_subprocess_exec(
        *partnerbot_command(*args),
        cwd=data_dir,
        env=bot_environment(fake, data_dir, **env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=_die_with_parent,
    )
    _live_pids.add(proc.pid)
    try:
        output, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        output, _ = await proc.communicate()
    finally:
        _live_pids.discard(proc.pid)
    assert proc.returncode is not None
    return CliResult(proc.returncode, output.decode(errors="replace"))


async def measure_round_trip(
    fake: FakeDiscord, user: Any, guild: Any, channel: Any, command: str, /, **options: Any
) -> float:
    """Seconds from sending INTERACTION_CREATE to the bot's callback POST arriving."""
    sent = await fake.invoke(user, guild, channel, command, **options)
    record = await fake.wait_for_callback(sent.id)
    assert record.callback_at is not None
    return record.callback_at - record.sent_at


async def measure_round_trips(
    fake: FakeDiscord,
    user: Any,
    guild: Any,
    channel: Any,
    command: str,
    /,
    *,
    count: int,
    **options: Any,
) -> list[float]:
    """`count` sequential round trips, e.g. for a benchmark's median and p95."""
    return [
        await measure_round_trip(fake, user, guild, channel, command, **options)
        for _ in range(count)
    ]
