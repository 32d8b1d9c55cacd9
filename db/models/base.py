"""Shared pieces of the SQLModel tables.

Snowflakes are BigInteger; surrogate keys are plain int; times are aware UTC (SQLModel stores
them so by itself). Enumerations are stored as short strings (no native database enums) so
that migrations stay simple on SQLite and PostgreSQL alike; the allowed values live in
`bot.services.vocab` and the feature's own service.
"""

from __future__ import annotations

import functools
import unicodedata
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import MetaData
from sqlalchemy.orm.attributes import manager_of_class
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


M = TypeVar("M", bound=SQLModel)


def stored(model: type[M], **values: Any) -> M:
    """A row just written (by an INSERT … RETURNING), as a read would give it back: made as
    SQLAlchemy makes a loaded row, its values set at once, with no pending change and outside
    any session. A table model's own constructor records each value as a change to flush,
    about 40 µs a row; this takes about 3."""
    row = manager_of_class(model).new_instance()
    row.__dict__.update(values)
    return row  # type: ignore[no-any-return]


def utcnow() -> datetime:
    return datetime.now(UTC)


# Characters that show nothing: format characters (zero-width space and joiners, soft hyphen,
# word joiner, BOM) are removed from names; these blanks are not whitespace to Python but
# print as nothing, so a name made only of them is refused.
INVISIBLE_BLANKS = frozenset("\u2800\u3164\u115f\u1160\uffa0\u180e")


def drop_format_characters(text: str) -> str:
    """`text` without zero-width and other format characters (Unicode category Cf)."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def is_blank(text: str) -> bool:
    """Whether `text` shows nothing: only spaces, format, control or blank characters."""
    return all(
        ch.isspace() or ch in INVISIBLE_BLANKS or unicodedata.category(ch) in ("Cf", "Cc")
        for ch in text
    )


@functools.lru_cache(maxsize=4096)
def name_key(name: str) -> str:
    """The key a name is unique by: the same for names a person would call the same.

    Unicode NFKC (fullwidth ＲＩＶＥＲＳＩＤＥ is Riverside; "Cafe" with a combining accent is
    Café), format characters dropped, runs of spaces collapsed, then case-folded (Unicode-aware,
    unlike SQLite's lower()).
    """
    text = drop_format_characters(unicodedata.normalize("NFKC", name))
    return " ".join(text.split()).casefold()
