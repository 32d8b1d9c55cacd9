"""The guide's words, read from ``guide.toml`` beside this module and checked when read.

Like the prompt library, the file is read with :mod:`importlib.resources`, so it is found in an
installed wheel as well as in a checkout. A broken file is a `GuideError` naming what is wrong,
raised at the first use (the bot reads it when the guide's cog loads).
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from bot.services.guide.checklist import Gap

GUIDE_FILE = "guide.toml"
TOPICS = ("start", "roles", "goals", "reflection", "trust", "log", "export")
ROLE_KEYS = (
    "convener",
    "manager",
    "representative",
    "own_capacity",
    "facilitator",
    "observer",
    "creator",
    "newcomer",
    "outsider",
)
PLACEHOLDERS = frozenset(
    {
        "partnership",
        "organisation",
        "capacity",
        "mandate",
        "counted",
        "admin_role",
        "as_member",
        "for_organisation",
    }
)
CHOICE_MAX = 100  # Discord's limit on a choice's name


class GuideError(ValueError):
    """The guide's file is missing something, or has something it should not."""


@dataclass(frozen=True)
class Concept:
    key: str
    name: str
    plain: str
    source: str


@dataclass(frozen=True)
class RoleSteps:
    """What the guide says to one role: `who` completes "You are …"; three first steps."""

    key: str
    who: str
    steps: tuple[str, ...]
    extra: Mapping[str, str]  # further words of this role (an own-capacity voice counted …)


@dataclass(frozen=True)
class Topic:
    key: str
    title: str
    choice: str  # the topic's name in the option's list
    concepts: tuple[str, ...]
    text: str
    commands: tuple[tuple[str, str], ...]  # (command, what it does)


@dataclass(frozen=True)
class GuideText:
    about: str
    concepts: Mapping[str, Concept]
    gaps: Mapping[Gap, str]
    roles: Mapping[str, RoleSteps]
    topics: Mapping[str, Topic]

    def texts(self) -> list[str]:
        """Every piece of text in the guide, for checks that read them all."""
        found = [self.about, *self.gaps.values()]
        for c in self.concepts.values():
            found += [c.name, c.plain, c.source]
        for r in self.roles.values():
            found += [r.who, *r.steps, *r.extra.values()]
        for t in self.topics.values():
            found += [t.title, t.choice, t.text, *(f"`{c}` {what}" for c, what in t.commands)]
        return found


def _text(data: Mapping[str, Any], key: str, where: str, *, empty: bool = False) -> str:
    value = data.get(key)
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise GuideError(f"{where}: `{key}` must be {'a' if empty else 'a non-empty'} string")
    return value.strip()


def _placeholders_ok(text: str, where: str) -> None:
    fields = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    unknown = fields - PLACEHOLDERS
    if unknown:
        raise GuideError(f"{where}: unknown placeholder(s) {sorted(unknown)}")


def parse_guide(data: Mapping[str, Any]) -> GuideText:
    """Check and read the guide's TOML (already parsed)."""
    about = _text(data, "about", "guide")
    concepts = {}
    for raw in data.get("concept", []):
        c = Concept(*(_text(raw, k, "concept") for k in ("key", "name", "plain", "source")))
        if c.key in concepts:
            raise GuideError(f"concept {c.key} appears twice")
        concepts[c.key] = c
    raw_gaps = data.get("gaps", {})
    if set(raw_gaps) != {g.value for g in Gap}:
        raise GuideError(f"gaps must be exactly {sorted(g.value for g in Gap)}")
    gaps = {Gap(k): _text(raw_gaps, k, "gaps") for k in raw_gaps}
    roles = {}
    for raw in data.get("role", []):
        key = _text(raw, "key", "role")
        steps = tuple(str(s).strip() for s in raw.get("steps", []))
        if len(steps) != 3 or not all(steps):
            raise GuideError(f"role {key}: give exactly three steps")
        extra = {k: _text(raw, k, f"role {key}") for k in raw if k not in ("key", "who", "steps")}
        roles[key] = RoleSteps(key, _text(raw, "who", f"role {key}"), steps, extra)
    if set(roles) != set(ROLE_KEYS):
        raise GuideError(f"roles must be exactly {list(ROLE_KEYS)}; got {sorted(roles)}")
    topics = {}
    for raw in data.get("topic", []):
        key = _text(raw, "key", "topic")
        named = tuple(str(c) for c in raw.get("concepts", []))
        if set(named) - set(concepts):
            raise GuideError(f"topic {key}: unknown concepts {sorted(set(named) - set(concepts))}")
        commands = tuple((str(c), str(what)) for c, what in raw.get("commands", []))
        if any(not c.startswith("/") for c, _ in commands):
            raise GuideError(f"topic {key}: a command starts with /")
        topic = Topic(
            key,
            _text(raw, "title", f"topic {key}"),
            _text(raw, "choice", f"topic {key}"),
            named,
            _text(raw, "text", f"topic {key}", empty=True),
            commands,
        )
        if len(topic.choice) > CHOICE_MAX:
            raise GuideError(f"topic {key}: its choice is longer than {CHOICE_MAX} characters")
        topics[key] = topic
    if tuple(topics) != TOPICS:
        raise GuideError(f"topics must be {list(TOPICS)} in that order; got {list(topics)}")
    guide = GuideText(
        about,
        MappingProxyType(concepts),
        MappingProxyType(gaps),
        MappingProxyType(roles),
        MappingProxyType(topics),
    )
    for text in guide.texts():
        _placeholders_ok(text, "guide")
    return guide


@cache
def load_guide() -> GuideText:
    """The guide shipped with the bot, read once."""
    raw = resources.files(__package__).joinpath(GUIDE_FILE).read_text(encoding="utf-8")
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as error:
        raise GuideError(f"{GUIDE_FILE} is not valid TOML: {error}") from error
    return parse_guide(data)
