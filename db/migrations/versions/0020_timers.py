"""timer: one-off jobs (trust reminders and closes, action reminders, goal nudges) run exactly
once by the timer engine; timers for existing open rounds, actions and goals are added when the
bot starts (`bot.timers.TimerEngine.seed`), idempotently

Revision ID: 0020_timers
Revises: 0019_query_indexes
Create Date: 2026-11-29 07:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = "0020_timers"
down_revision: str | None = "0019_query_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('timer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('claimed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('outcome', sa.JSON(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_timer_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timer')),
    sa.UniqueConstraint('kind', 'subject_id', 'due_at', name='uq_timer_kind_subject_due')
    )
    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timer_guild_id'), ['guild_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_timer_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_timer_state_due', ['state', 'due_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.drop_index('ix_timer_state_due')
        batch_op.drop_index(batch_op.f('ix_timer_partnership_id'))
        batch_op.drop_index(batch_op.f('ix_timer_guild_id'))

    op.drop_table('timer')
