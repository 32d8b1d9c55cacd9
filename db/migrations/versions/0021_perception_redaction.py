"""redaction of an organisation's reading: redaction.perception_id names the goal_perception row
whose origin detail a redacted goal.perceived entry recorded, so the goal's card and the
exported readings read it as removed too. Existing redactions name no reading.

Revision ID: 0021_perception_redaction
Revises: 0020_timers
Create Date: 2026-11-29 17:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0021_perception_redaction"
down_revision: str | None = "0020_timers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('redaction', schema=None) as batch_op:
        batch_op.add_column(sa.Column('perception_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_redaction_perception_id_goal_perception'), 'goal_perception', ['perception_id'], ['id'], ondelete='CASCADE')


def downgrade() -> None:
    with op.batch_alter_table('redaction', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_redaction_perception_id_goal_perception'), type_='foreignkey')
        batch_op.drop_column('perception_id')
