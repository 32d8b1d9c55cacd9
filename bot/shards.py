"""Which servers this process holds, from `SHARD_COUNT` and `SHARD_IDS`.

Discord puts a server on shard `(guild_id >> 22) % shard_count`. A process started with some
shard ids holds the servers of those shards: its gateway sessions receive their events, and its
schedule engine runs their schedules. Unsharded (no `SHARD_COUNT`), a process holds every
server. The split is for load only: the engine's claim in the database, not the split, is what
makes each occurrence run once, so two processes holding the same shards are still safe.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, true

# Discord's snowflakes keep the creation time above bit 22; the shard is that part, modulo.
SNOWFLAKE_SHIFT = 22

GuildFilter = Callable[[int], bool]


def shard_of(guild_id: int, count: int) -> int:
    """The shard Discord gives a server when a bot runs `count` shards."""
    return (guild_id >> SNOWFLAKE_SHIFT) % count


def holds_all(_guild_id: int) -> bool:
    """The filter of an unsharded process: every server."""
    return True


def guild_filter(count: int | None, ids: Sequence[int] | None) -> GuildFilter:
    """`holds(guild_id)` for a process running shards `ids` of `count` (all when unset)."""
    if count is None:
        return holds_all
    held = frozenset(range(count) if ids is None else ids)
    if held >= frozenset(range(count)):
        return holds_all

    def holds(guild_id: int) -> bool:
        return shard_of(guild_id, count) in held

    return holds


def held_clause(column: Any, count: int | None, ids: Sequence[int] | None) -> ColumnElement[bool]:
    """A SQL condition on a guild id column: the row's server is held by this process.

    `(guild_id / 2**22) % count IN ids`, written with integer division rather than `>>` so it
    reads the same on SQLite and PostgreSQL (guild ids are positive, so the two agree).
    """
    if count is None:
        return true()
    held = sorted(set(range(count) if ids is None else ids))
    if len(held) >= count:
        return true()
    shard = (column // (1 << SNOWFLAKE_SHIFT)) % count
    return shard.in_(held)  # type: ignore[no-any-return]
