"""Reflective prompts as a kind of schedule: the words the schedule lifecycle uses for them,
and their one option, a fixed theme (none: rotation through the themes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.services.reflection.parsing import parse_theme, theme_label
from bot.services.schedules import ScheduleKind

SCHEDULE_KIND = "prompt"
MAX_SCHEDULES = 20  # active or paused prompt schedules per partnership


def _options(given: Mapping[str, str | None]) -> dict[str, Any]:
    unknown = set(given) - {"theme"}
    if unknown:
        raise TypeError(f"A prompt schedule takes no option {', '.join(sorted(unknown))}")
    return {"theme": parse_theme(given.get("theme"))}


def _words(options: Mapping[str, Any]) -> str:
    theme = options.get("theme")
    return f"theme: {theme_label(theme) if theme else 'rotating through the themes'}"


PROMPT_SCHEDULES = ScheduleKind(
    key=SCHEDULE_KIND,
    noun="reflective prompt schedule",
    short_noun="prompt schedule",
    created="scheduled reflective prompts",
    command="/reflect",
    parse_options=_options,
    describe_options=_words,
    max_live=MAX_SCHEDULES,
)
