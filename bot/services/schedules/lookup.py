"""Finding schedules: one by its number for someone who may manage it, a partnership's live
ones, and the partnerships whose schedules a person may manage. Who may do what is asked of the
access gate (`bot.services.access`), never decided here."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import NotFound, UserFacingError
from bot.services.access import Actor, authorize_by_id
from bot.services.schedules.kind import ScheduleKind
from bot.services.schedules.spec import parse_schedule_ref
from db.models import LIVE_STATES, Partnership, Schedule, ScheduleState


async def schedule_for(
    session: AsyncSession, kind: ScheduleKind, actor: Actor, schedule_ref: str
) -> tuple[Schedule, Partnership]:
    """A schedule of the kind by number, for a convener of its partnership; others learn
    nothing, not even that it exists."""
    schedule_id = parse_schedule_ref(schedule_ref, command=kind.command)
    missing = NotFound(f"I can't find {kind.short_noun} #{schedule_id}.")
    schedule = (
        await session.exec(
            select(Schedule).where(
                Schedule.id == schedule_id,
                Schedule.guild_id == actor.guild_id,
                Schedule.kind == kind.key,
            )
        )
    ).first()
    if schedule is None:
        raise missing
    access = await authorize_by_id(
        session, actor, schedule.partnership_id, convener=True, writable=True
    )
    if access is None:
        raise missing
    await session.refresh(schedule)  # as it is now that the partnership's writes queue behind us
    if schedule.state == ScheduleState.cancelled:
        raise UserFacingError(
            f"Schedule #{schedule.id} was cancelled. Make a new one with `{kind.command} schedule`."
        )
    return schedule, access.partnership


async def live_schedules(
    session: AsyncSession, partnership_id: int | None, kind_key: str | None = None
) -> list[Schedule]:
    """A partnership's schedules (of one kind, or of all) that are active or paused, oldest
    first."""
    query = select(Schedule).where(
        Schedule.partnership_id == partnership_id, col(Schedule.state).in_(LIVE_STATES)
    )
    if kind_key is not None:
        query = query.where(Schedule.kind == kind_key)
    rows = await session.exec(query.order_by(col(Schedule.id)))
    return list(rows.all())
