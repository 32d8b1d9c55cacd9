"""A check-in answer and a pairwise rating as people give them, checked before anything is stored.

Both ways of answering (the interactive form and the one-command options) build the same
`CheckinAnswers` and reach the same service call; a missing item is "don't know" (None).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.errors import UserFacingError
from bot.services.text import clean_long_text, clean_text
from bot.services.trust.vocab import (
    COMMENT_MAX,
    ITEMS,
    OWN_ITEM,
    RATING_DIMENSIONS,
    RATING_LABELS,
    RATING_SCALE,
    SCALE,
    SMALL_WIN_MAX,
)
from db.models import TrustAnswer


@dataclass(frozen=True)
class CheckinAnswers:
    """One person's check-in: each item 1–5 or None for "don't know"."""

    expectations: int | None = None
    follow_through: int | None = None
    reliance: int | None = None
    fair_say: int | None = None
    listened: int | None = None
    small_win: bool | None = None
    small_win_text: str | None = None
    comment: str | None = None
    share_comment: bool = False


def clean_answers(answers: CheckinAnswers, *, own_item: bool) -> CheckinAnswers:
    """The answers checked and cleaned, or a polite error that changes nothing."""
    for item in (*ITEMS, OWN_ITEM):
        value = getattr(answers, item.key)
        if value is not None and (isinstance(value, bool) or value not in SCALE):
            raise UserFacingError(
                f"“{item.label}” takes 1 (strongly disagree) to 5 (strongly agree), or don't know."
            )
    if answers.listened is not None and not own_item:
        raise UserFacingError(
            f"“{OWN_ITEM.statement}” is asked only of people taking part in their own "
            "capacity and citizens."
        )
    small_win_text = (
        clean_text(answers.small_win_text, what="small win", limit=SMALL_WIN_MAX, required=False)
        or None
    )
    if small_win_text and answers.small_win is False:
        raise UserFacingError(
            "You said there was no small win but described one. Choose yes, or leave the "
            "description out."
        )
    comment = clean_long_text(answers.comment, what="comment", limit=COMMENT_MAX) or None
    return replace(
        answers,
        small_win=True if small_win_text else answers.small_win,
        small_win_text=small_win_text,
        comment=comment,
        share_comment=bool(answers.share_comment and comment),
    )


def check_rating(reliability: int, openness: int, mission: int) -> dict[str, int]:
    """A pairwise rating's three dimensions, each 1–4, or a polite error."""
    given = {"reliability": reliability, "openness": openness, "mission": mission}
    for key in RATING_DIMENSIONS:
        value = given[key]
        if isinstance(value, bool) or value not in RATING_SCALE:
            raise UserFacingError(
                f"{RATING_LABELS[key]} is rated from 1 (low) to 4 (high); you gave {value}."
            )
    return given


def answers_of(row: TrustAnswer) -> CheckinAnswers:
    """A stored answer, for its author only (their earlier answer in the form)."""
    return CheckinAnswers(
        expectations=row.expectations,
        follow_through=row.follow_through,
        reliance=row.reliance,
        fair_say=row.fair_say,
        listened=row.listened,
        small_win=row.small_win,
        small_win_text=row.small_win_text,
        comment=row.comment,
        share_comment=row.share_comment,
    )


def fill(row: TrustAnswer, answers: CheckinAnswers) -> None:
    """Write (or replace) every field of an answer."""
    for item in (*ITEMS, OWN_ITEM):
        setattr(row, item.key, getattr(answers, item.key))
    row.small_win = answers.small_win
    row.small_win_text = answers.small_win_text
    row.comment = answers.comment
    row.share_comment = answers.share_comment
