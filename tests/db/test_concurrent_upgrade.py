"""Several processes started together (one per shard) upgrade one PostgreSQL database at once:
they take turns (an advisory lock), and every one of them starts."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from db.migrate import current_revisions, head_revisions
from tests.db.test_name_keys import empty_url  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 3


async def upgrade_in_a_process(url: str, cwd: Path) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE"))}
    env.update(DATABASE_URL=url, PYTHONPATH=str(ROOT))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "db",
        "upgrade",
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(proc.communicate(), 240)
    assert proc.returncode is not None
    return proc.returncode, output.decode(errors="replace")


@pytest.mark.parametrize("empty_url", ["postgresql"], indirect=True)  # SQLite: one process
async def test_processes_upgrading_together_take_turns(empty_url: str, tmp_path: Path):  # noqa: F811
    results = await asyncio.gather(
        *(upgrade_in_a_process(empty_url, tmp_path) for _ in range(PROCESSES))
    )
    for code, output in results:
        assert code == 0, output[-2000:]
    assert await current_revisions(empty_url) == head_revisions()
