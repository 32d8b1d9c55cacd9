"""Stable salted pseudonyms for the research export (issue 11 §3, §9).

A person is "Person " and an organisation "Organisation " followed by the first hex digits of
an HMAC-SHA256 of their id, keyed with the partnership's `research_salt`: the same on every run
(so exports made months apart can be joined), different between partnerships (so two
partnerships' exports can't be joined on them), and impossible to reverse without the salt,
which never leaves the database. The salt is made with `secrets.token_hex(32)` the first time a
partnership is exported for research, and kept.

A person is keyed by their Discord user id, an organisation by its id in this server's register.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import Partnership

PERSON = "Person"
ORGANISATION = "Organisation"
# Hex digits shown: 40 bits, so two of a partnership's few hundred people never collide in
# practice, and short enough to read in a table.
DIGITS = 10


class Pseudonyms:
    """One partnership's pseudonyms, from its salt."""

    def __init__(self, salt: str) -> None:
        if not salt:
            raise ValueError("a research salt is needed")
        self._key = salt.encode()

    def _digest(self, kind: str, value: int) -> str:
        message = f"{kind}:{value}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:DIGITS]

    def person(self, user_id: int) -> str:
        return f"{PERSON} {self._digest('person', user_id)}"

    def organisation(self, organisation_id: int) -> str:
        return f"{ORGANISATION} {self._digest('organisation', organisation_id)}"


def new_salt() -> str:
    return secrets.token_hex(32)


async def ensure_salt(session: AsyncSession, partnership: Partnership) -> str:
    """The partnership's research salt, made and saved (in the caller's write transaction) the
    first time it is needed. The caller holds the partnership's row lock, so two first exports
    at once make one salt."""
    if not partnership.research_salt:
        partnership.research_salt = new_salt()
        session.add(partnership)
        await session.flush()
    return partnership.research_salt
