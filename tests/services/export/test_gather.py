"""`gather` on a real partnership (tests/services/export/world.py), on SQLite and PostgreSQL:
each section's content, both audiences, redaction and retention, the trust threshold and what is
withheld, a meeting's minutes, and the period."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import col, select

from bot.errors import UserFacingError
from bot.services.export.document import Audience, Person
from bot.services.export.gather import gather
from bot.services.redaction import EXPIRED, REMOVED
from db.engine import SessionFactory, transaction
from db.models import Event, GoalStance, Organisation, Partnership, Redaction
from tests.services.export.world import (
    APRIL_ACTION,
    APRIL_NOTE,
    BEA_ANSWER,
    COUNCIL,
    DECISION,
    DONE_ACTION,
    FAY_ANSWER,
    FAY_COMMENT,
    FOOD_BANK,
    FOOD_BANK_COMMENT,
    FORUM,
    GOAL_DESCRIPTION,
    GOAL_TITLE,
    HEALTH,
    HUBS,
    MEETING_TITLE,
    MEMBERS,
    MENTION_NOTE,
    NAME,
    NOW,
    OPEN_ACTION,
    OVERDUE_ACTION,
    PURPOSE,
    RISK,
    YOUTH,
    Read,
    World,
    ada,
    bea,
    build_world,
    cy,
    dee,
    eve,
    everything,
    fay,
    gus,
    read,
    strings,
)


@pytest.fixture
async def world(sessions: SessionFactory) -> World:
    return await build_world(sessions)


async def export(
    w: World,
    audience: Audience = Audience.internal,
    *,
    since: date | None = None,
    until: date | None = None,
    meeting_id: int | None = None,
    exported_by: Person | None = None,
) -> Read:
    async with w.sessions() as session:
        partnership = await session.get(Partnership, w.partnership_id)
    assert partnership is not None
    document = await gather(
        w.sessions,
        partnership,
        audience=audience,
        since=since,
        until=until,
        meeting_id=meeting_id,
        now=NOW,
        exported_by=exported_by,
        pseudonyms=None,
        keep_text=False,
    )
    return await read(document)


async def set_partnership(w: World, **values: object) -> None:
    async with transaction(w.sessions) as session:
        partnership = await session.get(Partnership, w.partnership_id)
        assert partnership is not None
        for key, value in values.items():
            setattr(partnership, key, value)
        session.add(partnership)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ---- sections, internal


async def test_header_organisations_and_membership_spells(world: World):
    r = await export(world, exported_by=Person(ada.display_name, ada.user_id))
    header = r.document.header
    assert (header.partnership, header.purpose, header.timezone) == (NAME, PURPOSE, "Europe/London")
    assert (header.audience, header.k, header.withheld) == (Audience.internal, 3, 1)
    assert (header.since, header.until, header.meeting_id) == (None, None, None)
    assert header.exported_by == Person(ada.display_name, ada.user_id)
    assert header.generated_at == NOW and not header.pseudonymised
    orgs = {o.name: o for o in r.document.organisations}
    assert set(orgs) == {COUNCIL, FOOD_BANK, HEALTH, FORUM, YOUTH}
    assert orgs[HEALTH].sector == "health" and orgs[HEALTH].left_at is None
    assert orgs[YOUTH].status == "former" and orgs[YOUTH].left_at == utc(2026, 3, 14, 10, 1)
    # Its own view of its membership, beside the conveners' record.
    assert (orgs[FOOD_BANK].status, orgs[FOOD_BANK].self_status) == ("core", "associate")
    assert orgs[FOOD_BANK].self_commitment == "medium" and orgs[HEALTH].self_status is None
    spells = [
        (s.person.name if s.person else None, s.organisation, s.capacity, s.start, s.end)
        for s in r.document.spells
    ]
    assert (
        eve.display_name,
        COUNCIL,
        "substitute",
        utc(2026, 3, 2, 9, 9),
        utc(2026, 3, 8, 10),
    ) in spells
    assert (eve.display_name, COUNCIL, "representative", utc(2026, 3, 8, 10), None) in spells
    assert (
        gus.display_name,
        YOUTH,
        "representative",
        utc(2026, 3, 2, 9, 11),
        utc(2026, 3, 14, 10),
    ) in spells
    assert (fay.display_name, None, "citizen", utc(2026, 3, 2, 9, 10), None) in spells
    [creator] = [s for s in r.document.spells if s.person and s.person.user_id == ada.user_id]
    assert creator.convener and creator.capacity == "individual"
    assert len(r.document.spells) == 8


async def test_goals_with_their_matrix_now_and_at_the_end_of_march(world: World):
    r = await export(world)
    goals = {g.id: g for g in r.document.goals}
    shared = goals[world.goal_ids["shared"]]
    assert (shared.title, shared.description) == (GOAL_TITLE, GOAL_DESCRIPTION)
    assert (shared.status, shared.progress, shared.agreed) == ("in_progress", 70, True)
    assert shared.agreed_at == utc(2026, 3, 3, 11, 20)
    cells = {c.voice: c for c in shared.matrix}
    assert (
        cells[FOOD_BANK].stance == "reservations" and cells[FOOD_BANK].comment == FOOD_BANK_COMMENT
    )
    assert cells[FOOD_BANK].recorded_by == Person(bea.display_name, bea.user_id)
    assert cells[COUNCIL].comment == "Yes" and cells[COUNCIL].counted
    assert not cells[YOUTH].counted  # former now
    fay_cell = cells[fay.display_name]
    assert (fay_cell.organisation, fay_cell.stance, fay_cell.counted) == (None, "unsure", False)
    assert fay_cell.comment == FAY_COMMENT
    assert [c.voice for c in shared.matrix][-1] == fay.display_name  # organisations first
    # The organisations' own readings, in counts: the Food Bank's later origin replaced its own.
    assert [(r.dimension, r.reading, r.organisations) for r in shared.readings] == [
        ("origin", "external", 2),
        ("origin", "members", 1),
        ("relevance", "needs_collaboration", 1),
    ]
    council = goals[world.goal_ids["council"]]
    assert council.owner == COUNCIL and council.labels["authenticity"] == "pseudo"
    own = goals[world.goal_ids["own"]]
    assert own.level == "individual" and own.owner == fay.display_name
    links = {(link.from_goal, link.to_goal, link.relation) for link in r.document.links}
    assert links == {
        (world.goal_ids["council"], world.goal_ids["shared"], "contributes_to"),
        (world.goal_ids["own"], world.goal_ids["shared"], "part_of"),
    }

    march = await export(world, until=date(2026, 3, 31))
    shared = {g.id: g for g in march.document.goals}[world.goal_ids["shared"]]
    assert (shared.status, shared.progress, shared.agreed) == ("agreed", 40, True)
    assert not {c.voice: c for c in shared.matrix}[YOUTH].counted  # it left on 14 March
    early = await export(world, until=date(2026, 3, 3))
    shared = {g.id: g for g in early.document.goals}[world.goal_ids["shared"]]
    assert (shared.status, shared.progress) == ("agreed", None)
    assert {c.voice: c for c in shared.matrix}[YOUTH].counted
    assert (await export(world, until=date(2026, 3, 2))).document.goals == []


async def test_notes_with_action_states(world: World):
    r = await export(world)
    notes = {n.id: n for n in r.notes}
    ids = world.note_ids
    assert [n.id for n in r.notes] == [
        ids[k]
        for k in (
            "decision",
            "overdue",
            "open",
            "done",
            "mention",
            "small_win",
            "risk",
            "april",
            "april_action",
        )
    ]
    decision = notes[ids["decision"]]
    assert (decision.kind, decision.text, decision.goal_id) == (
        "decision",
        DECISION,
        world.goal_ids["shared"],
    )
    assert decision.goal_title == GOAL_TITLE and decision.review_on == date(2026, 5, 1)
    assert decision.meeting_id == world.meeting_id and decision.author == Person(
        ada.display_name, ada.user_id
    )
    assert decision.link == "https://discord.com/channels/1000/5555/4242"
    overdue, open_, done = notes[ids["overdue"]], notes[ids["open"]], notes[ids["done"]]
    assert (overdue.text, overdue.state, overdue.due) == (
        OVERDUE_ACTION,
        "overdue",
        date(2026, 3, 20),
    )
    assert overdue.owner == Person(bea.display_name, bea.user_id)
    assert overdue.owner_organisation == FOOD_BANK
    assert (open_.text, open_.state, open_.owner_organisation) == (OPEN_ACTION, "open", HEALTH)
    assert (done.text, done.state, done.done_at) == (DONE_ACTION, "done", utc(2026, 3, 10, 9))
    assert done.owner_organisation == FORUM
    assert notes[ids["april_action"]].owner_organisation == COUNCIL  # Eve, representative then
    assert notes[ids["mention"]].text == MENTION_NOTE  # internal: as written
    assert notes[ids["risk"]].text == RISK and notes[ids["april"]].text == APRIL_NOTE
    actions = [n async for n in r.document.notes("action")]
    assert [n.text for n in actions] == [OVERDUE_ACTION, OPEN_ACTION, DONE_ACTION, APRIL_ACTION]
    assert [n.kind async for n in r.document.notes("small_win")] == ["small_win"]
    # A stream is read afresh each time.
    assert [n.id async for n in r.document.notes(None)] == [n.id for n in r.notes]

    # States as they were at the end of an earlier period.
    mid = {n.id: n for n in (await export(world, until=date(2026, 3, 15))).notes}
    assert mid[ids["overdue"]].state == "open" and mid[ids["done"]].state == "done"
    before = {n.id: n for n in (await export(world, until=date(2026, 3, 9))).notes}
    assert before[ids["done"]].state == "open" and before[ids["done"]].done_at is None


async def test_the_log_internal(world: World):
    r = await export(world)
    kinds = [row.kind for row in r.log]
    assert kinds[0] == "partnership.created" and "prompt.answered" in kinds
    assert [row.at for row in r.log] == sorted(row.at for row in r.log)
    async with world.sessions() as session:
        count = len((await session.exec(select(Event))).all())
    assert len(r.log) == count
    created = r.log[0]
    assert created.actor == Person(ada.display_name, ada.user_id)
    assert created.summary == f"{ada.display_name} created the partnership {NAME}."
    answered = [row for row in r.log if row.kind == "prompt.answered"]
    assert [row.payload["answer"] for row in answered] == [BEA_ANSWER, FAY_ANSWER]


async def test_meetings_and_reflections(world: World):
    r = await export(world)
    [meeting] = r.document.meetings
    assert (meeting.id, meeting.title) == (world.meeting_id, MEETING_TITLE)
    assert meeting.started_at == utc(2026, 3, 5, 18) and meeting.ended_at == utc(2026, 3, 5, 18, 48)
    assert meeting.started_by == Person(ada.display_name, ada.user_id)
    assert [(a.person.name if a.person else None, a.organisation) for a in meeting.attendance] == [
        (bea.display_name, FOOD_BANK),
        (cy.display_name, HEALTH),
        (fay.display_name, None),
    ]
    [reflection] = r.document.reflections
    assert (reflection.post_id, reflection.theme, reflection.answer_count) == (
        world.post_id,
        "power",
        2,
    )
    assert reflection.prompt and reflection.link == "https://discord.com/channels/1000/5555/8888"
    assert [
        (a.author.name if a.author else None, a.organisation, a.text) for a in reflection.answers
    ] == [
        (bea.display_name, FOOD_BANK, BEA_ANSWER),
        (fay.display_name, None, FAY_ANSWER),
    ]


# ---- trust


async def test_trust_rounds_and_what_is_withheld(world: World):
    r = await export(world)
    shown, held = r.document.trust
    assert shown.round_id == world.round_ids[0] and shown.shown
    assert shown.organisations_answered == 5
    assert shown.means == {
        "expectations": 3.4,
        "follow_through": 4.0,
        "reliance": 3.0,
        "fair_say": 2.8,
    }
    assert (shown.small_wins, shown.listened) == (5, None)  # one citizen: fewer than k persons
    assert shown.opened_at == utc(2026, 3, 10, 10) and shown.closed_at == utc(2026, 3, 11, 15)
    assert held.round_id == world.round_ids[1] and not held.shown
    assert (held.organisations_answered, held.means, held.small_wins) == (1, {}, None)
    assert r.document.header.withheld == 1
    closed = [row for row in r.log if row.kind == "trust.round_closed"]
    assert "fair say 2.8" in closed[0].summary and "no results" in closed[1].summary
    assert "means" not in closed[1].payload
    for row in closed:
        assert "network" not in row.payload and "received" not in str(row.payload)

    # The threshold now, not then: raised to 6, the first round is withheld too.
    await set_partnership(world, anonymity_threshold=6)
    r = await export(world)
    assert [t.shown for t in r.document.trust] == [False, False]
    assert r.document.header.withheld == 2 and r.document.header.k == 6
    first = next(row for row in r.log if row.kind == "trust.round_closed")
    assert "2.8" not in first.summary and "means" not in first.payload
    # Raised to 4: five organisations still show the round, but the small wins counted at
    # k = 3 can't be checked any more, so they are withheld too.
    await set_partnership(world, anonymity_threshold=4)
    r = await export(world)
    first = r.document.trust[0]
    assert first.shown and first.means["fair_say"] == 2.8 and first.small_wins is None
    assert r.document.header.withheld == 2


# ---- the external audience


async def test_external_names_no_person_anywhere(world: World):
    # A decision about Fay's own goal, logged during a second meeting.
    draft = await world.meetings.prepare_start(ada, HUBS, title="April meeting")
    second = await world.meetings.record_start(ada, draft, channel_id=5555, message_id=1)
    own = world.goal_ids["own"]
    about_own = await world.note(fay, text="My walk is going well", kind="decision", goal=str(own))
    await world.meetings.end(ada, HUBS)
    r = await export(world, Audience.external, exported_by=Person(ada.display_name, ada.user_id))
    values = everything(r)
    assert not [v for v in values if isinstance(v, Person)]
    texts = strings(r)
    for member in MEMBERS:
        assert not [t for t in texts if member.display_name.casefold() in t.casefold()], member
        assert not [t for t in texts if str(member.user_id) in t], member
        assert member.user_id not in values
    assert r.document.header.exported_by is None
    assert all(row.actor is None for row in r.log)
    # What the external audience never gets.
    assert all(not reflection.answers for reflection in r.document.reflections)
    assert r.document.reflections[0].answer_count == 2
    assert all(
        cell.comment is None and cell.recorded_by is None
        for goal in r.document.goals
        for cell in goal.matrix
    )
    assert FOOD_BANK_COMMENT not in texts and FAY_COMMENT not in texts and "Yes" not in texts
    assert BEA_ANSWER not in texts and FAY_ANSWER not in texts
    assert "prompt.answered" not in {row.kind for row in r.log}
    goals = {g.id: g for g in r.document.goals}
    assert world.goal_ids["own"] not in goals  # individual-level
    assert "authenticity" not in goals[world.goal_ids["council"]].labels  # pseudo is sensitive
    assert not any("pseudo" in t for t in texts)
    assert {(link.from_goal, link.to_goal) for link in r.document.links} == {
        (world.goal_ids["council"], world.goal_ids["shared"])
    }
    assert not [row for row in r.log if row.payload.get("goal_id") == world.goal_ids["own"]]
    # People appear by the organisation they speak for.
    notes = {n.id: n for n in r.notes}
    overdue = notes[world.note_ids["overdue"]]
    assert (overdue.owner, overdue.author, overdue.owner_organisation) == (None, None, FOOD_BANK)
    assert notes[world.note_ids["mention"]].text.startswith("Thanks a member and a member for")
    meeting, _second = r.document.meetings
    assert [(a.person, a.organisation) for a in meeting.attendance] == [
        (None, FOOD_BANK),
        (None, HEALTH),
        (None, None),
    ]
    assert all(s.person is None for s in r.document.spells)
    assert any(
        s.organisation == COUNCIL and s.capacity == "representative" for s in r.document.spells
    )
    fay_cell = next(c for c in goals[world.goal_ids["shared"]].matrix if c.organisation is None)
    assert fay_cell.voice == "a person"
    assert (notes[about_own].goal_id, notes[about_own].goal_title) == (None, None)
    assert "goal_id" not in {row.id: row for row in r.log}[about_own].payload
    assert f"#{own}" not in {row.id: row for row in r.log}[about_own].summary
    minutes = await export(world, Audience.external, meeting_id=second.meeting_id)
    assert [(n.id, n.goal_id) for n in minutes.notes] == [(about_own, None)]
    assert not [t for t in strings(minutes) if "Walk to school" in t]
    internal = await export(world, meeting_id=second.meeting_id)
    assert [(n.id, n.goal_id) for n in internal.notes] == [(about_own, own)]
    summaries = {row.kind: row.summary for row in r.log}
    assert summaries["partnership.created"] == f"The partnership {NAME} was created."
    assert summaries["member.updated"] == "A member is now representative for Riverside Council."
    assert (
        summaries["note.action_done"]
        == f"Action #{world.note_ids['done']} was closed: “{DONE_ACTION}”."
    )


# ---- redaction and retention


async def test_redaction_is_honoured_in_every_section_and_stream(world: World):
    async with world.sessions() as session:
        food_bank = (
            await session.exec(select(Organisation).where(Organisation.name == FOOD_BANK))
        ).one()
        stance = (
            await session.exec(select(GoalStance).where(GoalStance.organisation_id == food_bank.id))
        ).one()
        events = (await session.exec(select(Event).order_by(col(Event.id)))).all()
    stance_event = next(
        e
        for e in events
        if e.kind == "goal.stance" and e.payload.get("organisation_id") == food_bank.id
    )
    answer_event = next(
        e
        for e in events
        if e.kind == "prompt.answered" and e.payload["answer_id"] == world.answer_ids["bea"]
    )
    async with transaction(world.sessions) as session:
        for event_id, stance_id, answer_id in (
            (world.note_ids["risk"], None, None),
            (world.note_ids["overdue"], None, None),
            (stance_event.id, stance.id, None),
            (answer_event.id, None, world.answer_ids["bea"]),
        ):
            session.add(
                Redaction(
                    guild_id=world.partnership.guild_id,
                    partnership_id=world.partnership_id,
                    event_id=event_id,
                    stance_id=stance_id,
                    answer_id=answer_id,
                    redacted_by=bea.user_id,
                )
            )
    r = await export(world)
    texts = strings(r)
    for removed in (RISK, OVERDUE_ACTION, FOOD_BANK_COMMENT, BEA_ANSWER):
        assert not [t for t in texts if removed in t], removed
    notes = {n.id: n for n in r.notes}
    assert notes[world.note_ids["risk"]].text == REMOVED
    assert notes[world.note_ids["overdue"]].text == REMOVED
    shared = {g.id: g for g in r.document.goals}[world.goal_ids["shared"]]
    assert {c.voice: c.comment for c in shared.matrix}[FOOD_BANK] == REMOVED
    assert r.document.reflections[0].answers[0].text == REMOVED
    assert r.document.reflections[0].answers[1].text == FAY_ANSWER
    logged = {row.id: row for row in r.log}
    assert REMOVED in logged[world.note_ids["risk"]].summary
    assert logged[stance_event.id].payload["comment"] == REMOVED
    assert REMOVED in logged[answer_event.id].summary
    # Kept entries are untouched; the external audience reads the markers too.
    assert notes[world.note_ids["small_win"]].text != REMOVED
    external = await export(world, Audience.external)
    assert {n.id: n.text for n in external.notes}[world.note_ids["risk"]] == REMOVED
    assert not [t for t in strings(external) if RISK in t]


async def test_retention_removes_old_free_text(world: World):
    await set_partnership(world, retention_months=1)  # now 15 April: before ~15 March goes
    r = await export(world)
    notes = {n.id: n for n in r.notes}
    assert notes[world.note_ids["risk"]].text == EXPIRED
    assert notes[world.note_ids["april"]].text == APRIL_NOTE
    shared = {g.id: g for g in r.document.goals}[world.goal_ids["shared"]]
    assert {c.voice: c.comment for c in shared.matrix}[FOOD_BANK] == EXPIRED
    assert {c.voice: c.comment for c in shared.matrix}[HEALTH] is None  # never had one
    assert [a.text for a in r.document.reflections[0].answers] == [EXPIRED, EXPIRED]
    texts = strings(r)
    assert not [t for t in texts if RISK in t or BEA_ANSWER in t or FAY_COMMENT in t]


# ---- a meeting's minutes


async def test_a_meeting_export_is_its_minutes(world: World):
    r = await export(world, meeting_id=world.meeting_id)
    header = r.document.header
    assert (header.meeting_id, header.meeting_title) == (world.meeting_id, MEETING_TITLE)
    assert (header.since, header.until) == (date(2026, 3, 5), date(2026, 3, 5))
    [meeting] = r.document.meetings
    assert meeting.id == world.meeting_id and len(meeting.attendance) == 3
    assert [n.id for n in r.notes] == [world.note_ids["decision"], world.note_ids["overdue"]]
    assert [n.state for n in r.notes] == [None, "overdue"]  # as things stand now
    assert [row.kind for row in r.log] == [
        "meeting.started",
        "meeting.attended",
        "meeting.attended",
        "meeting.attended",
        "note.decision",
        "note.action",
        "meeting.ended",
    ]
    assert r.document.goals == r.document.trust == r.document.reflections == []
    assert {o.name for o in r.document.organisations} == {COUNCIL, FOOD_BANK, HEALTH, FORUM, YOUTH}
    with pytest.raises(UserFacingError, match="can't find meeting"):
        await export(world, meeting_id=world.note_ids["decision"])


# ---- the period


async def test_the_period_is_in_the_partnerships_zone(world: World):
    # 00:30 on 1 April in London (British Summer Time) is still 31 March in UTC.
    world.clock.at = utc(2026, 3, 31, 23, 30)
    late = await world.note(dee, text="Just after midnight")
    world.clock.at = NOW
    april = await export(world, since=date(2026, 4, 1))
    assert [n.id for n in april.notes] == [
        late,
        world.note_ids["april"],
        world.note_ids["april_action"],
    ]
    assert all(row.at >= utc(2026, 3, 31, 23) for row in april.log)
    assert [t.round_id for t in april.document.trust] == [world.round_ids[1]]
    assert april.document.header.withheld == 1
    assert april.document.meetings == [] and april.document.reflections == []
    assert YOUTH not in {o.name for o in april.document.organisations}  # left in March
    assert gus.user_id not in {s.person.user_id for s in april.document.spells if s.person}
    assert (april.document.header.since, april.document.header.until) == (date(2026, 4, 1), None)

    march = await export(world, since=date(2026, 3, 1), until=date(2026, 3, 31))
    assert late not in {n.id for n in march.notes}
    assert world.note_ids["april"] not in {n.id for n in march.notes}
    assert [t.round_id for t in march.document.trust] == [world.round_ids[0]]
    assert march.document.header.withheld == 0
    assert all(row.at <= utc(2026, 3, 31, 22, 59, 59, 999999) for row in march.log)
    assert YOUTH in {o.name for o in march.document.organisations}
    with pytest.raises(UserFacingError, match="starts after it ends"):
        await export(world, since=date(2026, 4, 2), until=date(2026, 4, 1))
