"""Stopping waits for work in flight, including listeners a finishing command dispatches."""

from __future__ import annotations

import asyncio

from tests.cogs.conftest import World


async def test_stopping_waits_for_listeners_dispatched_while_draining(world: World):
    done: list[str] = []
    tasks: list[asyncio.Task[None]] = []

    async def listener() -> None:
        await asyncio.sleep(0.2)
        done.append("listener")

    async def command() -> None:
        await asyncio.sleep(0.1)
        # As a command ends, discord.py dispatches its listeners in tasks of their own.
        tasks.append(asyncio.create_task(listener(), name="discord.py: on_partnership_changed"))
        done.append("command")

    tasks.append(asyncio.create_task(command(), name="CommandTree-invoker"))
    await asyncio.sleep(0)
    await world.bot._drain()
    assert done == ["command", "listener"]
    assert all(task.done() for task in tasks)
