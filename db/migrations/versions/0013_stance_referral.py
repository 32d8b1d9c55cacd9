"""mandate-aware stances: the recorder's mandate, a referral state (none, pending, confirmed)
and an expected date on goal_stance. Existing stances stay as they were: no referral, counted.

Revision ID: 0013_stance_referral
Revises: 0012
Create Date: 2026-11-29 06:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0013_stance_referral"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('goal_stance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mandate', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('referral', sa.String(length=20), nullable=False, server_default='none'))
        batch_op.add_column(sa.Column('refer_by', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('goal_stance', schema=None) as batch_op:
        batch_op.drop_column('refer_by')
        batch_op.drop_column('referral')
        batch_op.drop_column('mandate')
