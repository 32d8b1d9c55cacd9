"""A partnership with a record worth exporting, built through the real services (register,
goals, notes, meetings, reflection, trust) on a real database with a clock the builder moves.

Hostile text (tests/export_sample.py) sits in names, goal titles, stance comments, notes and
answers. The record spans March and the first half of April 2026 (Europe/London):

- five organisations; Youth Club leaves on 14 March (its representative Gus first);
- Eve starts as Riverside Council's substitute and becomes its representative on 8 March;
- goal 1 (collaboration) agreed by every core organisation, with comments, Fay's own stance
  (a citizen: shown, not counted), progress 40 % in March, then 70 % and in progress on
  10 April; goal 2 (Council's own, labelled pseudo by Council: a sensitive label); goal 3
  (Fay's individual-level goal, part of goal 1); goal 2 contributes to goal 1;
- a meeting on 5 March attended by Bea, Cy and Fay, with a decision on goal 1 and Bea's action
  (due 20 March, so overdue now), both logged during it;
- Cy's action due 30 June (open), Dee's due 12 March (closed on 10 March), a note that mentions
  Bea and names Cy, a small win, a risk, and an April note with Eve's action;
- a reflective prompt on 9 March answered by Bea and by Fay;
- a trust round closed on 12 March with five organisations' answers (shown), and one closed
  on 3 April with Food Bank's only (withheld);
- "now" is 15 April 2026, 12:00 UTC.

`build_world(sessions)` returns a `World` with the ids and names tests need; `read(document)`
reads a document's streams into lists, and `strings`/`everything` walk all of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

from bot.services.access import Actor, PartnershipRef
from bot.services.export.document import Audience, Document, LogRow, NoteRow
from bot.services.export.gather import gather
from bot.services.goals import GoalService, GoalTarget
from bot.services.meetings import MeetingService
from bot.services.notes import NoteService
from bot.services.reflection import ReflectionService
from bot.services.register import RegisterService
from bot.services.trust import CheckinAnswers, TrustService
from db.engine import SessionFactory
from db.models import Partnership
from tests.export_sample import FORMULA_ATTACK, HTML_ATTACK, MARKDOWN_ATTACK, MENTION_ATTACK

GUILD = 1000
CHANNEL = 5555
NAME = f"Family Hubs {MARKDOWN_ATTACK}"
HUBS = PartnershipRef(name=NAME)
PURPOSE = f"Joined-up early help {HTML_ATTACK}"
ZONE = "Europe/London"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)

COUNCIL = "Riverside Council"
FOOD_BANK = f"Food Bank {HTML_ATTACK}"
HEALTH = "Health Trust"
FORUM = "Parents' Forum"
YOUTH = "Youth Club"

# Snowflake-sized ids, so an id found in a string is really that person's.
ada = Actor(GUILD, 900000000000000001, "Adaeze Okafor", manage_channels=True)
bea = Actor(GUILD, 900000000000000002, f"Beatrix {HTML_ATTACK}")
cy = Actor(GUILD, 900000000000000003, "Cyrus Mendel")
dee = Actor(GUILD, 900000000000000004, "Delphine Arkwright")
eve = Actor(GUILD, 900000000000000005, "Evangeline Thorne")
fay = Actor(GUILD, 900000000000000006, "Fenella Quist")
gus = Actor(GUILD, 900000000000000007, "Gustavo Pereira")
outsider = Actor(GUILD, 900000000000000009, "Horatio Vance")
MEMBERS = (ada, bea, cy, dee, eve, fay, gus)

GOAL_TITLE = f"Fewer families in crisis {HTML_ATTACK}"
GOAL_DESCRIPTION = f"{MARKDOWN_ATTACK} {MENTION_ATTACK}"
FOOD_BANK_COMMENT = f"{HTML_ATTACK} {MENTION_ATTACK}"
FAY_COMMENT = "Not sure this reaches families like mine"
MEETING_TITLE = f"March meeting {MARKDOWN_ATTACK}"
DECISION = f"We agree {MARKDOWN_ATTACK} {MENTION_ATTACK}"
OVERDUE_ACTION = f"Draft the leaflet {HTML_ATTACK} {FORMULA_ATTACK}"
OPEN_ACTION = "Book the hall for the open day"
DONE_ACTION = "Send the parents' survey"
MENTION_NOTE = f"Thanks <@{bea.user_id}> and Cyrus Mendel for the referral {MENTION_ATTACK}"
SMALL_WIN = "First shared referral"
RISK = "Funding ends in June"
APRIL_NOTE = "April catch-up: hall confirmed"
APRIL_ACTION = "Write up the April catch-up"
BEA_ANSWER = f"{HTML_ATTACK} {FORMULA_ATTACK}"
FAY_ANSWER = f"We need more say <@{ada.user_id}>"


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def step(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@dataclass
class World:
    sessions: SessionFactory
    clock: Clock
    partnership: Partnership
    register: RegisterService
    goals: GoalService
    notes: NoteService
    meetings: MeetingService
    reflection: ReflectionService
    trust: TrustService
    goal_ids: dict[str, int] = field(default_factory=dict)  # "shared", "council", "own"
    note_ids: dict[str, int] = field(default_factory=dict)  # by name, see `build_world`
    meeting_id: int = 0
    post_id: int = 0
    answer_ids: dict[str, int] = field(default_factory=dict)  # "bea", "fay"
    round_ids: list[int] = field(default_factory=list)  # shown, withheld

    @property
    def partnership_id(self) -> int:
        assert self.partnership.id is not None
        return self.partnership.id

    @property
    def names(self) -> dict[int, str]:
        """Every member's display name, by user id."""
        return {m.user_id: m.display_name for m in MEMBERS}

    async def note(self, actor: Actor, **options: object) -> int:
        draft = await self.notes.prepare(actor, HUBS, **options)  # type: ignore[arg-type]
        result = await self.notes.record(actor, draft, channel_id=CHANNEL, message_id=4242)
        return result.event_id


async def build_world(sessions: SessionFactory) -> World:
    clock = Clock(START)
    register = RegisterService(
        sessions, default_timezone=ZONE, admin_role_name="Partnerbot Admin", clock=clock
    )
    draft = await register.prepare_create(ada, NAME, PURPOSE)
    partnership = await register.create(ada, draft, CHANNEL)
    w = World(
        sessions=sessions,
        clock=clock,
        partnership=partnership,
        register=register,
        goals=GoalService(sessions, clock=clock),
        notes=NoteService(sessions, clock=clock),
        meetings=MeetingService(sessions, clock=clock),
        reflection=ReflectionService(sessions, clock=clock),
        trust=TrustService(sessions, clock=clock),
    )
    for org, sector in (
        (COUNCIL, "public"),
        (FOOD_BANK, "voluntary"),
        (HEALTH, "health"),
        (FORUM, "community_group"),
        (YOUTH, "voluntary"),
    ):
        clock.step(minutes=1)
        await register.add_partner(ada, HUBS, org, sector)
    for actor, org, capacity in (
        (bea, FOOD_BANK, "representative"),
        (cy, HEALTH, "representative"),
        (dee, FORUM, "representative"),
        (eve, COUNCIL, "substitute"),
        (fay, None, "citizen"),
        (gus, YOUTH, "representative"),
    ):
        clock.step(minutes=1)
        await register.add_member(
            ada,
            HUBS,
            user_id=actor.user_id,
            display_name=actor.display_name,
            organisation=org,
            capacity=capacity,
        )
    await _goals(w)
    await _meeting(w)
    await _notes(w)
    clock.at = datetime(2026, 3, 8, 10, tzinfo=UTC)
    await register.update_member(ada, HUBS, user_id=eve.user_id, capacity="representative")
    await _reflection(w)
    await _trust_round(w, datetime(2026, 3, 10, 10, tzinfo=UTC), everyone=True)
    clock.at = datetime(2026, 3, 14, 10, tzinfo=UTC)
    await register.remove_member(ada, HUBS, user_id=gus.user_id)
    clock.step(minutes=1)
    await register.remove_partner(ada, HUBS, YOUTH)
    clock.at = datetime(2026, 3, 20, 10, tzinfo=UTC)
    await w.goals.update(ada, _goal(w, "shared"), progress=40)
    await _trust_round(w, datetime(2026, 4, 2, 10, tzinfo=UTC), everyone=False)
    clock.at = datetime(2026, 4, 3, 15, tzinfo=UTC)
    w.note_ids["april"] = await w.note(ada, text=APRIL_NOTE)
    w.note_ids["april_action"] = await w.note(
        ada, text=APRIL_ACTION, kind="action", owner_id=eve.user_id, due="2026-04-30"
    )
    clock.at = datetime(2026, 4, 10, 10, tzinfo=UTC)
    await w.goals.update(ada, _goal(w, "shared"), progress=70, status="in_progress")
    clock.at = NOW
    return w


def _goal(w: World, which: str) -> GoalTarget:
    return GoalTarget(str(w.goal_ids[which]), HUBS)


async def _goals(w: World) -> None:
    w.clock.at = datetime(2026, 3, 3, 10, tzinfo=UTC)
    shared = await w.goals.propose(ada, HUBS, title=GOAL_TITLE, description=GOAL_DESCRIPTION)
    w.goal_ids["shared"] = shared.id
    w.clock.step(minutes=5)
    council = await w.goals.propose(eve, HUBS, title="One front door", organisation=COUNCIL)
    w.goal_ids["council"] = council.id
    w.clock.step(minutes=5)
    await w.goals.classify(eve, _goal(w, "council"), authenticity="pseudo")
    w.clock.step(minutes=5)
    own = await w.goals.propose(fay, HUBS, title="Walk to school together", level="individual")
    w.goal_ids["own"] = own.id
    await w.goals.share(fay, _goal(w, "own"))  # shared: the partnership sees it
    w.clock.step(minutes=5)
    await w.goals.link(ada, _goal(w, "council"), str(shared.id), "contributes_to")
    await w.goals.link(ada, _goal(w, "own"), str(shared.id), "part_of")
    for actor, stance, comment in (
        (eve, "agree", "Yes"),
        (bea, "reservations", FOOD_BANK_COMMENT),
        (fay, "unsure", FAY_COMMENT),
        (cy, "agree", None),
        (dee, "agree", None),
        (gus, "agree", None),
    ):
        w.clock.step(minutes=10)
        await w.goals.take_stance(actor, _goal(w, "shared"), stance, comment)
    # Each organisation's own reading of the shared goal, and one reading replaced.
    for actor, reading in (
        (bea, {"origin": "members"}),
        (bea, {"origin": "external", "origin_detail": "a grant condition of the lottery fund"}),
        (cy, {"origin": "external", "relevance": "needs_collaboration"}),
        (dee, {"origin": "members"}),
    ):
        w.clock.step(minutes=10)
        await w.goals.perceive(actor, _goal(w, "shared"), **reading)
    w.clock.step(minutes=10)
    await w.register.set_self_view(bea, HUBS, FOOD_BANK, "associate", "medium")


async def _meeting(w: World) -> None:
    w.clock.at = datetime(2026, 3, 5, 18, tzinfo=UTC)
    draft = await w.meetings.prepare_start(ada, HUBS, title=MEETING_TITLE)
    started = await w.meetings.record_start(ada, draft, channel_id=CHANNEL, message_id=7777)
    w.meeting_id = started.meeting_id
    for actor in (bea, cy, fay):
        w.clock.step(minutes=1)
        await w.meetings.attend(actor, w.partnership_id, 7777)
    w.clock.step(minutes=10)
    w.note_ids["decision"] = await w.note(
        ada, text=DECISION, kind="decision", goal=str(w.goal_ids["shared"]), review_on="2026-05-01"
    )
    w.clock.step(minutes=5)
    w.note_ids["overdue"] = await w.note(
        ada, text=OVERDUE_ACTION, kind="action", owner_id=bea.user_id, due="2026-03-20"
    )
    w.clock.step(minutes=30)
    await w.meetings.end(ada, HUBS)


async def _notes(w: World) -> None:
    w.clock.at = datetime(2026, 3, 6, 10, tzinfo=UTC)
    w.note_ids["open"] = await w.note(
        cy, text=OPEN_ACTION, kind="action", owner_id=cy.user_id, due="2026-06-30"
    )
    w.clock.step(minutes=5)
    w.note_ids["done"] = await w.note(
        ada, text=DONE_ACTION, kind="action", owner_id=dee.user_id, due="2026-03-12"
    )
    w.clock.step(minutes=5)
    w.note_ids["mention"] = await w.note(dee, text=MENTION_NOTE)
    w.clock.step(minutes=5)
    w.note_ids["small_win"] = await w.note(bea, text=SMALL_WIN, kind="small_win")
    w.clock.step(minutes=5)
    w.note_ids["risk"] = await w.note(bea, text=RISK, kind="risk")
    w.clock.at = datetime(2026, 3, 10, 9, tzinfo=UTC)
    await w.notes.close_action(dee, HUBS, str(w.note_ids["done"]))


async def _reflection(w: World) -> None:
    w.clock.at = datetime(2026, 3, 9, 9, 30, tzinfo=UTC)
    draft = await w.reflection.prepare_now(ada, HUBS, theme="power", visibility="named")
    await w.reflection.mark_posted(draft.post_id, channel_id=CHANNEL, message_id=8888)
    w.post_id = draft.post_id
    w.clock.step(hours=2)
    bea_answer = await w.reflection.answer(bea, draft.post_id, BEA_ANSWER)
    w.clock.step(hours=1)
    fay_answer = await w.reflection.answer(fay, draft.post_id, FAY_ANSWER)
    w.answer_ids = {"bea": bea_answer.answer_id, "fay": fay_answer.answer_id}


async def _trust_round(w: World, opened: datetime, *, everyone: bool) -> None:
    w.clock.at = opened
    view = await w.trust.open_round(ada, HUBS, window="7d")
    w.round_ids.append(view.round_id)
    answering = (eve, bea, cy, dee, fay) if everyone else (bea,)
    for n, actor in enumerate(answering):
        w.clock.step(hours=1)
        listened = 4 if actor is fay else None
        await w.trust.checkin(
            actor,
            HUBS,
            CheckinAnswers(
                expectations=3 + n % 2,
                follow_through=4,
                reliance=3,
                fair_say=2 + n % 3,
                listened=listened,
                small_win=True,
                comment="private words",
            ),
        )
    w.clock.step(days=1)
    await w.trust.close_round(ada, HUBS)


# ---- reading a document back, for tests


@dataclass
class Read:
    """A document with its streams read into lists."""

    document: Document
    notes: list[NoteRow]
    log: list[LogRow]


async def gathered(
    world: World,
    partnership: Partnership,
    audience: Audience = Audience.internal,
    *,
    notes_by_kind: bool = True,
) -> Document:
    """The whole log's document for `audience`, as the export gathers it."""
    return await gather(
        world.sessions,
        partnership,
        audience=audience,
        since=None,
        until=None,
        meeting_id=None,
        now=NOW,
        exported_by=None,
        pseudonyms=None,
        keep_text=False,
        notes_by_kind=notes_by_kind,
    )


async def read(document: Document) -> Read:
    return Read(
        document,
        [n async for n in document.notes(None)],
        [row async for row in document.log()],
    )


def walk(value: object) -> Iterator[object]:
    """Every value inside `value`: dataclass fields, dict keys and values, list items."""
    yield value
    if is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            yield from walk(getattr(value, f.name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from walk(key)
            yield from walk(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from walk(item)


def everything(read: Read) -> list[object]:
    """Every value in the document, its streams included."""
    d = read.document
    sections = [d.header, d.organisations, d.spells, d.goals, d.links, d.meetings, d.trust]
    return list(walk([*sections, d.reflections, read.notes, read.log]))


def strings(read: Read) -> list[str]:
    """Every string in the document, its streams included."""
    return [v for v in everything(read) if isinstance(v, str)]


async def tiny_writer(document: Document, out: BinaryIO) -> None:
    """A stand-in writer for service and command-line tests: one line per thing, streams read
    row by row (the real writers are tested on their own)."""
    header = document.header
    lines = [f"partnership: {header.partnership}", f"audience: {header.audience}"]
    lines += [f"withheld: {header.withheld}", f"period: {header.period}"]
    lines += [f"organisation: {o.name} ({o.sector})" for o in document.organisations]
    lines += [f"person: {s.person.name}" for s in document.spells if s.person is not None]
    out.write(("\n".join(lines) + "\n").encode())
    async for note in document.notes(None):
        out.write(f"note {note.id} {note.kind}: {note.text}\n".encode())
    async for row in document.log():
        out.write(f"log {row.id} {row.kind}: {row.summary}\n".encode())
