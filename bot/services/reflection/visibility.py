"""Who sees a reflection answer (issue 12 §7), chosen per prompt, per schedule and per
`/reflect now`, and kept on the post when it is posted:

- **named**: shared in the prompt's thread under the author's name, kept in the log and in
  internal exports;
- **anonymous**: shown without any name, as the bot's own messages in the prompt's thread (or
  the channel), only once answers from at least *k* distinct organisations exist (the
  partnership's anonymity threshold; people in their own capacity count together as one,
  `bot.services.trust.privacy.group_of`), the first ones in random order, then each as it
  comes. Withdrawn and replaced answers do not count;
- **private**: kept in the author's own record (`/reflect mine`), never shown, never in the
  log's text, never exported.

Library prompts marked `sensitive` (power, hidden tensions, unsaid things) default to
anonymous; every other prompt to named.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from bot.errors import UserFacingError
from bot.services.trust.privacy import Group, enough, group_of


class Visibility(StrEnum):
    named = "named"
    anonymous = "anonymous"
    private = "private"


# How each reads in the choices of `visibility` options.
CHOICE_WORDS: dict[Visibility, str] = {
    Visibility.named: "named: answers shared with their author's name",
    Visibility.anonymous: "anonymous: shown without names once k organisations answered",
    Visibility.private: "private: each answer seen only by its author",
}


def parse_visibility(value: str | None) -> Visibility | None:
    """A visibility as typed, or None for "the prompt's own default"."""
    if value is None or not value.strip():
        return None
    key = value.strip().casefold()
    for visibility in Visibility:
        if key == visibility.value:
            return visibility
    raise UserFacingError(
        f"“{value}” isn't a visibility I know. Choose named, anonymous or private."
    )


def default_for(*, sensitive: bool) -> Visibility:
    """A library prompt's own default: anonymous for a sensitive one, named otherwise."""
    return Visibility.anonymous if sensitive else Visibility.named


def as_visibility(value: str | None) -> Visibility:
    """A stored value (an unknown or empty one reads as named, the behaviour before it)."""
    try:
        return Visibility(value or Visibility.named)
    except ValueError:
        return Visibility.named


def who_sees(visibility: Visibility | str, k: int) -> str:
    """Who will see an answer, in a few words for the form, the prompt and the replies."""
    v = as_visibility(visibility)
    if v is Visibility.anonymous:
        return (
            f"anonymous: shown without your name once {k} organisations have answered "
            "(people in their own capacity count together as one)"
        )
    if v is Visibility.private:
        return "only you: kept in your own record (`/reflect mine`), never shown or exported"
    return "named: shared in the prompt's thread with your name, and in internal exports"


def short_words(visibility: Visibility | str) -> str:
    """One word or two, for lists: "named", "anonymous", "only you"."""
    v = as_visibility(visibility)
    return "only you" if v is Visibility.private else v.value


def released(groups: Iterable[Group], k: int) -> bool:
    """Whether answers from enough distinct organisations (or the own-capacity group) exist."""
    return enough(groups, k)


__all__ = [
    "CHOICE_WORDS",
    "Visibility",
    "as_visibility",
    "default_for",
    "group_of",
    "parse_visibility",
    "released",
    "short_words",
    "who_sees",
]
