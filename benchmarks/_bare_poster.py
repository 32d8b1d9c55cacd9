"""The floor of a burst of scheduled prompts: a bare discord.py client posting the same embeds
and opening the same threads, with as little around it as discord.py allows. It reads the
channel ids (one a line) from stdin, posts to each at most `CONCURRENCY` at a time (discord.py
itself waits out the global 429s), and prints one JSON line: seconds, process CPU seconds, posts.

    DISCORD_TOKEN=... DISCORD_API_BASE_URL=... python -m benchmarks._bare_poster < channels
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import discord

T = TypeVar("T")

CONCURRENCY = 8


async def post_all(client: discord.Client, channel_ids: list[int]) -> None:
    slots = asyncio.Semaphore(CONCURRENCY)

    async def again(work: Callable[[], Awaitable[T]]) -> T:
        """discord.py waits out a global 429 a few times, then gives up: go on trying."""
        while True:
            try:
                return await work()
            except discord.HTTPException as exc:
                if exc.status != 429:
                    raise
                await asyncio.sleep(0.05)

    async def one(index: int, channel_id: int) -> None:
        async with slots:
            channel = client.get_partial_messageable(channel_id, type=discord.ChannelType.text)
            embed = discord.Embed(title="Reflective prompt", description="What went well?")
            message = await again(lambda: channel.send(embed=embed, nonce=f"bare-{index}"))
            await again(
                lambda: client.http.start_thread_with_message(
                    channel_id, message.id, name="Discussion", auto_archive_duration=10080
                )
            )

    await asyncio.gather(*(one(i, cid) for i, cid in enumerate(channel_ids)))


async def main() -> None:
    channel_ids = [int(line) for line in sys.stdin.read().split()]
    base = os.environ.get("DISCORD_API_BASE_URL")
    if base:
        discord.http.Route.BASE = base.rstrip("/")
    client = discord.Client(intents=discord.Intents(guilds=True))
    async with client:
        await client.login(os.environ["DISCORD_TOKEN"])
        cpu, wall = time.process_time(), time.perf_counter()
        await post_all(client, channel_ids)
        seconds, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(json.dumps({"seconds": seconds, "cpu": cpu, "posts": len(channel_ids)}))


if __name__ == "__main__":
    asyncio.run(main())
