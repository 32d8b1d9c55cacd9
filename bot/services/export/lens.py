"""How one export shows people, organisations and free text: decided here, once, for every
section and stream that `gather` builds.

- **Internal**: people by their display name and Discord id, organisations by name, text as
  written (redaction already applied by the caller).
- **External** (boards, funders, residents): no person anywhere. Fields that hold a person are
  None; in free text a user mention (`<@123>`) and any member's display name read "a member";
  payload keys that name or identify a person are dropped.
- **Pseudonymised** (research, either audience): people and organisations by their stable
  pseudonyms (`pseudonyms`), no Discord id anywhere (person ids, channel and message ids,
  message links), and free text dropped unless `keep_text`; kept text has its mentions and the
  names of members and organisations replaced by their pseudonyms.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.services.export.document import Audience, Person
from bot.services.export.pseudonyms import Pseudonyms
from bot.services.goals import SENSITIVE
from bot.services.meetings import OWN_CAPACITY_LABEL
from db.models import name_key

A_MEMBER = "a member"

# Payload keys that name or identify a person: left out of external and pseudonymised exports.
PERSON_KEYS = frozenset(
    {
        "user_id",
        "display_name",
        "owner_id",
        "owner_name",
        "owner_user_id",
        "actor_id",
        "posted_by",
        "opened_by",
        "closed_by",
        "created_by",
        "proposed_by",
        "redacted_by",
    }
)
# Payload keys holding Discord's own ids: left out of pseudonymised exports.
DISCORD_KEYS = frozenset({"channel_id", "message_id", "thread_id", "message_link", "guild_id"})
# Payload keys holding a person's (or a convener's) own words.
TEXT_KEYS = frozenset(
    {
        "text",
        "comment",
        "answer",
        "origin_detail",
        "note",
        "description",
        "title",
        "other_title",
        "goal_title",
        "prompt",
        "purpose",
        "reason",
        "error",
    }
)
# Payload keys only the internal audience reads: stance comments, reflection answers and the
# origin details of organisations' readings.
INTERNAL_ONLY_KEYS = frozenset({"comment", "answer", "origin_detail"})
# Organisation names in payloads, and the key of the id beside each.
ORG_NAME_KEYS = {"organisation": "organisation_id", "owner_organisation": "owner_organisation_id"}
ORG_ID_KEYS = frozenset(ORG_NAME_KEYS.values())
# Lists of names: organisations, and (for `agreeing`) people in their own capacity too.
NAME_LIST_KEYS = frozenset({"organisations", "agreeing"})

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&\d+>")
_CHANNEL_MENTION = re.compile(r"<#\d+>")


def _names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern matching any of `names` as whole words, longest first, any case."""
    words = sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True)
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


@dataclass
class Lens:
    audience: Audience
    pseudonyms: Pseudonyms | None
    keep_text: bool
    people: dict[int, str]  # user id → display name (every member the partnership has had)
    organisations: dict[int, str]  # organisation id → name
    # Other names people went by in the record (an older display name, the name on a stance).
    aliases: list[tuple[int, str]] = field(default_factory=list)
    _org_by_key: dict[str, int] = field(default_factory=dict)
    _people_by_key: dict[str, int] = field(default_factory=dict)
    _people_pattern: re.Pattern[str] | None = None
    _org_pattern: re.Pattern[str] | None = None
    _persons: dict[tuple[int, str | None], Person] = field(default_factory=dict)
    _internal: bool = field(default=False, init=False, repr=False, compare=False)
    _plain: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Asked for each row of a long log: answered once.
        self._internal = self.audience == Audience.internal
        self._plain = self._internal and self.pseudonyms is None
        self._org_by_key = {name_key(n): i for i, n in self.organisations.items()}
        named = [*self.aliases, *self.people.items()]
        self._people_by_key = {name_key(n): i for i, n in named if n}
        if not self.internal or self.pseudonymised:
            self._people_pattern = _names_pattern(n for _i, n in named)
        if self.pseudonymised:
            self._org_pattern = _names_pattern(self.organisations.values())

    # ---- what kind of export

    @property
    def internal(self) -> bool:
        return self._internal

    @property
    def pseudonymised(self) -> bool:
        return self.pseudonyms is not None

    @property
    def plain(self) -> bool:
        """Internal and not pseudonymised: everything as stored."""
        return self._plain

    @property
    def drops_text(self) -> bool:
        return self.pseudonymised and not self.keep_text

    # ---- people and organisations

    def person(self, user_id: int | None, name: str | None = None) -> Person | None:
        if user_id is None or not self._internal:
            return None
        # One `Person` per person and name (a long log names the same few people).
        found = self._persons.get((user_id, name))
        if found is None:
            if self.pseudonyms is not None:
                found = Person(self.pseudonyms.person(user_id), None)
            else:
                found = Person(self.people.get(user_id) or name or f"User {user_id}", user_id)
            self._persons[(user_id, name)] = found
        return found

    def voice_name(self, user_id: int, name: str | None = None) -> str:
        """A person's stance in a goal's matrix: who, as far as this audience may know."""
        person = self.person(user_id, name)
        return person.name if person is not None else "a person"

    def organisation(self, organisation_id: int | None, name: str | None = None) -> str | None:
        """An organisation's name (its pseudonym when pseudonymised); None for none."""
        if organisation_id is None and name:
            organisation_id = self._org_by_key.get(name_key(name))
        if organisation_id is None:
            if not name or not self.pseudonymised or name == OWN_CAPACITY_LABEL:
                return name or None
            return "an organisation"
        if self.pseudonyms is not None:
            return self.pseudonyms.organisation(organisation_id)
        return self.organisations.get(organisation_id) or name

    def organisation_key(self, organisation_id: int) -> str:
        if self.pseudonyms is not None:
            return self.pseudonyms.organisation(organisation_id)
        return str(organisation_id)

    # ---- text

    def text(self, value: str | None) -> str:
        """Free text as this export shows it."""
        if not value:
            return ""
        if self._plain:
            return value
        if self.drops_text:
            return ""
        if self.pseudonyms is not None:
            return self._pseudonymise_text(value, self.pseudonyms)
        return self._person_free(value)

    def title(self, value: str | None, fallback: str) -> str:
        """A title (a goal's, a meeting's): the fallback when text is dropped."""
        return self.text(value) or (fallback if self.drops_text else "")

    def link(self, value: str | None) -> str | None:
        return None if self.pseudonyms is not None else value

    def _person_free(self, value: str) -> str:
        text = _USER_MENTION.sub(A_MEMBER, value)
        if self._people_pattern is not None:
            text = self._people_pattern.sub(A_MEMBER, text)
        return text

    def _pseudonymise_text(self, value: str, pseudonyms: Pseudonyms) -> str:
        text = _USER_MENTION.sub(lambda m: pseudonyms.person(int(m[1])), value)
        text = _ROLE_MENTION.sub("a role", text)
        text = _CHANNEL_MENTION.sub("a channel", text)
        if self._people_pattern is not None:
            text = self._people_pattern.sub(
                lambda m: (
                    pseudonyms.person(self._people_by_key[name_key(m[0])])
                    if name_key(m[0]) in self._people_by_key
                    else A_MEMBER
                ),
                text,
            )
        if self._org_pattern is not None:
            text = self._org_pattern.sub(
                lambda m: (
                    pseudonyms.organisation(self._org_by_key[name_key(m[0])])
                    if name_key(m[0]) in self._org_by_key
                    else "an organisation"
                ),
                text,
            )
        return text

    # ---- log payloads

    def payload(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A log entry's payload (redaction already applied) as this export may show it."""
        if self.plain:
            return payload
        return self._clean(payload)

    def _clean(self, payload: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in payload.items():
            if key in PERSON_KEYS:
                continue
            if self.pseudonymised and (key in DISCORD_KEYS or key in ORG_ID_KEYS):
                continue
            if not self.internal and key in INTERNAL_ONLY_KEYS:
                continue
            if not self.internal and key in SENSITIVE and _sensitive(key, value):
                continue
            if key in ORG_NAME_KEYS and isinstance(value, str):
                out[key] = self.organisation(payload.get(ORG_NAME_KEYS[key]), value)
            elif key in NAME_LIST_KEYS and isinstance(value, list):
                out[key] = self._names(value)
            elif key in TEXT_KEYS:
                out[key] = _map_strings(value, self.text)
            elif isinstance(value, dict):
                out[key] = self._clean(value)
            else:
                out[key] = value
        return out

    def _names(self, names: list[Any]) -> list[Any]:
        """Organisation names kept (as pseudonyms when pseudonymised); people's names left out."""
        kept = []
        for name in names:
            if not isinstance(name, str):
                continue
            org_id = self._org_by_key.get(name_key(name))
            if org_id is not None:
                kept.append(self.organisation(org_id, name))
        return kept


def _sensitive(key: str, value: Any) -> bool:
    """Whether a goal dimension's value (or either side of its change) is a sensitive label."""
    labels = SENSITIVE[key]
    if isinstance(value, dict):
        return any(v in labels for v in value.values() if isinstance(v, str))
    return isinstance(value, str) and value in labels


def _map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        return {k: _map_strings(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_strings(v, fn) for v in value]
    return value
