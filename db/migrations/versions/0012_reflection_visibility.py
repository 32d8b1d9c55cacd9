"""who sees a reflection answer: visibility on reflection_prompt, prompt_post and
prompt_answer; when a post's anonymous answers were released; an answer's organisation, its
replacement, withdrawal and the message that shows it; an answer's author may be empty

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 12:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('reflection_prompt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visibility', sa.String(length=10), nullable=False, server_default='named'))

    with op.batch_alter_table('prompt_post', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visibility', sa.String(length=10), nullable=False, server_default='named'))
        batch_op.add_column(sa.Column('released_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))

    with op.batch_alter_table('prompt_answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visibility', sa.String(length=10), nullable=False, server_default='named'))
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('replaced_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('shown_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('channel_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('message_id', sa.BigInteger(), nullable=True))
        batch_op.alter_column('user_id', existing_type=sa.BigInteger(), nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_prompt_answer_organisation_id_organisation'), 'organisation', ['organisation_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    op.execute("DELETE FROM prompt_answer WHERE user_id IS NULL")
    with op.batch_alter_table('prompt_answer', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_prompt_answer_organisation_id_organisation'), type_='foreignkey')
        batch_op.alter_column('user_id', existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_column('message_id')
        batch_op.drop_column('channel_id')
        batch_op.drop_column('shown_at')
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('replaced_at')
        batch_op.drop_column('organisation_id')
        batch_op.drop_column('visibility')

    with op.batch_alter_table('prompt_post', schema=None) as batch_op:
        batch_op.drop_column('released_at')
        batch_op.drop_column('visibility')

    with op.batch_alter_table('reflection_prompt', schema=None) as batch_op:
        batch_op.drop_column('visibility')
