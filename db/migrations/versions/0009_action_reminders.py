"""action reminders: action_reminder, one claim per action and kind of reminder

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 09:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('action_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_event_id', sa.Integer(), nullable=False),
    sa.Column('which', sa.String(length=20), nullable=False),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['action_event_id'], ['event.id'], name=op.f('fk_action_reminder_action_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_reminder')),
    sa.UniqueConstraint('action_event_id', 'which', name='uq_action_reminder_action_which')
    )
    with op.batch_alter_table('action_reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_reminder_action_event_id'), ['action_event_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('action_reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_reminder_action_event_id'))

    op.drop_table('action_reminder')
