"""Redaction, retention, research consent and the export record on a real database: who may
remove a text, each kind of text, removing twice, non-members, the marker in every view that
reads the text back, retention by the clock, consent logged, and `/log exports`' rows."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.errors import Forbidden, NotFound, UserFacingError
from bot.services import log
from bot.services.access import Actor, PartnershipRef
from bot.services.goals import GoalService, GoalTarget
from bot.services.meetings import MeetingService
from bot.services.notes import ActionReminders, NoteService
from bot.services.redaction import EXPIRED, REMOVED
from bot.services.reflection import ReflectionService
from bot.services.register import RegisterService
from db.engine import SessionFactory, transaction
from db.models import Event, ExportRecord, GoalStance, Partnership, PromptAnswer, Redaction

GUILD = 1000
CHANNEL = 5555
convener = Actor(GUILD, 2, "Ada", manage_channels=True)
bea = Actor(GUILD, 10, "Bea")  # Food Bank
cy = Actor(GUILD, 11, "Cy")  # Parents' Forum
fay = Actor(GUILD, 13, "Fay")  # a citizen
outsider = Actor(GUILD, 16, "Hal")
manager = Actor(GUILD, 17, "Mo", manage_guild=True)  # Manage Server, not a member
elsewhere = Actor(2000, 10, "Bea", manage_guild=True)  # another server
HERE = PartnershipRef(name="Family Hubs")
# Tuesday 10 March 2026, noon in London (GMT).
START = datetime(2026, 3, 10, 12, tzinfo=UTC)
SECRET = "Rent arrears at 14 Mill Lane"
_messages = itertools.count(900_000)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


@dataclass
class World:
    sessions: SessionFactory
    clock: Clock
    register: RegisterService
    notes: NoteService
    goals: GoalService
    reflection: ReflectionService
    meetings: MeetingService
    reminders: ActionReminders


@pytest.fixture
async def world(sessions: SessionFactory) -> World:
    clock = Clock(START)
    register = RegisterService(
        sessions, default_timezone="Europe/London", admin_role_name="x", clock=clock
    )
    draft = await register.prepare_create(convener, "Family Hubs", "Joined-up early help")
    await register.create(convener, draft, CHANNEL)
    for org in ("Food Bank", "Parents' Forum"):
        await register.add_partner(convener, HERE, org, "voluntary")
    for actor, org in ((bea, "Food Bank"), (cy, "Parents' Forum")):
        await register.add_member(
            convener,
            HERE,
            user_id=actor.user_id,
            display_name=actor.display_name,
            organisation=org,
            capacity="representative",
        )
    await register.add_member(
        convener, HERE, user_id=fay.user_id, display_name=fay.display_name, capacity="citizen"
    )
    clock.at += timedelta(minutes=1)
    return World(
        sessions,
        clock,
        register,
        NoteService(sessions, clock=clock),
        GoalService(sessions, clock=clock),
        ReflectionService(sessions, clock=clock),
        MeetingService(sessions, clock=clock),
        ActionReminders(sessions, clock=clock),
    )


async def note(w: World, actor: Actor = bea, text: str = SECRET, **options) -> int:
    draft = await w.notes.prepare(actor, HERE, text=text, **options)
    result = await w.notes.record(actor, draft, channel_id=CHANNEL, message_id=next(_messages))
    return result.event_id


async def events_of(w: World, kind: str) -> list[Event]:
    async with w.sessions() as session:
        rows = await session.exec(select(Event).where(Event.kind == kind).order_by(col(Event.id)))
        return list(rows.all())


async def redactions(w: World) -> list[Redaction]:
    async with w.sessions() as session:
        return list((await session.exec(select(Redaction).order_by(col(Redaction.id)))).all())


async def page_text(w: World, actor: Actor = cy, **options) -> str:
    page = await w.notes.page(actor, HERE, **options)
    return "\n".join(f"{line.summary} | {line.removed}" for line in page.lines)


async def stance_entry(w: World, comment: str | None = SECRET) -> tuple[int, int]:
    """Bea (Food Bank) agrees with a new goal; (goal id, its `goal.stance` entry)."""
    card = await w.goals.propose(cy, HERE, title="Every family knows where to go")
    await w.goals.take_stance(bea, GoalTarget(str(card.id), HERE), "agree", comment)
    [entry] = (await events_of(w, "goal.stance"))[-1:]
    assert entry.id is not None
    return card.id, entry.id


async def answer_entry(w: World, text: str = SECRET) -> tuple[int, int]:
    """Cy answers a posted prompt; (post id, its `prompt.answered` entry)."""
    draft = await w.reflection.prepare_now(convener, HERE, None)
    posted = await w.reflection.mark_posted(
        draft.post_id, channel_id=CHANNEL, message_id=next(_messages), actor_name="Ada"
    )
    await w.reflection.answer(cy, posted.post_id, text)
    [entry] = (await events_of(w, "prompt.answered"))[-1:]
    assert entry.id is not None
    return posted.post_id, entry.id


# --------------------------------------------------------------------------- who, and twice


async def test_the_author_or_a_convener_removes_a_note_and_nobody_else(world: World):
    own = await note(world, bea)
    others = await note(world, cy, "Cy's own words")
    with pytest.raises(Forbidden, match="Only the person who wrote it or a convener"):
        await world.notes.redact(cy, HERE, str(own))
    with pytest.raises(NotFound, match="can't find that entry"):
        await world.notes.redact(outsider, PartnershipRef(), str(own))
    with pytest.raises(NotFound, match="can't find that entry"):
        await world.notes.redact(elsewhere, PartnershipRef(), str(own))
    assert await redactions(world) == []

    removed = await world.notes.redact(bea, PartnershipRef(), f"#{own}")
    assert (removed.event_id, removed.reason, removed.what) == (own, "author", "a note")
    assert removed.marker == REMOVED and removed.note is not None
    assert removed.note.text == REMOVED and removed.author == "Bea"
    assert removed.message_id is not None and removed.channel_id == CHANNEL
    assert removed.words == SECRET and removed.meeting_id is None
    by_convener = await world.notes.redact(convener, HERE, str(others))
    assert by_convener.reason == "convener"
    by_manager_target = await note(world, fay, "Fay's words")
    assert (await world.notes.redact(manager, HERE, str(by_manager_target))).reason == "convener"

    rows = await redactions(world)
    assert [(r.event_id, r.redacted_by, r.reason) for r in rows] == [
        (own, bea.user_id, "author"),
        (others, convener.user_id, "convener"),
        (by_manager_target, manager.user_id, "convener"),
    ]
    assert all(
        r.stance_id is None and r.answer_id is None and r.perception_id is None for r in rows
    )
    assert (
        rows[0].redacted_at == world.clock.at and rows[0].partnership_id == removed.partnership_id
    )
    # The log records each removal with its entry and who, never the words.
    logged = await events_of(world, "log.redacted")
    assert [e.payload["event_id"] for e in logged] == [own, others, by_manager_target]
    assert logged[0].summary == f"Bea removed the text of their entry #{own} (a note)."
    assert logged[1].summary == f"Ada removed the text of entry #{others} (a note) as a convener."
    assert logged[0].payload == {
        "event_id": own,
        "kind": "note.note",
        "reason": "author",
        "stance_id": None,
        "answer_id": None,
        "perception_id": None,
    }
    assert all(SECRET not in e.summary and "words" not in e.summary for e in logged)
    # The entry itself is never changed: the log is append-only.
    async with world.sessions() as session:
        original = await session.get(Event, own)
    assert original is not None and original.payload["text"] == SECRET


async def test_removing_twice_is_answered_kindly_and_records_once(world: World):
    entry = await note(world)
    await world.notes.redact(bea, HERE, str(entry))
    for actor in (bea, convener):
        with pytest.raises(UserFacingError, match="already been removed"):
            await world.notes.redact(actor, HERE, str(entry))
    assert len(await redactions(world)) == 1
    assert len(await events_of(world, "log.redacted")) == 1


async def test_entries_without_a_persons_text_are_refused_with_the_reason(world: World):
    [joined] = (await events_of(world, "member.joined"))[:1]
    with pytest.raises(UserFacingError, match="holds no one's own words"):
        await world.notes.redact(convener, HERE, str(joined.id))
    action = await note(
        world, bea, "Book the room", kind="action", owner_id=cy.user_id, due="2026-03-20"
    )
    await world.notes.close_action(cy, HERE, str(action))
    [closed] = await events_of(world, "note.action_done")
    with pytest.raises(UserFacingError, match=f"closes action #{action}"):
        await world.notes.redact(bea, HERE, str(closed.id))
    _goal, silent = await stance_entry(world, comment=None)
    with pytest.raises(UserFacingError, match="stance without a comment"):
        await world.notes.redact(bea, HERE, str(silent))
    for typed in ("", "abc", "0", "#99999"):
        with pytest.raises(NotFound, match="can't find that entry"):
            await world.notes.redact(bea, HERE, typed)
    assert await redactions(world) == []


async def test_an_entry_of_another_partnership_is_not_found_under_this_ones_name(world: World):
    draft = await world.register.prepare_create(convener, "Youth Forum", "Young people's voice")
    await world.register.create(convener, draft, CHANNEL + 1)
    entry = await note(world, bea)
    with pytest.raises(NotFound, match="can't find"):
        await world.notes.redact(convener, PartnershipRef(name="Youth Forum"), str(entry))
    assert await redactions(world) == []


async def test_an_archived_partnership_still_removes_a_persons_text(world: World):
    entry = await note(world)
    await world.register.archive(convener, HERE)
    removed = await world.notes.redact(bea, HERE, str(entry))
    assert removed.event_id == entry
    assert REMOVED in await page_text(world)


# --------------------------------------------------------------------------- each kind, each view


async def test_a_removed_note_reads_as_removed_in_the_log_and_its_kinds(world: World):
    entry = await note(world, bea, kind="decision")
    kept = await note(world, cy, "We meet monthly")
    await world.notes.redact(bea, HERE, str(entry))
    shown = await page_text(world)
    assert SECRET not in shown and "We meet monthly" in shown
    assert f"Bea recorded a decision: “{REMOVED}”. | {REMOVED}" in shown
    decisions = await world.notes.page(cy, HERE, kind="decision")
    [line] = decisions.lines
    assert line.id == entry and line.removed == REMOVED and SECRET not in line.summary
    [kept_line] = (await world.notes.page(cy, HERE, kind="note")).lines
    assert kept_line.id == kept and kept_line.removed is None


async def test_a_removed_action_reads_as_removed_in_its_list_choices_reply_and_close(world: World):
    action = await note(world, bea, kind="action", owner_id=cy.user_id, due="2026-03-20")
    await world.notes.redact(bea, HERE, str(action))
    [line] = (await world.notes.page(cy, HERE, kind="action")).lines
    assert (line.summary, line.state, line.removed) == (REMOVED, "open", REMOVED)
    [(name, value)] = await world.notes.autocomplete_actions(cy, HERE, "")
    assert value == str(action) and SECRET not in name and REMOVED in name
    done = await world.notes.close_action(cy, HERE, str(action))
    assert done.text == REMOVED
    # The closing entry repeats the marker, never the words.
    [closed] = await events_of(world, "note.action_done")
    assert closed.payload["text"] == REMOVED and SECRET not in closed.summary
    assert SECRET not in await page_text(world)


async def test_the_meeting_summary_shows_a_removed_note_as_removed(world: World):
    draft = await world.meetings.prepare_start(bea, HERE)
    await world.meetings.record_start(bea, draft, channel_id=CHANNEL, message_id=777)
    entry = await note(world, bea, kind="action", owner_id=cy.user_id, due="2026-03-20")
    kept = await note(world, cy, "Share the leaflet")
    await world.notes.redact(convener, HERE, str(entry))
    summary = await world.meetings.end(bea, HERE)
    texts = {item.id: item.text for item in summary.items}
    assert texts == {entry: REMOVED, kept: "Share the leaflet"}
    [item] = [i for i in summary.items if i.id == entry]
    assert item.owner_id == cy.user_id and item.due == date(2026, 3, 20)


async def test_an_action_reminder_never_carries_removed_text(world: World):
    action = await note(world, bea, kind="action", owner_id=cy.user_id, due="2026-03-12")
    await world.notes.redact(bea, HERE, str(action))
    world.clock.at = datetime(2026, 3, 11, 9, 5, tzinfo=UTC)  # 09:05 London, the day before
    reminder = await world.reminders.remind_one(action, "day_before")
    assert reminder is not None and reminder.action_id == action and reminder.text == REMOVED


async def test_a_stance_comment_is_removed_from_the_goal_card(world: World):
    goal_id, entry = await stance_entry(world)
    removed = await world.notes.redact(bea, HERE, str(entry))
    assert (removed.what, removed.goal_id, removed.note) == ("a stance comment", goal_id, None)
    async with world.sessions() as session:
        [stance] = (await session.exec(select(GoalStance))).all()
        [row] = (await session.exec(select(Redaction))).all()
    assert row.stance_id == stance.id and stance.comment == SECRET  # the row is kept
    card = await world.goals.show(cy, GoalTarget(str(goal_id), HERE))
    [food_bank] = [o for o in card.organisations if o.name == "Food Bank"]
    assert food_bank.latest is not None
    assert (food_bank.latest.stance, food_bank.latest.comment) == ("agree", REMOVED)
    shown = await page_text(world)
    assert SECRET not in shown and f"| {REMOVED}" in shown
    # A later stance with a new comment shows again: only the removed one is removed.
    await world.goals.take_stance(bea, GoalTarget(str(goal_id), HERE), "unsure", "Need data")
    card = await world.goals.show(cy, GoalTarget(str(goal_id), HERE))
    [food_bank] = [o for o in card.organisations if o.name == "Food Bank"]
    assert food_bank.latest is not None and food_bank.latest.comment == "Need data"


async def test_a_stance_entry_written_before_it_named_its_row_still_finds_it(world: World):
    goal_id, _entry = await stance_entry(world, comment="First thoughts")
    async with transaction(world.sessions) as session:
        p = (await session.exec(select(Partnership))).one()
        row = GoalStance(
            goal_id=goal_id,
            organisation_id=None,
            user_id=fay.user_id,
            display_name="Fay",
            capacity="citizen",
            stance="object",
            comment=SECRET,
            recorded_at=world.clock.at,
        )
        session.add(row)
        await session.flush()
        old = await log.record(
            session,
            p,
            "goal.stance",
            "Fay, in their own capacity, objects to goal.",
            actor_id=fay.user_id,
            payload={"goal_id": goal_id, "stance": "object", "comment": SECRET},
            at=world.clock.at,
        )
        row_id, old_id = row.id, old.id
    await world.notes.redact(fay, HERE, str(old_id))
    [redaction] = [r for r in await redactions(world) if r.event_id == old_id]
    assert redaction.stance_id == row_id


async def test_a_reflection_answer_is_removed_from_listings_and_the_log(world: World):
    post_id, entry = await answer_entry(world)
    with pytest.raises(Forbidden):
        await world.notes.redact(bea, HERE, str(entry))
    removed = await world.notes.redact(cy, HERE, str(entry))
    assert (removed.what, removed.post_id, removed.words) == (
        "a reflection answer",
        post_id,
        SECRET,
    )
    async with world.sessions() as session:
        [answer] = (await session.exec(select(PromptAnswer))).all()
        [row] = (await session.exec(select(Redaction))).all()
    assert row.answer_id == answer.id and answer.text == SECRET
    [view] = await world.reflection.answers(post_id)
    assert (view.text, view.removed, view.user_id) == (REMOVED, True, cy.user_id)
    shown = await page_text(world)
    assert SECRET not in shown and "Cy answered the reflective prompt" in shown
    assert REMOVED in shown


async def test_the_choices_are_the_persons_own_texts_or_all_for_a_convener(world: World):
    own = await note(world, bea, "Bea's note")
    theirs = await note(world, cy, "Cy's note")
    _goal, stance = await stance_entry(world, comment="Bea's comment")
    await stance_entry(world, comment=None)  # no comment: nothing to remove
    _post, answer = await answer_entry(world, "Cy's answer")
    beas = await world.notes.autocomplete_redactable(bea, HERE, "")
    assert [v for _, v in beas] == [str(stance), str(own)]
    assert beas[0][0] == f"#{stance} stance comment: Bea's comment"
    assert beas[1][0] == f"#{own} note: Bea's note"
    everyone = await world.notes.autocomplete_redactable(convener, HERE, "")
    assert [v for _, v in everyone] == [str(answer), str(stance), str(theirs), str(own)]
    assert [v for _, v in await world.notes.autocomplete_redactable(convener, HERE, "cy's")] == [
        str(answer),
        str(theirs),
    ]
    assert await world.notes.autocomplete_redactable(outsider, HERE, "") == []
    await world.notes.redact(bea, HERE, str(own))
    assert [v for _, v in await world.notes.autocomplete_redactable(bea, HERE, "")] == [str(stance)]


# --------------------------------------------------------------------------- retention


async def test_retention_is_validated_logged_and_removes_old_text_in_every_view(world: World):
    for months in (-1, 121):
        with pytest.raises(UserFacingError, match="from 0 to 120"):
            await world.register.configure(convener, HERE, retention_months=months)
    with pytest.raises(Forbidden):
        await world.register.configure(bea, HERE, retention_months=12)
    _p, unchanged = await world.register.configure(convener, HERE, retention_months=0)
    assert unchanged == {}  # no retention already
    entry = await note(world, bea)
    goal_id, _stance = await stance_entry(world)
    post_id, _answer = await answer_entry(world)
    p, changes = await world.register.configure(convener, HERE, retention_months=12)
    assert changes == {"retention_months": (0, 12)} and p.retention_months == 12
    [logged] = await events_of(world, "partnership.configured")
    assert logged.payload == {"retention_months": {"from": 0, "to": 12}}
    assert logged.summary == "Ada changed retention months from 0 (everything kept) to 12."
    assert SECRET in await page_text(world)  # not old yet

    world.clock.at += timedelta(days=370)  # a little over twelve months on
    fresh = await note(world, cy, "Fresh words")
    shown = await page_text(world)
    assert SECRET not in shown and "Fresh words" in shown and EXPIRED in shown
    [old_line] = [line for line in (await world.notes.page(cy, HERE)).lines if line.id == entry]
    assert old_line.removed == EXPIRED
    card = await world.goals.show(cy, GoalTarget(str(goal_id), HERE))
    [food_bank] = [o for o in card.organisations if o.name == "Food Bank"]
    assert food_bank.latest is not None and food_bank.latest.comment == EXPIRED
    [view] = await world.reflection.answers(post_id)
    assert view.text == EXPIRED
    assert fresh in [line.id for line in (await world.notes.page(cy, HERE)).lines]

    # Retention hides when read: back to 0, everything shows again (a redaction would not).
    _p, changes = await world.register.configure(convener, HERE, retention_months=0)
    assert changes == {"retention_months": (12, 0)}
    async with world.sessions() as session:
        stored = (await session.exec(select(Partnership))).one()
    assert stored.retention_months is None
    assert SECRET in await page_text(world)


# --------------------------------------------------------------------------- research consent


async def test_research_consent_is_for_conveners_and_logged(world: World):
    with pytest.raises(Forbidden, match="Only the conveners"):
        await world.register.configure(bea, HERE, research_consent=True)
    p, changes = await world.register.configure(convener, HERE, research_consent=True)
    assert changes == {"research_consent": (False, True)} and p.research_consent is True
    [logged] = await events_of(world, "partnership.configured")
    assert logged.payload == {"research_consent": {"from": False, "to": True}}
    assert logged.summary == "Ada changed research consent from off to on."
    _p, again = await world.register.configure(convener, HERE, research_consent=True)
    assert again == {}
    _p, off = await world.register.configure(convener, HERE, research_consent=False)
    assert off == {"research_consent": (True, False)}
    assert len(await events_of(world, "partnership.configured")) == 2


# --------------------------------------------------------------------------- the export record


async def test_conveners_read_the_latest_exports_of_their_partnership_only(world: World):
    draft = await world.register.prepare_create(convener, "Youth Forum", "Young people's voice")
    other = await world.register.create(convener, draft, CHANNEL + 1)
    async with transaction(world.sessions) as session:
        p = (await session.exec(select(Partnership).where(Partnership.name == "Family Hubs"))).one()
        assert p.id is not None and other.id is not None
        for i in range(5):
            session.add(
                ExportRecord(
                    guild_id=GUILD,
                    partnership_id=p.id,
                    user_id=bea.user_id if i % 2 == 0 else None,
                    via="discord" if i % 2 == 0 else "cli",
                    format="markdown" if i < 4 else "csv",
                    audience="internal" if i < 3 else "external",
                    pseudonymised=i == 1,
                    since=date(2026, 1, 1) if i == 4 else None,
                    until=date(2026, 3, 31) if i == 4 else None,
                    meeting_id=None,
                    withheld=i,
                    # Summer time in London for the newest: shown as BST.
                    exported_at=datetime(2026, 3, 1 + i, 9, tzinfo=UTC)
                    if i < 4
                    else datetime(2026, 6, 1, 9, tzinfo=UTC),
                )
            )
        session.add(
            ExportRecord(
                guild_id=GUILD,
                partnership_id=other.id,
                user_id=cy.user_id,
                via="discord",
                format="json",
                audience="internal",
                exported_at=datetime(2026, 7, 1, tzinfo=UTC),
            )
        )
    listing = await world.notes.export_records(convener, HERE)
    assert (listing.partnership, listing.timezone, listing.total) == (
        "Family Hubs",
        "Europe/London",
        5,
    )
    assert [line.withheld for line in listing.lines] == [4, 3, 2, 1, 0]
    newest = listing.lines[0]
    assert (newest.format, newest.audience, newest.user_id) == ("csv", "external", bea.user_id)
    assert (newest.since, newest.until) == (date(2026, 1, 1), date(2026, 3, 31))
    assert newest.local_time == "2026-06-01 10:00 BST"
    assert listing.lines[-1].local_time == "2026-03-01 09:00 GMT"
    assert [line.pseudonymised for line in listing.lines] == [False, False, False, True, False]
    assert listing.lines[1].user_id is None and listing.lines[1].via == "cli"
    latest_two = await world.notes.export_records(manager, HERE, limit=2)
    assert [line.withheld for line in latest_two.lines] == [4, 3] and latest_two.total == 5
    with pytest.raises(Forbidden, match="Only the conveners of Family Hubs"):
        await world.notes.export_records(bea, HERE)
    with pytest.raises(NotFound):
        await world.notes.export_records(outsider, HERE)
    with pytest.raises(NotFound):
        await world.notes.export_records(elsewhere, HERE)
