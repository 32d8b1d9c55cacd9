"""Meetings on a real database: started once, attended once with the organisation, ended by its
starter or a convener, notes logged meanwhile belonging to it, non-members refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.errors import UserFacingError
from bot.services.access import Actor, PartnershipRef
from bot.services.meetings import MeetingService, MeetingStarted
from bot.services.notes import NoteService
from bot.services.register import RegisterService
from db.engine import SessionFactory
from db.models import Event

GUILD = 1000
CHANNEL = 5555
convener = Actor(GUILD, 2, "Ada", manage_channels=True)
bea = Actor(GUILD, 10, "Bea")  # Food Bank
eli = Actor(GUILD, 12, "Eli")  # Food Bank's substitute
cy = Actor(GUILD, 11, "Cy")  # Parents' Forum
fay = Actor(GUILD, 13, "Fay")  # a citizen
outsider = Actor(GUILD, 16, "Hal")
manager = Actor(GUILD, 17, "Mo", manage_guild=True)  # Manage Server, not a member
HERE = PartnershipRef(name="Family Hubs")
MESSAGE = 777


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


@dataclass
class World:
    meetings: MeetingService
    notes: NoteService
    sessions: SessionFactory
    clock: Clock


@pytest.fixture
async def world(sessions: SessionFactory) -> World:
    clock = Clock(datetime(2026, 3, 10, 12, tzinfo=UTC))
    register = RegisterService(
        sessions, default_timezone="Europe/London", admin_role_name="x", clock=clock
    )
    draft = await register.prepare_create(convener, "Family Hubs", "Joined-up early help")
    await register.create(convener, draft, CHANNEL)
    for org in ("Food Bank", "Parents' Forum"):
        await register.add_partner(convener, HERE, org, "voluntary")
    for actor, org, capacity in (
        (bea, "Food Bank", "representative"),
        (eli, "Food Bank", "substitute"),
        (cy, "Parents' Forum", "representative"),
    ):
        await register.add_member(
            convener,
            HERE,
            user_id=actor.user_id,
            display_name=actor.display_name,
            organisation=org,
            capacity=capacity,
        )
    await register.add_member(
        convener, HERE, user_id=fay.user_id, display_name=fay.display_name, capacity="citizen"
    )
    clock.at += timedelta(minutes=1)
    return World(
        MeetingService(sessions, clock=clock), NoteService(sessions, clock=clock), sessions, clock
    )


async def start(w: World, actor: Actor = bea, title: str | None = None) -> MeetingStarted:
    draft = await w.meetings.prepare_start(actor, HERE, title=title)
    return await w.meetings.record_start(actor, draft, channel_id=CHANNEL, message_id=MESSAGE)


async def note(w: World, actor: Actor = bea, **options):
    draft = await w.notes.prepare(actor, HERE, **options)
    return await w.notes.record(actor, draft, channel_id=CHANNEL, message_id=888)


async def meeting_events(w: World) -> list[Event]:
    async with w.sessions() as session:
        rows = await session.exec(
            select(Event).where(col(Event.kind).startswith("meeting.")).order_by(col(Event.id))
        )
        return list(rows.all())


async def test_a_meeting_starts_once_with_its_link(world: World):
    started = await start(world, title="Spring review <@1>")
    [event] = await meeting_events(world)
    link = f"https://discord.com/channels/{GUILD}/{CHANNEL}/{MESSAGE}"
    assert event.id == started.meeting_id and event.kind == "meeting.started"
    assert event.payload == {"title": "Spring review <@1>", "message_link": link}
    assert event.message_link == link == started.message_link
    assert event.actor_id == bea.user_id and event.occurred_at == world.clock.at
    with pytest.raises(UserFacingError, match="already open: “Spring review"):
        await world.meetings.prepare_start(cy, HERE)
    assert len(await meeting_events(world)) == 1


async def test_a_second_start_is_refused_at_record_time_too(world: World):
    first = await world.meetings.prepare_start(bea, HERE)
    second = await world.meetings.prepare_start(cy, HERE)
    await world.meetings.record_start(bea, first, channel_id=CHANNEL, message_id=MESSAGE)
    with pytest.raises(UserFacingError, match="already open"):
        await world.meetings.record_start(cy, second, channel_id=CHANNEL, message_id=MESSAGE + 1)
    assert first.title == "Meeting on 2026-03-10"
    assert len(await meeting_events(world)) == 1


async def test_attendance_is_recorded_once_with_the_organisation(world: World):
    started = await start(world)
    pid = started.draft.partnership_id
    first = await world.meetings.attend(bea, pid, MESSAGE)
    again = await world.meetings.attend(bea, pid, MESSAGE)
    substitute = await world.meetings.attend(eli, pid, MESSAGE)
    citizen = await world.meetings.attend(fay, pid, MESSAGE)
    assert first.recorded and not again.recorded
    assert first.organisation == again.organisation == substitute.organisation == "Food Bank"
    assert citizen.organisation == "own capacity"
    attended = [e for e in await meeting_events(world) if e.kind == "meeting.attended"]
    assert [(e.payload["user_id"], e.payload["organisation"]) for e in attended] == [
        (bea.user_id, "Food Bank"),
        (eli.user_id, "Food Bank"),
        (fay.user_id, "own capacity"),
    ]
    assert all(e.payload["meeting_id"] == started.meeting_id for e in attended)


async def test_an_old_or_ended_meetings_button_records_nothing(world: World):
    started = await start(world)
    pid = started.draft.partnership_id
    with pytest.raises(UserFacingError, match="has ended"):
        await world.meetings.attend(bea, pid, MESSAGE + 5)
    await world.meetings.end(bea, HERE)
    with pytest.raises(UserFacingError, match="has ended"):
        await world.meetings.attend(bea, pid, MESSAGE)
    assert [e.kind for e in await meeting_events(world)] == ["meeting.started", "meeting.ended"]


async def test_non_members_are_refused(world: World):
    with pytest.raises(UserFacingError, match="can't find"):
        await world.meetings.prepare_start(outsider, HERE)
    started = await start(world)
    pid = started.draft.partnership_id
    with pytest.raises(UserFacingError, match="can't find"):
        await world.meetings.attend(outsider, pid, MESSAGE)
    with pytest.raises(UserFacingError, match="aren't a member"):
        await world.meetings.attend(manager, pid, MESSAGE)
    with pytest.raises(UserFacingError, match="can't find"):
        await world.meetings.end(outsider, HERE)
    assert [e.kind for e in await meeting_events(world)] == ["meeting.started"]


async def test_ended_by_its_starter_or_a_convener_and_refused_for_others(world: World):
    await start(world)
    with pytest.raises(UserFacingError, match="Only the person who started the meeting"):
        await world.meetings.end(cy, HERE)
    world.clock.at += timedelta(minutes=50)
    summary = await world.meetings.end(bea, HERE)
    assert summary.duration == timedelta(minutes=50) and summary.channel_id == CHANNEL
    with pytest.raises(UserFacingError, match="No meeting of Family Hubs is open"):
        await world.meetings.end(bea, HERE)
    await start(world, actor=cy, title="Second")
    by_convener = await world.meetings.end(convener, HERE)
    assert by_convener.title == "Second"
    kinds = [e.kind for e in await meeting_events(world)]
    assert kinds == ["meeting.started", "meeting.ended"] * 2


async def test_notes_during_a_meeting_carry_its_id_and_appear_in_the_summary(world: World):
    before = await note(world, text="Before the meeting")
    started = await start(world, title="March")
    pid = started.draft.partnership_id
    for actor in (bea, eli, cy, fay):
        await world.meetings.attend(actor, pid, MESSAGE)
    decision = await note(world, text="We adopt one front door", kind="decision")
    action = await note(
        world, actor=cy, text="Book the room", kind="action", owner_id=bea.user_id, due="2026-03-20"
    )
    remark = await note(world, actor=fay, text="Parents want evening sessions")
    world.clock.at += timedelta(hours=1, minutes=30)
    summary = await world.meetings.end(bea, HERE)
    after = await note(world, text="After the meeting")
    async with world.sessions() as session:
        payloads = {
            e.id: e.payload
            for e in (
                await session.exec(select(Event).where(col(Event.kind).startswith("note.")))
            ).all()
        }
    assert payloads[before.event_id]["meeting_id"] is None
    assert payloads[after.event_id]["meeting_id"] is None
    for result in (decision, action, remark):
        assert payloads[result.event_id]["meeting_id"] == started.meeting_id
    assert summary.title == "March" and summary.duration == timedelta(hours=1, minutes=30)
    assert summary.attendance == {
        "Food Bank": ["Bea", "Eli"],
        "Parents' Forum": ["Cy"],
        "own capacity": ["Fay"],
    }
    assert [(i.id, i.kind, i.text) for i in summary.items] == [
        (decision.event_id, "decision", "We adopt one front door"),
        (action.event_id, "action", "Book the room"),
        (remark.event_id, "note", "Parents want evening sessions"),
    ]
    [_, booked, _] = summary.items
    assert booked.owner_id == bea.user_id and str(booked.due) == "2026-03-20"


async def test_meetings_autocomplete_newest_first_by_number_or_title(world: World):
    first = await start(world, title="Spring review")
    await world.meetings.end(bea, HERE)
    world.clock.at += timedelta(days=40)
    second = await start(world, title="Summer planning")
    found = await world.meetings.autocomplete_meetings(bea, HERE, "")
    assert found == [
        (f"#{second.meeting_id} Summer planning · 2026-04-19", str(second.meeting_id)),
        (f"#{first.meeting_id} Spring review · 2026-03-10", str(first.meeting_id)),
    ]
    assert [v for _, v in await world.meetings.autocomplete_meetings(bea, HERE, "spring")] == [
        str(first.meeting_id)
    ]
    assert [
        v for _, v in await world.meetings.autocomplete_meetings(bea, HERE, f"#{first.meeting_id}")
    ] == [str(first.meeting_id)]
    assert await world.meetings.autocomplete_meetings(outsider, HERE, "") == []
