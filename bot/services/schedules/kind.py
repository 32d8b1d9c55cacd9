"""A kind of scheduled action, described once: its key, its words, and its own options.

Reflective prompts are one kind (`bot.services.reflection.PROMPT_SCHEDULES`); trust check-in
rounds, action reminders and digests are the next. The schedule lifecycle
(`ScheduleService`) is the same for all of them; only what a kind is called, which command
manages it, and which options it takes differ, and those are said here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

# Told the id of every schedule created, paused, resumed, cancelled, skipped or re-timed, after
# the change is committed (the Bot passes the schedule engine's `sync`).
ScheduleListener = Callable[[int], Awaitable[None]]

OptionsParser = Callable[[Mapping[str, str | None]], dict[str, Any]]
OptionsWords = Callable[[Mapping[str, Any]], str]


def no_options(given: Mapping[str, str | None]) -> dict[str, Any]:
    """The parser of a kind that takes no options of its own."""
    if given:
        raise TypeError(f"This kind of schedule takes no options: {', '.join(given)}")
    return {}


def no_words(options: Mapping[str, Any]) -> str:
    return ""


@dataclass(frozen=True)
class ScheduleKind:
    """How the lifecycle speaks of one kind of schedule, and what it stores for it.

    - `key`: stored in `schedule.kind`; the engine runs the action registered under it.
    - `noun`: a schedule of this kind in log sentences ("reflective prompt schedule").
    - `short_noun`: the same in replies ("prompt schedule"; an "s" makes it plural).
    - `created`: what the creator did, in the log ("scheduled reflective prompts").
    - `command`: the command group that manages them ("/reflect"), for pointers in replies.
    - `parse_options`: checks the kind's own options as typed (raising `UserFacingError`) and
      returns what `schedule.options` stores; it runs before anything else is checked.
    - `describe_options`: those options in the creation sentence ("theme: Trust"), or "".
    - `max_live`: how many active or paused schedules of this kind a partnership may have.
    """

    key: str
    noun: str
    short_noun: str
    created: str
    command: str
    parse_options: OptionsParser = no_options
    describe_options: OptionsWords = no_words
    max_live: int = 20
