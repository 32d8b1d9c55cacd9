"""How fast this machine runs Python just now, and how steadily: the gauge `python -m benchmarks`
reads before its first benchmark and after each one, so that its figures can be read against the
machine they came from.

The same small loop (`CHUNK` additions) is timed again and again for a while (`seconds`), and
the timings are grouped into windows of `WINDOW` seconds. Each window's median, scaled to 10⁷
additions, is what that stretch of time took for them: the fastest and slowest windows show how
much the machine's speed moved while it was measured. On a shared machine it can move by half or
more, in phases of a second or two, and a benchmark's export and its floor then need not run at
the same speed even when they alternate.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass

CHUNK = 20_000  # additions timed at once
SCALE = 10_000_000 / CHUNK  # from one chunk to 10⁷ additions
WINDOW = 0.25  # seconds of chunks whose median is one window's speed


@dataclass(frozen=True)
class Speed:
    """Seconds a loop of 10⁷ additions takes: over the whole gauge (its chunks' median), in its
    fastest and its slowest window. `when`: what the gauge was read before or after."""

    when: str
    loop_seconds: float
    fastest: float
    slowest: float

    @property
    def spread(self) -> float:
        """The slowest window against the fastest: 1.0 on a steady machine."""
        return self.slowest / self.fastest

    def line(self) -> str:
        return (
            f"-- machine {self.when}: 10⁷ additions in {self.loop_seconds:.2f} s "
            f"(windows of {WINDOW:g} s: {self.fastest:.2f}–{self.slowest:.2f} s)"
        )

    def as_json(self) -> dict[str, object]:
        return asdict(self) | {"spread": round(self.spread, 3)}


def _chunk() -> float:
    began = time.perf_counter()
    total = 0
    for i in range(CHUNK):
        total += i
    return time.perf_counter() - began


def gauge(when: str, seconds: float = 2.0) -> Speed:
    """Times the loop for `seconds` (at least one window)."""
    windows: list[list[float]] = []
    began = time.perf_counter()
    while (now := time.perf_counter()) - began < max(seconds, WINDOW):
        index = int((now - began) / WINDOW)
        while len(windows) <= index:
            windows.append([])
        windows[index].append(_chunk())
    chunks = [t for window in windows for t in window]
    medians = [statistics.median(window) for window in windows if window]
    return Speed(
        when=when,
        loop_seconds=statistics.median(chunks) * SCALE,
        fastest=min(medians) * SCALE,
        slowest=max(medians) * SCALE,
    )
