"""What the trust service hands to cogs: plain, frozen records, already filtered by `privacy`.

Nothing here carries an individual's answer except `CheckinForm.previous`, which goes only to
its author.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.services.trust.answers import CheckinAnswers


@dataclass(frozen=True)
class RoundView:
    """A round as opened: where it is announced, when it closes and who may answer."""

    round_id: int
    partnership_id: int
    partnership_name: str
    guild_id: int
    channel_id: int | None
    opened_at: datetime
    closes_at: datetime
    remind_at: datetime
    pairwise: bool
    named_pairs: bool
    organisations: list[str]  # the organisations of the round, by name
    answerers: int  # how many people may answer
    k: int
    below_threshold: bool  # fewer than k organisations (or groups) can answer: no results


@dataclass(frozen=True)
class CheckinForm:
    """The round a person may answer, and their own earlier answer in it (only theirs)."""

    round_id: int
    partnership_name: str
    speaks_for: str | None  # the organisation they answer for; None: their own capacity
    own_item: bool  # they also get the item of people in their own capacity
    previous: CheckinAnswers | None
    closes_at: datetime | None = None
    pairwise: bool = False
    named_pairs: bool = False
    rate_organisations: list[str] = field(default_factory=list)  # whom they may rate


@dataclass(frozen=True)
class CheckinResult:
    round_id: int
    replaced: bool
    partnership_name: str


@dataclass(frozen=True)
class RateResult:
    round_id: int
    organisation: str
    replaced: bool


@dataclass(frozen=True)
class Turnover:
    """Organisations that joined, left and stayed between two rounds (counts only)."""

    joined: int
    left: int
    stayed: int

    @property
    def rate(self) -> float:
        """The share of the organisations of either round that are not in both."""
        total = self.joined + self.left + self.stayed
        return 0.0 if total == 0 else round((self.joined + self.left) / total, 2)


@dataclass(frozen=True)
class NetworkFigures:
    """Network-level figures of one pairwise round, as everyone may see them."""

    raters: int  # organisations that rated
    density: float  # ties (mean rating 3 or more) over n(n−1)
    reciprocity: float | None  # share of ties returned; None without ties
    asymmetric_pairs: int  # pairs whose mutual means differ by 2 or more
    received: dict[str, float]  # organisation name → mean rating received (≥ k raters only)
    change: dict[str, Any] | None = None  # since the last pairwise round, over common organisations
    turnover: Turnover | None = None


@dataclass(frozen=True)
class RoundFigures:
    """One closed round's results, as the privacy rules allow them to be shown."""

    round_id: int
    closed_at: datetime | None
    organisations_answered: int  # distinct organisations; own-capacity people count as one
    shown: bool
    means: dict[str, float | None]  # item key → mean of organisations' means, one decimal
    small_wins: int | None  # respondents answering yes
    shared_comments: list[str]  # random order, no names, no times
    listened: float | None  # only over ≥ k own-capacity persons
    network: NetworkFigures | None
    respondents: int = 0
    # For signals only: highest minus lowest organisation mean of fair say (never who).
    fair_say_spread: float | None = None


@dataclass(frozen=True)
class Signal:
    """Something worth raising, with a suggested next step, and the prompt theme it suggests."""

    key: str
    message: str
    suggested_theme: str | None


@dataclass(frozen=True)
class PairLine:
    """One pair of organisations with how each rated the other (mean over the three
    dimensions): for a facilitator, for `named_pairs` rounds only."""

    round_id: int
    first: str
    second: str
    first_to_second: float | None
    second_to_first: float | None
    asymmetric: bool


@dataclass(frozen=True)
class TrustSummary:
    partnership_name: str
    k: int
    rounds: list[RoundFigures]  # oldest first
    signals: list[Signal]
    named_pairs: list[PairLine]
    open_round_id: int | None = None
    open_closes_at: datetime | None = None


@dataclass(frozen=True)
class RoundResults:
    """What a close posts in the channel."""

    round_id: int
    partnership_name: str
    channel_id: int | None
    guild_id: int
    shown: bool
    figures: RoundFigures
    k: int
    partnership_id: int = 0
    early: bool = False  # closed by a convener before its window ended


@dataclass(frozen=True)
class Reminder:
    round_id: int
    partnership_name: str
    guild_id: int
    channel_id: int | None
    closes_at: datetime
    user_ids: list[int]


@dataclass(frozen=True)
class RoundStatus:
    """Who has answered the open round, never what."""

    round_id: int
    closes_at: datetime
    answered: list[int]
    waiting: list[int]
    partnership_name: str = ""
