"""Trust check-in rounds as a kind of schedule: the words the schedule lifecycle uses for them,
and their one option, the response window (none: the default week).

Each occurrence opens a round (`TrustService.open_scheduled`) and posts its invitation; the
reminder and the close follow from the round's own window, not from the schedule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.services.schedules import ScheduleKind
from bot.services.trust.vocab import DEFAULT_WINDOW, describe_window, parse_window

SCHEDULE_KIND = "trust"
MAX_SCHEDULES = 5  # active or paused check-in schedules per partnership


def window_text(given: str | None) -> str:
    """The window as stored: a plain duration the service parses again (`90m`, `2h`, `7d`)."""
    minutes = int(parse_window(given).total_seconds() // 60)
    for size, unit in ((1440, "d"), (60, "h")):
        if minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"


def _options(given: Mapping[str, str | None]) -> dict[str, Any]:
    unknown = set(given) - {"window"}
    if unknown:
        raise TypeError(f"A trust check-in schedule takes no option {', '.join(sorted(unknown))}")
    return {"window": window_text(given.get("window"))}


def _words(options: Mapping[str, Any]) -> str:
    window = options.get("window")
    duration = parse_window(window) if isinstance(window, str) else DEFAULT_WINDOW
    return f"each round open for {describe_window(duration)}"


TRUST_ROUNDS = ScheduleKind(
    key=SCHEDULE_KIND,
    noun="trust check-in round schedule",
    short_noun="check-in schedule",
    created="scheduled trust check-in rounds",
    command="/trust",
    parse_options=_options,
    describe_options=_words,
    max_live=MAX_SCHEDULES,
)
