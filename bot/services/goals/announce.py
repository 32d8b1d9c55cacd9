"""What a change to a goal announces in its partnership's channel: one public line, or nothing.

A goal that becomes agreed, a change of its status and a change of its progress are worth
telling everyone, not only the person who made the change (whose reply is private). The
service decides here *whether* and *what*; the cog writes the line and posts it, mentioning
nobody, with a link to the goal's card.

Nothing is announced about an individual-level goal its owner has not shared, nor when the
partnership turned announcements off
(`/partnership configure announcements:false`) or has no channel. Progress that changes only
by roll-up (a part's progress moved) is not announced: only what someone set. Nor is anything
about a goal the whole partnership does not see (`lookup.may_see`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.services.goals.cards import GoalCard
from bot.services.goals.events import goal_message
from bot.services.goals.vocab import GoalVisibility


@dataclass(frozen=True)
class Announcement:
    """One line for the partnership's channel about one goal."""

    goal_id: int
    title: str
    partnership: str
    guild_id: int
    channel_id: int  # the partnership's channel, where the line goes
    card_link: str | None  # the goal's posted card, linked from the line (None: not posted)
    agreed: bool  # the goal became agreed with this change
    rule: str | None  # the rule it was agreed under
    supportive: int  # counted voices that agree or have reservations, when agreed
    voices: int  # counted voices, when agreed
    status: tuple[str, str] | None  # (from, to), unless the change was only the agreement
    progress: tuple[int | None, int | None] | None  # (from, to) in percent
    by_organisation: str | None = None  # the organisation whose stance met the rule


def announcement(
    card: GoalCard,
    *,
    agreed: bool = False,
    changes: dict[str, tuple[Any, Any]] | None = None,
    by_organisation: str | None = None,
) -> Announcement | None:
    """The line a change calls for, if the partnership wants announcements and has a channel.

    `agreed`: the change made the goal agreed. `changes`: {field: (old, new)} as the goal
    service records them; only status and progress are announced."""
    p = card.partnership
    if not p.announcements or p.channel_id is None or not card.shared:
        return None
    if card.goal.visibility != GoalVisibility.partnership:
        return None  # only the goals the whole partnership sees are announced
    changes = changes or {}
    status = changes.get("status")
    if status is not None and agreed and status[1] == "agreed":
        status = None  # "agreed" says it already
    progress = changes.get("progress")
    if not agreed and status is None and progress is None:
        return None
    tally = card.tally
    return Announcement(
        goal_id=card.id,
        title=card.goal.title,
        partnership=p.name,
        guild_id=p.guild_id,
        channel_id=p.channel_id,
        card_link=goal_message(p, card.goal),
        agreed=agreed,
        rule=card.goal.agreed_rule if agreed else None,
        supportive=tally.supportive if agreed else 0,
        voices=tally.voices if agreed else 0,
        status=(str(status[0]), str(status[1])) if status is not None else None,
        progress=(progress[0], progress[1]) if progress is not None else None,
        by_organisation=by_organisation if agreed else None,
    )
