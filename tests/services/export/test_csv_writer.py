"""The CSV zip and its codebook, written from the hand-built sample document."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import tracemalloc
import zipfile
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.services.export import codebook, codebook_format
from bot.services.export import vocabularies as v
from bot.services.export.codebook_format import NOT_IN_VOCABULARY
from bot.services.export.document import SCHEMA_VERSION, Audience, Document, Format, LogRow
from bot.services.export.writers import SUFFIX, WRITERS, csv_zip
from bot.services.export.writers.csv_zip import cell, neutralise, write
from bot.services.goals.vocab import DIMENSIONS, PERCEIVED, GoalStatus, Relation, Stance
from bot.services.notes.service import DONE, OPEN, OVERDUE
from bot.services.notes.vocab import NoteKind
from bot.services.trust.vocab import ITEMS, OWN_ITEM
from bot.services.vocab import (
    RELATIONSHIP_HELP,
    AgreementRule,
    Capacity,
    Commitment,
    Mandate,
    PartnerStatus,
    Relationship,
    Sector,
)
from tests.export_sample import (
    ADA,
    BEA,
    CY,
    FORMULA_ATTACK,
    HTML_ATTACK,
    MARKDOWN_ATTACK,
    MENTION_ATTACK,
    sample,
)

NOTE_FILES = ["decisions.csv", "actions.csv", "notes.csv", "small_wins.csv", "risks.csv"]
EVERY_FILE = {
    "header.csv",
    "organisations.csv",
    "membership_spells.csv",
    "goals.csv",
    "goal_stances.csv",
    "goal_readings.csv",
    "goal_links.csv",
    *NOTE_FILES,
    "meetings.csv",
    "attendance.csv",
    "trust_rounds.csv",
    "reflections.csv",
    "reflection_answers.csv",
    "log.csv",
    "codebook.csv",
}


async def zipped(document: Document) -> zipfile.ZipFile:
    out = io.BytesIO()
    await write(document, out)
    archive = zipfile.ZipFile(out)
    assert archive.testzip() is None
    return archive


def read(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    with archive.open(name) as raw:
        return list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline="")))


def table(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    with archive.open(name) as raw:
        return list(csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline="")))


def everything(archive: zipfile.ZipFile) -> str:
    return "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist())


def described(archive: zipfile.ZipFile) -> tuple[set[tuple[str, str]], dict[tuple[str, str], set]]:
    """The codebook's columns (file, column) and its values by (file, column)."""
    columns: set[tuple[str, str]] = set()
    values: dict[tuple[str, str], set[str]] = {}
    for row in read(archive, "codebook.csv"):
        key = (row["file"], row["column"])
        if row["value"]:
            values.setdefault(key, set()).add(row["value"])
        elif row["column"]:
            assert row["type"] in set(codebook.ColumnType), row
            assert row["description"], row
            columns.add(key)
    return columns, values


def codes(archive: zipfile.ZipFile) -> set[tuple[str, str]]:
    return {(r["file"], r["column"]) for r in read(archive, "codebook.csv") if r["type"] == "code"}


# ---- the files


async def test_every_file_is_there_with_its_rows() -> None:
    archive = await zipped(sample(Audience.internal))

    assert set(archive.namelist()) == EVERY_FILE
    assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in archive.infolist())
    counts = {name: len(read(archive, name)) for name in EVERY_FILE - {"codebook.csv"}}
    assert counts == {
        "header.csv": 1,
        "organisations.csv": 3,
        "membership_spells.csv": 3,
        "goals.csv": 2,
        "goal_stances.csv": 2,
        "goal_readings.csv": 3,
        "goal_links.csv": 1,
        "decisions.csv": 1,
        "actions.csv": 1,
        "notes.csv": 0,
        "small_wins.csv": 1,
        "risks.csv": 1,
        "meetings.csv": 1,
        "attendance.csv": 2,
        "trust_rounds.csv": 2,
        "reflections.csv": 1,
        "reflection_answers.csv": 2,
        "log.csv": 2,
    }
    # Every row has as many cells as its header.
    for name in EVERY_FILE:
        rows = table(archive, name)
        assert {len(row) for row in rows} == {len(rows[0])}, name


async def test_header_is_a_file_of_its_own() -> None:
    (header,) = read(await zipped(sample(Audience.internal, withheld=4)), "header.csv")

    assert header["partnership"] == f"Family Hubs {HTML_ATTACK}"
    assert header["audience"] == "internal"
    assert header["k"] == "3"
    assert header["withheld"] == "4"
    assert header["since"] == "2026-03-01"
    assert header["until"] == "2026-03-31"
    assert header["period"] == "2026-03-01 to 2026-03-31"
    assert header["generated_at"] == "2026-03-20T09:00:00+00:00"
    assert header["exported_by"] == "Ada"
    assert header["exported_by_user_id"] == "2"
    assert header["pseudonymised"] == "false"
    assert header["schema_version"] == str(SCHEMA_VERSION)
    assert header["agreement_rule"] == "consensus"


async def test_records_as_written() -> None:
    archive = await zipped(sample(Audience.internal))

    ada, bea, cy = read(archive, "membership_spells.csv")
    assert ada == {
        "person": "Ada",
        "person_user_id": "2",
        "organisation": "Riverside Council",
        "capacity": "representative",
        "mandate": "can_commit",
        "convener": "true",
        "start": "2026-03-01T09:00:00+00:00",
        "end": "",
    }
    assert (bea["person"], bea["mandate"]) == (BEA.name, "must_refer_back")
    assert (cy["mandate"], cy["end"]) == ("", "2026-03-15T09:00:00+00:00")

    first, second = read(archive, "goals.csv")
    assert (first["level"], first["origin"], first["authenticity"], first["content"]) == (
        "collaboration",
        "members",
        "pseudo",
        "substantive",
    )
    assert (first["progress"], first["review_on"], first["agreed"]) == ("40", "2026-06-01", "true")
    assert (second["progress"], second["agreed_at"], second["owner"]) == (
        "",
        "",
        "Riverside Council",
    )
    # One column per dimension of the tangled web.
    assert set(DIMENSIONS) <= set(first)

    (action,) = read(archive, "actions.csv")
    assert action["owner"] == BEA.name
    assert action["owner_user_id"] == "10"
    assert (action["due"], action["state"], action["meeting_id"]) == ("2026-03-20", "overdue", "40")
    (decision,) = read(archive, "decisions.csv")
    assert (decision["goal_id"], decision["review_on"]) == ("1", "2026-05-01")
    assert [r["kind"] for r in read(archive, "small_wins.csv")] == ["small_win"]

    stances = read(archive, "goal_stances.csv")
    assert [(s["goal_id"], s["stance"], s["counted"]) for s in stances] == [
        ("1", "endorse", "true"),
        ("1", "reservations", "true"),
    ]
    assert read(archive, "goal_links.csv") == [
        {"from_goal": "2", "to_goal": "1", "relation": "contributes"}
    ]
    assert [(a["person"], a["organisation"]) for a in read(archive, "attendance.csv")] == [
        ("Ada", "Riverside Council"),
        (BEA.name, f"Food Bank {HTML_ATTACK}"),
    ]
    (meeting,) = read(archive, "meetings.csv")
    assert (meeting["attendees"], meeting["ended_at"]) == ("2", "2026-03-10T19:00:00+00:00")
    log = read(archive, "log.csv")
    assert [row["kind"] for row in log] == ["partnership.created", "note.decision"]
    assert log[1]["link"] == "https://discord.com/channels/1/2/3"
    assert log[1]["payload"].startswith('{"text":"We agree')


async def test_trust_rounds_whole_rounds_and_withheld_ones_empty() -> None:
    archive = await zipped(sample(Audience.internal))

    shown, withheld = read(archive, "trust_rounds.csv")
    assert shown["shown"] == "true"
    assert (shown["mean_expectations"], shown["mean_follow_through"]) == ("3.7", "4.0")
    assert (shown["small_wins"], shown["density"], shown["reciprocity"]) == ("2", "0.5", "0.66")
    figures = [key for key in withheld if key.startswith("mean_")] + ["small_wins"]
    assert withheld["shown"] == "false"
    assert withheld["organisations_answered"] == "2"
    assert {withheld[key] for key in figures} == {""}
    # Nothing by organisation, ever.
    assert "organisation" not in shown and "organisation_key" not in shown

    # A withheld round's figures stay empty even when the document carries some.
    document = sample(Audience.internal)
    leaky = dataclasses.replace(
        document.trust[1], means={"expectations": 1.0, "fair_say": 2.0}, small_wins=1
    )
    document.trust = [document.trust[0], leaky]
    _, withheld = read(await zipped(document), "trust_rounds.csv")
    assert {withheld[key] for key in figures} == {""}


async def test_times_are_utc_and_dates_iso() -> None:
    document = sample(Audience.internal)
    summer = datetime(2026, 7, 1, 10, 30, tzinfo=ZoneInfo("Europe/London"))
    document.header = dataclasses.replace(document.header, generated_at=summer)

    (header,) = read(await zipped(document), "header.csv")
    assert header["generated_at"] == "2026-07-01T09:30:00+00:00"
    assert cell(datetime(2026, 7, 1, 9, 30)) == "2026-07-01T09:30:00+00:00"


async def test_reflection_answers_only_when_there_are_some() -> None:
    internal = await zipped(sample(Audience.internal))
    answers = read(internal, "reflection_answers.csv")
    assert [a["author"] for a in answers] == [BEA.name, "Cy"]
    assert answers[1]["text"] == "removed at the author's request"

    quiet = sample(Audience.internal)
    quiet.reflections = [dataclasses.replace(r, answers=[]) for r in quiet.reflections]
    archive = await zipped(quiet)
    assert "reflection_answers.csv" not in archive.namelist()
    assert "reflection_answers.csv" not in {r["file"] for r in read(archive, "codebook.csv")}
    assert "reflection_answers.csv" not in (await zipped(sample(Audience.external))).namelist()


def test_the_registry_names_this_writer() -> None:
    assert WRITERS[Format.csv] is write
    assert SUFFIX[Format.csv] == "zip"


# ---- audiences


async def test_external_names_no_person_anywhere() -> None:
    archive = await zipped(sample(Audience.external))

    assert set(archive.namelist()) == EVERY_FILE - {"reflection_answers.csv"}
    for file in codebook.FILES:
        if file.name in archive.namelist():
            people = {c.name for c in file.columns if c.type in ("person", "discord_id")}
            assert not set(table(archive, file.name)[0]) & people, file.name
    text = everything(archive)
    for person in (ADA, BEA, CY):
        assert not re.search(rf"\b{re.escape(person.name)}\b", text), person.name
    # Organisations stay, and what the external audience sees of an action's owner.
    (action,) = read(archive, "actions.csv")
    assert action["owner_organisation"] == f"Food Bank {HTML_ATTACK}"
    assert [a["organisation"] for a in read(archive, "attendance.csv")] == [
        "Riverside Council",
        f"Food Bank {HTML_ATTACK}",
    ]
    about = [r["description"] for r in read(archive, "codebook.csv") if r["file"] == "*"]
    assert any("no person is named" in sentence for sentence in about)


async def test_internal_has_person_columns() -> None:
    archive = await zipped(sample(Audience.internal))
    assert {"author", "author_user_id"} <= set(table(archive, "decisions.csv")[0])
    assert {"actor", "actor_user_id"} <= set(table(archive, "log.csv")[0])


# ---- hostile text


def test_neutralise() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert neutralise(f"{start}1+1") == f"'{start}1+1"
    assert neutralise(FORMULA_ATTACK) == f"'{FORMULA_ATTACK}"
    assert neutralise("-1.5") == "'-1.5"  # typed by someone: text
    for safe in ("", "plain", "a=b", " =1", "'quoted", "1-2"):
        assert neutralise(safe) == safe
    # Numbers written by the export are numbers.
    assert cell(-1.5) == "-1.5"
    assert cell(-3) == "-3"
    assert cell(True) == "true"
    assert cell("@here") == "'@here"
    assert cell(None) == ""


async def test_formulas_are_neutralised_in_every_kind_of_text_cell() -> None:
    document = sample(Audience.internal)
    goal = document.goals[0]
    document.goals = [
        dataclasses.replace(goal, title=FORMULA_ATTACK, owner="+44 20 7946 0000"),
        *document.goals[1:],
    ]
    document.organisations = [
        dataclasses.replace(document.organisations[0], name="@SUM(A1:A9)"),
        *document.organisations[1:],
    ]
    document.trust = [dataclasses.replace(document.trust[0], density=-1.5), *document.trust[1:]]
    document.header = dataclasses.replace(document.header, purpose="\t=1+1", timezone="\r=1")

    archive = await zipped(document)
    (goal_row, _) = read(archive, "goals.csv")
    assert goal_row["title"] == f"'{FORMULA_ATTACK}"
    assert goal_row["owner"] == "'+44 20 7946 0000"
    assert read(archive, "organisations.csv")[0]["name"] == "'@SUM(A1:A9)"
    (header,) = read(archive, "header.csv")
    assert (header["purpose"], header["timezone"]) == ("'\t=1+1", "'\r=1")
    assert read(archive, "trust_rounds.csv")[0]["density"] == "-1.5"
    # No cell of any file begins a formula.
    for name in archive.namelist():
        for row in table(archive, name)[1:]:
            assert not any(value.startswith(("=", "+", "@", "\t", "\r")) for value in row), row
            assert all(not value.startswith("-") or _number(value) for value in row), row


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


async def test_hostile_text_survives_as_text() -> None:
    document = sample(Audience.internal)
    tricky = 'a, "quoted"\nsecond line; third\r\nfourth'
    document.goals = [
        dataclasses.replace(document.goals[0], description=tricky),
        *document.goals[1:],
    ]
    archive = await zipped(document)

    assert read(archive, "goals.csv")[0]["description"] == tricky
    (action,) = read(archive, "actions.csv")
    assert action["text"] == f"Draft the leaflet {HTML_ATTACK} {FORMULA_ATTACK}"
    (decision,) = read(archive, "decisions.csv")
    assert decision["text"] == f"We agree {MARKDOWN_ATTACK} {MENTION_ATTACK}"
    stances = read(archive, "goal_stances.csv")
    assert stances[1]["comment"] == f"{HTML_ATTACK} {MENTION_ATTACK}"
    assert read(archive, "reflection_answers.csv")[0]["text"] == f"{HTML_ATTACK} {FORMULA_ATTACK}"
    assert read(archive, "organisations.csv")[1]["name"] == f"Food Bank {HTML_ATTACK}"


# ---- the codebook


@pytest.mark.parametrize("audience", list(Audience))
@pytest.mark.parametrize("pseudonymised", [False, True])
async def test_codebook_covers_every_column_and_every_value_used(
    audience: Audience, pseudonymised: bool
) -> None:
    document = sample(audience)
    document.header = dataclasses.replace(
        document.header, pseudonymised=pseudonymised, keep_text=not pseudonymised
    )
    archive = await zipped(document)
    columns, values = described(archive)
    vocabulary_columns = codes(archive)

    for name in archive.namelist():
        header = table(archive, name)[0]
        missing = {(name, column) for column in header} - columns
        assert not missing, missing
        for row in read(archive, name):
            for column, value in row.items():
                if (name, column) in vocabulary_columns and value:
                    assert value in values[(name, column)], (name, column, value)
    # Nothing described that the zip doesn't hold.
    held = {(n, c) for n in archive.namelist() for c in table(archive, n)[0]}
    assert columns == held


@pytest.mark.parametrize("audience", list(Audience))
@pytest.mark.parametrize("pseudonymised", [False, True])
async def test_the_codebook_of_the_files_is_made_once_for_each_kind_of_export(
    monkeypatch: pytest.MonkeyPatch, audience: Audience, pseudonymised: bool
) -> None:
    """The codebook's rows for the files are the same for every export that shows the same
    columns of the same files and finds no value outside a vocabulary: made once, then written
    as they were, byte for byte. An export that finds such a value has them made afresh."""

    def document(*, unlisted: bool) -> Document:
        made = sample(audience)
        made.header = dataclasses.replace(
            made.header, pseudonymised=pseudonymised, keep_text=not pseudonymised
        )
        if not unlisted:  # the sample's sections that hold values its vocabularies don't list
            made.organisations, made.goals, made.links = [], [], []
        return made

    async def written(document: Document) -> bytes:
        out = io.BytesIO()
        await write(document, out)
        return out.getvalue()

    monkeypatch.setattr(csv_zip, "_DESCRIBED", {})
    first = await written(document(unlisted=False))
    assert len(csv_zip._DESCRIBED) == 1
    made_afresh = codebook_format.described

    def not_again(*args: Any) -> Any:
        raise AssertionError("the files' codebook rows were made again")

    monkeypatch.setattr(codebook_format, "described", not_again)
    assert await written(document(unlisted=False)) == first
    monkeypatch.setattr(codebook_format, "described", made_afresh)

    archive = zipfile.ZipFile(io.BytesIO(await written(document(unlisted=True))))
    unlisted = {
        (row["file"], row["column"], row["value"])
        for row in read(archive, "codebook.csv")
        if row["description"] == NOT_IN_VOCABULARY
    }
    assert ("organisations.csv", "sector", "community") in unlisted
    assert len(csv_zip._DESCRIBED) == 1


async def test_codebook_lists_every_value_of_the_code_vocabularies() -> None:
    _, values = described(await zipped(sample(Audience.internal)))

    def listed(file: str, column: str) -> set[str]:
        return values[(file, column)]

    assert set(Sector) <= listed("organisations.csv", "sector")
    assert set(PartnerStatus) <= listed("organisations.csv", "status")
    assert set(Capacity) == listed("membership_spells.csv", "capacity")
    assert set(Mandate) == listed("membership_spells.csv", "mandate")
    for name, enum in DIMENSIONS.items():
        assert set(enum) <= listed("goals.csv", name), name
    assert set(GoalStatus) <= listed("goals.csv", "status")
    assert set(Stance) <= listed("goal_stances.csv", "stance")
    assert set(PERCEIVED) == listed("goal_readings.csv", "dimension")
    for name, enum in PERCEIVED.items():
        assert set(enum) <= listed("goal_readings.csv", "reading"), name
    assert set(PartnerStatus) - {PartnerStatus.former} == listed("organisations.csv", "self_status")
    assert set(Commitment) == listed("organisations.csv", "self_commitment")
    assert set(Relation) <= listed("goal_links.csv", "relation")
    assert set(AgreementRule) == listed("header.csv", "agreement_rule")
    assert set(Relationship) == listed("header.csv", "relationship")
    assert set(Audience) == listed("header.csv", "audience")
    assert {OPEN, OVERDUE, DONE} == listed("actions.csv", "state")
    for file in NOTE_FILES:
        assert set(NoteKind) == listed(file, "kind")
    assert {"power", "trust", "coproduction", "small_wins"} <= listed("reflections.csv", "theme")


async def test_goal_readings_are_counts_per_goal_and_reading() -> None:
    for audience in Audience:
        rows = read(await zipped(sample(audience)), "goal_readings.csv")
        assert [(r["goal_id"], r["dimension"], r["reading"], r["organisations"]) for r in rows] == [
            ("1", "origin", "external", "2"),
            ("1", "origin", "members", "1"),
            ("1", "relevance", "needs_collaboration", "1"),
        ]
        # Counts, never which organisation.
        assert set(rows[0]) == {"goal_id", "dimension", "reading", "organisations"}
    organisations = read(await zipped(sample(Audience.internal)), "organisations.csv")
    food_bank = [o for o in organisations if o["name"].startswith("Food Bank")]
    assert [(o["status"], o["self_status"], o["self_commitment"]) for o in food_bank] == [
        ("core", "associate", "medium")
    ]


async def test_codebook_gives_concepts_and_sources() -> None:
    rows = read(await zipped(sample(Audience.internal)), "codebook.csv")

    def one(file: str, column: str, value: str = "") -> dict[str, str]:
        (row,) = [r for r in rows if (r["file"], r["column"], r["value"]) == (file, column, value)]
        return row

    hidden = one("goals.csv", "overtness", "hidden")
    assert "tangled web" in hidden["concept"] and "Vangen & Huxham (2012)" in hidden["source"]
    assert one("goals.csv", "origin", "external")["description"].startswith("an external")
    # The trust-building loop: each check-in item's column names its arc.
    for item in (*ITEMS, OWN_ITEM):
        column = one("trust_rounds.csv", f"mean_{item.key}")
        assert item.arc in column["concept"]
        assert item.statement in column["description"]
        assert "Vangen & Huxham (2003)" in column["source"]
    capacity = one("membership_spells.csv", "capacity", "substitute")
    assert "Huxham & Vangen (2000)" in capacity["source"]
    assert "Huxham & Vangen (2000)" in one("membership_spells.csv", "mandate")["source"]
    enabler = one("header.csv", "relationship", "enabler")
    assert enabler["description"] == RELATIONSHIP_HELP[Relationship.enabler]
    assert "Sancino & Jacklin-Jarvis (2016)" in enabler["source"]
    assert "Vangen & Huxham (2003)" in one("actions.csv", "state", "overdue")["source"]
    # A value the vocabulary doesn't know is still described, as such.
    assert one("goal_stances.csv", "stance", "endorse")["description"] == (NOT_IN_VOCABULARY)
    # The codebook describes itself.
    assert one("codebook.csv", "type", "free_text")["description"]


def test_every_vocabulary_value_has_words_of_its_own() -> None:
    """A value added to a vocabulary needs its meaning written, here or beside it."""
    for enum, meanings in (
        (Sector, v.SECTOR_MEANINGS),
        (PartnerStatus, v.STATUS_MEANINGS),
        (Capacity, v.CAPACITY_MEANINGS),
        (Mandate, v.MANDATE_MEANINGS),
        (AgreementRule, v.AGREEMENT_MEANINGS),
        (Relationship, RELATIONSHIP_HELP),
        (Audience, v.AUDIENCE_MEANINGS),
        (GoalStatus, v.GOAL_STATUS_MEANINGS),
        (NoteKind, v.NOTE_MEANINGS),
        (codebook.ColumnType, v.TYPE_MEANINGS),
    ):
        assert set(enum) <= set(meanings), enum
    for name, enum in DIMENSIONS.items():
        assert set(enum) <= set(v.GOAL_MEANINGS), name
        assert name in v.DIMENSION_QUESTIONS
    assert {OPEN, OVERDUE, DONE} == set(v.ACTION_STATE_MEANINGS)


def test_declared_columns_are_unique_per_file() -> None:
    names = [file.name for file in codebook.FILES]
    assert len(names) == len(set(names)) and set(names) == EVERY_FILE
    for file in codebook.FILES:
        columns = [c.name for c in file.columns]
        assert len(columns) == len(set(columns)), file.name


# ---- research


async def test_pseudonymised_drops_ids_links_and_free_text() -> None:
    document = sample(Audience.internal)
    document.header = dataclasses.replace(document.header, pseudonymised=True, keep_text=False)
    archive = await zipped(document)

    assert "codebook.csv" in archive.namelist()
    for name in archive.namelist():
        header = table(archive, name)[0]
        assert not [c for c in header if c.endswith("user_id") or c in ("link", "payload")], name
    text = everything(archive)
    assert "discord.com" not in text
    for typed in (MARKDOWN_ATTACK, MENTION_ATTACK, FORMULA_ATTACK, "First shared referral"):
        assert typed not in text
    (action,) = read(archive, "actions.csv")
    assert action["text"] == "" and action["due"] == "2026-03-20" and action["owner"] == BEA.name
    assert {s["comment"] for s in read(archive, "goal_stances.csv")} == {""}
    assert {row["summary"] for row in read(archive, "log.csv")} == {""}
    # Sectors stay; the codebook says what was done.
    assert [o["sector"] for o in read(archive, "organisations.csv")][:2] == ["public", "voluntary"]
    about = " ".join(r["description"] for r in read(archive, "codebook.csv") if r["file"] == "*")
    assert "Pseudonymised" in about and "free text is left empty" in about
    (header,) = read(archive, "header.csv")
    assert (header["pseudonymised"], header["keep_text"]) == ("true", "false")


async def test_pseudonymised_keeps_text_when_asked() -> None:
    document = sample(Audience.internal)
    document.header = dataclasses.replace(document.header, pseudonymised=True, keep_text=True)
    archive = await zipped(document)

    (action,) = read(archive, "actions.csv")
    assert action["text"] == f"Draft the leaflet {HTML_ATTACK} {FORMULA_ATTACK}"
    assert "link" not in action and "owner_user_id" not in action


# ---- size


async def test_the_log_streams_into_the_zip(tmp_path: Path) -> None:
    """A log of 100k entries is written row by row: memory stays far below holding it."""
    rows = 100_000
    document = sample(Audience.internal)

    async def long_log() -> AsyncIterator[LogRow]:
        for number in range(rows):
            yield LogRow(
                number,
                datetime(2026, 3, 1, 9, tzinfo=ZoneInfo("UTC")),
                "member.joined",
                ADA,
                f"Ada joined as representative for Riverside Council (entry {number}).",
                {"user_id": 2, "capacity": "representative", "entry": number},
                f"https://discord.com/channels/1/2/{number}",
            )

    document.log = long_log
    path = tmp_path / "export.zip"
    tracemalloc.start()
    try:
        with path.open("wb") as out:
            await write(document, out)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    with zipfile.ZipFile(path) as archive:
        size = archive.getinfo("log.csv").file_size
        with archive.open("log.csv") as raw:
            lines = sum(1 for _ in io.TextIOWrapper(raw, encoding="utf-8", newline=""))
    assert lines == rows + 1
    assert size > 15_000_000  # what holding the log's text alone would take
    assert peak < 3_000_000, peak
