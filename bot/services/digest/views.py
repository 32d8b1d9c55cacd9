"""What the digest service hands to cogs: plain, frozen records, no rows, no Discord.

A digest counts and names; it never quotes. Goal titles and organisation names are user text
(the cog escapes them); check-in content and the text of answers, notes and comments are never
carried here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.services.health import HealthSignal
from bot.services.schedules import ScheduleView


@dataclass(frozen=True)
class DigestGoal:
    id: int
    title: str  # user text
    level: str
    link: str | None  # the goal's posted card


@dataclass(frozen=True)
class DigestAction:
    id: int
    owner_id: int | None
    due: date
    link: str | None  # the action's note in the channel


@dataclass(frozen=True)
class ReflectionCount:
    """Reflection answers given in the week by people speaking for one organisation."""

    organisation: str | None  # None: people in their own capacity
    answers: int


@dataclass(frozen=True)
class Digest:
    """One week of a partnership, as its digest shows it."""

    partnership_id: int
    partnership: str
    guild_id: int
    channel_id: int | None
    timezone: str
    since: datetime  # the week covered: after `since`, up to `until`
    until: datetime
    first_day: date  # the week's first and last local days, for the heading
    last_day: date
    new_goals: list[DigestGoal]
    agreed: list[DigestGoal]
    attention: list[HealthSignal]  # what `/partnership health` would raise now
    reflections: list[ReflectionCount]  # by organisation, counts only
    prompts_posted: int
    actions_due: list[DigestAction]  # open actions due in the coming week, soonest first

    @property
    def quiet(self) -> bool:
        """Nothing happened and nothing is coming: the digest still says so."""
        return not (
            self.new_goals
            or self.agreed
            or self.attention
            or self.reflections
            or self.prompts_posted
            or self.actions_due
        )


@dataclass(frozen=True)
class DigestSetting:
    """What following the `digest` setting did to the partnership's digest schedule."""

    partnership: str
    on: bool
    created: ScheduleView | None = None  # the schedule made now
    cancelled: int = 0  # schedules cancelled now
    running: ScheduleView | None = None  # the schedule that was already there
    resumed: ScheduleView | None = None  # the schedule that was paused and runs again now
