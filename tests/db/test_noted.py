"""`db.ahead.noted`: a statement whose SQL depends on its values (a list expanded into it) is
noted by running it through SQLAlchemy without sending it; with the same values again, what it
was noted as is reused, and with other values it is noted afresh."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from db import ahead
from db.engine import SessionFactory
from db.models import Goal

GOALS = Goal.__table__  # type: ignore[attr-defined]
BY_IDS = select(GOALS.c.id).where(GOALS.c.id.in_(bindparam("ids", expanding=True)))


async def test_a_statement_noted_by_running_it_is_noted_once_per_values(
    sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    executed: list[Any] = []
    execute = Connection.execute

    def counted(self: Connection, statement: Any, *args: Any, **kwargs: Any) -> Any:
        executed.append(statement)
        return execute(self, statement, *args, **kwargs)

    monkeypatch.setattr(Connection, "execute", counted)
    async with sessions() as session:
        connection = await session.connection()
        adapt = (await connection.get_raw_connection()).dbapi_connection
        first = await ahead.noted(connection, adapt, BY_IDS, {"ids": [3, 1, 2]})
        ran = len(executed)
        again = await ahead.noted(connection, adapt, BY_IDS, {"ids": [3, 1, 2]})
        assert again == first and len(executed) == ran  # reused, not run again
        other = await ahead.noted(connection, adapt, BY_IDS, {"ids": [4, 5]})
        assert len(executed) > ran  # other values: noted afresh
        [(sql, values)] = other
        assert tuple(values) == (4, 5) and first[0][1] == (3, 1, 2)
        assert sql != first[0][0]  # two placeholders, not three
        # 1 and True are equal, but each is sent as it came.
        assert ahead._values_key({"a": 1}) != ahead._values_key({"a": True})
        assert ahead._values_key({"a": {"not": "hashable"}}) is None
