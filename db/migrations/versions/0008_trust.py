"""trust check-ins: trust_round, trust_respondent, trust_answer, trust_rating

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 09:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('trust_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=True),
    sa.Column('opened_by', sa.BigInteger(), nullable=True),
    sa.Column('channel_id', sa.BigInteger(), nullable=True),
    sa.Column('pairwise', sa.Boolean(), nullable=False),
    sa.Column('named_pairs', sa.Boolean(), nullable=False),
    sa.Column('opened_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('closes_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('remind_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('reminded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('closed_by', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_trust_round_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['schedule_id'], ['schedule.id'], name=op.f('fk_trust_round_schedule_id_schedule'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trust_round'))
    )
    with op.batch_alter_table('trust_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trust_round_closed_at'), ['closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_trust_round_guild_id'), ['guild_id'], unique=False)
        batch_op.create_index('ix_trust_round_partnership_opened', ['partnership_id', 'opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_trust_round_schedule_id'), ['schedule_id'], unique=False)

    op.create_table('trust_respondent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('answered', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_trust_respondent_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['round_id'], ['trust_round.id'], name=op.f('fk_trust_respondent_round_id_trust_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trust_respondent')),
    sa.UniqueConstraint('round_id', 'user_id', name='uq_trust_respondent_person')
    )
    with op.batch_alter_table('trust_respondent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trust_respondent_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trust_respondent_round_id'), ['round_id'], unique=False)

    op.create_table('trust_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('own_capacity', sa.Boolean(), nullable=False),
    sa.Column('expectations', sa.SmallInteger(), nullable=True),
    sa.Column('follow_through', sa.SmallInteger(), nullable=True),
    sa.Column('reliance', sa.SmallInteger(), nullable=True),
    sa.Column('fair_say', sa.SmallInteger(), nullable=True),
    sa.Column('listened', sa.SmallInteger(), nullable=True),
    sa.Column('small_win', sa.Boolean(), nullable=True),
    sa.Column('small_win_text', sa.Text(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('share_comment', sa.Boolean(), nullable=False),
    sa.Column('answered_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_trust_answer_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['round_id'], ['trust_round.id'], name=op.f('fk_trust_answer_round_id_trust_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trust_answer')),
    sa.UniqueConstraint('round_id', 'user_id', name='uq_trust_answer_person')
    )
    with op.batch_alter_table('trust_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trust_answer_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trust_answer_round_id'), ['round_id'], unique=False)

    op.create_table('trust_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=True),
    sa.Column('rater_organisation_id', sa.Integer(), nullable=False),
    sa.Column('rated_organisation_id', sa.Integer(), nullable=False),
    sa.Column('reliability', sa.SmallInteger(), nullable=False),
    sa.Column('openness', sa.SmallInteger(), nullable=False),
    sa.Column('mission', sa.SmallInteger(), nullable=False),
    sa.Column('rated_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['rated_organisation_id'], ['organisation.id'], name=op.f('fk_trust_rating_rated_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['rater_organisation_id'], ['organisation.id'], name=op.f('fk_trust_rating_rater_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['round_id'], ['trust_round.id'], name=op.f('fk_trust_rating_round_id_trust_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trust_rating')),
    sa.UniqueConstraint('round_id', 'user_id', 'rated_organisation_id', name='uq_trust_rating_person')
    )
    with op.batch_alter_table('trust_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trust_rating_rated_organisation_id'), ['rated_organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trust_rating_rater_organisation_id'), ['rater_organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trust_rating_round_id'), ['round_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('trust_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trust_rating_round_id'))
        batch_op.drop_index(batch_op.f('ix_trust_rating_rater_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_trust_rating_rated_organisation_id'))

    op.drop_table('trust_rating')
    with op.batch_alter_table('trust_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trust_answer_round_id'))
        batch_op.drop_index(batch_op.f('ix_trust_answer_organisation_id'))

    op.drop_table('trust_answer')
    with op.batch_alter_table('trust_respondent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trust_respondent_round_id'))
        batch_op.drop_index(batch_op.f('ix_trust_respondent_organisation_id'))

    op.drop_table('trust_respondent')
    with op.batch_alter_table('trust_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trust_round_schedule_id'))
        batch_op.drop_index('ix_trust_round_partnership_opened')
        batch_op.drop_index(batch_op.f('ix_trust_round_guild_id'))
        batch_op.drop_index(batch_op.f('ix_trust_round_closed_at'))

    op.drop_table('trust_round')
