"""discord.py's rate-limit buckets swept now and then, not at every new bucket.

discord.py keeps a bucket per route and channel, and once it holds 256 it looks through all of
them for those idle five minutes every time it makes a new one. A burst of prompts to a
thousand channels makes two new buckets a post (the message's, the thread's), each scanning
the thousands made before it: quadratic, about a millisecond of CPU a post by the burst's end.
`sweep_buckets_now_and_then` lets that sweep run at most once every `SWEEP_SECONDS`; the
buckets it drops and when (idle five minutes) are discord.py's own, so memory stays bounded by
what a minute of requests adds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import discord

log = logging.getLogger(__name__)

SWEEP_SECONDS = 60.0
_SWEEP = "_try_clear_expired_ratelimits"


def sweep_buckets_now_and_then(
    http: discord.http.HTTPClient,
    *,
    every: float = SWEEP_SECONDS,
    monotonic: Callable[[], float] = time.monotonic,
) -> bool:
    """Run `http`'s sweep of idle buckets at most once every `every` seconds. False (and
    nothing changed) if this discord.py has no such sweep."""
    sweep = getattr(http, _SWEEP, None)
    if not callable(sweep):
        log.warning("discord.py has no %s: its rate-limit buckets are swept as it does", _SWEEP)
        return False
    last: float | None = None

    def now_and_then() -> None:
        nonlocal last
        now = monotonic()
        if last is None or now - last >= every:
            last = now
            sweep()

    setattr(http, _SWEEP, now_and_then)
    return True
