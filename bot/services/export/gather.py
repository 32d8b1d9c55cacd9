"""`gather`: the `Document` of one partnership's export, with privacy, audience and redaction
applied, so a writer only lays it out.

- **Period**: `since` and `until` are dates in the partnership's zone, `until` meaning the end
  of that day (None: from the start, up to now). Sections hold what happened in the period;
  goals are those proposed by its end, as they stood then (`goal_rows`); organisations and
  membership spells are those of the period, rebuilt from the log (`history`).
- **Meeting**: with `meeting_id`, the export is that meeting's minutes: the meeting with its
  attendance, the notes logged during it, and its own log entries; the organisations and spells
  of its day; no goals, trust or reflections.
- **Audience and pseudonyms**: how people, organisations and text appear is the `Lens`'s.
- **Redaction**: loaded once (`bot.services.redaction.load`) and applied to every text.
- **Trust**: whole closed rounds, from the log, as the partnership's *k* allows now (`trust`);
  the header's `withheld` counts the aggregates withheld.
- **Reflections**: prompts delivered in the period, with their answers as their visibility
  allows (`reflections`).

The notes and the log are streams (`streams`): the log is read from the database once, when a
writer first reads one of them. `notes_by_kind=False` (a writer that reads every note at once,
`writers.NOTES_BY_KIND`): the spool keeps no file per kind of note.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, bindparam, union_all
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bot.errors import UserFacingError
from bot.services.export import records
from bot.services.export import trust as trust_rows
from bot.services.export.document import (
    Attendee,
    Audience,
    Document,
    Header,
    MeetingRow,
    MembershipSpell,
    OrganisationRow,
    Person,
    TrustRoundRow,
)
from bot.services.export.goal_rows import goal_section
from bot.services.export.history import REGISTER_EVENTS, History, overlaps, replay
from bot.services.export.lens import Lens
from bot.services.export.pseudonyms import Pseudonyms
from bot.services.export.reflections import reflection_rows
from bot.services.export.spool import Spool
from bot.services.export.streams import Streams, Window
from bot.services.meetings.events import ATTENDED, ENDED, STARTED
from bot.services.redaction import load
from bot.services.timeutil import as_utc, end_of_day, zone
from bot.services.trust.events import CLOSED as TRUST_CLOSED
from bot.services.trust.events import OPENED as TRUST_OPENED
from bot.services.trust.privacy import threshold
from db import queries
from db.engine import SessionFactory
from db.models import (
    Event,
    Goal,
    GoalStance,
    Membership,
    Organisation,
    PartnerOrganisation,
    Partnership,
    PromptAnswer,
)


async def gather(
    sessions: SessionFactory,
    partnership: Partnership,
    *,
    audience: Audience,
    since: date | None,
    until: date | None,
    meeting_id: int | None,
    now: datetime,
    exported_by: Person | None,
    pseudonyms: Pseudonyms | None,
    keep_text: bool,
    notes_by_kind: bool = True,
) -> Document:
    p = partnership
    assert p.id is not None
    tz = zone(p.timezone)
    now = as_utc(now)
    if since is not None and until is not None and since > until:
        raise UserFacingError(
            f"The period starts after it ends: `since` {since.isoformat()} is after `until` "
            f"{until.isoformat()}."
        )
    start = datetime.combine(since, time(0), tzinfo=tz).astimezone(UTC) if since else None
    end = end_of_day(until, tz) if until else now
    k = threshold(p.anonymity_threshold)
    async with sessions() as session:
        redactions = await load(session, p, now)
        meeting = await _meeting(session, p, meeting_id) if meeting_id is not None else None
        if meeting is not None:
            start = as_utc(meeting.occurred_at)
            end = await _meeting_end(session, p, meeting) or now
        window = Window(start, end, meeting_id)
        small = _Small(await _events(session, p, SMALL_KINDS, until=None))
        history = replay(small.of(REGISTER_EVENTS, until=end))
        lens = await _lens(session, p, audience, pseudonyms, keep_text, history)
        # A meeting's minutes show no goals, but name them only as this audience may.
        goals = await goal_section(
            session, p, end=end, lens=lens, history=history, redactions=redactions
        )
        if meeting is None:
            meetings = _meetings(small, window, lens)
            trust, withheld, rounds = _trust(small, window, k)
            reflections = await reflection_rows(session, p, window, lens, history, redactions)
        else:
            meetings = _meetings(small, window, lens, only=meeting)
            trust, withheld, rounds = [], 0, {}
            reflections = []
        done = queries.closed_from(
            (e.payload, e.occurred_at)
            for e in small.of([queries.ACTION_CLOSED], until=end if meeting is None else now)
        )
    today = now.astimezone(tz).date()
    streams = Streams(
        sessions=sessions,
        partnership=p,
        window=window,
        lens=lens,
        redactions=redactions,
        history=history,
        goals=goals,
        k=k,
        done=done,
        today=min(today, until) if until is not None and meeting is None else today,
        rounds=rounds,
        spool=Spool(by_kind=notes_by_kind),
    )
    header = Header(
        partnership=p.name,
        purpose=lens.text(p.purpose),
        timezone=p.timezone,
        audience=audience,
        k=k,
        withheld=withheld,
        generated_at=now,
        since=since if meeting is None else start.astimezone(tz).date() if start else None,
        until=until if meeting is None else end.astimezone(tz).date(),
        meeting_id=meeting.id if meeting is not None else None,
        meeting_title=meetings[0].title if meeting is not None and meetings else None,
        exported_by=_exporter(lens, exported_by),
        pseudonymised=lens.pseudonymised,
        keep_text=keep_text if lens.pseudonymised else True,
        agreement_rule=p.agreement_rule,
        relationship=p.relationship,
    )
    return Document(
        header=header,
        organisations=_organisations(history, lens, window),
        spells=_spells(history, lens, window),
        goals=goals.goals if meeting is None else [],
        links=goals.links if meeting is None else [],
        meetings=meetings,
        trust=trust,
        reflections=reflections,
        notes=streams.notes,
        log=streams.log,
        note_batches=streams.note_batches,
        log_batches=streams.log_batches,
        log_briefs=streams.log_briefs,
        log_stored=streams.log_stored,
        close=streams.spool.close,
        json_values=True,  # payloads as decoded from the database (`streams`)
        # The stored records travel only in a whole, internal, named export: what a period, a
        # meeting, an external audience or pseudonyms leave out could not be imported back.
        records=(
            records.stream(
                sessions, guild_id=p.guild_id, partnership_id=p.id, redactions=redactions
            )
            if audience == Audience.internal
            and not lens.pseudonymised
            and since is None
            and until is None
            and meeting is None
            else None
        ),
    )


# ---- reading


async def _events(
    session: AsyncSession,
    p: Partnership,
    kinds: list[str] | tuple[str, ...],
    *,
    until: datetime | None,
    since: datetime | None = None,
) -> list[Event]:
    """Small kinds of the log (the register, meetings, trust rounds), oldest first."""
    if not kinds:
        return []
    statement, values = events_query(p, kinds, until=until, since=since)
    return list((await session.exec(statement, params=values)).all())


#: `events_query`'s statements by kinds and bounds, each built once (a union of a dozen selects
#: took about 2 ms to build, on every export), its values bound when it runs. Few: one for an
#: export's small kinds, one for a meeting's end.
_EVENTS_QUERIES: dict[tuple[tuple[str, ...], bool, bool], SelectOfScalar[Event]] = {}


def events_query(
    p: Partnership,
    kinds: list[str] | tuple[str, ...],
    *,
    until: datetime | None,
    since: datetime | None = None,
) -> tuple[SelectOfScalar[Event], dict[str, Any]]:
    """`_events`'s statement and its values: a `SELECT` per kind, all in one `UNION ALL` in
    time order. Each kind is then read from the index by partnership, kind and time
    (`ix_event_partnership_kind_time`) and the kinds merged; asked for `kind IN (…)` in time
    order, SQLite's planner walks the partnership's whole log by time instead (mostly notes)."""
    shape = (tuple(kinds), until is not None, since is not None)
    statement = _EVENTS_QUERIES.get(shape)
    if statement is None:
        bounds: list[ColumnElement[bool]] = [
            col(Event.guild_id) == bindparam("guild_id"),
            col(Event.partnership_id) == bindparam("partnership_id"),
        ]
        if until is not None:
            bounds.append(col(Event.occurred_at) <= bindparam("until"))
        if since is not None:
            bounds.append(col(Event.occurred_at) >= bindparam("since"))
        each = union_all(*(select(Event).where(*bounds, col(Event.kind) == kind) for kind in kinds))
        entry = aliased(Event, each.subquery("small"))
        statement = select(entry).order_by(col(entry.occurred_at), col(entry.id))
        if len(_EVENTS_QUERIES) < 64:
            _EVENTS_QUERIES[shape] = statement
    values: dict[str, Any] = {"guild_id": p.guild_id, "partnership_id": p.id}
    if until is not None:
        values["until"] = until
    if since is not None:
        values["since"] = since
    return statement, values


# The log's small kinds an export reads beside its streams (the register, meetings, trust
# rounds, actions' closes), in one query (`_events`).
SMALL_KINDS = (
    *REGISTER_EVENTS,
    STARTED,
    ATTENDED,
    ENDED,
    TRUST_OPENED,
    TRUST_CLOSED,
    queries.ACTION_CLOSED,
)
_NO_END = datetime.max.replace(tzinfo=UTC)


class _Small:
    """The entries of `SMALL_KINDS`, oldest first, picked as `_events` would have read them."""

    def __init__(self, events: list[Event]) -> None:
        self.events = events

    def of(
        self,
        kinds: list[str] | tuple[str, ...],
        *,
        until: datetime,
        since: datetime | None = None,
    ) -> list[Event]:
        wanted = set(kinds)
        assert wanted <= set(SMALL_KINDS)
        return [
            e
            for e in self.events
            if e.kind in wanted
            and e.occurred_at <= until
            and (since is None or e.occurred_at >= since)
        ]


async def _meeting(session: AsyncSession, p: Partnership, meeting_id: int) -> Event:
    event = await session.get(Event, meeting_id)
    if (
        event is None
        or event.kind != STARTED
        or event.partnership_id != p.id
        or event.guild_id != p.guild_id
    ):
        raise UserFacingError(f"I can't find meeting #{meeting_id} in {p.name}.")
    return event


async def _meeting_end(session: AsyncSession, p: Partnership, meeting: Event) -> datetime | None:
    for event in await _events(
        session, p, [ENDED], since=meeting.occurred_at, until=datetime.max.replace(tzinfo=UTC)
    ):
        if event.payload.get("meeting_id") == meeting.id:
            return as_utc(event.occurred_at)
    return None


# `_lens`'s reads, built once (about a millisecond an export, built each time), the partnership
# and server bound as they run.
_PARTNERSHIP: BindParameter[int] = bindparam("partnership_id")
_LENS_MEMBERS = select(Membership).where(col(Membership.partnership_id) == _PARTNERSHIP)
_LENS_STANCE_NAMES = (
    select(GoalStance.user_id, GoalStance.display_name)
    .where(
        col(GoalStance.goal_id).in_(select(Goal.id).where(col(Goal.partnership_id) == _PARTNERSHIP))
    )
    .distinct()
)
_LENS_ANSWER_NAMES = (
    select(PromptAnswer.user_id, PromptAnswer.display_name)
    .where(col(PromptAnswer.partnership_id) == _PARTNERSHIP, col(PromptAnswer.user_id).is_not(None))
    .distinct()
)
_LENS_PARTNERS = select(PartnerOrganisation.organisation_id).where(
    col(PartnerOrganisation.partnership_id) == _PARTNERSHIP
)
_LENS_ORGANISATIONS = select(Organisation).where(
    col(Organisation.guild_id) == bindparam("guild_id"),
    col(Organisation.id).in_(bindparam("ids", expanding=True)),
)


async def _lens(
    session: AsyncSession,
    p: Partnership,
    audience: Audience,
    pseudonyms: Pseudonyms | None,
    keep_text: bool,
    history: History,
) -> Lens:
    """Everyone the partnership has had, and every organisation its records name."""
    assert p.id is not None
    values = {"partnership_id": p.id}
    members = (await session.exec(_LENS_MEMBERS, params=values)).all()
    people = {m.user_id: m.display_name for m in members}
    aliases = [(s.user_id, s.display_name) for s in history.spells]
    stance_names = (await session.exec(_LENS_STANCE_NAMES, params=values)).all()
    answer_names = (await session.exec(_LENS_ANSWER_NAMES, params=values)).all()
    aliases += [(int(u), str(n)) for u, n in [*stance_names, *answer_names] if u is not None]
    org_ids = set(history.stays) | {s.organisation_id for s in history.spells if s.organisation_id}
    org_ids |= set((await session.exec(_LENS_PARTNERS, params=values)).all())
    named = await session.exec(
        _LENS_ORGANISATIONS, params={"guild_id": p.guild_id, "ids": list(org_ids)}
    )
    organisations = {o.id: o.name for o in named.all() if o.id is not None}
    return Lens(audience, pseudonyms, keep_text, people, organisations, aliases)


def _exporter(lens: Lens, exported_by: Person | None) -> Person | None:
    if exported_by is None or not lens.internal:
        return None
    if exported_by.user_id is not None:
        return lens.person(exported_by.user_id, exported_by.name)
    return None if lens.pseudonymised else exported_by


# ---- sections


def _organisations(history: History, lens: Lens, window: Window) -> list[OrganisationRow]:
    rows = []
    for stay in history.stays.values():
        if not overlaps(stay.joined_at, stay.left_at, window.start, window.end):
            continue
        rows.append(
            OrganisationRow(
                key=lens.organisation_key(stay.organisation_id),
                name=lens.organisation(stay.organisation_id, stay.name) or stay.name,
                sector=stay.sector,
                status=stay.status,
                joined_at=stay.joined_at,
                left_at=stay.left_at,
                self_status=stay.self_status,
                self_commitment=stay.self_commitment,
            )
        )
    return sorted(rows, key=lambda r: (r.joined_at, r.name.casefold()))


def _spells(history: History, lens: Lens, window: Window) -> list[MembershipSpell]:
    return [
        MembershipSpell(
            person=lens.person(s.user_id, s.display_name),
            organisation=lens.organisation(s.organisation_id, s.organisation)
            if s.organisation_id is not None
            else None,
            capacity=s.capacity,
            mandate=s.mandate,
            convener=s.convener,
            start=s.start,
            end=s.end,
        )
        for s in history.spells
        if overlaps(s.start, s.end, window.start, window.end)
    ]


def _meetings(
    small: _Small, window: Window, lens: Lens, only: Event | None = None
) -> list[MeetingRow]:
    if only is not None:
        starts = [only]
    else:
        starts = small.of([STARTED], since=window.start, until=window.end)
    if not starts:
        return []
    later = small.of([ATTENDED, ENDED], since=starts[0].occurred_at, until=_NO_END)
    attended: dict[int, list[Attendee]] = defaultdict(list)
    ended: dict[int, datetime] = {}
    for event in later:
        meeting = event.payload.get("meeting_id")
        if not isinstance(meeting, int):
            continue
        if event.kind == ENDED:
            ended.setdefault(meeting, event.occurred_at)
            continue
        org_id = event.payload.get("organisation_id")
        attended[meeting].append(
            Attendee(
                person=lens.person(event.payload.get("user_id"), event.payload.get("display_name")),
                organisation=lens.organisation(org_id, event.payload.get("organisation"))
                if org_id is not None
                else None,
            )
        )
    rows = []
    for start in starts:
        assert start.id is not None
        rows.append(
            MeetingRow(
                id=start.id,
                title=lens.title(start.payload.get("title"), f"Meeting {start.id}"),
                started_at=start.occurred_at,
                ended_at=ended.get(start.id),
                started_by=lens.person(start.actor_id),
                attendance=attended.get(start.id, []),
            )
        )
    return rows


def _trust(
    small: _Small, window: Window, k: int
) -> tuple[list[TrustRoundRow], int, dict[int, tuple[datetime, bool]]]:
    """The rounds closed in the period, how many aggregates they withhold, and when each round
    of the partnership opened (and whether pairwise), for the log's closing entries."""
    opened = small.of([TRUST_OPENED], until=window.end)
    rounds = {
        int(e.payload["round_id"]): (e.occurred_at, bool(e.payload.get("pairwise")))
        for e in opened
        if isinstance(e.payload.get("round_id"), int)
    }
    rows, withheld = [], 0
    for event in small.of([TRUST_CLOSED], since=window.start, until=window.end):
        round_id = event.payload.get("round_id")
        opened_at, pairwise = (
            rounds.get(round_id, (None, False)) if isinstance(round_id, int) else (None, False)
        )
        row, held = trust_rows.round_row(
            event.payload, closed_at=event.occurred_at, opened_at=opened_at, pairwise=pairwise, k=k
        )
        rows.append(row)
        withheld += held
    return rows, withheld, rounds
