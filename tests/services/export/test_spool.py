"""The export's one read of the log (`spool`), on SQLite (the `sqlite3` path on a worker
thread) and PostgreSQL (a server-side cursor): the same entries as the tables hold, scoped to the
partnership and the period, read once however many times the writers read the streams."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from sqlalchemy import event
from sqlmodel import col, select

from bot.services.export import spool as spool_module
from bot.services.export.document import Audience, brief
from bot.services.export.gather import SMALL_KINDS
from bot.services.export.spool import LOG, LogQuery, Spool, entry, sqlite_moment
from bot.services.export.writers import WRITERS
from bot.services.trust.events import CLOSED as TRUST_CLOSED
from db.engine import SessionFactory, transaction
from db.models import Event, Partnership
from tests.services.export.world import GUILD, NOW, World, build_world, gathered


@pytest.fixture
async def world(sessions: SessionFactory) -> World:
    return await build_world(sessions)


async def partnership_of(world: World) -> Partnership:
    async with world.sessions() as session:
        partnership = await session.get(Partnership, world.partnership_id)
    assert partnership is not None
    return partnership


async def stored(w: World, start: datetime | None = None, end: datetime = NOW) -> list[tuple]:
    """The partnership's entries as SQLAlchemy reads them, oldest first."""
    query = select(Event).where(Event.partnership_id == w.partnership_id, Event.occurred_at <= end)
    if start is not None:
        query = query.where(Event.occurred_at >= start)
    async with w.sessions() as session:
        events = (await session.exec(query.order_by(col(Event.occurred_at), col(Event.id)))).all()
    return [
        (e.id, e.kind, e.actor_id, e.occurred_at, e.summary, e.payload, e.message_link)
        for e in events
    ]


async def spooled(w: World, query: LogQuery, *, streamed: bool = False) -> list[tuple]:
    spool = Spool()
    if streamed:  # the PostgreSQL path, whatever the database
        await spool._fill_streamed(w.sessions, query, None)
    else:
        await spool.fill(w.sessions, query)
    try:
        return [tuple(entry(raw)) for batch in spool.batches(LOG) for raw in batch]
    finally:
        spool.close()


async def test_the_spool_holds_the_entries_as_the_database_does(world: World):
    query = LogQuery(GUILD, world.partnership_id, None, NOW)
    expected = await stored(world)
    assert len(expected) > 40
    # The quick path (sqlite3 on SQLite) and the streamed one read the same, to the type.
    for streamed in (False, True):
        got = await spooled(world, query, streamed=streamed)
        assert got == expected
        assert [type(v) for row in got for v in row] == [type(v) for row in expected for v in row]
        assert all(row[3].tzinfo is UTC for row in got)


async def test_the_streamed_read_keeps_time_and_payload_as_stored_text(world: World):
    # On PostgreSQL as on SQLite, no row's datetime or JSON is decoded while the spool fills
    # (`stored_text`): the time as SQLAlchemy stores it in SQLite, the payload's JSON text.
    spool = Spool()
    try:
        await spool._fill_streamed(
            world.sessions, LogQuery(GUILD, world.partnership_id, None, NOW), None
        )
        raws = [raw for batch in spool.batches(LOG) for raw in batch]
    finally:
        spool.close()
    expected = await stored(world)
    assert len(raws) == len(expected) > 40
    for raw, row in zip(raws, expected, strict=True):
        assert type(raw[3]) is str and type(raw[5]) is str, raw
        assert raw[3] == sqlite_moment(row[3])
        assert json.loads(raw[5]) == row[5]


async def test_the_spool_keeps_to_the_partnership_server_and_period(world: World):
    async with transaction(world.sessions) as session:
        other = Partnership(
            guild_id=GUILD, name="Other", name_key="other", purpose="", timezone="UTC", created_by=1
        )
        session.add(other)
        await session.flush()
        assert other.id is not None
        # Another partnership's entry, and one with this partnership's id in another server.
        for guild, pid in ((GUILD, other.id), (GUILD + 1, world.partnership_id)):
            session.add(
                Event(
                    guild_id=guild,
                    partnership_id=pid,
                    kind="note.note",
                    occurred_at=NOW - timedelta(days=1),
                    summary="not this partnership's",
                    payload={"text": "elsewhere"},
                )
            )
    everything = await stored(world)
    start, end = everything[10][3], everything[-10][3]  # both ends kept: inclusive
    for streamed in (False, True):
        got = await spooled(
            world, LogQuery(GUILD, world.partnership_id, start, end), streamed=streamed
        )
        assert got == [row for row in everything if start <= row[3] <= end]
        assert got[0][3] == start and got[-1][3] == end
        assert "not this partnership's" not in {row[4] for row in got}


async def test_a_spool_without_files_per_kind_picks_a_kind_from_the_log(world: World):
    # The JSON export reads every note from the log: its spool keeps no file per kind, and a
    # kind asked for all the same is the same entries, in the same order.
    query = LogQuery(GUILD, world.partnership_id, None, NOW)
    by_kind, from_log = Spool(), Spool(by_kind=False)
    try:
        await by_kind.fill(world.sessions, query)
        await from_log.fill(world.sessions, query)
        assert set(from_log._files) == {LOG} and len(by_kind._files) > 3
        kinds = {raw[1] for batch in by_kind.batches(LOG) for raw in batch}
        assert {"note.decision", "note.action", "note.risk"} <= kinds
        assert "note.action_done" in kinds and "goal.agreed" in kinds  # not notes: no file
        for kind in sorted(kinds):
            expected = [raw for batch in by_kind.batches(kind) for raw in batch]
            assert bool(expected) is (kind.startswith("note.") and kind != "note.action_done")
            got = list(from_log.batches(kind))
            assert [raw for batch in got for raw in batch] == expected
            assert all(got), kind  # no empty batch
        assert list(from_log.batches(LOG)) == list(by_kind.batches(LOG))
    finally:
        by_kind.close()
        from_log.close()


def test_a_moment_is_compared_as_sqlalchemy_stores_it():
    assert sqlite_moment(datetime(2026, 3, 2, 9, 5, 7, 12, tzinfo=UTC)) == (
        "2026-03-02 09:05:07.000012"
    )
    assert spool_module.moment("2026-03-02 09:05:07.000012") == datetime(
        2026, 3, 2, 9, 5, 7, 12, tzinfo=UTC
    )


@pytest.mark.parametrize("format", sorted(WRITERS))
async def test_an_export_reads_the_log_once_and_lets_go_of_its_spool(
    world: World, format: str, monkeypatch: pytest.MonkeyPatch
):
    fills: list[LogQuery] = []
    real_fill = Spool.fill

    async def counted(self: Spool, sessions: SessionFactory, query: LogQuery, keep=None):
        if not self.filled:
            fills.append(query)
        await real_fill(self, sessions, query, keep)

    monkeypatch.setattr(Spool, "fill", counted)
    partnership = await partnership_of(world)
    document = await gathered(world, partnership, Audience.internal)
    out = BytesIO()
    await WRITERS[format](document, out)  # type: ignore[index]
    assert out.getvalue()
    # Five sections of notes and the log (and JSON's notes of every kind): one read.
    assert len(fills) == 1
    assert document.close is not None
    spool = document.close.__self__  # type: ignore[attr-defined]
    assert spool._files and not any(f.closed for f in spool._files.values())
    document.close()
    assert not spool._files


@pytest.mark.parametrize("format", sorted(WRITERS))
async def test_every_format_writes_the_same_without_files_per_kind(world: World, format: str):
    # What the spool keeps changes how quickly a kind's notes come, never which: each writer
    # makes the same bytes either way (the JSON export's spool keeps none, `NOTES_BY_KIND`).
    partnership = await partnership_of(world)
    made = []
    for by_kind in (True, False):
        document = await gathered(world, partnership, Audience.internal, notes_by_kind=by_kind)
        out = BytesIO()
        await WRITERS[format](document, out)  # type: ignore[index]
        assert document.close is not None
        spool = document.close.__self__  # type: ignore[attr-defined]
        assert spool.by_kind is by_kind and (len(spool._files) > 1) is by_kind
        document.close()
        made.append(out.getvalue())
    assert made[0] == made[1] and len(made[0]) > 1000


@pytest.mark.parametrize("audience", list(Audience))
async def test_the_log_without_payloads_is_the_same_log(world: World, audience: Audience):
    partnership = await partnership_of(world)
    document = await gathered(world, partnership, audience)
    assert document.log_batches is not None
    full = [row async for batch in document.log_batches(True) for row in batch]
    bare = [row async for batch in document.log_batches(False) for row in batch]
    assert TRUST_CLOSED in {row.kind for row in full}
    assert [(r.id, r.at, r.kind, r.actor, r.summary, r.link) for r in bare] == [
        (r.id, r.at, r.kind, r.actor, r.summary, r.link) for r in full
    ]
    assert any(row.payload for row in full)
    # And as briefs (Markdown's and HTML's log): the same entries, from the spool's rows.
    assert document.log_briefs is not None
    briefs = [entry async for batch in document.log_briefs() for entry in batch]
    assert briefs == [brief(row) for row in full]
    assert len(briefs) == len(full) and all(type(b) is tuple for b in briefs)
    # The notes in batches (made straight from the spool's rows when nothing is redacted) are
    # the notes one at a time (each from its decoded entry).
    assert document.note_batches is not None
    batched = [note async for batch in document.note_batches(None) for note in batch]
    single = [note async for note in document.notes(None)]
    assert batched == single and len(single) > 5
    assert {note.kind for note in single} >= {"decision", "action", "risk"}
    # The log in batches (straight from the spool's rows when shown as stored) is the log one
    # entry at a time (each through `log_row`), payloads included.
    assert full == [row async for row in document.log()]
    # What the JSON writer takes on trust (`Document.json_values`): every payload holds only
    # JSON values, so orjson writes a row as the general conversion would.
    assert document.json_values
    assert all(json.loads(json.dumps(row.payload)) == row.payload for row in full)
    assert all(_json_only(row.payload) for row in full)


def _json_only(value: object) -> bool:
    if isinstance(value, dict):
        return all(type(k) is str and _json_only(v) for k, v in value.items())
    if isinstance(value, list):
        return all(map(_json_only, value))
    return type(value) in (str, int, float, bool, type(None))


async def test_the_sections_beside_the_streams_read_the_log_in_one_query(world: World):
    """The register, meetings, trust rounds and actions' closes come from one query of the log
    (each of its own would walk the partnership's whole log again), the streams from the
    spool, later."""
    statements: list[tuple[str, set[object]]] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append((statement, set(parameters or ())))

    engine = world.sessions.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        partnership = await partnership_of(world)
        statements.clear()
        document = await gathered(world, partnership, Audience.internal)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert document.close is not None
    document.close()
    small = set(SMALL_KINDS)
    reads = [kinds & small for text, kinds in statements if "FROM event" in text and kinds & small]
    assert reads == [small]
    # What it found: the world's meetings, closed rounds and organisations are all there.
    assert document.meetings and document.trust and document.organisations
