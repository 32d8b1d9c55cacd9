"""What the health service hands to cogs: plain, frozen records, no rows, no Discord.

A signal's `finding` and `action` are our own words (counts, days, no user text); whatever
names a goal, an organisation or an action's owner is a `Subject`, so the cog escapes user
text where it shows it. No free text (notes, comments, answers) is ever carried here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Subject:
    """What a signal is about: a goal, an action or an organisation."""

    name: str | None = None  # a goal's title or an organisation's name: user text
    number: int | None = None  # a goal's or an action's number
    owner_id: int | None = None  # an action's owner (a Discord user id)
    names: tuple[str, ...] = ()  # organisations it concerns (objecting ones): user text
    detail: str = ""  # our words: "proposed 45 days ago", "due 2026-03-01"


@dataclass(frozen=True)
class HealthSignal:
    """Something worth discussing, how soon, and a suggested next step."""

    key: str  # a `SignalKey`, or `trust.<key of the trust signal>`
    level: str  # an `Urgency`: attention or watch
    finding: str  # one line, plain words
    subjects: tuple[Subject, ...] = ()
    more: int = 0  # subjects not listed (beyond `MAX_SUBJECTS`)
    theme: str | None = None  # a prompt theme for `/reflect now theme:…` (`bot.prompts.THEMES`)
    action: str | None = None  # an action worth logging with `/log note kind:action`


@dataclass(frozen=True)
class Participation:
    """Goal stances plus reflection answers per organisation per calendar month, oldest first:
    what the chart draws."""

    months: list[date]  # the first day of each month, in the partnership's time zone
    counts: dict[str, list[int]] = field(default_factory=dict)  # organisation name → per month
    others: int = 0  # how many more organisations are added up in `others_counts`
    others_counts: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(sum(values) for values in self.counts.values()) + sum(self.others_counts)


@dataclass(frozen=True)
class HealthView:
    partnership_name: str
    today: date  # in the partnership's time zone
    signals: list[HealthSignal]  # attention first, then watch; each in the order of the checks
    checked: list[str]  # what was looked at, in plain words (shown when nothing stands out)
    participation: Participation

    @property
    def healthy(self) -> bool:
        return not self.signals

    @property
    def attention(self) -> int:
        return sum(1 for s in self.signals if s.level == "attention")
