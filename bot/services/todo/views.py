"""What the todo service hands to cogs: plain, frozen records of what awaits one person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class TodoKind(StrEnum):
    """The kinds of things that wait for a person, in the order they are shown."""

    stance = "stance"  # a goal awaits the stance of their organisation (or their own)
    response = "response"  # an organisation's or a person's goal awaits their organisation's
    prompt = "prompt"  # a reflective prompt of the last days they have not answered
    trust = "trust"  # the open check-in round they may answer and have not
    action = "action"  # an action they own, open or overdue


@dataclass(frozen=True)
class TodoItem:
    """One thing that waits, with what the cog needs to name the command that settles it."""

    kind: str  # a `TodoKind`
    partnership_id: int
    partnership: str
    number: int  # the goal's, the prompt's, the round's or the action's number
    title: str  # a goal's title, a prompt's question, an action's text (user text; may be "")
    link: str | None = None  # the goal's card, the prompt's post, the action's note
    organisation: str | None = None  # a stance or response: the organisation it is for
    due: date | None = None  # a goal's respond-by date, an action's due date
    closes_at: datetime | None = None  # when a check-in round closes
    posted_at: datetime | None = None  # when a prompt was posted
    overdue: bool = False  # an action past its due date


@dataclass(frozen=True)
class TodoList:
    """What awaits one person: in one partnership (`partnership` set) or in all of theirs."""

    items: list[TodoItem]
    partnership: str | None  # the one partnership covered, or None for all of theirs
    partnerships: int  # how many partnerships were looked at
    member: bool = True  # False: the one partnership named is not theirs (a server manager)
    archived: bool = False  # the one partnership named is archived: nothing can be settled

    def of(self, kind: str) -> list[TodoItem]:
        return [item for item in self.items if item.kind == kind]
