"""The stored records and `partnerbot import` on a real database (SQLite and PostgreSQL): a
partnership built through the services is exported as JSON, imported into another server, and
exported again: the records are the same up to ids. Redacted text stays redacted, check-in
answers never leave, and every refusal writes nothing."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.services.access import PartnershipRef
from bot.services.export.document import Audience
from bot.services.export.importer import IMPORTED_PAUSE, ImportRefused, import_document
from bot.services.export.records import TABLES
from bot.services.export.writers import json_doc
from db.engine import SessionFactory, transaction
from db.models import (
    Event,
    Goal,
    Organisation,
    Partnership,
    PartnershipRelationship,
    PromptPost,
    Schedule,
)
from tests.services.export.json_world import (
    CHECKIN_SECRET,
    GUILD,
    NAME,
    NEW_GUILD,
    REDACTED_ANSWER,
    REDACTED_COMMENT,
    REDACTED_NOTE,
    SMALL_WIN_SECRET,
    World,
    ada,
    build,
    document,
    header,
    normalise,
    partnership_named,
    record_list,
    row_counts,
    save,
    write_export,
)

REMOVED = "removed at the author's request"


@pytest.fixture
async def world(sessions: SessionFactory) -> World:
    return await build(sessions)


async def exported(world: World, tmp_path: Path) -> tuple[Path, bytes]:
    path = tmp_path / "family-hubs.json"
    raw = await write_export(world.sessions, world.partnership, world.clock.now(), path)
    return path, raw


async def events_of(sessions: SessionFactory, partnership: Partnership) -> list[Event]:
    async with sessions() as session:
        rows = await session.exec(
            select(Event).where(Event.partnership_id == partnership.id).order_by(Event.id)  # type: ignore[arg-type]
        )
        return list(rows.scalars())


# ---- the records


async def test_records_come_parents_first_with_nothing_of_check_in_answers(world, tmp_path):
    pairs = await record_list(world.sessions, world.partnership, world.clock.now())
    tables = [table for table, _ in pairs]
    # Table by table, in the import order; every table of the world is there.
    assert sorted(set(tables), key=TABLES.index) == list(dict.fromkeys(tables))
    assert set(tables) == set(TABLES)
    assert not {"trust_answer", "trust_rating", "trust_respondent"} & set(tables)
    [partnership] = [row for table, row in pairs if table == "partnership"]
    assert "channel_id" not in partnership and "research_salt" not in partnership
    assert "guild_id" not in partnership and partnership["name"] == NAME
    [post] = [row for t, row in pairs if t == "prompt_post" and row["custom_prompt_id"]]
    assert "thread_id" not in post and post["message_id"] == 6000
    assert all("message_id" not in row for t, row in pairs if t == "goal")
    # Datetimes in ISO 8601 UTC, dates ISO.
    [round_] = [row for table, row in pairs if table == "trust_round"]
    assert round_["closed_at"].endswith("+00:00") and "channel_id" not in round_
    decision = next(r for t, r in pairs if t == "event" and r["kind"] == "note.decision")
    assert decision["payload"]["review_on"] == "2026-05-01"

    _, raw = await exported(world, tmp_path)
    text = raw.decode()
    for secret in (CHECKIN_SECRET, SMALL_WIN_SECRET):
        assert secret not in text
    # Redacted text is the marker everywhere it was: the note, the stance, the answer.
    for removed in (REDACTED_NOTE, REDACTED_COMMENT, REDACTED_ANSWER):
        assert removed not in text
    records = json.loads(raw)["records"]
    assert json.loads(raw)["importable"] is True
    risk = next(e for e in records["event"] if e["kind"] == "note.risk")
    assert risk["payload"]["text"] == REMOVED and REMOVED in risk["summary"]
    assert [s["comment"] for s in records["goal_stance"]].count(REMOVED) == 1
    assert [a["text"] for a in records["prompt_answer"]] == ["Shared budgets would help", REMOVED]
    assert len(records["redaction"]) == 3


async def test_an_open_round_is_left_out_and_its_entry_names_no_round_after_import(world, tmp_path):
    from tests.services.export.json_world import HERE, ada

    world.clock.tick()
    await world.trust.open_round(ada, HERE, window="2d")
    pairs = await record_list(world.sessions, world.partnership, world.clock.now())
    assert len([row for table, row in pairs if table == "trust_round"]) == 1  # the closed one
    path, _ = await exported(world, tmp_path)
    await import_document(world.sessions, path, NEW_GUILD, now=world.clock.now())
    moved = await partnership_named(world.sessions, NEW_GUILD)
    opened = [e for e in await events_of(world.sessions, moved) if e.kind == "trust.round_opened"]
    assert opened[0].payload["round_id"] is not None
    assert opened[1].payload["round_id"] is None  # its round stayed behind


# ---- the round trip


async def test_export_import_export_gives_the_same_records_up_to_ids(world, tmp_path):
    before = await record_list(world.sessions, world.partnership, world.clock.now())
    path, _ = await exported(world, tmp_path)
    world.clock.tick(60)
    result = await import_document(world.sessions, path, NEW_GUILD, now=world.clock.now())
    moved = await partnership_named(world.sessions, NEW_GUILD)
    assert result.partnership == NAME and result.partnership_id == moved.id != world.partnership.id
    assert result.guild_id == NEW_GUILD and moved.channel_id is None
    assert result.counts["event"] == len([t for t, _ in before if t == "event"])
    assert result.organisations_created == ["Riverside Council", "Food Bank", "Parents' Forum"]
    assert result.schedules_paused == 1
    after = await record_list(world.sessions, moved, world.clock.now())

    # Schedules arrive paused, handled from the import on; otherwise they are as they were.
    [schedule_after] = [row for table, row in after if table == "schedule"]
    [schedule_before] = [row for table, row in before if table == "schedule"]
    assert schedule_before["state"] == "active" and schedule_after["state"] == "paused"
    assert schedule_after["paused_reason"] == IMPORTED_PAUSE
    assert schedule_after["handled_until"] == world.clock.now().isoformat()
    schedule_before.update(
        state="paused", paused_reason=IMPORTED_PAUSE, handled_until=schedule_after["handled_until"]
    )
    assert normalise(after) == normalise(before)

    # The ids really moved: nothing of the new partnership names a row of the old one.
    old_ids = {(t, r["id"]) for t, r in before}
    assert not old_ids & {(t, r["id"]) for t, r in after}
    events = await events_of(world.sessions, moved)
    by_kind = {e.kind: e for e in events}
    goals = {g.title: g.id for g in await _goals_of(world.sessions, moved)}
    crisis, door = goals["Fewer families in crisis"], goals["One front door"]
    linked = by_kind["goal.linked"]
    assert (linked.payload["goal_id"], linked.payload["other_id"]) == (door, crisis)
    assert f"goal #{door} “One front door” contributes to goal #{crisis} “Fewer" in linked.summary
    agreed = by_kind["goal.agreed"]
    assert agreed.summary.startswith(f"Goal #{crisis} “Fewer families in crisis” is agreed")
    action = next(e for e in events if e.kind == "note.action")
    done = by_kind["note.action_done"]
    assert done.payload["action_id"] == action.id and f"closed action #{action.id}:" in done.summary
    started = by_kind["meeting.started"]
    assert by_kind["meeting.ended"].payload["meeting_id"] == started.id
    decision = by_kind["note.decision"]
    assert decision.payload["goal_id"] == crisis and f"goal #{crisis} “Fewer" in decision.summary
    # Times and message links are kept as they were.
    old_events = await events_of(world.sessions, world.partnership)
    assert [e.occurred_at for e in events] == [e.occurred_at for e in old_events]
    assert [e.message_link for e in events] == [e.message_link for e in old_events]
    assert all(e.guild_id == NEW_GUILD for e in events)


async def _goals_of(sessions: SessionFactory, partnership: Partnership) -> list[Goal]:
    async with sessions() as session:
        rows = await session.exec(select(Goal).where(Goal.partnership_id == partnership.id))
        return list(rows.scalars())


async def test_redacted_text_stays_redacted_after_import(world, tmp_path):
    path, _ = await exported(world, tmp_path)
    await import_document(world.sessions, path, NEW_GUILD, now=world.clock.now())
    moved = await partnership_named(world.sessions, NEW_GUILD)
    # Not only as read: the imported rows themselves hold the marker.
    events = await events_of(world.sessions, moved)
    assert all(REDACTED_NOTE not in e.summary for e in events)
    assert all(REDACTED_ANSWER not in json.dumps(e.payload) for e in events)
    async with world.sessions() as session:
        posts = (
            await session.exec(select(PromptPost).where(PromptPost.partnership_id == moved.id))
        ).scalars()
        assert all(post.thread_id is None for post in posts)
    after = await record_list(world.sessions, moved, world.clock.now())
    assert [r["comment"] for t, r in after if t == "goal_stance"].count(REMOVED) == 1
    assert len([r for t, r in after if t == "redaction"]) == 3


async def test_an_organisation_of_the_server_is_reused_with_its_sector(world, tmp_path):
    path, _ = await exported(world, tmp_path)
    async with transaction(world.sessions) as session:
        session.add(
            Organisation(
                guild_id=NEW_GUILD,
                name="RIVERSIDE  council",
                name_key="riverside council",
                sector="other",
            )
        )
    result = await import_document(world.sessions, path, NEW_GUILD, now=world.clock.now())
    assert result.organisations_reused == ["RIVERSIDE  council"]
    assert result.organisations_created == ["Food Bank", "Parents' Forum"]
    assert "already in the server and reused (RIVERSIDE  council)" in "\n".join(result.lines())
    async with world.sessions() as session:
        rows = (
            await session.exec(select(Organisation).where(Organisation.guild_id == NEW_GUILD))
        ).scalars()
        orgs = {o.name: o for o in rows}
    assert set(orgs) == {"RIVERSIDE  council", "Food Bank", "Parents' Forum"}
    assert orgs["RIVERSIDE  council"].sector == "other"
    moved = await partnership_named(world.sessions, NEW_GUILD)
    door = next(g for g in await _goals_of(world.sessions, moved) if g.title == "One front door")
    assert door.owner_organisation_id == orgs["RIVERSIDE  council"].id


# ---- refusals: nothing is written


async def refused(world: World, path: Path, match: str, guild: int = NEW_GUILD) -> None:
    counts = await row_counts(world.sessions)
    with pytest.raises(ImportRefused, match=match):
        await import_document(world.sessions, path, guild, now=world.clock.now())
    assert await row_counts(world.sessions) == counts


async def test_a_partnership_of_that_name_in_the_server_is_refused(world, tmp_path):
    path, _ = await exported(world, tmp_path)
    await refused(world, path, "already has a partnership called “Family Hubs”", guild=GUILD)
    await import_document(world.sessions, path, NEW_GUILD, now=world.clock.now())
    await refused(world, path, "already has a partnership called")


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"audience": Audience.external}, "it was written for the external audience"),
        ({"pseudonymised": True}, "it is pseudonymised"),
        ({"since": date(2026, 3, 1)}, "it covers a period or a meeting"),
        ({}, "it holds no records"),
    ],
)
async def test_an_export_without_records_is_refused(world, tmp_path, changes, why):
    import dataclasses
    import io

    head = dataclasses.replace(header(world.partnership, world.clock.now()), **changes)
    out = io.BytesIO()
    await json_doc.write(document(head), out)
    path = tmp_path / "not-importable.json"
    save(path, out.getvalue())
    await refused(world, path, f"can't be imported: {why}")


async def test_a_newer_schema_version_is_refused(world, tmp_path):
    path, raw = await exported(world, tmp_path)
    save(path, raw.replace(b'"schema_version": 2,', b'"schema_version": 3,', 1))
    await refused(world, path, "newer Partnerbot \\(schema version 3; this one reads up to 2\\)")


async def test_broken_files_are_refused_even_late_in_the_records(world, tmp_path):
    path, raw = await exported(world, tmp_path)
    # Cut off in the middle of the log's records: everything before was inserted, then undone.
    cut = raw.rindex(b'{"actor_id"')
    save(path, raw[: cut + 40])
    await refused(world, path, "not a complete JSON document")
    save(path, b"")
    await refused(world, path, "not a complete JSON document")
    save(path, b'{"format": "something else", "schema_version": 1}')
    await refused(world, path, "not a Partnerbot export")
    save(path, b"\xff\xfe not text")
    await refused(world, path, "not a complete JSON document")
    await refused(world, tmp_path / "missing.json", "Cannot read")


async def test_a_record_naming_a_row_that_is_not_there_is_refused(world, tmp_path):
    path, raw = await exported(world, tmp_path)
    data = json.loads(raw)
    data["records"]["goal_stance"][0]["goal_id"] = 999
    save(path, json.dumps(data).encode())
    await refused(world, path, "goal_stance record 1 names a missing goal in goal_id")
    data = json.loads(raw)
    events = data["records"]["event"]
    events.insert(5, dict(events[2]))
    save(path, json.dumps(data).encode())
    await refused(world, path, f"event record {events[2]['id']} comes twice")
    data = json.loads(raw)
    records = data["records"]
    data["records"] = {
        "organisation": records["organisation"],
        "partnership": records["partnership"],
    }
    save(path, json.dumps(data).encode())
    await refused(world, path, "out of order at “partnership”")


async def test_any_layout_of_the_json_is_read(world, tmp_path):
    """The reader does not depend on the writer's lines: re-indented, with the opening last."""
    path, raw = await exported(world, tmp_path)
    data = json.loads(raw)
    reordered = {key: data[key] for key in reversed(list(data))}
    save(path, json.dumps(reordered, indent=3).encode())
    result = await import_document(world.sessions, path, NEW_GUILD, now=world.clock.now())
    assert result.counts["event"] == len(data["records"]["event"])
    assert re.search(r"log entries: \d+", "\n".join(result.lines()))


async def test_schedules_already_paused_or_cancelled_keep_their_state(world, tmp_path):
    async with transaction(world.sessions) as session:
        [schedule] = (await session.exec(select(Schedule))).scalars()
        schedule.state = "cancelled"
        session.add(schedule)
    path, _ = await exported(world, tmp_path)
    result = await import_document(world.sessions, path, NEW_GUILD, now=world.clock.now())
    assert result.schedules_paused == 0
    moved = await partnership_named(world.sessions, NEW_GUILD)
    after = await record_list(world.sessions, moved, world.clock.now())
    [row] = [r for t, r in after if t == "schedule"]
    assert row["state"] == "cancelled" and row["paused_reason"] is None


async def test_an_export_older_than_the_announcement_and_digest_settings_still_imports(
    world, tmp_path
):
    async with transaction(world.sessions) as session:
        [partnership] = (await session.exec(select(Partnership))).scalars()
        partnership.announcements = False
        session.add(partnership)
    path, raw = await exported(world, tmp_path)
    data = json.loads(raw)
    [row] = data["records"]["partnership"]
    assert row["announcements"] is False and row["digest"] == "off"
    del row["announcements"], row["digest"]  # as a Partnerbot without them wrote it
    save(path, json.dumps(data).encode())
    await import_document(world.sessions, path, NEW_GUILD, now=world.clock.now())
    moved = await partnership_named(world.sessions, NEW_GUILD)
    assert moved.announcements is True and moved.digest == "off"  # the defaults
    # Only a column with a default may be missing; any other is still required.
    del data["records"]["partnership"][0]["timezone"]
    save(path, json.dumps(data).encode())
    with pytest.raises(ImportRefused, match="lacks timezone"):
        await import_document(world.sessions, path, NEW_GUILD + 1, now=world.clock.now())


async def test_relationships_move_with_their_history_and_older_exports_still_import(
    world, tmp_path
):
    ref = PartnershipRef(name=NAME)
    await world.register.add_relationship(ada, ref, "complementary")
    await world.register.remove_relationship(ada, ref, "enabler")
    await world.register.configure(ada, ref, levels="group")
    path, raw = await exported(world, tmp_path)
    await import_document(world.sessions, path, NEW_GUILD, now=world.clock.now())
    moved = await partnership_named(world.sessions, NEW_GUILD)
    async with world.sessions() as session:
        rows = (
            await session.exec(
                select(PartnershipRelationship)
                .where(PartnershipRelationship.partnership_id == moved.id)
                .order_by(PartnershipRelationship.id)  # type: ignore[arg-type]
            )
        ).scalars()
        held = [(r.relationship, r.removed_at is None) for r in rows]
    assert held == [("enabler", False), ("complementary", True)]
    assert moved.relationship == "complementary" and moved.coproduction_levels == ["group"]
    # Written before relationships, levels and goal phases: it imports, with none of them.
    data = json.loads(raw)
    del data["records"]["partnership_relationship"]
    del data["records"]["partnership"][0]["coproduction_levels"]
    for goal in data["records"]["goal"]:
        del goal["phase"]
    save(path, json.dumps(data).encode())
    await import_document(world.sessions, path, NEW_GUILD + 1, now=world.clock.now())
    older = await partnership_named(world.sessions, NEW_GUILD + 1)
    assert older.coproduction_levels == []
