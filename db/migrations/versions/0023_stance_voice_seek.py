"""each voice's latest stance in one index seek on PostgreSQL too: the voice index ends in
the stance's id (the tie-break of "latest"), and people speaking in their own capacity get an
index of their own (goal_stance by goal, person, time and id, where there is no organisation)

Revision ID: 0023_stance_voice_seek
Revises: 0022_event_kind_index
Create Date: 2026-11-30 09:45:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0023_stance_voice_seek"
down_revision: str | None = "0022_event_kind_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NO_ORGANISATION = sa.text("organisation_id IS NULL")


def upgrade() -> None:
    op.drop_index('ix_goal_stance_voice', table_name='goal_stance')
    op.create_index(
        'ix_goal_stance_voice',
        'goal_stance',
        ['goal_id', 'organisation_id', 'recorded_at', 'id'],
        unique=False,
    )
    op.create_index(
        'ix_goal_stance_person',
        'goal_stance',
        ['goal_id', 'user_id', 'recorded_at', 'id'],
        unique=False,
        sqlite_where=_NO_ORGANISATION,
        postgresql_where=_NO_ORGANISATION,
    )


def downgrade() -> None:
    op.drop_index('ix_goal_stance_person', table_name='goal_stance')
    op.drop_index('ix_goal_stance_voice', table_name='goal_stance')
    op.create_index(
        'ix_goal_stance_voice',
        'goal_stance',
        ['goal_id', 'organisation_id', 'recorded_at'],
        unique=False,
    )
