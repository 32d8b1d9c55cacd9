"""Shared pieces of the SQLModel tables.

Snowflakes are BigInteger; surrogate keys are plain int; times are aware UTC (SQLModel stores
them so by itself). Enumerations are stored as short strings (no native database enums) so
that migrations stay simple on SQLite and PostgreSQL alike; the allowed values live in
`bot.services.vocab` and the feature's own service.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import MetaData
from sqlmodel import SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata


def utcnow() -> datetime:
    return datetime.now(UTC)


def name_key(name: str) -> str:
    """The case-insensitive key a name is unique by (Unicode-aware, unlike SQLite's lower())."""
    return " ".join(name.split()).casefold()
