"""The CSV export's files and columns, declared once.

The CSV writer takes each file's header row from these declarations and writes `codebook.csv`
from the same ones, so no column can be missing from the codebook. A vocabulary column carries
its values (`bot.services.export.vocabularies`, taken from the code's own vocabularies), each with
its meaning, concept and source.

A column's type also says what the privacy rules do with it: a `person` column appears only when
the audience names people, a `discord_id` only in an internal export that is not pseudonymised,
`link` and `json` columns (message links; stored payloads that may hold raw ids) are left out of
a pseudonymised export, and `free_text` is empty unless the export keeps text.
"""

from __future__ import annotations

from bot.services.export import vocabularies as v
from bot.services.export.codebook_format import Column, File
from bot.services.export.document import SCHEMA_VERSION
from bot.services.export.vocabularies import ROW_TYPES, ColumnType, Value
from bot.services.goals.vocab import DIMENSIONS
from bot.services.notes.vocab import NoteKind
from bot.services.trust.vocab import ITEMS, OWN_ITEM, SCALE, SCALE_WORDS, Item


def _code(name: str, description: str, values: tuple[Value, ...]) -> Column:
    """A vocabulary column, under its vocabulary's concept and source."""
    first = values[0]
    return Column(name, ColumnType.code, description, first.concept, first.source, values)


def _int(name: str, description: str) -> Column:
    return Column(name, ColumnType.integer, description)


def _time(name: str, description: str) -> Column:
    return Column(name, ColumnType.datetime, description)


def _person(name: str, description: str) -> tuple[Column, Column]:
    """A person's name, and their Discord id."""
    return (
        Column(name, ColumnType.person, description),
        Column(f"{name}_user_id", ColumnType.discord_id, description),
    )


# ---- columns used in more than one file

ID = _int("id", "the log entry's number, as /log show shows it")
AT = _time("at", "when it was recorded")
LINK = Column("link", ColumnType.link, "the message in the partnership's channel")
MEETING_ID = _int("meeting_id", "the meeting it was logged in (meetings.csv id); empty: none")
ORGANISATION = Column(
    "organisation",
    ColumnType.text,
    "the organisation (organisations.csv name); empty: in their own capacity",
)


def _note_columns(kind: NoteKind, *extra: Column) -> tuple[Column, ...]:
    return (
        ID,
        _code("kind", f"the kind of entry ({kind} in this file)", v.NOTE_KINDS),
        AT,
        *_person("author", "who wrote it"),
        Column("text", ColumnType.free_text, "what was written"),
        *extra,
        MEETING_ID,
        LINK,
    )


def _item_column(item: Item, *, own: bool = False) -> Column:
    low, high = SCALE[0], SCALE[-1]
    among = "people in their own capacity" if own else "organisations (each one's answers first)"
    return Column(
        f"mean_{item.key}",
        ColumnType.number,
        f"{item.label}: the mean agreement of {among}, from {low} ({SCALE_WORDS[low]}) to "
        f"{high} ({SCALE_WORDS[high]}), with “{item.statement}” Empty when withheld. "
        f"{item.explanation}",
        f"the trust-building loop: {item.arc}",
        v.TRUST,
    )


# ---- the files, in the order they are written

HEADER = File(
    "header.csv",
    "What the export holds: one row",
    (
        Column("partnership", ColumnType.text, "the partnership's name"),
        Column("purpose", ColumnType.free_text, "the partnership's purpose"),
        Column("timezone", ColumnType.text, "the partnership's IANA time zone; dates are in it"),
        _code("audience", "who the export is for", v.AUDIENCES),
        _int(
            "k",
            "the anonymity threshold: an aggregate is shown only when at least k distinct "
            "organisations stand behind it",
        ),
        _int(
            "withheld",
            "how many aggregates were withheld because fewer than k organisations stood behind "
            "them",
        ),
        _time("generated_at", "when the export was made"),
        Column("since", ColumnType.date, "the period's first day; empty: from the start"),
        Column("until", ColumnType.date, "the period's last day (to its end); empty: up to now"),
        Column("period", ColumnType.text, "the period in words"),
        _int("meeting_id", "the meeting exported (meetings.csv id); empty: a period"),
        Column("meeting_title", ColumnType.free_text, "the meeting's title"),
        *_person("exported_by", "who made the export"),
        Column(
            "pseudonymised",
            ColumnType.boolean,
            "for research: people and organisations under stable pseudonyms, sectors kept, "
            "Discord ids, links and stored payloads left out",
        ),
        Column("keep_text", ColumnType.boolean, "whether free text is kept"),
        _code("agreement_rule", "the rule that decides when a goal is agreed", v.AGREEMENT_RULES),
        _code("relationship", "how co-production relates to the collaboration", v.RELATIONSHIPS),
        _int("schema_version", f"the export's schema (this one: {SCHEMA_VERSION})"),
    ),
)

ORGANISATIONS = File(
    "organisations.csv",
    "The partner organisations: one row each",
    (
        Column("key", ColumnType.text, "the organisation's key, stable within this export"),
        Column("name", ColumnType.text, "its name (a pseudonym when pseudonymised)"),
        _code("sector", "its sector", v.SECTORS),
        _code("status", "its latest status in the partnership", v.STATUSES),
        _time("joined_at", "when it joined"),
        _time("left_at", "when it left; empty: still a partner"),
        _code(
            "self_status",
            "its status as it sees it itself (its own view, beside the conveners' record in "
            "`status`); empty: not recorded",
            v.SELF_STATUSES,
        ),
        _code(
            "self_commitment",
            "how committed it says it is (its own view); empty: not recorded",
            v.COMMITMENTS,
        ),
    ),
)

SPELLS = File(
    "membership_spells.csv",
    "Membership as spells: one continuous stretch of a person in one organisation, capacity "
    "and mandate (a change of any of them starts a new spell)",
    (
        *_person("person", "the member"),
        ORGANISATION,
        _code("capacity", "in what capacity they take part", v.CAPACITIES),
        _code("mandate", "what they may commit their organisation to; empty: none", v.MANDATES),
        Column("convener", ColumnType.boolean, "whether they convene the partnership"),
        _time("start", "when the spell started"),
        _time("end", "when it ended; empty: still going"),
    ),
)

GOALS = File(
    "goals.csv",
    "The goals, with the six dimensions of the tangled web: one row each",
    (
        _int("id", "the goal's number"),
        Column("title", ColumnType.free_text, "its title"),
        Column("description", ColumnType.free_text, "its description"),
        *(
            _code(
                name,
                f"{v.DIMENSION_QUESTIONS.get(name, name)}; empty: not labelled, or a sensitive "
                "label left out of an external export",
                v.dimension(name),
            )
            for name in DIMENSIONS
        ),
        Column(
            "owner",
            ColumnType.text,
            "whose goal: an organisation, or a person for an individual goal (internal only); "
            "empty: the collaboration's",
        ),
        _code("status", "its status", v.GOAL_STATUSES),
        _int("progress", "its own progress, 0 to 100; empty: never set (not 0)"),
        Column("review_on", ColumnType.date, "when it is to be reviewed"),
        _code("phase", "the co-production phase it concerns; empty: not said", v.PHASES),
        _time("proposed_at", "when it was proposed"),
        _time("agreed_at", "when it became agreed; empty: not agreed"),
        Column(
            "agreed",
            ColumnType.boolean,
            "agreed under the partnership's rule (an event: later stances don't revert it)",
            v.COMMON_GOALS,
            v.GOALS,
        ),
        LINK,
    ),
)

STANCES = File(
    "goal_stances.csv",
    "The agreement matrix, one row per goal and voice: the latest stance of each organisation "
    "(on an organisation's or a person's goal: its latest response, with no agreement) "
    "(or person in their own capacity) on each goal, as of the export's end",
    (
        _int("goal_id", "the goal (goals.csv id)"),
        Column(
            "voice",
            ColumnType.text,
            "whose stance: an organisation, or a person in their own capacity (“a person” in an "
            "external export)",
        ),
        ORGANISATION,
        _code(
            "stance",
            "the stance; on an organisation's or a person's goal, the response (or a stance "
            "recorded before responses existed)",
            v.STANCES,
        ),
        Column(
            "counted",
            ColumnType.boolean,
            "whether it counts under the agreement rule (core organisations; people in their own "
            "capacity only when the partnership counts them)",
        ),
        _code(
            "referral",
            "whether the stance was given subject to referral back to the organisation (its "
            "representative's mandate is to refer back): pending stances don't count until "
            "confirmed",
            v.REFERRALS,
        ),
        _time("recorded_at", "when the stance was recorded"),
        *_person("recorded_by", "who recorded it"),
        Column("comment", ColumnType.free_text, "the comment given with it (internal only)"),
    ),
)

READINGS = File(
    "goal_readings.csv",
    "How the partner organisations themselves read each goal, as of the export's end: one row "
    "per goal, dimension and reading, with how many organisations hold it (counts, never which "
    "organisation; the latest reading of each current partner counts)",
    (
        _int("goal_id", "the goal (goals.csv id)"),
        _code("dimension", "the dimension read", v.PERCEIVED_DIMENSIONS),
        _code("reading", "how it is read", v.READINGS),
        _int("organisations", "how many partner organisations read it this way"),
    ),
)

LINKS = File(
    "goal_links.csv",
    "The web of goals: one row per link",
    (
        _int("from_goal", "the linking goal (goals.csv id)"),
        _int("to_goal", "the linked goal (goals.csv id)"),
        _code("relation", "how they are linked", v.RELATIONS),
    ),
)

NOTE_FILES: dict[str, File] = {
    NoteKind.decision: File(
        "decisions.csv",
        "Decisions recorded in the log",
        _note_columns(
            NoteKind.decision,
            _int("goal_id", "the goal it concerns (goals.csv id)"),
            Column("goal_title", ColumnType.free_text, "that goal's title"),
            Column("review_on", ColumnType.date, "when the decision is to be reviewed"),
        ),
    ),
    NoteKind.action: File(
        "actions.csv",
        "Actions: commitments with an owner and a due date",
        _note_columns(
            NoteKind.action,
            *_person("owner", "who promised to do it"),
            Column(
                "owner_organisation",
                ColumnType.text,
                "the organisation the owner speaks for; empty: their own capacity",
            ),
            Column("due", ColumnType.date, "when it is due"),
            _code("state", "its state when exported", v.ACTION_STATES),
            _time("done_at", "when it was closed; empty: not closed"),
        ),
    ),
    NoteKind.note: File("notes.csv", "Notes recorded in the log", _note_columns(NoteKind.note)),
    NoteKind.small_win: File(
        "small_wins.csv",
        "Small wins recorded in the log",
        _note_columns(
            NoteKind.small_win,
            _code("phase", "the co-production phase it concerns; empty: not said", v.PHASES),
        ),
    ),
    NoteKind.risk: File("risks.csv", "Risks recorded in the log", _note_columns(NoteKind.risk)),
}

MEETINGS = File(
    "meetings.csv",
    "Meetings: one row each",
    (
        _int("id", "the meeting's number (its meeting.started log entry)"),
        Column("title", ColumnType.free_text, "its title"),
        _time("started_at", "when it started"),
        _time("ended_at", "when it ended; empty: still open"),
        *_person("started_by", "who started it"),
        _int("attendees", "how many attended"),
    ),
)

ATTENDANCE = File(
    "attendance.csv",
    "Who attended each meeting, and the organisation they spoke for: one row per attendee",
    (_int("meeting_id", "the meeting (meetings.csv id)"), *_person("person", "who"), ORGANISATION),
)

TRUST_ROUNDS = File(
    "trust_rounds.csv",
    "Trust check-in rounds, whole rounds only (never by organisation): one row per closed round",
    (
        _int("round_id", "the round's number"),
        _time("opened_at", "when it opened"),
        _time("closed_at", "when it closed"),
        _int("organisations_answered", "how many organisations answered"),
        Column(
            "shown",
            ColumnType.boolean,
            "whether enough organisations (k) answered for the figures to be shown; false: the "
            "figures are withheld and empty",
        ),
        *(_item_column(item) for item in ITEMS),
        _item_column(OWN_ITEM, own=True),
        Column(
            "small_wins",
            ColumnType.integer,
            "how many answered yes to “did we achieve something together since the last "
            "check-in?”; empty when withheld",
            v.SMALL_WINS,
            v.TRUST,
        ),
        Column(
            "density",
            ColumnType.number,
            "pairwise rounds: the network's density, ties (ratings of 3 or 4) over n(n−1)",
            "trust between organisations",
            v.NETWORK,
        ),
        Column(
            "reciprocity",
            ColumnType.number,
            "pairwise rounds: the share of ties returned",
            "trust between organisations",
            v.NETWORK,
        ),
    ),
)

REFLECTIONS = File(
    "reflections.csv",
    "Reflective prompts posted: one row each",
    (
        _int("post_id", "the prompt's post"),
        _code("theme", "the prompt's theme", v.THEMES_VALUES),
        Column("prompt", ColumnType.free_text, "the question asked"),
        _time("posted_at", "when it was posted"),
        _int("answer_count", "how many answered (current answers, of every visibility)"),
        _code("visibility", "who sees its answers", v.VISIBILITIES),
        Column(
            "answers_withheld",
            ColumnType.boolean,
            "anonymous answers withheld because fewer than k organisations had answered by the "
            "end of the period (people in their own capacity count together as one)",
        ),
        LINK,
    ),
)

ANSWERS = File(
    "reflection_answers.csv",
    "Answers to reflective prompts (internal exports only, when there are any): one row each. "
    "Private answers are never here; anonymous ones only when at least k organisations "
    "answered, without author, organisation or time",
    (
        _int("post_id", "the prompt's post (reflections.csv post_id)"),
        *_person("author", "who answered; empty for an anonymous answer"),
        Column(
            "organisation",
            ColumnType.text,
            "the organisation (organisations.csv name); empty: in their own capacity, or anonymous",
        ),
        Column("text", ColumnType.free_text, "the answer"),
        _time("at", "when it was answered; empty for an anonymous answer"),
    ),
)

LOG = File(
    "log.csv",
    "The partnership log: every entry of the period, oldest first",
    (
        ID,
        AT,
        Column(
            "kind",
            ColumnType.text,
            "the kind of entry, its feature first: member.joined, goal.agreed, note.decision, "
            "meeting.started, trust.round_closed …",
        ),
        *_person("actor", "who did it"),
        Column("summary", ColumnType.free_text, "the entry in one sentence"),
        Column("payload", ColumnType.json, "the entry's stored details"),
        LINK,
    ),
)

CODEBOOK = File(
    "codebook.csv",
    "This codebook: every file, every column and every vocabulary value in the export",
    (
        Column("file", ColumnType.text, "the file described; *: the export as a whole"),
        Column("column", ColumnType.text, "the column described; empty: the file itself"),
        Column("value", ColumnType.text, "the value described; empty: the column itself"),
        _code(
            "type",
            "the column's type; file for a file, value for a value",
            v.vocabulary(ROW_TYPES, ROW_TYPES, "", v.PARTNERBOT),
        ),
        Column("description", ColumnType.text, "what the file, column or value holds or means"),
        Column("concept", ColumnType.text, "the concept behind it"),
        Column("source", ColumnType.text, "where the concept comes from"),
    ),
)

FILES: tuple[File, ...] = (
    HEADER,
    ORGANISATIONS,
    SPELLS,
    GOALS,
    STANCES,
    READINGS,
    LINKS,
    *NOTE_FILES.values(),
    MEETINGS,
    ATTENDANCE,
    TRUST_ROUNDS,
    REFLECTIONS,
    ANSWERS,
    LOG,
    CODEBOOK,
)
