"""goal responses and sharing: when an individual-level goal was shared with its partnership

Organisation- and individual-level goals take responses (compatible, in tension, doesn't affect
us, didn't know) instead of stances; responses are rows of `goal_stance` whose `stance` holds
the response, so no table changes for them. An individual-level goal is private to its owner
until shared (`goal.shared_at`). Individual-level goals that exist already were visible to the
whole partnership, so they count as shared when they were proposed.

Revision ID: 0015_goal_responses
Revises: 0014_schedule_changes
Create Date: 2026-11-29 06:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = "0015_goal_responses"
down_revision: str | None = "0014_schedule_changes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shared_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.execute("UPDATE goal SET shared_at = proposed_at WHERE level = 'individual'")


def downgrade() -> None:
    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.drop_column('shared_at')
