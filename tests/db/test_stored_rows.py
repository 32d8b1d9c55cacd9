"""`db.models.stored`: a row just written, made as a read makes it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect

from db.models import Event, GoalStance, stored


def test_a_stored_row_holds_what_the_constructor_holds_and_no_change_to_flush() -> None:
    values = {
        "guild_id": 1,
        "partnership_id": 2,
        "kind": "goal.stance",
        "actor_id": 3,
        "occurred_at": datetime(2026, 11, 30, 12, 0, tzinfo=UTC),
        "summary": "Riverside agrees.",
        "payload": {"goal_id": 4},
        "message_link": None,
    }
    made, kept = Event(id=9, **values), stored(Event, id=9, **values)
    assert type(kept) is Event
    assert kept.model_dump() == made.model_dump()
    assert repr(kept) == repr(made)
    state = inspect(kept)
    assert state.transient
    # Nothing recorded as changed: it is a row as stored, not one to insert.
    assert not any(state.attrs[name].history.has_changes() for name in values)
    assert any(inspect(made).attrs[name].history.has_changes() for name in values)


def test_a_stored_stance_reads_its_own_values() -> None:
    at = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    row = stored(
        GoalStance,
        id=5,
        goal_id=6,
        organisation_id=None,
        user_id=7,
        display_name="Sam",
        capacity="individual",
        stance="agree",
        comment=None,
        recorded_at=at,
        mandate=None,
        referral="none",
        refer_by=None,
    )
    assert (row.id, row.goal_id, row.user_id, row.stance, row.recorded_at) == (5, 6, 7, "agree", at)
    assert row.organisation_id is None
