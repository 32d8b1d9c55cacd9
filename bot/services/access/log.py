"""The partnership log: who closes an action, who attends and ends a meeting, who exports."""

from __future__ import annotations

from bot.errors import Forbidden
from bot.services.access.gate import Access

# ---- the partnership log: who closes an action


def check_action_closing(access: Access, owner_id: int | None) -> None:
    """An action is closed by its owner (a current member) or a convener."""
    own = (
        owner_id is not None
        and access.membership is not None
        and access.membership.user_id == owner_id
    )
    if not (own or access.may_convene):
        raise Forbidden(
            f"Only the action's owner or a convener of {access.partnership.name} can close it."
        )


# ---- meetings: who attends, who ends one


def check_may_attend(access: Access) -> None:
    """Attendance is recorded for members only (a server manager who isn't one attends nothing)."""
    if access.membership is None:
        raise Forbidden(
            f"You aren't a member of {access.partnership.name}, so your attendance can't be "
            "recorded. A convener can add you with `/member add`."
        )


def check_meeting_ending(access: Access, started_by: int | None) -> None:
    """A meeting is ended by the person who started it or a convener."""
    if not (access.actor.user_id == started_by or access.may_convene):
        raise Forbidden(
            f"Only the person who started the meeting or a convener of "
            f"{access.partnership.name} can end it."
        )


# ---- exports: who may export


def check_may_export(access: Access, *, pseudonymise: bool = False) -> None:
    """Any member may export the partnership (a server manager too: they act as conveners);
    the gate has already given a non-member the words a missing partnership gets. The
    pseudonymised research export is the operator's, from the command line only."""
    if access.membership is None and not access.may_convene:
        raise Forbidden(f"Only the members of {access.partnership.name} can export it.")
    if pseudonymise:
        raise Forbidden(
            "The pseudonymised research export is made from the command line "
            "(`partnerbot export --pseudonymise`) by whoever runs the bot."
        )
