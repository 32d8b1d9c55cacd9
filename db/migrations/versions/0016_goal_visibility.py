"""who sees a goal: the whole partnership (every existing goal), the conveners and its owners,
or its owning organisation only

Revision ID: 0016_goal_visibility
Revises: 0015_goal_responses
Create Date: 2026-11-29 06:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0016_goal_visibility"
down_revision: str | None = "0015_goal_responses"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing goals were seen by the whole partnership: they stay so.
    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visibility', sa.String(length=20), nullable=False, server_default='partnership'))


def downgrade() -> None:
    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.drop_column('visibility')
