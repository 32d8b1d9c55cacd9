"""name keys: Unicode NFKC, format characters dropped

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 23:55:00

Names are now unique by a key that treats fullwidth letters, composed and decomposed accents and
zero-width characters as a person would (see `db.models.base.name_key`). Keys stored before are
recomputed. Where two existing names of one server would now share a key, both keep their old
keys (nothing is merged or renamed behind anyone's back); new names are checked the new way.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(name: str) -> str:
    # A frozen copy of name_key as of this revision: migrations never import the app.
    text = unicodedata.normalize("NFKC", name)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.split()).casefold()


def _old_key(name: str) -> str:
    return " ".join(name.split()).casefold()


# (table, the shown text, its key column, the column the key is unique within, or None)
KEYED = (
    ("partnership", "name", "name_key", "guild_id"),
    ("organisation", "name", "name_key", "guild_id"),
    ("goal", "title", "title_key", None),
)


def _rekey(key_of) -> None:  # type: ignore[no-untyped-def]
    bind = op.get_bind()
    for table, shown, key, scope in KEYED:
        scope_column = scope or "id"
        rows = bind.execute(sa.text(f"SELECT id, {scope_column}, {shown} FROM {table}")).all()
        wanted = {row[0]: (row[1] if scope else None, key_of(row[2])) for row in rows}
        taken = Counter(wanted.values())
        for row_id, (scope_value, new_key) in wanted.items():
            if scope and taken[(scope_value, new_key)] > 1:
                continue
            bind.execute(
                sa.text(f"UPDATE {table} SET {key} = :key WHERE id = :id"),
                {"key": new_key, "id": row_id},
            )


def upgrade() -> None:
    _rekey(_key)


def downgrade() -> None:
    _rekey(_old_key)
