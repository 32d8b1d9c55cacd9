"""What a command read after the gate, remembered per partnership as it was named, so that the
next time the gate's read and those reads go to the database in one trip (`resolve(ahead=…)`:
to SQLite's thread, or as one statement on PostgreSQL).

A plan is only a guess: the reads it names are used if, and only if, the command runs those
very statements with those very values once the gate has let it in. A partnership renamed, a
setting changed or another partnership now under that name leaves the guess unused; the
command then reads as it would have without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.services.access.gate import Actor, PartnershipRef
from db.models import name_key

Read = tuple[Any, dict[str, Any]]


class AheadPlans:
    """The reads a command made after the gate, by server and the partnership's name (or the
    channels it was used in), the `limit` latest kept."""

    def __init__(self, limit: int = 1024) -> None:
        self.limit = limit
        self._plans: dict[tuple[int, str | tuple[int, ...]], list[Read]] = {}

    @staticmethod
    def _key(actor: Actor, ref: PartnershipRef) -> tuple[int, str | tuple[int, ...]]:
        named = ref.name.strip() if ref.name else ""
        return (actor.guild_id, name_key(named) if named else tuple(ref.where.channel_ids))

    def get(self, actor: Actor, ref: PartnershipRef) -> list[Read]:
        """The reads to send with the gate's, if any."""
        return self._plans.get(self._key(actor, ref), [])

    def remember(self, actor: Actor, ref: PartnershipRef, reads: Sequence[Read]) -> None:
        key = self._key(actor, ref)
        self._plans.pop(key, None)
        self._plans[key] = list(reads)
        if len(self._plans) > self.limit:
            del self._plans[next(iter(self._plans))]  # the oldest
