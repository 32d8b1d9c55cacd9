"""`partnerbot demo`: a fictional partnership's year, kept by the bot's own services.

`build_demo(sessions, clock)` fills an empty, migrated database with Brookfield Family Hubs
(see `story`) through the same services the commands call, moving `clock` through the year, so
the report written from it shows exactly what Partnerbot keeps. It needs no Discord: ids are
made-up constants (`cast`), and nothing is posted anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.demo.cast import DEMO_GUILD, END, NAME, START, TIMEZONE
from bot.demo.story import spring, summer
from bot.demo.story_later import autumn, winter
from bot.demo.world import DemoClock, Tally, Year
from db.engine import SessionFactory

__all__ = ["DEMO_GUILD", "DemoClock", "DemoPartnership", "build_demo"]


@dataclass(frozen=True)
class DemoPartnership:
    """The partnership the demo made, and what its year holds (counted as it was recorded)."""

    guild_id: int
    partnership_id: int
    name: str
    start: date
    now: datetime  # the demo's "now": the end of its year, where its clock stops
    today: date  # that day in the partnership's zone
    organisations: int
    organisations_left: tuple[str, ...]
    people: int
    goals: int
    goals_agreed: int
    goals_objected: int
    prompts: int
    answers: int
    trust_rounds: int
    trust_rounds_withheld: int
    meetings: int
    actions_done: int
    actions_overdue: int
    actions_open: int

    def describe(self) -> str:
        """One sentence on what the report shows."""
        left = f", {' and '.join(self.organisations_left)} left" if self.organisations_left else ""
        return (
            f"A year of {self.name} ({self.start.isoformat()} to {self.today.isoformat()}): "
            f"{self.organisations} organisations{left}; {self.people} people; "
            f"{self.goals} goals ({self.goals_agreed} agreed, {self.goals_objected} with an "
            f"objection); {self.prompts} reflective prompts with {self.answers} answers; "
            f"{self.trust_rounds} trust check-ins ({self.trust_rounds_withheld} withheld: too "
            f"few organisations answered); {self.meetings} meetings; actions "
            f"{self.actions_done} done, {self.actions_overdue} overdue, "
            f"{self.actions_open} open."
        )


async def build_demo(sessions: SessionFactory, clock: DemoClock) -> DemoPartnership:
    """Fill an empty, migrated database with the demo partnership's year; `clock` ends at the
    year's last afternoon, the "now" its report should be written at."""
    clock.set(START)  # refused if the clock is already later: the log must read in order
    year = Year(sessions, clock)
    goals = await spring(year)
    await summer(year, goals)
    await autumn(year, goals)
    await winter(year, goals)
    clock.set(END)
    return _result(year.tally, year.partnership_id, clock.now())


def _result(tally: Tally, partnership_id: int, now: datetime) -> DemoPartnership:
    today = now.astimezone(ZoneInfo(TIMEZONE)).date()
    undone = {n: due for n, due in tally.actions.items() if n not in tally.done}
    return DemoPartnership(
        guild_id=DEMO_GUILD,
        partnership_id=partnership_id,
        name=NAME,
        start=START.astimezone(ZoneInfo(TIMEZONE)).date(),
        now=now,
        today=today,
        organisations=len(tally.organisations),
        organisations_left=tuple(tally.organisations_left),
        people=len(tally.people),
        goals=tally.goals,
        goals_agreed=len(tally.agreed),
        goals_objected=len(tally.objected),
        prompts=tally.prompts,
        answers=tally.answers,
        trust_rounds=tally.rounds,
        trust_rounds_withheld=tally.withheld_rounds,
        meetings=tally.meetings,
        actions_done=len(tally.done),
        actions_overdue=sum(1 for due in undone.values() if due < today),
        actions_open=sum(1 for due in undone.values() if due >= today),
    )
