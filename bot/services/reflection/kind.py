"""Reflective prompts as a kind of schedule: the words the schedule lifecycle uses for them,
and their options: a fixed theme (none: rotation through the themes) and who sees the answers
(none: each prompt's own default, stored only when chosen)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.services.reflection.parsing import parse_theme, theme_label
from bot.services.reflection.visibility import parse_visibility, short_words
from bot.services.schedules import ScheduleKind

SCHEDULE_KIND = "prompt"
MAX_SCHEDULES = 20  # active or paused prompt schedules per partnership


def _options(given: Mapping[str, str | None]) -> dict[str, Any]:
    unknown = set(given) - {"theme", "visibility"}
    if unknown:
        raise TypeError(f"A prompt schedule takes no option {', '.join(sorted(unknown))}")
    options: dict[str, Any] = {"theme": parse_theme(given.get("theme"))}
    visibility = parse_visibility(given.get("visibility"))
    if visibility is not None:
        options["visibility"] = visibility.value
    return options


def _words(options: Mapping[str, Any]) -> str:
    theme = options.get("theme")
    words = f"theme: {theme_label(theme) if theme else 'rotating through the themes'}"
    visibility = options.get("visibility")
    if isinstance(visibility, str):
        words += f"; answers: {short_words(visibility)}"
    return words


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
