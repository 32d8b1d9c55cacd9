"""What every part of `RegisterService` shares: sessions, clock, settings, and the listener
told of each committed change."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.services.clock import Clock, SystemClock
from db.engine import SessionFactory
from db.models import Partnership

# Told the id of every partnership whose register changed, after the change is committed.
ChangeListener = Callable[[int], Awaitable[None]]


class RegisterBase:
    def __init__(
        self,
        sessions: SessionFactory,
        *,
        default_timezone: str,
        admin_role_name: str,
        clock: Clock = SystemClock(),
        on_change: ChangeListener | None = None,
    ):
        self.sessions = sessions
        self.default_timezone = default_timezone
        self.admin_role_name = admin_role_name
        self.clock = clock
        self.on_change = on_change

    async def _changed(self, partnership: Partnership) -> None:
        """Announce a committed change; call it after the transaction, never inside."""
        if self.on_change is not None:
            assert partnership.id is not None
            await self.on_change(partnership.id)
