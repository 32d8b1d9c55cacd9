"""JSON text through orjson (`bot.services.export.jsontext`, the JSON writer's `dumps`): the same
values as the standard library reads, the same text as it writes (compact), and the standard
library's way wherever orjson would differ."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from enum import Enum, StrEnum
from typing import Any

import pytest

from bot.services.export import jsontext
from bot.services.export.writers import json_doc

TEXTS = [
    '{"text": "caf\\u00e9 \\ud83d\\ude00", "meeting_id": null, "goal_id": 3}',
    '{"b": [1, {"a": true}], "a": "x"}',
    '{"a": 1, "a": 2}',
    '{"big": 123456789012345678901234567890}',  # beyond 64 bits: orjson would read a float
    '{"nested": [{"big": -9223372036854775809}]}',
    '{"u64": 18446744073709551615, "i64": -9223372036854775808}',
    '{"mean": 2.5, "third": 0.1}',
    '{"nan": NaN, "inf": -Infinity}',  # not JSON, read by the standard library
    '{"huge": 1e400}',
    '{"lone": "\\ud800"}',  # a lone surrogate escape
    "[1, 2] ",
    " 7",
    '"text"',
]


@pytest.mark.parametrize("text", TEXTS)
def test_loads_reads_what_the_standard_library_reads(text: str) -> None:
    got, want = jsontext.loads(text), json.loads(text)
    assert repr(got) == repr(want)  # floats and ints told apart, nan included
    assert [type(v) for v in _leaves(got)] == [type(v) for v in _leaves(want)]


@pytest.mark.parametrize("text", ['{"a": 1} x', "", "{", "[1,]"])
def test_loads_refuses_what_the_standard_library_refuses(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        jsontext.loads(text)


@pytest.mark.parametrize("text", [*TEXTS, "{}", ' {"z": true, "a": false} ', '{"a": 1} x', "{"])
def test_flat_sorted_writes_a_flat_object_as_dumps_of_loads_writes_it(text: str) -> None:
    got = jsontext.flat_sorted(text)
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        assert got is None
        return
    # A flat object of text, integers within 64 bits, booleans and nulls: its sorted text;
    # anything else (floats, nesting, a lone surrogate, an integer orjson reads as a float):
    # None, for the caller's general way.
    flat = isinstance(value, dict) and all(_plain(v) for v in value.values())
    if flat:
        assert got == jsontext.dumps(value)
    else:
        assert got is None


def _plain(value: Any) -> bool:
    """What orjson reads as the standard library does, in a flat object."""
    if isinstance(value, str):
        return not any("\ud800" <= c <= "\udfff" for c in value)  # no lone surrogate
    if isinstance(value, bool) or value is None:
        return True
    return type(value) is int and -(2**63) <= value < 2**64


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


@dataclass(frozen=True)
class _Row:
    zeta: int
    alpha: str


VALUES: list[Any] = [
    {"b": 1, "a": {"d": [1, "é", None], "c": True}},
    {"text": '\u2028line\x00end\t"quoted" \\ 😀'},
    {"big": 2**70, "small": -(2**63) - 1},
    {"lone": "\ud800"},
    {"mean": 2.5, "nan": math.nan, "inf": math.inf},
    {"t": (1, 2.0)},
    {"when": datetime(2024, 1, 1, 9, 5, 3, 7, tzinfo=UTC), "day": date(2024, 2, 29)},
    {"row": _Row(1, "x")},
    [],
    {},
]


@pytest.mark.parametrize("value", VALUES)
def test_dumps_writes_what_the_standard_library_writes(value: Any) -> None:
    want = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    assert jsontext.dumps(value, default=str) == want


class _Colour(Enum):
    red = "red"


class _Word(StrEnum):
    yes = "yes"


DOCUMENT_VALUES: list[Any] = [
    *[v for v in VALUES if not isinstance(v, dict) or "row" not in v],
    {"row": _Row(1, "x"), "rows": {_Row(2, "b"), _Row(1, "a")}},
    {
        "aware": datetime(2024, 1, 1, 9, 5, tzinfo=UTC),
        "micro": datetime(2024, 1, 1, 9, 5, 0, 120000, tzinfo=UTC),
        "naive": datetime(2024, 1, 1, 9, 5),
        "zoned": datetime(2024, 1, 1, 9, 5, tzinfo=timezone(timedelta(hours=2))),
        "old": datetime(999, 1, 1, tzinfo=UTC),
        "day": date(5, 1, 2),
    },
    {"colour": _Colour.red, "word": _Word.yes},
    {10: "ten", 2: "two"},  # keys that are not text: sorted as numbers, as before
]


@pytest.mark.parametrize("value", DOCUMENT_VALUES)
def test_the_documents_dumps_writes_what_the_standard_library_writes(value: Any) -> None:
    """Times in UTC ISO, dataclasses as sorted objects, sets in order, a number that is not
    finite as null, a lone surrogate as its escape: as `json.dumps` with the writer's options."""
    options: dict[str, Any] = {"sort_keys": True, "ensure_ascii": False, "separators": (",", ":")}
    try:
        want = json.dumps(value, default=json_doc._default, allow_nan=False, **options)
    except ValueError:
        want = json.dumps(json_doc.plain(value), **options)
    assert json_doc.dumps(value) == want.encode("utf-8", errors="backslashreplace")


def test_a_time_in_utc_is_written_as_isoformat_writes_it() -> None:
    import random

    rng = random.Random(14)
    moments = [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
    ]
    for _ in range(2000):
        moments.append(
            datetime(1, 1, 1, tzinfo=UTC)
            + timedelta(seconds=rng.randrange(315537897599), microseconds=rng.randrange(2) * 7)
        )
    for moment in moments:
        for value in (moment, moment.replace(tzinfo=None)):  # naive: taken as UTC
            aware = value.replace(tzinfo=UTC)
            assert jsontext.iso_utc(value) == aware.isoformat()
            assert jsontext.iso_utc_seconds(value) == aware.isoformat(timespec="seconds")
