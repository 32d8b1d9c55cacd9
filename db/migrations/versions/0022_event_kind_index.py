"""an index on a partnership's log by kind and time (event by partnership, kind, time and id),
so that a few kinds of a long log (an export's register, meetings and trust rounds) are read
without walking its notes

Revision ID: 0022_event_kind_index
Revises: 0021_perception_redaction
Create Date: 2026-11-29 23:50:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op


revision: str = "0022_event_kind_index"
down_revision: str | None = "0021_perception_redaction"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_event_partnership_kind_time',
        'event',
        ['partnership_id', 'kind', 'occurred_at', 'id'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index('ix_event_partnership_kind_time', table_name='event')
