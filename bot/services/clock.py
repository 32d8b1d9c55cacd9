"""Time, injected one way: every service and the schedule engine take a `Clock`.

Production uses `SystemClock`; tests pass a clock they can move.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, as aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)
