"""discord.py's sweep of idle rate-limit buckets runs now and then, not at every new bucket."""

from __future__ import annotations

import asyncio

from discord.http import HTTPClient

from bot.discord_buckets import sweep_buckets_now_and_then


async def test_idle_buckets_are_still_swept_but_at_most_once_a_minute():
    http = HTTPClient(asyncio.get_running_loop())
    clock = [1000.0]
    assert sweep_buckets_now_and_then(http, every=60.0, monotonic=lambda: clock[0])
    for i in range(300):  # swept once (nothing idle) as the 256th was made
        http.get_ratelimit(f"old:{i}")
    assert len(http._buckets) == 300
    for bucket in http._buckets.values():
        bucket._last_request -= 301  # idle over five minutes: discord.py would drop them
    clock[0] += 60.0
    http.get_ratelimit("new:0")  # a minute on, a new bucket sweeps
    assert set(http._buckets) == {"new:0"}
    for i in range(300):
        http.get_ratelimit(f"later:{i}")
    for bucket in http._buckets.values():
        bucket._last_request -= 301
    clock[0] += 59.0
    http.get_ratelimit("new:1")  # within the minute: no sweep, the idle buckets stay
    assert len(http._buckets) == 302
    clock[0] += 1.0
    http.get_ratelimit("new:2")  # a minute on: swept as discord.py sweeps
    assert set(http._buckets) == {"new:1", "new:2"}  # the idle ones gone


async def test_a_discord_py_without_the_sweep_is_left_as_it_is():
    class Plain:
        pass

    assert not sweep_buckets_now_and_then(Plain())  # type: ignore[arg-type]
