"""Fill a database with many partnerships and prompt schedules, fast (bulk inserts).

Shared by the scheduler benchmark: `seed` writes `count` active prompt schedules, each in its
own partnership with its own channel id, with every schedule handled up to `handled_until`.
Daily schedules at a fixed local time in UTC: `due` chooses it (the burst), otherwise they fall
at 03:17 UTC, far from when the benchmark runs... unless that is now, so the time is moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from db.engine import create_engine
from db.models import Partnership, Schedule

CONVENER = 2


def quiet_time(now: datetime) -> str:
    """A local time (UTC) at least an hour away from `now`, both ways."""
    return (now + timedelta(hours=12)).strftime("%H:%M")


async def seed(
    url: str,
    *,
    guild_id: int,
    channel_ids: Sequence[int | None],
    local_time: str,
    handled_until: datetime,
    prefix: str = "Bench",
) -> list[int]:
    """One partnership and one daily prompt schedule per channel id; returns the schedule ids."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    try:
        async with engine.begin() as conn:
            start = (
                await conn.execute(
                    insert(Partnership).returning(Partnership.id),  # type: ignore[arg-type]
                    [
                        {
                            "guild_id": guild_id,
                            "name": f"{prefix} {i}",
                            "name_key": f"{prefix.lower()} {i}",
                            "purpose": "A benchmark partnership",
                            "timezone": "UTC",
                            "channel_id": channel_id,
                            "created_by": CONVENER,
                            "created_at": now,
                            "citizen_phases": [],
                        }
                        for i, channel_id in enumerate(channel_ids)
                    ],
                )
            ).all()
            partnership_ids = [row[0] for row in start]
            rows = (
                await conn.execute(
                    insert(Schedule).returning(Schedule.id),  # type: ignore[arg-type]
                    [
                        {
                            "guild_id": guild_id,
                            "partnership_id": pid,
                            "kind": "prompt",
                            "cadence": "daily",
                            "local_time": local_time,
                            "weekdays": [],
                            "holidays": [],
                            "options": {},
                            "state": "active",
                            "created_by": CONVENER,
                            "created_at": now,
                            "handled_until": handled_until,
                        }
                        for pid in partnership_ids
                    ],
                )
            ).all()
            return [row[0] for row in rows]
    finally:
        await engine.dispose()
