"""What the schedule engine (`bot.scheduling`) hands to actions, and what they hand back.

An action is registered per kind by the cog that knows how to post. The engine calls its
`prepare` (if any) inside the transaction that claims the occurrence, so a prompt is chosen and
recorded in the same round trip as the claim (once for all the occurrences of that kind claimed
together, so it can choose their prompts with one query per step), then `run` with the
occurrence (`Due`). `run` returns its result, or `Done`: its result and the writes to make in
the transaction that records the outcome, so a post is recorded with its outcome in one
transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import Occurrence, Partnership, Schedule


class TransientError(Exception):
    """The action failed for a passing reason: try again later."""


class TargetGone(Exception):
    """The action's target (a channel) no longer exists: pause the schedule."""


@dataclass(frozen=True)
class Due:
    """What an action is given: one occurrence of one schedule."""

    occurrence_id: int
    schedule_id: int
    partnership_id: int
    guild_id: int
    kind: str
    due_at: datetime
    late: bool
    attempt: int
    options: dict[str, Any]
    # What the action's `prepare` made when the occurrence was claimed (None on a retry).
    prepared: Any = field(default=None, compare=False, repr=False)

    @classmethod
    def of(
        cls,
        occurrence: Occurrence,
        schedule: Schedule,
        partnership: Partnership,
        *,
        attempt: int,
        prepared: Any = None,
    ) -> Due:
        """The occurrence as its action is given it, at this attempt."""
        return cls(
            occurrence_id=occurrence.id,  # type: ignore[arg-type]
            schedule_id=schedule.id,  # type: ignore[arg-type]
            partnership_id=partnership.id,  # type: ignore[arg-type]
            guild_id=partnership.guild_id,
            kind=schedule.kind,
            due_at=occurrence.due_at,
            late=occurrence.late,
            attempt=attempt,
            options=dict(schedule.options or {}),
            prepared=prepared,
        )

    @property
    def nonce(self) -> str:
        """A stable nonce for Discord (≤ 25 characters): the same for every attempt."""
        return f"pb-occ-{self.occurrence_id}"


@dataclass(frozen=True)
class Done:
    """An action's result, and `record`: writes made in the transaction recording the outcome."""

    result: dict[str, Any]
    record: Callable[[AsyncSession], Awaitable[None]]


ActionRun = Callable[[Due], Awaitable[dict[str, Any] | Done]]
ActionGone = Callable[[Due, str], Awaitable[None]]
# Called in the claim's transaction with the occurrences claimed together (one or several) and
# their partnerships; returns what each one's run is given (`Due.prepared`), in their order.
ActionPrepare = Callable[
    [AsyncSession, Sequence[tuple[Due, Partnership]]], Awaitable[Sequence[Any]]
]


@dataclass
class ActionHandler:
    run: ActionRun
    on_gone: ActionGone | None = None
    # Discord requests the engine paces before a run (a prompt: its message; it paces its
    # thread itself, when it makes it).
    requests: int = 1
    prepare: ActionPrepare | None = None


@dataclass
class Outcome:
    """What one call to `run_schedule`, `retry_due` or `recover` did (for logs and tests)."""

    ran: list[int] = field(default_factory=list)
    missed: int = 0
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped_claimed: int = 0


def plural(n: int, word: str) -> str:
    return word if n == 1 else f"{word}s"
