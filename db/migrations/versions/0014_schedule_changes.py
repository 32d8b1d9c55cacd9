"""schedule.updated_at: when a schedule last changed, so every process (not only the one that
made the change) re-reads it; existing rows take their creation time

Revision ID: 0014_schedule_changes
Revises: 0013_stance_referral
Create Date: 2026-11-29 06:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = "0014_schedule_changes"
down_revision: str | None = "0013_stance_referral"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('schedule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.execute("UPDATE schedule SET updated_at = created_at")
    with op.batch_alter_table('schedule', schema=None) as batch_op:
        batch_op.alter_column('updated_at', existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False)
        batch_op.create_index(batch_op.f('ix_schedule_updated_at'), ['updated_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('schedule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_schedule_updated_at'))
        batch_op.drop_column('updated_at')
