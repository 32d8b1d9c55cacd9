"""co-production: a partnership's relationships with their history (partnership_relationship),
the levels at which citizens take part (partnership.coproduction_levels), and the phase a goal
concerns (goal.phase). Each partnership's one stored relationship, unless unclear, becomes its
first current row, added when the partnership was created, by its creator.

Revision ID: 0018_coprod
Revises: 0017_perceptions
Create Date: 2026-11-29 06:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = "0018_coprod"
down_revision: str | None = "0017_perceptions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('partnership_relationship',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('relationship', sa.String(length=20), nullable=False),
    sa.Column('added_by', sa.BigInteger(), nullable=True),
    sa.Column('added_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('removed_by', sa.BigInteger(), nullable=True),
    sa.Column('removed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_partnership_relationship_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partnership_relationship'))
    )
    with op.batch_alter_table('partnership_relationship', schema=None) as batch_op:
        batch_op.create_index('ix_partnership_relationship_partnership', ['partnership_id', 'relationship'], unique=False)

    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('coproduction_levels', sa.JSON(), nullable=False, server_default='[]'))

    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phase', sa.String(length=20), nullable=True))

    # The one relationship each partnership had becomes its first, still current, row.
    op.execute(
        "INSERT INTO partnership_relationship (partnership_id, relationship, added_by, added_at) "
        "SELECT id, relationship, created_by, created_at FROM partnership "
        "WHERE relationship <> 'unclear'"
    )


def downgrade() -> None:
    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.drop_column('phase')

    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.drop_column('coproduction_levels')

    with op.batch_alter_table('partnership_relationship', schema=None) as batch_op:
        batch_op.drop_index('ix_partnership_relationship_partnership')

    op.drop_table('partnership_relationship')
