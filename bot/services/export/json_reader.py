"""Reading a large JSON document a piece at a time: the keys of an object in order, the items of
an array one by one, anything else whole. `partnerbot import` reads a log of any length this
way, holding one record at a time rather than the whole file.

Any JSON is read (whitespace and line breaks anywhere); a document that is not JSON, or ends
early, raises `BrokenJson` with where it went wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, TextIO

CHUNK = 1 << 16
WHITESPACE = " \t\r\n"
NUMBER_START = "-0123456789"
_NUMBER_END = re.compile(r"[ \t\r\n,\]}]")
_DECODER = json.JSONDecoder()


class BrokenJson(ValueError):
    """The text is not (complete) JSON."""


class JsonReader:
    def __init__(self, source: TextIO) -> None:
        self.source = source
        self.buffer = ""
        self.pos = 0
        self.eof = False
        self.consumed = 0  # characters dropped from the buffer before `pos`

    # ---- the buffer

    def _more(self) -> bool:
        """Read the next chunk (dropping what was read); False at the end of the text."""
        if self.eof:
            return False
        chunk = self.source.read(CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.consumed += self.pos
        self.buffer = self.buffer[self.pos :] + chunk
        self.pos = 0
        return True

    def _skip_space(self) -> None:
        while True:
            while self.pos < len(self.buffer) and self.buffer[self.pos] in WHITESPACE:
                self.pos += 1
            if self.pos < len(self.buffer) or not self._more():
                return

    def _broken(self, what: str) -> BrokenJson:
        return BrokenJson(f"{what} at character {self.consumed + self.pos + 1}")

    def peek(self) -> str:
        """The next character that is not whitespace, or "" at the end."""
        self._skip_space()
        return self.buffer[self.pos] if self.pos < len(self.buffer) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            found = self.peek() or "the end of the file"
            raise self._broken(f"expected {char!r} but found {found!r}")
        self.pos += 1

    # ---- values

    def value(self) -> Any:
        """The next value, whole (for small values: an item, a header)."""
        if self.peek() and self.buffer[self.pos] in NUMBER_START:
            # A number read at the end of the buffer could go on in the next chunk ("1" of
            # "12", "0" of "0.5"): read on until something that ends it, or the end.
            while not _NUMBER_END.search(self.buffer, self.pos) and self._more():
                pass
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as error:
                if self._more():
                    continue
                raise self._broken(f"not JSON ({error.msg})") from None
            self.pos = end
            return value

    def items(self) -> Iterator[Any]:
        """The items of the array that comes next, one at a time."""
        self.expect("[")
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            yield self.value()
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() == "]":
                self.pos += 1
                return
            else:
                raise self._broken("expected ',' or ']' in an array")

    def keys(self) -> Iterator[str]:
        """The keys of the object that comes next; after each, read or `skip` its value."""
        self.expect("{")
        if self.peek() == "}":
            self.pos += 1
            return
        while True:
            key = self.value()
            if not isinstance(key, str):
                raise self._broken("expected a key")
            self.expect(":")
            yield key
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() == "}":
                self.pos += 1
                return
            else:
                raise self._broken("expected ',' or '}' in an object")

    def skip(self) -> None:
        """Pass over the next value, an item or a key at a time."""
        nxt = self.peek()
        if nxt == "[":
            for _item in self.items():
                pass
        elif nxt == "{":
            for _key in self.keys():
                self.skip()
        else:
            self.value()

    def end(self) -> None:
        """Nothing but whitespace may follow the document."""
        if self.peek():
            raise self._broken("text after the end of the document")
