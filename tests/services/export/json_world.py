"""A partnership built through the real services, for the JSON export and import tests: three
organisations and their representatives, a citizen, goals with stances and a link, notes (an
action closed), a meeting with attendance, an own prompt posted by a schedule and answered, a
trust round closed, redactions, a reminder sent. No tests here."""

from __future__ import annotations

import io
import itertools
import re
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from bot.prompts import prompts_for
from bot.services import redaction
from bot.services.access import Actor, PartnershipRef
from bot.services.export import records
from bot.services.export.document import Audience, Document, Header
from bot.services.export.writers import json_doc
from bot.services.goals import GoalService, GoalTarget
from bot.services.meetings import MeetingService
from bot.services.notes import NoteService
from bot.services.reflection import (
    PROMPT_SCHEDULES,
    SCHEDULE_KIND,
    ReflectionService,
    ScheduledPost,
)
from bot.services.register import RegisterService
from bot.services.schedules import ScheduleService
from bot.services.trust import CheckinAnswers, TrustService
from db.engine import SessionFactory, transaction
from db.models import (
    ActionReminderClaim,
    Event,
    GoalStance,
    Occurrence,
    OccurrenceState,
    Partnership,
    PromptAnswer,
    Redaction,
    metadata,
)

GUILD = 1000
NEW_GUILD = 2000
CHANNEL = 5555
NAME = "Family Hubs"
HERE = PartnershipRef(name=NAME)
START = datetime(2026, 3, 2, 10, tzinfo=UTC)

ada = Actor(GUILD, 2, "Ada", manage_channels=True)  # creator: convener in her own capacity
dan = Actor(GUILD, 9, "Dan")  # Riverside Council
bea = Actor(GUILD, 10, "Bea <b>")  # Food Bank
cy = Actor(GUILD, 11, "Cy")  # Parents' Forum
fay = Actor(GUILD, 13, "Fay")  # a citizen

# Text that must never leave the database in an export: check-in answers.
CHECKIN_SECRET = "Council never listens CHECKIN-SECRET"
SMALL_WIN_SECRET = "We shared a referral SMALLWIN-SECRET"
# Text removed at its author's request before the export.
REDACTED_NOTE = "The council's budget is cut REDACTED-NOTE"
REDACTED_COMMENT = "Only if <@123> pays REDACTED-COMMENT"
REDACTED_ANSWER = "Power sits with the council REDACTED-ANSWER"
OWN_PROMPT = "What did we learn from the food bank pilot?"
_messages = itertools.count(880)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def tick(self, minutes: int = 5) -> None:
        self.at += timedelta(minutes=minutes)


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
    schedules: ScheduleService
    trust: TrustService


async def _ignore(_schedule_id: int) -> None:
    pass


async def build(sessions: SessionFactory) -> World:
    clock = Clock(START)
    register = RegisterService(
        sessions, default_timezone="Europe/London", admin_role_name="x", clock=clock
    )
    schedules = ScheduleService(sessions, clock=clock, on_change=_ignore)
    schedules.register(PROMPT_SCHEDULES)
    draft = await register.prepare_create(ada, NAME, "Joined-up early help <script>", "enabler")
    partnership = await register.create(ada, draft, CHANNEL)
    w = World(
        sessions,
        clock,
        partnership,
        register,
        GoalService(sessions, clock=clock),
        NoteService(sessions, clock=clock),
        MeetingService(sessions, clock=clock),
        ReflectionService(sessions, clock=clock),
        schedules,
        TrustService(sessions, clock=clock),
    )
    for org, sector in (
        ("Riverside Council", "public"),
        ("Food Bank", "voluntary"),
        ("Parents' Forum", "community_group"),
    ):
        clock.tick()
        await register.add_partner(ada, HERE, org, sector)
    for actor, org in ((dan, "Riverside Council"), (bea, "Food Bank"), (cy, "Parents' Forum")):
        clock.tick()
        await register.add_member(
            ada,
            HERE,
            user_id=actor.user_id,
            display_name=actor.display_name,
            organisation=org,
            capacity="representative",
        )
    clock.tick()
    await register.add_member(
        ada, HERE, user_id=fay.user_id, display_name=fay.display_name, capacity="citizen"
    )
    await _goals(w)
    await _notes_and_meeting(w)
    await _reflection(w)
    await _trust(w)
    await _redactions_and_reminder(w)
    return w


async def _goals(w: World) -> None:
    w.clock.tick()
    crisis = await w.goals.propose(ada, HERE, title="Fewer families in crisis")
    w.clock.tick()
    door = await w.goals.propose(
        dan, HERE, title="One front door", organisation="Riverside Council"
    )
    for actor, stance, comment in (
        (dan, "agree", None),
        (bea, "agree", "Yes, with the pantry"),
        (cy, "reservations", REDACTED_COMMENT),
    ):
        w.clock.tick()
        await w.goals.take_stance(actor, GoalTarget(str(crisis.id), HERE), stance, comment)
    w.clock.tick()
    await w.goals.take_stance(fay, GoalTarget(str(crisis.id), HERE), "unsure", "Who decides?")
    w.clock.tick()
    await w.goals.link(ada, GoalTarget(str(door.id), HERE), str(crisis.id), "contributes_to")
    # Organisations' own readings, and how one sees its own membership.
    for actor, reading in (
        (dan, {"origin": "external", "origin_detail": "a statutory duty"}),
        (bea, {"origin": "members", "relevance": "needs_collaboration"}),
    ):
        w.clock.tick()
        await w.goals.perceive(actor, GoalTarget(str(crisis.id), HERE), **reading)
    w.clock.tick()
    await w.register.set_self_view(bea, HERE, "Food Bank", "associate", "low")


async def note(w: World, actor: Actor, **options: Any) -> int:
    w.clock.tick()
    draft = await w.notes.prepare(actor, HERE, **options)
    result = await w.notes.record(actor, draft, channel_id=CHANNEL, message_id=next(_messages))
    return result.event_id


async def _notes_and_meeting(w: World) -> None:
    await note(w, ada, text="Launch in April", kind="decision", goal="1", review_on="2026-05-01")
    action = await note(
        w, ada, text="Draft the leaflet", kind="action", owner_id=bea.user_id, due="2026-03-20"
    )
    await note(w, bea, text="First shared referral", kind="small_win")
    w.clock.tick()
    await w.notes.close_action(bea, HERE, str(action))
    w.clock.tick()
    draft = await w.meetings.prepare_start(bea, HERE, title="March review")
    started = await w.meetings.record_start(bea, draft, channel_id=CHANNEL, message_id=777)
    for actor in (bea, cy):
        w.clock.tick(1)
        await w.meetings.attend(actor, w.partnership.id or 0, 777)
    await note(
        w,
        cy,
        text="Ask the health trust to join",
        kind="action",
        owner_id=cy.user_id,
        due="2026-04-01",
    )
    await note(w, cy, text=REDACTED_NOTE, kind="risk")
    w.clock.tick()
    await w.meetings.end(bea, HERE)
    assert started.meeting_id


async def _reflection(w: World) -> None:
    """A weekly schedule; the partnership's own prompt posted by one of its occurrences (the
    library's prompts of the theme go first), then answered twice."""
    view = await w.schedules.create_schedule(SCHEDULE_KIND, ada, HERE, cadence="weekly")
    w.clock.tick()
    await w.reflection.add_prompt(ada, HERE, "power", OWN_PROMPT)
    for _ in prompts_for("power"):
        w.clock.tick()
        draft = await w.reflection.prepare_now(ada, HERE, "power", "named")
        await w.reflection.mark_posted(
            draft.post_id, channel_id=CHANNEL, message_id=5000 + draft.post_id, actor_name="Ada"
        )
    w.clock.tick()
    async with transaction(w.sessions) as session:
        occurrence = Occurrence(
            schedule_id=view.id,
            partnership_id=w.partnership.id or 0,
            due_at=w.clock.at,
            claimed_at=w.clock.at,
        )
        session.add(occurrence)
        await session.flush()
        occurrence_id = occurrence.id or 0
    draft = await w.reflection.prepare_scheduled(
        ScheduledPost(
            occurrence_id=occurrence_id,
            schedule_id=view.id,
            partnership_id=w.partnership.id or 0,
            theme="power",
            late=False,
            due_at=w.clock.at,
        )
    )
    assert draft.prompt_ref.startswith("own-"), draft.prompt_ref
    posted = await w.reflection.mark_posted(draft.post_id, channel_id=CHANNEL, message_id=6000)
    await w.reflection.mark_thread(draft.post_id, 6001)
    async with transaction(w.sessions) as session:
        row = await session.get(Occurrence, occurrence_id)
        assert row is not None
        row.state = OccurrenceState.done
        row.finished_at = w.clock.at
        row.result = {"post_id": draft.post_id, "prompt": posted.prompt_ref, "thread_id": 6001}
        session.add(row)
    for actor, text in ((bea, "Shared budgets would help"), (cy, REDACTED_ANSWER)):
        w.clock.tick()
        await w.reflection.answer(actor, str(draft.post_id), text)


async def _trust(w: World) -> None:
    w.clock.tick()
    await w.trust.open_round(ada, HERE, window="2d")
    for actor, fair in ((dan, 4), (bea, 2), (cy, 3)):
        w.clock.tick()
        await w.trust.checkin(
            actor,
            HERE,
            CheckinAnswers(
                fair_say=fair,
                follow_through=4,
                small_win=True,
                small_win_text=SMALL_WIN_SECRET,
                comment=CHECKIN_SECRET,
                share_comment=actor is bea,
            ),
        )
    w.clock.tick()
    await w.trust.close_round(ada, HERE)


async def _redactions_and_reminder(w: World) -> None:
    """What `/log redact` stores (its write side is its own feature), and a sent reminder."""
    async with transaction(w.sessions) as session:
        events = list((await session.exec(select(Event).order_by(col(Event.id)))).scalars())
        risk = next(e for e in events if e.kind == "note.risk")
        stance_event = next(
            e
            for e in events
            if e.kind == "goal.stance" and e.payload.get("comment") == REDACTED_COMMENT
        )
        stance = (
            (await session.exec(select(GoalStance).where(GoalStance.comment == REDACTED_COMMENT)))
            .scalars()
            .one()
        )
        answer = (
            (await session.exec(select(PromptAnswer).where(PromptAnswer.text == REDACTED_ANSWER)))
            .scalars()
            .one()
        )
        answer_event = next(e for e in events if e.payload.get("answer_id") == answer.id)
        action = next(
            e for e in events if e.kind == "note.action" and e.payload.get("owner_id") == cy.user_id
        )
        for event, stance_id, answer_id in (
            (risk, None, None),
            (stance_event, stance.id, None),
            (answer_event, None, answer.id),
        ):
            session.add(
                Redaction(
                    guild_id=GUILD,
                    partnership_id=w.partnership.id or 0,
                    event_id=event.id or 0,
                    stance_id=stance_id,
                    answer_id=answer_id,
                    redacted_by=cy.user_id,
                    redacted_at=w.clock.at,
                )
            )
        session.add(
            ActionReminderClaim(
                action_event_id=action.id or 0, which="day_before", sent_at=w.clock.at
            )
        )


# ---- reading and writing


async def partnership_named(
    sessions: SessionFactory, guild_id: int, name: str = NAME
) -> Partnership:
    async with sessions() as session:
        found = await session.exec(
            select(Partnership).where(Partnership.guild_id == guild_id, Partnership.name == name)
        )
        return found.scalars().one()


async def record_list(
    sessions: SessionFactory, partnership: Partnership, now: datetime
) -> list[tuple[str, dict[str, Any]]]:
    async with sessions() as session:
        redactions = await redaction.load(session, partnership, now)
    stream = records.stream(
        sessions,
        guild_id=partnership.guild_id,
        partnership_id=partnership.id or 0,
        redactions=redactions,
    )
    return [pair async for pair in records.rows(stream())]


def header(
    partnership: Partnership, now: datetime, audience: Audience = Audience.internal
) -> Header:
    return Header(
        partnership=partnership.name,
        purpose=partnership.purpose,
        timezone=partnership.timezone,
        audience=audience,
        k=partnership.anonymity_threshold,
        withheld=0,
        generated_at=now,
        since=None,
        until=None,
    )


async def _none(*_args: Any) -> AsyncIterator[Any]:
    for item in ():
        yield item


def document(header: Header, stream: Any = None) -> Document:
    """A document holding only its header and (for an internal export) its records."""
    return Document(
        header=header,
        organisations=[],
        spells=[],
        goals=[],
        links=[],
        meetings=[],
        trust=[],
        reflections=[],
        notes=_none,
        log=_none,
        records=stream,
    )


async def write_export(
    sessions: SessionFactory, partnership: Partnership, now: datetime, path: Path
) -> bytes:
    async with sessions() as session:
        redactions = await redaction.load(session, partnership, now)
    stream = records.stream(
        sessions,
        guild_id=partnership.guild_id,
        partnership_id=partnership.id or 0,
        redactions=redactions,
    )
    out = io.BytesIO()
    await json_doc.write(document(header(partnership, now), stream), out)
    save(path, out.getvalue())
    return out.getvalue()


def save(path: Path, data: bytes) -> None:
    path.write_bytes(data)


async def row_counts(sessions: SessionFactory) -> dict[str, int]:
    """Every table's number of rows."""
    counts: dict[str, int] = {}
    async with sessions() as session:
        conn = await session.connection()
        for table in metadata.sorted_tables:
            counts[table.name] = (
                await conn.execute(select(func.count()).select_from(table))
            ).scalar_one()
    return counts


# ---- comparing records up to ids

# The test's own list of the payload keys that hold our row ids (kept apart from the importer's
# on purpose), and those that hold Discord's ids, which stay as they are.
ROW_IDS = {
    "goal_id": "goal",
    "other_id": "goal",
    "stance_id": "goal_stance",
    "confirms_stance_id": "goal_stance",
    "perception_id": "goal_perception",
    "organisation_id": "organisation",
    "owner_organisation_id": "organisation",
    "action_id": "event",
    "meeting_id": "event",
    "schedule_id": "schedule",
    "occurrence_id": "occurrence",
    "post_id": "prompt_post",
    "answer_id": "prompt_answer",
    "replaces_id": "prompt_answer",
    "prompt_id": "reflection_prompt",
    "round_id": "trust_round",
}
DISCORD_IDS = {"user_id", "owner_id", "owner_user_id", "channel_id", "message_id", "thread_id"}
# Sentences name these rows by number.
NUMBERED = ("goal_id", "other_id", "action_id", "round_id", "schedule_id")


def normalise(pairs: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """Every id replaced by its order of first appearance per table ("goal:2"), in columns,
    payloads and the numbers sentences name."""
    order: dict[str, dict[int, str]] = defaultdict(dict)

    def ref(table: str, value: Any) -> Any:
        if value is None:
            return None
        seen = order[table]
        return seen.setdefault(value, f"{table}:{len(seen) + 1}")

    out = []
    for table, row in pairs:
        row = dict(row)
        row["id"] = ref(table, row["id"])
        for column, target in records.references(table).items():
            row[column] = ref(target, row[column])
        for key in ("payload", "result"):
            if isinstance(row.get(key), dict):
                payload = dict(row[key])
                for name in payload:
                    assert not name.endswith("_id") or name in ROW_IDS or name in DISCORD_IDS, name
                summary = row.get("summary", "")
                for name, target in ROW_IDS.items():
                    if payload.get(name) is not None:
                        old = payload[name]
                        payload[name] = ref(target, old)
                        if name in NUMBERED:
                            summary = re.sub(rf"#{old}(?!\d)", f"#{payload[name]}", summary)
                            summary = re.sub(rf"Schedule {old}(?!\d)", payload[name], summary)
                prompt = payload.get("prompt")
                if isinstance(prompt, str) and prompt.startswith("own-"):
                    payload["prompt"] = ref("reflection_prompt", int(prompt[4:]))
                row[key] = payload
                if "summary" in row:
                    row["summary"] = summary
        out.append((table, row))
    return out
