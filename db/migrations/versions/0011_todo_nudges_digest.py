"""announcements, nudges and the digest: partnership announcements and digest, goal respond_by,
goal_nudge (one claim per goal and day)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 12:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('announcements', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('digest', sa.String(length=10), nullable=False, server_default='off'))

    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('respond_by', sa.Date(), nullable=True))

    op.create_table('goal_nudge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('automatic', sa.Boolean(), nullable=False),
    sa.Column('sent_by', sa.BigInteger(), nullable=True),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['goal_id'], ['goal.id'], name=op.f('fk_goal_nudge_goal_id_goal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal_nudge')),
    sa.UniqueConstraint('goal_id', 'day', name='uq_goal_nudge_goal_day')
    )
    with op.batch_alter_table('goal_nudge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goal_nudge_goal_id'), ['goal_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('goal_nudge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goal_nudge_goal_id'))
    op.drop_table('goal_nudge')
    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.drop_column('respond_by')
    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.drop_column('digest')
        batch_op.drop_column('announcements')
