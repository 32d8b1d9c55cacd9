"""redaction and export audit: redaction, export_record; partnership research_consent and
retention_months

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 03:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('research_consent', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('research_salt', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('retention_months', sa.Integer(), nullable=True))

    op.create_table('redaction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('stance_id', sa.Integer(), nullable=True),
    sa.Column('answer_id', sa.Integer(), nullable=True),
    sa.Column('redacted_by', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('redacted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_redaction_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_redaction_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['stance_id'], ['goal_stance.id'], name=op.f('fk_redaction_stance_id_goal_stance'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['answer_id'], ['prompt_answer.id'], name=op.f('fk_redaction_answer_id_prompt_answer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redaction')),
    sa.UniqueConstraint('event_id', name='uq_redaction_event')
    )
    with op.batch_alter_table('redaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_redaction_guild_id'), ['guild_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_redaction_partnership_id'), ['partnership_id'], unique=False)

    op.create_table('export_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=True),
    sa.Column('via', sa.String(length=10), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('audience', sa.String(length=10), nullable=False),
    sa.Column('pseudonymised', sa.Boolean(), nullable=False),
    sa.Column('since', sa.Date(), nullable=True),
    sa.Column('until', sa.Date(), nullable=True),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('withheld', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=True),
    sa.Column('exported_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_export_record_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_record'))
    )
    with op.batch_alter_table('export_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_record_guild_id'), ['guild_id'], unique=False)
        batch_op.create_index('ix_export_record_partnership_time', ['partnership_id', 'exported_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('export_record', schema=None) as batch_op:
        batch_op.drop_index('ix_export_record_partnership_time')
        batch_op.drop_index(batch_op.f('ix_export_record_guild_id'))
    op.drop_table('export_record')
    with op.batch_alter_table('redaction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_redaction_partnership_id'))
        batch_op.drop_index(batch_op.f('ix_redaction_guild_id'))
    op.drop_table('redaction')
    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.drop_column('retention_months')
        batch_op.drop_column('research_salt')
        batch_op.drop_column('research_consent')
