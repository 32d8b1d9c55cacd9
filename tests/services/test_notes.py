"""The partnership log's notes on a real database: kinds, bad input, actions, paging."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import DBAPIError
from sqlmodel import select, update

from bot.errors import UserFacingError
from bot.services.access import Actor, PartnershipRef
from bot.services.goals import GoalService
from bot.services.notes import DONE, OPEN, OVERDUE, PAGE_SIZE, NoteService
from bot.services.register import RegisterService
from db.engine import SessionFactory
from db.models import Event

GUILD = 1000
CHANNEL = 5555
convener = Actor(GUILD, 2, "Ada", manage_channels=True)
bea = Actor(GUILD, 10, "Bea")
cy = Actor(GUILD, 11, "Cy")
outsider = Actor(GUILD, 16, "Hal")
HERE = PartnershipRef(name="Family Hubs")
OTHER = PartnershipRef(name="Youth Forum")


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


@dataclass
class World:
    notes: NoteService
    goals: GoalService
    sessions: SessionFactory
    clock: Clock


@pytest.fixture
async def world(sessions: SessionFactory) -> World:
    clock = Clock(datetime(2026, 3, 10, 12, tzinfo=UTC))
    register = RegisterService(
        sessions, default_timezone="Europe/London", admin_role_name="x", clock=clock
    )
    for name, channel in (("Family Hubs", CHANNEL), ("Youth Forum", CHANNEL + 1)):
        draft = await register.prepare_create(convener, name, "Joined-up early help")
        await register.create(convener, draft, channel)
    for actor in (bea, cy):
        await register.add_member(
            convener, HERE, user_id=actor.user_id, display_name=actor.display_name
        )
    clock.at += timedelta(minutes=1)
    notes = NoteService(sessions, clock=clock)
    return World(notes, GoalService(sessions, clock=clock), sessions, clock)


async def note(w: World, actor: Actor = bea, ref: PartnershipRef = HERE, **options):
    draft = await w.notes.prepare(actor, ref, **options)
    return await w.notes.record(actor, draft, channel_id=CHANNEL, message_id=777)


async def note_events(w: World) -> list[Event]:
    async with w.sessions() as session:
        rows = await session.exec(select(Event).where(Event.kind.startswith("note.")))  # type: ignore[attr-defined]
        return list(rows.all())


async def test_each_kind_is_an_event_with_a_sentence_and_a_link(world: World):
    for kind in ("note", "decision", "small_win", "risk"):
        await note(world, text=f"A {kind} <@1> **bold**", kind=kind)
    await note(
        world, text="Draft the data agreement", kind="action", owner_id=cy.user_id, due="2026-03-10"
    )
    events = await note_events(world)
    assert [e.kind for e in events] == [
        "note.note",
        "note.decision",
        "note.small_win",
        "note.risk",
        "note.action",
    ]
    link = f"https://discord.com/channels/{GUILD}/{CHANNEL}/777"
    assert all(e.message_link == link and e.payload["message_link"] == link for e in events)
    assert events[0].summary == "Bea noted: “A note <@1> **bold**”."
    assert events[1].summary == "Bea recorded a decision: “A decision <@1> **bold**”."
    action = events[-1]
    assert (
        action.summary
        == "Bea recorded an action for Cy, due 2026-03-10: “Draft the data agreement”."
    )
    assert action.payload["owner_id"] == cy.user_id and action.payload["due"] == "2026-03-10"
    assert action.actor_id == bea.user_id and action.occurred_at == world.clock.at


async def test_a_decision_names_a_goal_and_a_review_date(world: World):
    card = await world.goals.propose(bea, HERE, title="Every family knows where to go")
    result = await note(
        world,
        text="We adopt one front door",
        kind="decision",
        goal=str(card.id),
        review_on="2026-06-01",
    )
    by_title = await note(
        world, text="Again", kind="decision", goal="every family knows where to go"
    )
    assert result.draft.goal_id == card.id == by_title.draft.goal_id
    [first, _] = await note_events(world)
    assert first.payload["goal_id"] == card.id and first.payload["review_on"] == "2026-06-01"
    assert f"goal #{card.id} “Every family knows where to go”" in first.summary
    assert "reviewed on 2026-06-01" in first.summary


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"text": "   "}, "can't be empty"),
        ({"text": "x" * 1501}, "limit is 1500"),
        ({"text": "a", "kind": "minutes"}, "isn't a kind of note"),
        ({"text": "a", "review_on": "2026-06-01"}, "Only a decision"),
        ({"text": "a", "kind": "risk", "owner_id": 11, "due": "2026-04-01"}, "Only an action"),
        ({"text": "a", "kind": "action", "owner_id": 11}, "needs an `owner`"),
        ({"text": "a", "kind": "action", "owner_id": 16, "due": "2026-04-01"}, "current member"),
        ({"text": "a", "kind": "action", "owner_id": 11, "due": "2026-03-09"}, "has passed"),
        ({"text": "a", "kind": "action", "owner_id": 11, "due": "9/3/2026"}, "YYYY-MM-DD"),
        ({"text": "a", "kind": "decision", "review_on": "2026-01-01"}, "has passed"),
        ({"text": "a", "kind": "decision", "goal": "No such goal"}, "can't find a goal"),
    ],
)
async def test_bad_input_is_refused_and_writes_nothing(world: World, options, words):
    with pytest.raises(UserFacingError, match=words):
        await note(world, **options)
    assert await note_events(world) == []


async def test_goal_of_another_partnership_and_non_members_are_refused(world: World):
    card = await world.goals.propose(convener, OTHER, title="Youth voice")
    with pytest.raises(UserFacingError, match="can't find a goal"):
        await note(world, text="a", kind="decision", goal=str(card.id))
    with pytest.raises(UserFacingError, match="can't find a partnership"):
        await note(world, outsider, text="hello")
    with pytest.raises(UserFacingError, match="can't find a partnership"):
        await world.notes.page(outsider, HERE)
    assert await note_events(world) == []


async def test_actions_are_closed_by_their_owner_or_a_convener_only(world: World):
    first = await note(
        world, text="Book the room", kind="action", owner_id=cy.user_id, due="2026-03-12"
    )
    second = await note(
        world, text="Send minutes", kind="action", owner_id=cy.user_id, due="2026-03-11"
    )
    number = str(first.event_id)
    with pytest.raises(UserFacingError, match="owner or a convener"):
        await world.notes.close_action(bea, HERE, number)
    with pytest.raises(UserFacingError, match="can't find that open action"):
        await world.notes.close_action(outsider, HERE, number)
    done = await world.notes.close_action(cy, PartnershipRef(), f"#{number}")
    assert done.action_id == first.event_id and done.text == "Book the room"
    with pytest.raises(UserFacingError, match="already done"):
        await world.notes.close_action(convener, HERE, number)
    await world.notes.close_action(convener, HERE, str(second.event_id))
    closes = [e for e in await note_events(world) if e.kind == "note.action_done"]
    assert [e.payload["action_id"] for e in closes] == [first.event_id, second.event_id]
    assert closes[0].summary == f"Cy closed action #{first.event_id}: “Book the room”."
    with pytest.raises(UserFacingError, match="can't find that open action"):
        await world.notes.close_action(convener, HERE, str(closes[0].id))


async def test_action_list_shows_open_and_overdue_first_then_done(world: World):
    late = await note(world, text="Late one", kind="action", owner_id=cy.user_id, due="2026-03-10")
    soon = await note(world, text="Soon", kind="action", owner_id=bea.user_id, due="2026-03-20")
    closed = await note(world, text="Closed", kind="action", owner_id=cy.user_id, due="2026-03-11")
    await world.notes.close_action(cy, HERE, str(closed.event_id))
    world.clock.at += timedelta(days=2)
    page = await world.notes.page(bea, HERE, kind="action")
    assert [(x.id, x.state) for x in page.lines] == [
        (late.event_id, OVERDUE),
        (soon.event_id, OPEN),
        (closed.event_id, DONE),
    ]
    assert page.lines[0].owner_id == cy.user_id and str(page.lines[0].due) == "2026-03-10"
    choices = await world.notes.autocomplete_actions(bea, HERE, "")
    assert [v for _n, v in choices] == [str(late.event_id), str(soon.event_id)]
    assert await world.notes.autocomplete_actions(outsider, HERE, "") == []


async def test_show_pages_every_feature_newest_first_with_filters(world: World):
    for i in range(PAGE_SIZE + 3):
        await note(world, text=f"note {i}")
        world.clock.at += timedelta(hours=1)
    await note(world, text="a risk", kind="risk")
    first = await world.notes.page(bea, HERE)
    assert len(first.lines) == PAGE_SIZE and first.has_older and not first.has_newer
    assert first.lines[0].summary == "Bea recorded a risk: “a risk”."
    ids = [x.id for x in first.lines]
    assert ids == sorted(ids, reverse=True)
    rest = await world.notes.page(bea, HERE, page=1)
    assert [x.summary for x in rest.lines[:4]] == [f"Bea noted: “note {i}”." for i in (3, 2, 1, 0)]
    assert any(x.kind.startswith("member.") for x in rest.lines)  # every feature's events
    assert rest.has_newer
    risks = await world.notes.page(bea, HERE, kind="risk")
    assert [x.kind for x in risks.lines] == ["note.risk"]
    recent = await world.notes.page(bea, HERE, since="2026-03-11")  # from 00:00 GMT
    assert [x.summary for x in recent.lines] == [
        "Bea recorded a risk: “a risk”.",
        "Bea noted: “note 12”.",
    ]
    with pytest.raises(UserFacingError, match="YYYY-MM-DD"):
        await world.notes.page(bea, HERE, since="yesterday")
    by_id = await world.notes.page_by_id(bea, first.partnership_id, page=1, kind=None, since=None)
    assert [x.id for x in by_id.lines] == [x.id for x in rest.lines]
    with pytest.raises(UserFacingError, match="can't find"):
        await world.notes.page_by_id(outsider, first.partnership_id, page=0, kind=None, since=None)


async def test_notes_stay_append_only(world: World):
    await note(world, text="kept")
    with pytest.raises(DBAPIError):
        async with world.sessions() as session, session.begin():
            await session.exec(update(Event).values(summary="changed"))  # type: ignore[call-overload]


async def test_show_filters_small_wins_by_phase(world: World):
    await note(world, text="parents redesigned the form", kind="small_win", phase="design")
    await note(world, text="a win with no phase", kind="small_win")
    await note(world, text="the hub opened", kind="small_win", phase="delivery")
    await note(world, text="a plain note")
    design = await world.notes.page(bea, HERE, phase="Design")
    assert (design.kind, design.phase) == ("small_win", "design")
    assert [x.kind for x in design.lines] == ["note.small_win"]
    assert "parents redesigned" in design.lines[0].summary
    same = await world.notes.page(bea, HERE, kind="small_win", phase="design")
    assert [x.id for x in same.lines] == [x.id for x in design.lines]
    wins = await world.notes.page(bea, HERE, kind="small_win")
    assert len(wins.lines) == 3 and wins.phase is None
    assert (await world.notes.page(bea, HERE, phase="assessment")).lines == []
    by_id = await world.notes.page_by_id(
        bea, design.partnership_id, page=0, kind="small_win", since=None, phase="design"
    )
    assert [x.id for x in by_id.lines] == [x.id for x in design.lines]
    with pytest.raises(UserFacingError, match="Only small wins name"):
        await world.notes.page(bea, HERE, kind="decision", phase="design")
    with pytest.raises(UserFacingError, match="co-production phase"):
        await world.notes.page(bea, HERE, phase="someday")
