"""The partnership log: who closes an action, who attends and ends a meeting, who removes a
person's text, who exports, who reads the record of exports."""

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


# ---- redaction: who removes a person's words from the log's views


def check_redaction(access: Access, author_id: int | None) -> None:
    """A person's text (a note, a stance comment, a reflection answer, a reading's origin
    detail) is removed by its author (the entry's actor, still a member) or a convener."""
    own = (
        author_id is not None
        and access.membership is not None
        and access.membership.user_id == author_id
    )
    if not (own or access.may_convene):
        raise Forbidden(
            "Only the person who wrote it or a convener of "
            f"{access.partnership.name} can remove its text."
        )


def redactable_author(access: Access) -> int | None:
    """Whose entries this person may remove: None for everyone's (a convener), else the
    person's own user id."""
    return None if access.may_convene else access.actor.user_id


def may_redact(access: Access, author_id: int | None) -> bool:
    """`check_redaction` as a question, for the list of entries a person may choose from."""
    try:
        check_redaction(access, author_id)
    except Forbidden:
        return False
    return True


# ---- the export record: who reads it


def check_export_record(access: Access) -> None:
    """The record of who exported what is read by conveners only."""
    if not access.may_convene:
        raise Forbidden(
            f"Only the conveners of {access.partnership.name} can read its record of exports. "
            "Ask one of them if you need to know who exported what."
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
