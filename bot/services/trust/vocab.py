"""The words of trust check-ins: the items and the arcs of the loop they ask about, the scales,
the pairwise dimensions, and the response window as people type it.

The loop is Vangen & Huxham's (2003) trust-building loop (domain notes §3): expectations are
formed, a risk is taken, expectations are met (or not), and trust is reinforced. Fair say is not
an arc but a condition for keeping the loop turning when power is unequal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from bot.errors import UserFacingError


@dataclass(frozen=True)
class Item:
    """One check-in question: its key (stored as a column), its short label, the statement
    people agree or disagree with, the part of the loop it asks about, and why."""

    key: str
    label: str
    statement: str
    arc: str
    explanation: str


ITEMS: tuple[Item, ...] = (
    Item(
        "expectations",
        "Clear expectations",
        "Expectations between the partners are clear.",
        "forming expectations",
        "Trust starts when partners know what they expect of each other.",
    ),
    Item(
        "follow_through",
        "Follow-through",
        "Partners did what they said they would.",
        "expectations met",
        "Each promise kept closes the loop and makes the next step easier.",
    ),
    Item(
        "reliance",
        "Willingness to rely",
        "My organisation is willing to rely on the partners.",
        "risk taking",
        "Relying on partners is the risk that lets trust grow.",
    ),
    Item(
        "fair_say",
        "Fair say",
        "My organisation has a fair say in this partnership.",
        "power",
        "Not an arc of the loop but a condition for sustaining it: where some partners have "
        "little say, trust has to be managed, not assumed.",
    ),
)
ITEM_KEYS: tuple[str, ...] = tuple(item.key for item in ITEMS)

# Asked only of people taking part in their own capacity and citizens.
OWN_ITEM = Item(
    "listened",
    "Listened to",
    "The organisations here listen to people like me.",
    "power",
    "Whether people without an organisation behind them are heard; shown only as an aggregate "
    "of enough such people.",
)

SCALE: tuple[int, ...] = (1, 2, 3, 4, 5)
SCALE_WORDS: dict[int, str] = {
    1: "strongly disagree",
    2: "disagree",
    3: "neither agree nor disagree",
    4: "agree",
    5: "strongly agree",
}
DONT_KNOW = "don't know"  # stored as None

# PARTNER's trust dimensions, each rated 1–4 by one organisation of another.
RATING_DIMENSIONS: tuple[str, ...] = ("reliability", "openness", "mission")
RATING_LABELS: dict[str, str] = {
    "reliability": "Reliability",
    "openness": "Openness to discussion",
    "mission": "Support of the shared mission",
}
RATING_SCALE: tuple[int, ...] = (1, 2, 3, 4)
TIE_AT = 3  # a rating of 3 or 4 is a tie of the network
STRONG_ASYMMETRY = 2.0  # mutual mean ratings differing by this much or more

SMALL_WIN_QUESTION = "Did we achieve something together since the last check-in?"
COMMENT_WARNING = (
    "Comments are private unless you choose to share them anonymously. A shared comment "
    "carries no name, but its words can still identify who wrote it."
)
SMALL_WIN_MAX = 200
COMMENT_MAX = 1000

DEFAULT_WINDOW = timedelta(days=7)
MIN_WINDOW = timedelta(minutes=1)
MAX_WINDOW = timedelta(days=90)
REMIND_AT = 0.8  # the reminder goes out at this share of the window

_UNITS = {
    "m": "minutes",
    "min": "minutes",
    "mins": "minutes",
    "minute": "minutes",
    "minutes": "minutes",
    "h": "hours",
    "hr": "hours",
    "hrs": "hours",
    "hour": "hours",
    "hours": "hours",
    "d": "days",
    "day": "days",
    "days": "days",
    "w": "weeks",
    "week": "weeks",
    "weeks": "weeks",
}
_WINDOW = re.compile(r"([0-9]{1,6})\s*([a-z]+)", re.ASCII)


def parse_window(text: str | None) -> timedelta:
    """A response window as typed (`30m`, `2h`, `7d`, `2w`), between one minute and 90 days;
    nothing typed is the default week."""
    if text is None or not text.strip():
        return DEFAULT_WINDOW
    match = _WINDOW.fullmatch(text.strip().lower())
    if match is None or match[2] not in _UNITS:
        raise UserFacingError(
            f"“{text.strip()[:40]}” isn't a window I understand. Give a duration such as "
            "`30m`, `2h` or `7d`."
        )
    window = timedelta(**{_UNITS[match[2]]: int(match[1])})
    if window < MIN_WINDOW:
        raise UserFacingError("A round needs a window of at least one minute, such as `30m`.")
    if window > MAX_WINDOW:
        raise UserFacingError("A round can stay open for at most 90 days.")
    return window


def describe_window(window: timedelta) -> str:
    """`7 days`, `2 hours`, `90 minutes`: a window in words."""
    minutes = int(window.total_seconds() // 60)
    for size, unit in ((1440, "day"), (60, "hour"), (1, "minute")):
        if minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{minutes} minutes"  # pragma: no cover
