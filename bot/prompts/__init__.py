"""The library of reflective prompts (domain notes §4): open questions, written per theme.

The prompts live in ``library.toml`` beside this module, read with :mod:`importlib.resources` so
they are found when the bot is installed from a wheel as well as from a checkout. The library is
checked when it is read; a broken library is a :class:`PromptLibraryError` naming what is wrong,
raised at the first use rather than halfway through a scheduled run.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

__all__ = [
    "MAX_TEXT_LENGTH",
    "RELATIONSHIPS",
    "THEMES",
    "LibraryPrompt",
    "PromptLibraryError",
    "Theme",
    "get_prompt",
    "load_library",
    "parse_library",
    "prompts_for",
    "relationship_prompts",
    "themes",
]

MAX_TEXT_LENGTH = 300
LIBRARY_FILE = "library.toml"
_ID_RE = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
_FIELDS = ("id", "theme", "concept", "text")
# Optional fields, with their type: `sensitive = true` marks a prompt about power, hidden
# tensions or unsaid things, whose answers are anonymous unless a convener chooses otherwise.
# `relationship = "enabler"` ties a prompt to one relationship between co-production and the
# collaboration (Sancino & Jacklin-Jarvis 2016): asked only where the partnership holds it.
_OPTIONAL: dict[str, type] = {"sensitive": bool, "relationship": str}
RELATIONSHIPS = ("antecedent", "enabler", "complementary", "alternative")


@dataclass(frozen=True)
class Theme:
    key: str
    label: str
    description: str


@dataclass(frozen=True)
class LibraryPrompt:
    id: str
    theme: str
    concept: str
    text: str
    sensitive: bool = False
    relationship: str | None = None


# The themes practitioners meet (Huxham & Vangen 2005), plus co-production and small wins.
# The order is the order of rotation.
THEMES: Mapping[str, Theme] = MappingProxyType(
    {
        theme.key: theme
        for theme in (
            Theme(
                "goals",
                "Shared goals",
                "What each of us is trying to achieve, said and unsaid, and how the aims fit.",
            ),
            Theme(
                "trust", "Trust", "Expectations, risks taken and promises kept between partners."
            ),
            Theme(
                "power",
                "Power and say",
                "Who shapes decisions, and whether every partner has a fair say.",
            ),
            Theme(
                "membership",
                "Membership",
                "Who is in the partnership, in what capacity, and how that keeps changing.",
            ),
            Theme(
                "communication",
                "Communication",
                "How news, language and understanding travel between and within partners.",
            ),
            Theme(
                "leadership",
                "Leadership",
                "What actually moves the work on: people, structures and ways of working.",
            ),
            Theme(
                "coproduction",
                "Co-production",
                "What citizens and service users contribute, and at which stages of the work.",
            ),
            Theme(
                "inertia",
                "Collaborative inertia",
                "Where the work is slow or painful, and whether working together is worth it.",
            ),
            Theme(
                "small_wins",
                "Small wins",
                "Achievements, however small, that build confidence for bigger steps.",
            ),
        )
    }
)


class PromptLibraryError(ValueError):
    """The prompt library is malformed. A fault in the shipped data, not in what a user typed."""


def themes() -> tuple[Theme, ...]:
    """Every theme, in rotation order."""
    return tuple(THEMES.values())


def _check_entry(index: int, entry: Any) -> LibraryPrompt:
    where = f"prompt #{index + 1}"
    if not isinstance(entry, dict):
        raise PromptLibraryError(f"{where} should be a table with {', '.join(_FIELDS)}.")
    if isinstance(entry.get("id"), str):
        where = f"prompt “{entry['id']}”"
    missing = [name for name in _FIELDS if name not in entry]
    extra = sorted(set(entry) - set(_FIELDS) - set(_OPTIONAL))
    if missing or extra:
        parts = [f"missing {', '.join(missing)}"] if missing else []
        parts += [f"unknown {', '.join(extra)}"] if extra else []
        raise PromptLibraryError(f"{where}: {'; '.join(parts)}.")
    for name in _FIELDS:
        value = entry[name]
        if not isinstance(value, str) or not value.strip():
            raise PromptLibraryError(f"{where}: {name} should be non-empty text.")
        if value != value.strip():
            raise PromptLibraryError(f"{where}: {name} has spaces at its start or end.")
    for name, kind in _OPTIONAL.items():
        if name in entry and not isinstance(entry[name], kind):
            should = "true or false" if kind is bool else "text"
            raise PromptLibraryError(f"{where}: {name} should be {should}.")
    if "relationship" in entry and entry["relationship"] not in RELATIONSHIPS:
        raise PromptLibraryError(
            f"{where}: unknown relationship “{entry['relationship']}”; use one of "
            f"{', '.join(RELATIONSHIPS)}."
        )
    prompt = LibraryPrompt(
        **{name: entry[name] for name in _FIELDS},
        sensitive=bool(entry.get("sensitive", False)),
        relationship=entry.get("relationship"),
    )
    if not _ID_RE.fullmatch(prompt.id):
        raise PromptLibraryError(
            f"{where}: the id should be a lower-case slug such as goals-01 or small_wins-02."
        )
    if prompt.theme not in THEMES:
        raise PromptLibraryError(
            f"{where}: unknown theme “{prompt.theme}”; use one of {', '.join(THEMES)}."
        )
    if len(prompt.text) > MAX_TEXT_LENGTH:
        raise PromptLibraryError(
            f"{where}: the text has {len(prompt.text)} characters; the most is {MAX_TEXT_LENGTH}."
        )
    if not prompt.text.endswith("?"):
        raise PromptLibraryError(f"{where}: the text should be a question, ending with “?”.")
    return prompt


def parse_library(source: str) -> tuple[LibraryPrompt, ...]:
    """Read and check a library written in TOML (see ``library.toml``)."""
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise PromptLibraryError(f"The prompt library isn't valid TOML: {exc}") from exc
    entries = data.get("prompt")
    if not isinstance(entries, list) or not entries:
        raise PromptLibraryError("The prompt library has no [[prompt]] entries.")
    prompts = tuple(_check_entry(i, entry) for i, entry in enumerate(entries))

    seen_ids: set[str] = set()
    seen_texts: dict[str, str] = {}
    for prompt in prompts:
        if prompt.id in seen_ids:
            raise PromptLibraryError(f"The id “{prompt.id}” is used more than once.")
        seen_ids.add(prompt.id)
        key = " ".join(prompt.text.casefold().split())
        if key in seen_texts:
            raise PromptLibraryError(
                f"Prompts “{seen_texts[key]}” and “{prompt.id}” have the same text."
            )
        seen_texts[key] = prompt.id
    empty = [key for key in THEMES if not any(p.theme == key for p in prompts)]
    if empty:
        raise PromptLibraryError(f"No prompts for the theme(s): {', '.join(empty)}.")
    return prompts


@cache
def load_library() -> tuple[LibraryPrompt, ...]:
    """The shipped prompts, in file order. Read and checked once, then cached."""
    source = resources.files(__name__).joinpath(LIBRARY_FILE).read_text(encoding="utf-8")
    return parse_library(source)


def prompts_for(theme: str) -> tuple[LibraryPrompt, ...]:
    """The prompts of one theme, in file order."""
    if theme not in THEMES:
        raise KeyError(theme)
    return tuple(p for p in load_library() if p.theme == theme)


def relationship_prompts(relationship: str) -> tuple[LibraryPrompt, ...]:
    """The prompts about one relationship between co-production and the collaboration."""
    return tuple(p for p in load_library() if p.relationship == relationship)


def get_prompt(prompt_id: str) -> LibraryPrompt | None:
    """The prompt with this id, or None if the library has none (say, one since retired)."""
    return next((p for p in load_library() if p.id == prompt_id), None)
