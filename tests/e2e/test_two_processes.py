"""Two `partnerbot run` processes on one PostgreSQL database, against one fake Discord, with
the same every-minute schedules in view: each occurrence is posted exactly once.

Three deployments, each on a fresh database:

- `unsharded`: both run every server (a duplicate deployment by mistake). Discord sends the
  events to the newer session, so every command goes through the second process; the first
  learns of the schedules only by polling the database (`SCHEDULE_POLL_SECONDS`).
- `split`: `SHARD_COUNT=2`, `SHARD_IDS=0` and `SHARD_IDS=1`. Riverside Council is on shard 0
  and Hilltop Trust on shard 1: each process receives one server's events and runs only that
  server's schedules.
- `same shards`: `SHARD_COUNT=2` in both, each running both shards.

In every case the database claim is what makes each occurrence run once; the shard split only
shares the work. The schedules are made through commands, then two minute boundaries pass.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .fake_discord import FakeDiscord, Perm
from .harness import BotProcess
from .test_reflect import (
    EVERY_MINUTE,
    POST_TIMEOUT,
    SCHEDULE_ID,
    due_minute,
    for_minute,
    next_minute,
    prompts,
    seconds_until,
)

pytestmark = pytest.mark.e2e

JSON = dict[str, Any]
POLL_SECONDS = "2"
START_TIMEOUT = 120.0
CLAIMED = re.compile(r"Claimed occurrence (\d+) of schedule (\d+) in server (\d+)")
SYNCED = re.compile(r"Synced \d+ changed schedules")

DEPLOYMENTS = {
    "unsharded": ({}, {}),
    "split": ({"SHARD_COUNT": "2", "SHARD_IDS": "0"}, {"SHARD_COUNT": "2", "SHARD_IDS": "1"}),
    "same shards": ({"SHARD_COUNT": "2"}, {"SHARD_COUNT": "2"}),
}


@dataclass
class Server:
    guild: JSON
    general: JSON
    convener: JSON

    @property
    def id(self) -> int:
        return int(self.guild["id"])


def server(fake: FakeDiscord, name: str, shard: int) -> Server:
    guild = fake.add_guild(name, shard=(shard, 2))
    general = fake.find_channel(guild, "general")
    assert general is not None
    convener = fake.add_member(guild, f"{name} Convener", permissions=Perm.MANAGE_GUILD)
    return Server(guild, general, convener)


async def partnership_with_a_prompt_every_minute(
    fake: FakeDiscord, where: Server, name: str
) -> tuple[JSON, int]:
    """A partnership made from #general, and its every-minute prompt schedule's number."""
    reply = await fake.run(
        where.convener,
        where.guild,
        where.general,
        "partnership create",
        name=name,
        purpose="Ask now and then how the partnership is doing.",
    )
    match = re.search(r"<#(\d+)>", reply.content)
    assert match, reply
    channel = fake.channel(int(match[1]))
    assert channel is not None
    scheduled = await fake.run(
        where.convener, where.guild, channel, "reflect schedule", cadence="cron", cron=EVERY_MINUTE
    )
    number = SCHEDULE_ID.search(scheduled.content)
    assert number, scheduled
    return channel, int(number[1])


def claims(process: BotProcess) -> list[tuple[int, int, int]]:
    """(occurrence, schedule, server) of every occurrence this process claimed."""
    return [tuple(map(int, m.groups())) for m in CLAIMED.finditer(process.log_text())]  # type: ignore[misc]


@pytest.mark.parametrize("deployment", list(DEPLOYMENTS))
async def test_two_processes_post_each_occurrence_once(
    deployment: str, fake: FakeDiscord, postgres_database: str, tmp_path: Path, request: Any
) -> None:
    riverside = server(fake, "Riverside Council", shard=0)
    hilltop = server(fake, "Hilltop Trust", shard=1)
    processes = [
        BotProcess(
            fake,
            data_dir=tmp_path / f"data{n}",
            log_path=tmp_path / f"partnerbot{n}.log",
            dev_guild_id=dev.id,  # each registers the commands in one server: both have them
            database_url=postgres_database,
            extra_env={"SCHEDULE_POLL_SECONDS": POLL_SECONDS, **env},
            # The first migrates the database, and discord.py identifies shards 5 s apart.
            start_timeout=START_TIMEOUT,
        )
        for n, (dev, env) in enumerate(
            zip((riverside, hilltop), DEPLOYMENTS[deployment], strict=True)
        )
    ]
    request.node.e2e_bots = processes
    try:
        for process in processes:  # one after the other: the first migrates the database
            await process.start()
        for process in processes:  # schedules made before an engine starts are loaded, not synced
            await process.wait_for_log("Schedule engine started")
        channels: dict[int, JSON] = {}  # schedule number -> channel
        for where, name in ((riverside, "Riverside Health"), (riverside, "Riverside Youth"),
                            (hilltop, "Hilltop Housing")):  # fmt: skip
            channel, number = await partnership_with_a_prompt_every_minute(fake, where, name)
            channels[number] = channel
        first = next_minute(time.time() + 1)
        minutes = (first, first + 60)
        for minute in minutes:
            for channel in channels.values():
                await fake.wait_for_message(
                    channel, for_minute(minute), timeout=seconds_until(minute) + POST_TIMEOUT
                )
        await asyncio.sleep(5)  # a second post of the same minute would be here by now
    finally:
        for process in processes:
            await process.stop()

    for number, channel in channels.items():
        per_minute = Counter(due_minute(m) for m in prompts(fake, channel))
        assert all(per_minute[minute] == 1 for minute in minutes), (number, per_minute)
        assert set(per_minute.values()) == {1}, (number, per_minute)

    first_claims, second_claims = (claims(p) for p in processes)
    everything = first_claims + second_claims
    assert len({occurrence for occurrence, _, _ in everything}) == len(everything)
    posted = sum(len(prompts(fake, channel)) for channel in channels.values())
    assert len(everything) == posted
    if deployment == "split":
        # With a fixed SHARD_COUNT discord.py connects to its default gateway address without
        # asking: the bot read the fake's from GET /gateway/bot, and identified each shard.
        shards = sorted(tuple(p["shard"]) for p in fake.gateway.identify_payloads)
        assert shards == [(0, 2), (1, 2)], shards
        for process in processes:  # each received its own server only
            assert "in 1 servers" in process.log_text(), process.log_tail()
        assert {guild for _, _, guild in first_claims} <= {riverside.id}, first_claims
        assert {guild for _, _, guild in second_claims} <= {hilltop.id}, second_claims
        assert first_claims and second_claims
    else:
        # Every command went to the newer session: the first process found the schedules in
        # the database, by polling.
        assert SYNCED.search(processes[0].log_text()), processes[0].log_tail()
    for process in processes:
        errors = process.error_lines()
        assert not errors, "\n".join(errors[:20])
