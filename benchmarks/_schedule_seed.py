"""Fill a database with many partnerships and prompt schedules, fast (bulk inserts).

For the scheduler benchmark: one partnership per schedule, all in one server, every schedule
handled up to the moment of seeding. `varied_rows` are schedules as a real deployment has them
(weekly, at 96 times of day, in five zones) on days that do not come during a run; the burst's
rows are daily at one minute in UTC, each in its own channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import insert

from db.engine import create_engine
from db.models import Partnership, Schedule

CONVENER = 2
ZONES = ("Europe/London", "UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney")


@dataclass(frozen=True)
class SeedRow:
    channel_id: int | None
    timezone: str
    local_time: str
    cadence: str = "daily"
    weekdays: list[int] = field(default_factory=list)


def varied_rows(count: int, now: datetime, *, guild_id: int) -> list[SeedRow]:
    """`count` weekly schedules without a channel, on weekdays two to four days from `now` (in
    every zone), so none falls due while a benchmark runs."""
    today = now.astimezone(UTC).weekday()
    return [
        SeedRow(
            channel_id=None,
            timezone=ZONES[i % len(ZONES)],
            local_time=f"{(i // 4) % 24:02d}:{(i % 4) * 15:02d}",
            cadence="weekly",
            weekdays=[(today + 2 + (i // 96) % 3) % 7],
        )
        for i in range(count)
    ]


async def seed(url: str, rows: Sequence[SeedRow], *, guild_id: int) -> list[int]:
    """One partnership ("Bench 0", "Bench 1", …) and one prompt schedule per row."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    try:
        async with engine.begin() as conn:
            partnership_ids = [
                pid
                for (pid,) in (
                    await conn.execute(
                        insert(Partnership).returning(Partnership.id),  # type: ignore[arg-type]
                        [
                            {
                                "guild_id": guild_id,
                                "name": f"Bench {i}",
                                "name_key": f"bench {i}",
                                "purpose": "A benchmark partnership",
                                "timezone": row.timezone,
                                "channel_id": row.channel_id,
                                "created_by": CONVENER,
                                "created_at": now,
                                "citizen_phases": [],
                            }
                            for i, row in enumerate(rows)
                        ],
                    )
                ).all()
            ]
            result = await conn.execute(
                insert(Schedule).returning(Schedule.id),  # type: ignore[arg-type]
                [
                    {
                        "guild_id": guild_id,
                        "partnership_id": pid,
                        "kind": "prompt",
                        "cadence": row.cadence,
                        "local_time": row.local_time,
                        "weekdays": row.weekdays,
                        "holidays": [],
                        "options": {},
                        "state": "active",
                        "created_by": CONVENER,
                        "created_at": now,
                        "handled_until": now,
                    }
                    for pid, row in zip(partnership_ids, rows, strict=True)
                ],
            )
            return [sid for (sid,) in result.all()]
    finally:
        await engine.dispose()
