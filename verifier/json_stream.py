"""Read one large JSON document from a file a value at a time, as strictly as ``parse_json_strict``.

A regulator's export can be larger than memory allows to hold at once (DESIGN §7 bundles of a whole
quarter). This reader walks the document's top-level object member by member; a member's value is
either decoded whole (bounded in size) or, for an array, item by item, each item bounded. Values are
decoded by the same strict rules as ``parse_json_strict``: no duplicate keys, floats, NaN, Infinity or
absurd nesting, and nothing but white space after the document. It also hashes the raw bytes it read,
so a caller reading the file twice can tell whether it changed in between.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from verifier.canonical import check_depth, check_value_depth, strict_decoder
from verifier.errors import FormatError

_WHITE = " \t\n\r"
#: What may follow an integer's digits, up to the end of what was read, when the number is not complete yet.
_NUMBER_GOES_ON = re.compile(r"[0-9.eE+-]*\Z")
#: A recursion limit up to which the C decoder meets RecursionError before the end of its stack. A process
#: that raised it (py_ecc, imported with the ledger, sets 100,000) gets each value's depth checked first.
SAFE_RECURSION_LIMIT = 5000
#: Bytes read from the file at a time.
CHUNK_BYTES = 1024 * 1024


class JsonStream:
    """A cursor over a JSON text read from ``file`` in chunks of ``chunk`` bytes."""

    def __init__(
        self, file: BinaryIO, *, chunk: int = CHUNK_BYTES, on_read: Callable[[int], None] | None = None
    ) -> None:
        self._file = file
        self._on_read = on_read
        self._chunk = chunk
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._text = ""
        self._pos = 0
        self._eof = False
        self._read = 0
        self._raw = hashlib.sha256()
        self._decoder = strict_decoder()

    @property
    def raw_sha256(self) -> bytes:
        """SHA-256 of the bytes read so far (of the whole file once ``end`` passed)."""
        return self._raw.digest()

    def _fill(self, at_least: int = 0) -> bool:
        """Append the next chunk (at least ``at_least`` bytes) to the text; False at the end of the file."""
        if self._eof:
            return False
        data = self._file.read(max(self._chunk, at_least))
        self._raw.update(data)
        try:
            text = self._utf8.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            offset = self._read + exc.start
            raise FormatError(f"not valid UTF-8 at byte {offset}", offset=offset) from exc
        self._read += len(data)
        if self._on_read is not None and data:
            self._on_read(self._read)
        if not data:
            self._eof = True
        if self._pos > len(self._text) // 2:
            self._text, self._pos = self._text[self._pos :], 0
        self._text += text
        return True

    def _where(self) -> str:
        return f"near byte {self._read - len(self._text.encode('utf-8', 'surrogatepass')) + self._pos}"

    def peek(self) -> str:
        """The next character that is not white space ('' at the end of the document)."""
        while True:
            text, pos = self._text, self._pos
            while pos < len(text) and text[pos] in _WHITE:
                pos += 1
            self._pos = pos
            if pos < len(text):
                return text[pos]
            if not self._fill():
                return ""

    def expect(self, char: str, what: str) -> None:
        found = self.peek()
        if found != char:
            shown = repr(found) if found else "the end of the file"
            raise FormatError(f"not valid JSON: expected {what} ({char!r}), found {shown} {self._where()}")
        self._pos += 1

    def value(self, *, limit: int, what: str) -> Any:
        """Decode the next value whole; refuse one longer than ``limit`` characters."""
        self.peek()
        while True:
            if sys.getrecursionlimit() > SAFE_RECURSION_LIMIT:
                check_value_depth(self._text, self._pos)
            try:
                value, end = self._decoder.raw_decode(self._text, self._pos)
            except json.JSONDecodeError as exc:
                pending = len(self._text) - self._pos
                # Read as much again as is pending, so a long value is decoded a few times, not once per chunk.
                if pending <= limit and self._fill(pending):
                    continue
                if len(self._text) - self._pos > limit:
                    raise FormatError(f"{what}: longer than {limit} characters") from None
                raise FormatError(f"not valid JSON in {what}: {exc.msg} {self._where()}") from None
            except RecursionError:
                raise FormatError(f"{what}: JSON nested too deeply") from None
            except ValueError as exc:
                # int() refuses numbers of more than 4,300 digits with a plain ValueError.
                raise FormatError(f"not valid JSON in {what}: {exc}") from None
            if type(value) is int and _NUMBER_GOES_ON.match(self._text, end) and self._fill(end - self._pos):
                continue  # the number may go on in the next chunk (more digits, a fraction): decode it again
            if end - self._pos > limit:
                raise FormatError(f"{what}: longer than {limit} characters")
            check_depth(self._text[self._pos : end])
            self._pos = end
            return value

    def members(self, *, key_limit: int = 256) -> Iterator[str]:
        """The names of the top-level object's members, in file order; read each value before the next name."""
        self.expect("{", "the start of an object")
        seen: set[str] = set()
        if self.peek() == "}":
            self._pos += 1
            return
        while True:
            name = self.value(limit=key_limit, what="a member name")
            if not isinstance(name, str):
                raise FormatError(f"not valid JSON: a member name must be a string {self._where()}")
            if name in seen:
                raise FormatError(f"duplicate object key {name!r}", key=name)
            seen.add(name)
            self.expect(":", "a colon")
            yield name
            if self.peek() == "}":
                self._pos += 1
                return
            self.expect(",", "a comma or the end of the object")

    def items(self, *, limit: int, what: str) -> Iterator[Any]:
        """The items of an array value, each decoded whole and at most ``limit`` characters."""
        self.expect("[", f"an array for {what}")
        if self.peek() == "]":
            self._pos += 1
            return
        number = 0
        while True:
            yield self.value(limit=limit, what=f"{what}[{number}]")
            number += 1
            if self.peek() == "]":
                self._pos += 1
                return
            self.expect(",", f"a comma or the end of {what}")

    def end(self) -> None:
        """Refuse anything but white space after the document."""
        if self.peek():
            raise FormatError(f"not valid JSON: extra data after the document {self._where()}")
