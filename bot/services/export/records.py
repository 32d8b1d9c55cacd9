"""The stored records of one partnership, for the JSON export that `partnerbot import` loads.

`stream(...)` reads one partnership's rows, table by table, parents first (`TABLES`), as
`(table, rows)` batches (`rows(...)` hands them on one at a time): a row is the table's columns
as plain JSON values (datetimes as ISO 8601 in UTC, dates as ISO dates), its own `id` and its
references as they are in this database, so the importer can give every row a new id and
follow every reference. Each table is read with `yield_per`, one batch at a time, so memory
does not grow with the log; all tables are read in one transaction (repeatable read on
PostgreSQL, one read transaction on SQLite), so the rows refer only to rows of the same moment.

What is left out, on purpose:

- the server: `guild_id` columns (the importer writes the server it imports into);
- live handles the bot acts on: the partnership's channel, a goal's posted card (the bot edits
  it in place), a prompt's thread (answers are shared there), a check-in round's channel. A
  partnership moved to another server must not edit or post in the old one. Message links in
  the log (`Event.message_link` and the links in payloads) are history and stay as they were;
- the research salt (a secret; pseudonyms after a move are new ones);
- check-in answers, ratings and respondents: never exported. A closed round is kept as its
  times and settings; its figures are in the log (`trust.round_closed`). Open rounds are left
  out (their answers could not come along);
- private reflection answers (seen only by their author), and anonymous ones not shown (their
  prompt's answers did not yet come from enough organisations) or taken back by their author.
  An anonymous answer that is exported travels without its author and organisation: its
  `user_id` and `organisation_id` are empty and its `display_name` blank, so nothing in the
  export ties it to a person (it can no longer be withdrawn after an import). The message that
  shows an answer is a live handle, left out like a prompt's thread;
- prompts chosen but never delivered, and the export audit (`export_record`);
- individual-level goals their owners have not shared (`bot.services.goals.lookup.shared`).
- goals the whole partnership does not see (visibility conveners or organisation), with their
  stances, their links and the log entries that name them: they stay on Discord (see
  `goal_rows`).

Redaction is applied as every reader applies it (`bot.services.redaction`): a removed or
expired text is its marker here too, so it stays removed after an import.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    Column,
    Select,
    Table,
    and_,
    bindparam,
    not_,
    or_,
    select,
    union,
)
from sqlmodel import SQLModel

from bot.services.export.jsontext import iso_utc
from bot.services.export.spool import moment, payload, stored_iso, stored_text
from bot.services.goals.lookup import PUBLIC, visible_clause
from bot.services.redaction import Redactions
from db.engine import SessionFactory
from db.models import (
    ActionReminderClaim,
    Event,
    Goal,
    GoalLink,
    GoalPerception,
    GoalStance,
    Membership,
    Occurrence,
    Organisation,
    PartnerOrganisation,
    Partnership,
    PartnershipRelationship,
    PromptAnswer,
    PromptPost,
    Redaction,
    ReflectionPrompt,
    Schedule,
    TrustRound,
)

Record = tuple[str, dict[str, Any]]
#: Some rows of one table, in its order.
Records = tuple[str, list[dict[str, Any]]]

# Every table of a partnership's records, in an order that imports: each after those it names.
MODELS: dict[str, type[SQLModel]] = {
    "partnership": Partnership,
    "partnership_relationship": PartnershipRelationship,
    "organisation": Organisation,
    "partner_organisation": PartnerOrganisation,
    "membership": Membership,
    "goal": Goal,
    "goal_stance": GoalStance,
    "goal_perception": GoalPerception,
    "goal_link": GoalLink,
    "reflection_prompt": ReflectionPrompt,
    "schedule": Schedule,
    "occurrence": Occurrence,
    "prompt_post": PromptPost,
    "prompt_answer": PromptAnswer,
    "trust_round": TrustRound,
    "event": Event,
    "redaction": Redaction,
    "action_reminder": ActionReminderClaim,
}
TABLES: tuple[str, ...] = tuple(MODELS)

# Columns not exported (see the module's docstring).
LEFT_OUT: dict[str, frozenset[str]] = {
    "partnership": frozenset({"guild_id", "channel_id", "research_salt"}),
    "organisation": frozenset({"guild_id"}),
    "goal": frozenset({"channel_id", "message_id"}),
    "schedule": frozenset({"guild_id"}),
    "prompt_post": frozenset({"guild_id", "thread_id"}),
    "prompt_answer": frozenset({"channel_id", "message_id"}),
    "trust_round": frozenset({"guild_id", "channel_id"}),
    "event": frozenset({"guild_id"}),
    "redaction": frozenset({"guild_id"}),
}

# Keys of log payloads (and of a schedule occurrence's result) that hold the id of a stored
# row, and that row's table. Discord ids (user_id, owner_id, channel_id, message_id) are not
# ours: they stay as they are.
PAYLOAD_REFERENCES: dict[str, str] = {
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
# A partnership's own prompt is named "own-<id>" where a post or its occurrence names its prompt.
OWN_PROMPT = "own-"
# Answer visibilities as stored (`bot.services.reflection.visibility`).
NAMED = "named"
ANONYMOUS = "anonymous"

BATCH = 500
# The log's columns read as stored (`_queries`).
_AS_STORED = ("occurred_at", "payload")  # in `stored_text`'s order


def table_of(name: str) -> Table:
    table = MODELS[name].__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def exported_columns(name: str) -> list[Column[Any]]:
    """The columns of `name` a record holds, in the table's order."""
    left_out = LEFT_OUT.get(name, frozenset())
    return [c for c in table_of(name).columns if c.name not in left_out]


def references(name: str) -> dict[str, str]:
    """Column → the table it refers to, for the exported columns of `name`."""
    found: dict[str, str] = {}
    for column in exported_columns(name):
        for key in column.foreign_keys:
            found[column.name] = key.column.table.name
    return found


def plain(value: Any) -> Any:
    """A stored value as JSON holds it: datetimes ISO 8601 in UTC, dates ISO."""
    if isinstance(value, datetime):
        zone = value.tzinfo
        return iso_utc(value if zone is UTC or zone is None else value.astimezone(UTC))
    if isinstance(value, date):
        return value.isoformat()
    return value


def stream(
    sessions: SessionFactory, *, guild_id: int, partnership_id: int, redactions: Redactions
) -> Callable[[], AsyncIterator[Records]]:
    """The partnership's records, read afresh at each call (see the module's docstring), a
    batch of one table's rows at a time: a table's batches come one after another, tables in
    `TABLES`'s order (a table with no rows has none)."""

    def records() -> AsyncIterator[Records]:
        return _records(sessions, guild_id, partnership_id, redactions)

    return records


async def rows(batches: AsyncIterator[Records]) -> AsyncIterator[Record]:
    """The records one at a time, as (table, row)."""
    async for table, batch in batches:
        for row in batch:
            yield table, row


async def _records(
    sessions: SessionFactory, guild_id: int, partnership_id: int, redactions: Redactions
) -> AsyncIterator[Records]:
    async with sessions() as session:
        options = {}
        if session.get_bind().dialect.name == "postgresql":
            # One snapshot for every table, so no row names a row the export does not hold.
            options = {"isolation_level": "REPEATABLE READ"}
        conn = await session.connection(execution_options=options)
        found_query, kept_back_query, queries = _statements(conn.dialect.name)
        bound = {"guild_id": guild_id, "partnership_id": partnership_id}
        found = await conn.execute(found_query, bound)
        if found.first() is None:
            raise LookupError(f"No partnership {partnership_id} in server {guild_id}.")
        kept_back = set((await conn.execute(kept_back_query, bound)).scalars())
        for name, query in queries:
            result = await conn.stream(query, bound)
            columns = tuple(result.keys())
            event = name == "event"
            if event and not redactions.any:
                # Nothing removed: each entry as stored, straight to its record.
                at, stored = columns.index("occurred_at"), columns.index("payload")
                async for batch in result.partitions(BATCH):
                    made = []
                    for values in batch:
                        # (the result's own columns and rows: of one length, not checked)
                        row = dict(zip(columns, values))  # noqa: B905
                        row["occurred_at"] = stored_iso(values[at])
                        decoded = payload(values[stored])
                        row["payload"] = {} if decoded is None else decoded
                        if kept_back and _names_goal(name, row, kept_back):
                            continue
                        made.append(row)
                    if made:
                        yield name, made
                continue
            async for batch in result.partitions(BATCH):
                made = []
                for values in batch:
                    row = dict(zip(columns, values, strict=True))
                    if event:  # read as stored (`_queries`): its time and payload decoded
                        row["occurred_at"] = moment(row["occurred_at"])
                        row["payload"] = payload(row["payload"])
                    if kept_back and _names_goal(name, row, kept_back):
                        continue
                    made.append(_record(name, row, redactions))
                if made:
                    yield name, made


#: `_statements` by dialect: built once (the twenty statements, a read for each of the eighteen
#: tables and two checks, took about 7 ms to build on every export), the server and partnership
#: bound as they run (`guild_id`, `partnership_id`).
_STATEMENTS: dict[str, tuple[Select[Any], Select[Any], list[tuple[str, Select[Any]]]]] = {}


def _statements(dialect: str) -> tuple[Select[Any], Select[Any], list[tuple[str, Select[Any]]]]:
    """The partnership's own row (is it there, in this server?), its goals kept back (not
    seen by the whole partnership), and each table's read (`_queries`, read `BATCH` rows at a
    time): `guild_id` and `partnership_id` bound when they run."""
    made = _STATEMENTS.get(dialect)
    if made is None:
        p, goal = table_of("partnership"), table_of("goal")
        found = select(p.c.id).where(p.c.guild_id == _GUILD, p.c.id == _PARTNERSHIP)
        kept_back = select(goal.c.id).where(
            goal.c.partnership_id == _PARTNERSHIP, not_(visible_clause(PUBLIC))
        )
        queries = [
            (name, query.execution_options(yield_per=BATCH)) for name, query in _queries(dialect)
        ]
        made = _STATEMENTS[dialect] = (found, kept_back, queries)
    return made


#: The values every statement of `_statements` is bound to as it runs.
_GUILD: BindParameter[int] = bindparam("guild_id")
_PARTNERSHIP: BindParameter[int] = bindparam("partnership_id")


def _queries(dialect: str) -> Iterable[tuple[str, Select[Any]]]:
    """Each table's rows of this partnership (scoped by server where the table has one), by id,
    the server and partnership bound as they run."""
    guild_id, partnership_id = _GUILD, _PARTNERSHIP
    p, org = table_of("partnership"), table_of("organisation")
    goal, post, event = table_of("goal"), table_of("prompt_post"), table_of("event")
    link, member, stance = (
        table_of("partner_organisation"),
        table_of("membership"),
        table_of("goal_stance"),
    )
    answer = table_of("prompt_answer")
    # An individual-level goal its owner has not shared stays out, with all that hangs off it.
    shared = visible_clause(PUBLIC)
    goal_ids = select(goal.c.id).where(goal.c.partnership_id == partnership_id, shared)
    reading = table_of("goal_perception")
    delivered = post.c.message_id.is_not(None)
    post_ids = select(post.c.id).where(
        post.c.guild_id == guild_id, post.c.partnership_id == partnership_id, delivered
    )
    event_ids = select(event.c.id).where(
        event.c.guild_id == guild_id, event.c.partnership_id == partnership_id
    )
    # The organisations the partnership uses: its partners, its members', goals' and stances'.
    used = union(
        select(link.c.organisation_id).where(link.c.partnership_id == partnership_id),
        select(member.c.organisation_id).where(member.c.partnership_id == partnership_id),
        select(goal.c.owner_organisation_id).where(goal.c.partnership_id == partnership_id),
        select(stance.c.organisation_id).where(stance.c.goal_id.in_(goal_ids)),
        select(reading.c.organisation_id).where(reading.c.goal_id.in_(goal_ids)),
        select(answer.c.organisation_id).where(
            answer.c.partnership_id == partnership_id, answer.c.visibility == NAMED
        ),
    )
    for name in TABLES:
        table = table_of(name)
        query = select(*exported_columns(name))
        if name == "event":
            # The log's time and payload as stored text (`spool.stored_text`), decoded by the
            # export's own readers (`spool.moment`, `spool.payload`): what SQLAlchemy's types
            # and the driver make of them, in a fraction of the time for a long log.
            as_stored = dict(
                zip(
                    _AS_STORED,
                    stored_text(dialect, event.c.occurred_at, event.c.payload),
                    strict=True,
                )
            )
            query = select(
                *(
                    as_stored[c.name].label(c.name) if c.name in as_stored else c
                    for c in exported_columns(name)
                )
            )
        if name == "partnership":
            query = query.where(p.c.guild_id == guild_id, p.c.id == partnership_id)
        elif name == "organisation":
            query = query.where(org.c.guild_id == guild_id, org.c.id.in_(used))
        elif name in ("goal_stance", "goal_perception"):
            query = query.where(table.c.goal_id.in_(goal_ids))
        elif name == "goal":
            query = query.where(table.c.partnership_id == partnership_id, shared)
        elif name == "goal_link":
            query = query.where(
                table.c.partnership_id == partnership_id,
                table.c.from_goal_id.in_(goal_ids),
                table.c.to_goal_id.in_(goal_ids),
            )

        elif name == "prompt_answer":
            query = query.where(
                table.c.partnership_id == partnership_id,
                table.c.post_id.in_(post_ids),
                or_(
                    table.c.visibility == NAMED,
                    and_(
                        table.c.visibility == ANONYMOUS,
                        table.c.shown_at.is_not(None),
                        table.c.replaced_at.is_(None),
                        table.c.withdrawn_at.is_(None),
                    ),
                ),
            )
        elif name == "action_reminder":
            query = query.where(table.c.action_event_id.in_(event_ids))
        else:
            query = query.where(table.c.partnership_id == partnership_id)
            if "guild_id" in table.c:
                query = query.where(table.c.guild_id == guild_id)
            if name == "prompt_post":
                query = query.where(delivered)
            elif name == "trust_round":
                query = query.where(table.c.closed_at.is_not(None))
        yield name, query.order_by(table.c.id)


def _names_goal(name: str, row: Any, goals: set[int]) -> bool:
    """Whether the row is one of these goals, or belongs to or names one."""
    if name == "goal":
        return row["id"] in goals
    if name in ("goal_stance", "goal_perception"):
        return row["goal_id"] in goals
    if name == "goal_link":
        return row["from_goal_id"] in goals or row["to_goal_id"] in goals
    if name == "event":
        payload = row["payload"] or {}
        return any(payload.get(key) in goals for key in ("goal_id", "other_id"))
    return False


@dataclass(frozen=True)
class _Entry:
    """A log entry as `Redactions.event` reads it."""

    id: int
    kind: str
    occurred_at: datetime
    summary: str
    payload: dict[str, Any]


def _record(name: str, row: dict[str, Any], redactions: Redactions) -> dict[str, Any]:
    """The row as JSON holds it, with removed and expired text replaced by its marker, as
    every reader sees it."""
    if name == "event":  # (with nothing removed, `_records` makes the record itself)
        entry = _Entry(row["id"], row["kind"], row["occurred_at"], row["summary"], row["payload"])
        # `Redactions.event` reads only these five fields; building a table row for each of
        # a long log would cost more than reading it.
        row["summary"], row["payload"] = redactions.event(cast(Event, entry))
    elif name == "goal_stance" and row["comment"]:
        marker = redactions.stance_comment(row["id"], row["recorded_at"])
        row["comment"] = marker or row["comment"]
    elif name == "goal_perception" and row["origin_detail"]:
        marker = redactions.perception_detail(row["id"], row["recorded_at"])
        row["origin_detail"] = marker or row["origin_detail"]
    elif name == "prompt_answer":
        if row["text"]:
            row["text"] = redactions.answer_text(row["id"], row["created_at"]) or row["text"]
        if row["visibility"] != NAMED:  # an anonymous answer: nobody's
            row.update(user_id=None, organisation_id=None, display_name="")
    for key, value in row.items():
        if isinstance(value, date):
            row[key] = plain(value)
    return row
