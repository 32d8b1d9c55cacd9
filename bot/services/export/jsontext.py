"""JSON text in and out of an export, through orjson where it gives exactly what the standard
library gives, and through the standard library where it would not.

- `loads(text)`: what `json.loads` returns. orjson refuses what the standard library takes
  beyond JSON (NaN, Infinity, a number too large for a float, a lone surrogate escape): such a
  text is read by the standard library. orjson also reads an integer beyond 64 bits as a
  float, where the standard library keeps it whole: a value holding any float is read again
  by the standard library (floats are rare in a stored payload, integers of 20 digits rarer).
- `dumps(value, default)`: keys sorted, text kept as it is (not ASCII-escaped), compact
  separators (`{"a":1}`), each value that JSON does not hold converted by `default` (called
  for datetimes, dates and dataclasses too, so they convert as with the standard library).
  What orjson refuses (an integer beyond 64 bits, a lone surrogate, a key that is not text)
  or would write otherwise (a number that is not finite) is written by the standard library.
- `flat_sorted(text)`: `dumps(loads(text))` of a flat object, in one step.
- `iso_utc(moment)`, `iso_utc_seconds(moment)`: a time in UTC as `isoformat` writes it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from json.scanner import make_scanner
from typing import Any

import orjson

# The JSON decoder's own scanner: `json.loads` without its two whitespace matches and Python
# wrappers around it, about 2.5 times quicker on a stored payload.
_scan: Any = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]  # (typeshed)


def loads_stdlib(text: str) -> Any:
    """`json.loads(text)`, by the decoder's scanner when the text is exactly one value."""
    try:
        decoded, end = _scan(text, 0)
    except StopIteration:  # not a value at its first character: json.loads says why
        return json.loads(text)
    if end == len(text):  # the text is the value, and nothing else
        return decoded
    return json.loads(text)  # leading or trailing text: as json.loads takes it (or not)


# Values that hold no float, by exact type.
_FLOATLESS = frozenset({str, int, bool, type(None)})


def loads(text: str) -> Any:
    """`json.loads(text)`, through orjson when that reads it the same (see the docstring)."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return loads_stdlib(text)
    if type(value) is dict and _FLOATLESS.issuperset(map(type, value.values())):
        return value  # the common case, a flat payload: `_holds_float` without a call
    if _holds_float(value):
        return loads_stdlib(text)
    return value


def flat_sorted(text: str) -> str | None:
    """`dumps(loads(text))` when the text is one flat object of text, integers, booleans and
    nulls (a stored payload, nearly always), in one step: None otherwise, or when orjson does
    not read it as the standard library would (the caller then goes the general way)."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if type(value) is dict and _FLOATLESS.issuperset(map(type, value.values())):
        return orjson.dumps(value, option=SORTED).decode()
    return None


def _holds_float(value: Any) -> bool:
    kind = type(value)
    if kind is dict:
        values: Any = value.values()
    elif kind is list or kind is tuple:
        values = value
    else:
        return kind is float
    if _FLOATLESS.issuperset(map(type, values)):  # the common case: a flat payload
        return False
    return any(map(_holds_float, values))


_ISO = orjson.OPT_NAIVE_UTC
_ISO_SECONDS = _ISO | orjson.OPT_OMIT_MICROSECONDS


def iso_utc(moment: datetime) -> str:
    """`moment.isoformat()` for a time in UTC itself (`tzinfo is UTC`) or naive (taken as UTC,
    `+00:00` added), by orjson: the same text (microseconds only when there are some), several
    times quicker."""
    return orjson.dumps(moment, option=_ISO)[1:-1].decode()


def iso_utc_seconds(moment: datetime) -> str:
    """`moment.isoformat(timespec="seconds")`, as `iso_utc` (microseconds dropped)."""
    return orjson.dumps(moment, option=_ISO_SECONDS)[1:-1].decode()


SORTED = orjson.OPT_SORT_KEYS
# Times, dates and dataclasses go to `default` (orjson would write a naive time without its
# offset, another zone's time in that zone, and a dataclass's fields unsorted).
GENERAL = SORTED | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
SEPARATORS = (",", ":")


def dumps(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    """`json.dumps(value, default=default, sort_keys=True, ensure_ascii=False,
    separators=SEPARATORS)`: through orjson when the value holds no float (orjson writes a
    number that is not finite as null, the standard library as NaN or Infinity)."""
    if not _holds_float(value):
        try:
            return orjson.dumps(value, default=default, option=GENERAL).decode()
        except orjson.JSONEncodeError:  # an integer beyond 64 bits, a lone surrogate …
            pass
    return json.dumps(
        value, default=default, sort_keys=True, ensure_ascii=False, separators=SEPARATORS
    )
