"""The command line's database helpers: the URL as printed, and migrating with one clear line
when the database can't be opened. Shared by every command that touches the database."""

from __future__ import annotations


def safe_url(url: str) -> str:
    """The database URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unreadable URL)"


class DatabaseUnavailable(Exception):
    """The database could not be opened or upgraded; the message is one line."""


async def upgrade_database(url: str) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from db.migrate import upgrade

    try:
        await upgrade(url)
    except (SQLAlchemyError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise DatabaseUnavailable(
            f"Cannot open or upgrade the database at {safe_url(url)}: {reason}"
        ) from None
