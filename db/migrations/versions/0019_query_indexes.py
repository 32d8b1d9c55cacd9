"""indexes for the hot paths the benchmarks found: each voice's latest stance on a goal
(goal_stance by goal, organisation and time) and a partnership's latest log entry (event by
partnership and id)

Revision ID: 0019_query_indexes
Revises: 0018_coprod
Create Date: 2026-11-29 06:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op


revision: str = "0019_query_indexes"
down_revision: str | None = "0018_coprod"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_goal_stance_voice', 'goal_stance', ['goal_id', 'organisation_id', 'recorded_at'], unique=False)
    op.create_index('ix_event_partnership_id', 'event', ['partnership_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_event_partnership_id', table_name='event')
    op.drop_index('ix_goal_stance_voice', table_name='goal_stance')
