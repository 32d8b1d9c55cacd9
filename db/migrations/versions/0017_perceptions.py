"""each organisation's reading of a goal (goal_perception) and how organisations see their own
membership (self_status, self_commitment, self_recorded_by, self_recorded_at on
partner_organisation); existing rows keep everything and start with no self-view

Revision ID: 0017_perceptions
Revises: 0016_goal_visibility
Create Date: 2026-11-29 06:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = "0017_perceptions"
down_revision: str | None = "0016_goal_visibility"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('goal_perception',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=20), nullable=True),
    sa.Column('origin_detail', sa.String(length=200), nullable=True),
    sa.Column('relevance', sa.String(length=30), nullable=True),
    sa.Column('content', sa.String(length=20), nullable=True),
    sa.Column('recorded_by', sa.BigInteger(), nullable=False),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint('origin IS NOT NULL OR relevance IS NOT NULL OR content IS NOT NULL', name=op.f('ck_goal_perception_some_dimension')),
    sa.ForeignKeyConstraint(['goal_id'], ['goal.id'], name=op.f('fk_goal_perception_goal_id_goal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_goal_perception_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal_perception'))
    )
    with op.batch_alter_table('goal_perception', schema=None) as batch_op:
        batch_op.create_index('ix_goal_perception_goal_time', ['goal_id', 'recorded_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_goal_perception_organisation_id'), ['organisation_id'], unique=False)

    with op.batch_alter_table('partner_organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('self_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('self_commitment', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('self_recorded_by', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('self_recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('partner_organisation', schema=None) as batch_op:
        batch_op.drop_column('self_recorded_at')
        batch_op.drop_column('self_recorded_by')
        batch_op.drop_column('self_commitment')
        batch_op.drop_column('self_status')

    with op.batch_alter_table('goal_perception', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goal_perception_organisation_id'))
        batch_op.drop_index('ix_goal_perception_goal_time')
    op.drop_table('goal_perception')
