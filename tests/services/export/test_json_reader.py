"""The piecewise JSON reader `partnerbot import` uses: the same values as `json.loads`, however
the text falls into chunks, and a clear error where the text stops being JSON."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from bot.services.export import json_reader
from bot.services.export.json_reader import BrokenJson, JsonReader

DOCUMENT = {
    "format": "partnerbot-export",
    "n": 12345678901234567890,
    "float": -1.5e-3,
    "flags": [True, False, None],
    "text": '“quoted” \\ " \n \u2028 \ud83d\ude00 <@123>',
    "records": {"event": [{"id": 1, "payload": {"a": [1, 2, {"b": []}]}}, {"id": 22}], "x": []},
    "empty": {},
}


def read_all(reader: JsonReader) -> Any:
    """The whole value, rebuilt through keys() and items() (never value() on a container)."""
    nxt = reader.peek()
    if nxt == "{":
        return {key: read_all(reader) for key in reader.keys()}
    if nxt == "[":
        return [item for item in reader.items()]
    return reader.value()


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64])
@pytest.mark.parametrize("indent", [None, 2])
def test_any_chunking_reads_the_same_values(monkeypatch, chunk, indent):
    monkeypatch.setattr(json_reader, "CHUNK", chunk)
    text = json.dumps(DOCUMENT, indent=indent, ensure_ascii=False)
    reader = JsonReader(io.StringIO(text))
    assert read_all(reader) == DOCUMENT
    reader.end()


def test_skipping_passes_over_a_value_whole(monkeypatch):
    monkeypatch.setattr(json_reader, "CHUNK", 4)
    reader = JsonReader(io.StringIO(json.dumps(DOCUMENT)))
    seen = []
    for key in reader.keys():
        seen.append(key)
        if key == "empty":
            assert reader.value() == {}
        else:
            reader.skip()
    assert seen == list(DOCUMENT)
    reader.end()


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('{"a": [1, 2', "expected ',' or ']'"),
        ('{"a" 1}', "expected ':'"),
        ('{"a": 1} tail', "text after the end"),
        ('{"a": tru}', "not JSON"),
        ("", "not JSON"),
        ('{"a": "open', "not JSON"),
    ],
)
def test_broken_text_says_where(text, error):
    reader = JsonReader(io.StringIO(text))
    with pytest.raises(BrokenJson, match=error) as caught:
        read_all(reader)
        reader.end()
    assert "at character" in str(caught.value)
