"""Recording the outcomes of scheduled posts made about the same time in one transaction.

In a burst a post is made every few hundredths of a second, and each one's outcome (the
occurrence done, and the action's own writes: a prompt's message, thread and log entry) was a
transaction of its own. `DoneRecords` gathers those finishing within `RECORD_GATHER` seconds of
each other and writes them together; each run still waits until its own outcome is written, and
a batch that fails is written again one by one, so a failure is its own run's only. Only runs
under way together wait to be gathered: a run alone is recorded at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel.ext.asyncio.session import AsyncSession

from db.engine import transaction
from db.models import Occurrence, OccurrenceState

if TYPE_CHECKING:
    from db.engine import SessionFactory

Record = Callable[[AsyncSession], Awaitable[None]]

# How long a finished run waits for others finishing to be recorded with them: about six posts
# at Discord's rate. A paced run gives its slot back before it waits (`Slot.release`), so the
# wait holds no other run back (when runs held their slots meanwhile, 0.2 s cost a burst more
# time than it saved CPU).
RECORD_GATHER = 0.25

_OCCURRENCES = Occurrence.__table__  # type: ignore[attr-defined]
# The columns to set come with the parameters (built once: the hot path's statement).
UPDATE_OCCURRENCE = update(_OCCURRENCES).where(_OCCURRENCES.c.id == bindparam("occurrence_id"))


@dataclass
class _Done:
    values: dict[str, Any]
    record: Record | None
    written: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class DoneRecords:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions
        self._queue: list[_Done] = []
        self._writer: asyncio.Task[None] | None = None

    async def done(
        self,
        occurrence_id: int,
        *,
        result: dict[str, Any],
        attempts: int,
        now: datetime,
        record: Record | None,
        gather: bool,
    ) -> None:
        """Record the occurrence done (after `record`, the action's own writes); raises the
        database's error if its own writes failed."""
        values = {
            "occurrence_id": occurrence_id,
            "state": OccurrenceState.done,
            "finished_at": now,
            "next_attempt_at": None,
            "result": result,
            "attempts": attempts,
        }
        pending = _Done(values, record)
        self._queue.append(pending)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_gathered(RECORD_GATHER if gather else 0))
        await pending.written

    async def _write_gathered(self, gather: float) -> None:
        await asyncio.sleep(gather)
        batch, self._queue, self._writer = self._queue, [], None
        try:
            await self._write(batch)
        except SQLAlchemyError as exc:
            if len(batch) == 1:
                batch[0].written.set_exception(exc)
                return
            for pending in batch:  # one by one: only the run whose writes failed fails
                try:
                    await self._write([pending])
                except SQLAlchemyError as own:
                    pending.written.set_exception(own)
                else:
                    pending.written.set_result(None)
            return
        except BaseException as exc:
            for pending in batch:
                if not pending.written.done():
                    pending.written.set_exception(exc)
            raise
        for pending in batch:
            pending.written.set_result(None)

    async def _write(self, batch: list[_Done]) -> None:
        async with transaction(self.sessions) as session:
            for pending in batch:
                if pending.record is not None:
                    await pending.record(session)
            await session.exec(UPDATE_OCCURRENCE, params=[pending.values for pending in batch])
