"""Pacing scheduled work: under Discord's global rate limit, and behind people's commands.

Discord lets a bot make 50 requests a second (the global limit; interaction responses are not
counted). When a thousand prompts fall due in the same minute, posting them as fast as the
event loop allows would hit that limit and, worse, leave every command waiting behind the
burst for the database and the event loop. So scheduled work goes through a `Pacer`:

- **A few slots.** At most `concurrency` scheduled runs (claim, post, record) are under way at
  once; the rest wait their turn, in the order they fell due.
- **Commands first.** A slot is not handed out while an interaction is being handled, nor for
  `hold` seconds after one arrives; commands never queue behind a burst. Waiting is capped
  (`max_yield` seconds per slot), so a busy server delays scheduled posts but never starves them.
- **A token bucket.** Each action declares how many requests the engine spends for it before it
  runs; `spend` waits until the bucket, refilled at `rate` requests a second, holds them. An
  action whose later requests wait on earlier ones spends for them as it makes them (a prompt:
  1 for its message before it runs, 1 for its thread once the message is posted), so requests
  keep under the limit however long each took. 47 a second leaves room under the limit for what
  commands do besides answering, and for a turn taken a little late (up to `CATCH_UP`) next to
  one on time: any second then holds at most 48 scheduled requests.
- **Spent in turn, by the clock.** Spenders wait their turn one at a time, and each turn is
  counted from when its waiter actually woke: when the event loop was held up (a busy machine),
  the waiters it delayed do not all go at once when it frees up, which would put more than the
  limit into the next second. Only a late wake of up to `CATCH_UP` seconds is made up.

`Pacer.unpaced()` does none of this (tests, and the engine when nothing else is given).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

# Discord's global limit is 50 requests a second per bot; scheduled work keeps under it.
SCHEDULED_RATE = 47.0
# Scheduled runs under way at once: enough to keep the rate with Discord's round trips, and,
# when an interaction holds new runs back (`INTERACTION_HOLD`), enough already claimed to keep
# spending at the rate meanwhile (two requests each: 24 runs are a second's worth).
SCHEDULED_CONCURRENCY = 24
# A waiter that woke this much after its turn still keeps the pace it was given (the event
# loop's usual lateness); beyond it, the turns after it are counted from when it woke.
CATCH_UP = 0.01
# After an interaction arrives, how long new scheduled runs wait for it to be answered.
INTERACTION_HOLD = 1.0
# The longest a scheduled run waits for commands before going ahead anyway.
MAX_YIELD = 3.0

# `Pacer.spend`, as handed to code that makes requests for scheduled work (timer handlers).
Spend = Callable[[int], Awaitable[None]]


async def spend_nothing(_requests: int) -> None:
    """A `Spend` that never waits (a command's own requests, and tests)."""


class Slot:
    """A run's place among the few under way at once."""

    __slots__ = ("_slots",)

    def __init__(self, slots: asyncio.Semaphore | None) -> None:
        self._slots = slots

    def release(self) -> None:
        """Give the place to the next run before this one ends: what is left of it takes no
        turn (a scheduled post waiting for its outcome to be written with others'). Once."""
        if self._slots is not None:
            self._slots.release()
            self._slots = None


class Pacer:
    def __init__(
        self,
        *,
        rate: float | None = SCHEDULED_RATE,
        concurrency: int | None = SCHEDULED_CONCURRENCY,
        hold: float = INTERACTION_HOLD,
        max_yield: float = MAX_YIELD,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be above 0")
        self.rate = rate
        self.hold = hold
        self.max_yield = max_yield
        self.monotonic = monotonic
        self._slots = asyncio.Semaphore(concurrency) if concurrency else None
        # The moment the bucket next has a token (a "virtual scheduling time", GCRA style), and
        # the spenders' turns: one waits for it at a time.
        self._next_free = 0.0
        self._turn = asyncio.Lock()
        self._interactions = 0
        self._quiet_after = 0.0
        self._quiet = asyncio.Event()
        self._quiet.set()
        # For benchmarks and logs: requests spent, and how long slots waited for commands.
        self.spent = 0
        self.yielded_seconds = 0.0

    @classmethod
    def unpaced(cls) -> Pacer:
        return cls(rate=None, concurrency=None, hold=0.0, max_yield=0.0)

    # ------------------------------------------------------------------ interactions

    def interaction_arrived(self) -> None:
        """Any interaction (a command, a button, a form): hold new scheduled runs a moment."""
        if self.hold > 0:
            self._quiet_after = max(self._quiet_after, self.monotonic() + self.hold)

    def interaction_started(self) -> None:
        """A command is being handled: no new scheduled run starts until it ends."""
        self._interactions += 1
        self._quiet.clear()

    def interaction_ended(self) -> None:
        self._interactions = max(0, self._interactions - 1)
        if self._interactions == 0:
            self._quiet.set()

    @property
    def busy(self) -> bool:
        return self._interactions > 0 or self.monotonic() < self._quiet_after

    async def _yield_to_interactions(self) -> None:
        if self.max_yield <= 0:
            return
        started = self.monotonic()
        deadline = started + self.max_yield
        while self.busy:
            now = self.monotonic()
            if now >= deadline:
                break
            if self._interactions:
                try:
                    await asyncio.wait_for(self._quiet.wait(), deadline - now)
                except TimeoutError:
                    break
            else:
                await asyncio.sleep(min(self._quiet_after, deadline) - now)
        self.yielded_seconds += self.monotonic() - started

    # ------------------------------------------------------------------ scheduled work

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[Slot]:
        """One scheduled run: waits for a free slot, then for commands under way. The run may
        give the slot back before it ends (`Slot.release`)."""
        if self._slots is None:
            yield Slot(None)
            return
        await self._slots.acquire()
        held = Slot(self._slots)
        try:
            await self._yield_to_interactions()
            yield held
        finally:
            held.release()

    async def spend(self, requests: int) -> None:
        """Wait until `requests` requests fit under the rate, and count them."""
        self.spent += requests
        if self.rate is None or requests <= 0:
            return
        async with self._turn:
            now = self.monotonic()
            if self._next_free > now:
                due = self._next_free
                await asyncio.sleep(due - now)
                # Woken late (a held-up event loop): the later turns start from the wake, so
                # the requests it delayed do not crowd into the next second.
                start = due + max(0.0, self.monotonic() - due - CATCH_UP)
            else:
                start = now
            self._next_free = start + requests / self.rate
