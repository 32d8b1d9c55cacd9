"""Errors whose message is safe, and kind, to show the person who asked."""

from __future__ import annotations


class UserFacingError(Exception):
    """Bad input or a refused action. The message is shown to the user as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(UserFacingError):
    """The thing named does not exist, or the user may not know that it does."""


class Forbidden(UserFacingError):
    """The user may not do this."""
