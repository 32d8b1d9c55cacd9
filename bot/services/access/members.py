"""Who may change a membership's standing."""

from __future__ import annotations

from bot.errors import Forbidden
from bot.services.access.gate import Access

# ---- members


def check_standing_change(access: Access, user_id: int) -> None:
    """Nobody changes their own organisation, capacity or mandate after joining, convener or
    not: who speaks for whom is set by someone else (another convener, or a Manage Server
    holder other than the person), so no one can make themselves an organisation's voice."""
    if user_id == access.actor.user_id:
        raise Forbidden(
            "You can't change your own organisation, capacity or mandate. Ask another convener "
            f"of {access.partnership.name} (or someone with Manage Server) to do it."
        )
