"""The JSON writer on the hand-built sample document: valid JSON, text exact (hostile text
unchanged), the schema version and header, the streams written, the same bytes every time."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.services.export.document import SCHEMA_VERSION, Audience, Document, Format
from bot.services.export.writers import SUFFIX, WRITERS, json_doc
from tests.export_sample import (
    FORMULA_ATTACK,
    HTML_ATTACK,
    MARKDOWN_ATTACK,
    MENTION_ATTACK,
    sample,
)


async def written(document: Document) -> bytes:
    out = io.BytesIO()
    await json_doc.write(document, out)
    return out.getvalue()


async def parsed(document: Document) -> dict[str, Any]:
    return json.loads(await written(document))


def test_the_registry_names_this_writer():
    assert WRITERS[Format.json] is json_doc.write and SUFFIX[Format.json] == "json"


async def test_one_document_opening_with_format_version_and_header():
    data = await parsed(sample())
    assert list(data)[:4] == ["format", "schema_version", "importable", "header"]
    assert data["format"] == "partnerbot-export"
    assert data["schema_version"] == SCHEMA_VERSION == 2
    assert data["importable"] is False and data["records"] is None  # no records in the sample
    header = data["header"]
    assert header["partnership"] == f"Family Hubs {HTML_ATTACK}"
    assert header["audience"] == "internal" and header["k"] == 3 and header["withheld"] == 1
    assert header["since"] == "2026-03-01" and header["until"] == "2026-03-31"
    assert header["generated_at"] == "2026-03-20T09:00:00+00:00"
    assert header["exported_by"] == {"name": "Ada", "user_id": 2}
    assert header["schema_version"] == SCHEMA_VERSION


async def test_every_part_and_both_streams_are_written():
    data = await parsed(sample())
    assert [o["name"] for o in data["organisations"]] == [
        "Riverside Council",
        f"Food Bank {HTML_ATTACK}",
        "Parents' Forum",
    ]
    assert data["organisations"][2]["left_at"] == "2026-03-15T09:00:00+00:00"
    assert len(data["membership_spells"]) == 3
    goal = data["goals"][0]
    assert goal["review_on"] == "2026-06-01" and goal["progress"] == 40
    assert [cell["stance"] for cell in goal["matrix"]] == ["endorse", "reservations"]
    assert data["goal_links"] == [{"from_goal": 2, "relation": "contributes", "to_goal": 1}]
    assert data["meetings"][0]["attendance"][1]["person"] == {
        "name": f"Bea {HTML_ATTACK}",
        "user_id": 10,
    }
    assert data["trust_rounds"][0]["means"]["listened"] is None
    assert data["trust_rounds"][1] == {
        "closed_at": "2026-03-17T09:00:00+00:00",
        "density": None,
        "listened": None,
        "means": {},
        "opened_at": "2026-03-16T09:00:00+00:00",
        "organisations_answered": 2,
        "reciprocity": None,
        "round_id": 31,
        "shown": False,
        "small_wins": None,
    }
    assert len(data["reflections"][0]["answers"]) == 2
    # The streams: every note (all kinds) and the whole log.
    assert [n["id"] for n in data["notes"]] == [41, 42, 43, 44]
    assert [n["kind"] for n in data["notes"]] == ["decision", "action", "small_win", "risk"]
    assert data["notes"][1]["due"] == "2026-03-20" and data["notes"][1]["state"] == "overdue"
    assert [row["id"] for row in data["log"]] == [1, 41]
    assert data["log"][1]["link"] == "https://discord.com/channels/1/2/3"


async def test_text_is_kept_exactly_hostile_or_not():
    raw = await written(sample())
    data = json.loads(raw)
    note, action = data["notes"][0], data["notes"][1]
    assert note["text"] == f"We agree {MARKDOWN_ATTACK} {MENTION_ATTACK}"
    assert action["text"] == f"Draft the leaflet {HTML_ATTACK} {FORMULA_ATTACK}"
    assert data["reflections"][0]["answers"][0]["text"] == f"{HTML_ATTACK} {FORMULA_ATTACK}"
    # Redacted text is its marker, as given.
    assert data["notes"][3]["text"] == "removed at the author's request"
    assert data["log"][1]["summary"].startswith("Ada recorded a decision: “We agree **bold**")
    # Nothing escaped beyond JSON's own: no HTML entities, no \u escapes for non-ASCII.
    assert HTML_ATTACK.replace('"', '\\"').encode() in raw
    assert b"&lt;" not in raw and b"\\u201c" not in raw
    assert "“We agree".encode() in raw


async def test_the_same_document_is_the_same_bytes_with_sorted_keys():
    first, second = await written(sample()), await written(sample())
    assert first == second
    data = json.loads(first)
    for item in (data["header"], data["goals"][0], data["notes"][1], data["log"][0]):
        assert list(item) == sorted(item)
    # One item per line.
    lines = first.decode().splitlines()
    assert sum(line.startswith('{"at":') for line in lines) >= 2


async def test_the_external_audience_is_written_as_given_and_not_importable():
    data = await parsed(sample(Audience.external))
    assert data["header"]["audience"] == "external" and data["header"]["exported_by"] is None
    assert data["importable"] is False
    assert data["reflections"][0]["answers"] == []
    assert all(spell["person"] is None for spell in data["membership_spells"])


async def test_records_are_written_table_by_table_in_their_order():
    document = sample()

    async def records() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
        yield "partnership", [{"id": 7, "name": f"Family Hubs {HTML_ATTACK}"}]
        yield "event", [{"id": 1, "summary": MENTION_ATTACK}]  # a table in two batches
        yield "event", [{"id": 2, "summary": "\u2028line\x00end \ud800"}]

    document.records = records
    raw = await written(document)
    data = json.loads(raw)
    assert data["importable"] is True
    assert list(data["records"]) == ["partnership", "event"]
    assert data["records"]["event"][0]["summary"] == MENTION_ATTACK
    # Control characters escaped as JSON escapes them; a lone surrogate as its escape.
    assert data["records"]["event"][1]["summary"] == "\u2028line\x00end \ud800"
    assert raw.decode("utf-8")  # valid UTF-8 throughout
    assert b'"event": [\n{"id":1,' in raw and b'},\n{"id":2,' in raw  # one row a line

    async def scattered() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
        yield "event", [{"id": 1}]
        yield "partnership", [{"id": 7}]
        yield "event", [{"id": 2}]

    document.records = scattered
    with pytest.raises(ValueError, match="must come together"):
        await written(document)


async def test_empty_streams_and_parts_are_empty_arrays():
    document = sample()

    async def nothing(kind: str | None = None) -> AsyncIterator[Any]:
        for item in ():
            yield item

    async def no_records() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
        for item in ():
            yield item

    document.notes = nothing
    document.log = nothing
    document.goals = []
    document.records = no_records
    data = await parsed(document)
    assert data["notes"] == [] and data["log"] == [] and data["goals"] == []
    assert data["records"] == {} and data["importable"] is True
