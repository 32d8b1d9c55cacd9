"""Running one kind of timer the way the bot does (`bot.timers`), with a handler that records
what the service hands out instead of sending it: for service tests of the rules a timer
applies (who is reminded, when, not twice)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from bot.services.clock import Clock
from bot.timers import Fire, TimerEngine, TimerSeed, TimerSkipped
from db.engine import SessionFactory

T = TypeVar("T")


class TimerRuns(Generic[T]):
    """`engines` timer engines on one database, each running the due timers of `kind` with
    `handle`: what it returns is recorded, None makes the timer skipped (as the cogs do)."""

    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        kind: str,
        handle: Callable[[Fire], Awaitable[T | None]],
        *,
        seed: TimerSeed | None = None,
        engines: int = 1,
    ) -> None:
        self.kind = kind
        self.handle = handle
        self.handed: list[T] = []
        self.engines = []
        for _ in range(engines):
            engine = TimerEngine(sessions, clock=clock)
            engine.register(kind, self._run, seed)
            self.engines.append(engine)

    async def _run(self, fire: Fire) -> dict[str, Any]:
        found = await self.handle(fire)
        if found is None:
            raise TimerSkipped("nothing to do")
        self.handed.append(found)
        return {}

    async def due(self) -> list[T]:
        """Run every engine at once; what they handed out this time."""
        before = len(self.handed)
        await asyncio.gather(*(engine.run_due() for engine in self.engines))
        return self.handed[before:]
