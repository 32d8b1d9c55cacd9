"""Who may change a membership's standing, and who records an organisation's own view of it."""

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


def check_self_view(access: Access, organisation_id: int, organisation: str) -> None:
    """An organisation's own view of its membership: only its representative or substitute
    records it. A convener keeps the partnership's record (`/partner status`) and does not
    speak for the organisation's view unless they represent it."""
    if not access.speaks_for(organisation_id):
        raise Forbidden(
            f"Only {organisation}'s representative or substitute in "
            f"{access.partnership.name} can record how {organisation} sees its membership."
        )
