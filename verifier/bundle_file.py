"""Read a ``hotline.bundle/v1`` from a file; a large one is streamed, never held in memory whole.

A bundle up to ``IN_MEMORY_BYTES`` is read and parsed at once (``parse_bundle``). A larger one — a
regulator's export of a city's quarter runs to gigabytes — is read in passes: the first checks the
whole document as strictly as ``parse_bundle`` does and keeps everything but its entries and
disclosures; those are read again from the file, item by item, each time a verifier walks them. Every
pass hashes the file's bytes, and a pass that finds them changed since the first fails (step V1), so a
file rewritten while it is verified cannot mix two bundles in one report.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, Generic, TypeVar

from verifier.bundle import (
    MAX_BUNDLE_ENTRIES,
    MAX_PAYLOAD_BYTES,
    STREAMED_MEMBERS,
    Bundle,
    assemble,
    check_members,
    check_order,
    parse_bundle,
    parse_disclosure,
    proven_entry,
)
from verifier.document import Fields
from verifier.errors import FormatError
from verifier.json_stream import CHUNK_BYTES, JsonStream
from verifier.limits import MAX_ENTRY_BYTES, MAX_NOTE_BYTES, MAX_PROOF_HASHES

#: Bundles up to this size are parsed in memory; larger ones are streamed.
IN_MEMORY_BYTES = 64 * 1024 * 1024
#: Longest value of each member held in memory, as text (escapes and white space included): generous for what
#: the member may hold, and small enough that a hostile file cannot make the first pass hold gigabytes. The
#: export's ticket list and the policy and key entries may be long; a member not of the format is refused anyway.
MAX_MEMBER_CHARS = {
    "v": 256,
    "log": 16 * 1024,
    "chain": 4 * 1024,
    "checkpoint": 8 * MAX_NOTE_BYTES,
    "anchor": 4 * 1024,
    "issued": 16 * 1024,
    "policies": 256 * 1024 * 1024,
    "keys": 256 * 1024 * 1024,
    "export": 256 * 1024 * 1024,
}
#: The same for a member that is not of the format (refused once read).
MAX_OTHER_MEMBER_CHARS = 64 * 1024
#: Longest item of ``entries`` as text: base64 of the largest entry, a full proof, and the rest.
MAX_ENTRY_ITEM_CHARS = 4 * (MAX_ENTRY_BYTES // 3 + 1) + MAX_PROOF_HASHES * 70 + 1024
#: Longest item of ``disclosures`` as text (white space and escapes may make a payload longer than its bytes).
MAX_DISCLOSURE_ITEM_CHARS = 8 * MAX_PAYLOAD_BYTES

_Item = TypeVar("_Item")
#: Told which pass reads the file, how many bytes it has read and the file's size.
Progress = Callable[[str, int, int], None]
_LIMITS = {"entries": MAX_ENTRY_ITEM_CHARS, "disclosures": MAX_DISCLOSURE_ITEM_CHARS}


def _skip(stream: JsonStream, name: str) -> None:
    """Read past a member's value."""
    if name in STREAMED_MEMBERS and stream.peek() == "[":
        for _ in stream.items(limit=_LIMITS[name], what=name):
            pass
    else:
        stream.value(limit=MAX_MEMBER_CHARS.get(name, MAX_OTHER_MEMBER_CHARS), what=name)


class FileItems(Generic[_Item]):
    """One of a bundle file's large lists: its length from the first pass, its items read anew on each iteration."""

    def __init__(
        self,
        path: Path,
        name: str,
        count: int,
        parse: Callable[[Any, str], _Item],
        sha256: bytes,
        chunk: int,
        progress: Progress | None,
    ) -> None:
        self._path, self._name, self._count, self._parse = path, name, count, parse
        self._sha256, self._chunk, self._progress = sha256, chunk, progress
        self._passes = 1  # the first pass, over the whole document, read it once

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[_Item]:
        try:
            file = self._path.open("rb")
        except OSError as exc:
            raise FormatError(f"the bundle file can no longer be read: {exc.strerror}") from exc
        with file:
            self._passes += 1
            stream = JsonStream(
                file, chunk=self._chunk, on_read=_reporter(self._progress, file, f"{self._name}, pass {self._passes}")
            )
            for name in stream.members():
                if name != self._name or stream.peek() != "[":
                    _skip(stream, name)
                    continue
                items = stream.items(limit=_LIMITS[name], what=name)
                for number, item in enumerate(items):
                    yield self._parse(item, f"{name}[{number}]")
            stream.end()
            if stream.raw_sha256 != self._sha256:
                raise FormatError("the bundle file changed while it was being verified")


def _reporter(progress: Progress | None, file: BinaryIO, what: str) -> Callable[[int], None] | None:
    if progress is None:
        return None
    size = os.fstat(file.fileno()).st_size
    return lambda done: progress(what, done, size)


def _first_pass(stream: JsonStream) -> tuple[dict[str, Any], dict[str, int]]:
    """Check every member; keep all but the large lists, of which only the item counts are kept."""
    members: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for name in stream.members():
        if name not in STREAMED_MEMBERS or stream.peek() != "[":
            members[name] = stream.value(limit=MAX_MEMBER_CHARS.get(name, MAX_OTHER_MEMBER_CHARS), what=name)
            continue
        members[name] = []  # a placeholder: the items are checked here and read again when walked
        previous = None
        count = 0
        for count, item in enumerate(stream.items(limit=_LIMITS[name], what=name), start=1):
            if count > MAX_BUNDLE_ENTRIES:
                raise FormatError(f"{name}: has more than {MAX_BUNDLE_ENTRIES} items", path=name)
            path = f"{name}[{count - 1}]"
            if name == "entries":
                index = proven_entry(item, path).index
                check_order(name, count - 1, previous, index)
                previous = index
            else:
                parse_disclosure(item, path)
        counts[name] = count
    stream.end()
    return members, counts


def stream_bundle(path: Path, *, chunk: int = CHUNK_BYTES, progress: Progress | None = None) -> tuple[Bundle, bytes]:
    """Read a bundle file in passes (see the module); return it with the SHA-256 of the file.

    ``progress`` is told of every chunk read, by this first pass and by each later reading of a large list.

    Raises:
        FormatError: as ``parse_bundle``, for the same documents.
        OSError: the file cannot be read.
    """
    with path.open("rb") as file:
        stream = JsonStream(file, chunk=chunk, on_read=_reporter(progress, file, "checking the document"))
        members, counts = _first_pass(stream)
    sha256 = stream.raw_sha256
    fields = Fields(members, "")
    check_members(fields)

    def listed(name: str, parse: Callable[[Any, str], _Item]) -> FileItems[_Item] | tuple[()]:
        if name in counts:
            return FileItems(path, name, counts[name], parse, sha256, chunk, progress)
        if name == "entries" or fields.has(name):
            fields.array(name, limit=MAX_BUNDLE_ENTRIES)  # not an array: refused as parse_bundle refuses it
        return ()

    return assemble(fields, listed("entries", proven_entry), listed("disclosures", parse_disclosure)), sha256


def read_bundle(path: Path, progress: Progress | None = None) -> tuple[Bundle, bytes]:
    """Read a bundle file, in memory when it is small and streamed when not; return it with its SHA-256.

    ``progress`` is told how far each pass over a streamed file is (see ``stream_bundle``).

    Raises:
        FormatError: the file is not a well-formed bundle.
        OSError: the file cannot be read.
    """
    if os.stat(path).st_size > IN_MEMORY_BYTES:
        return stream_bundle(path, progress=progress)
    data = path.read_bytes()
    return parse_bundle(data), hashlib.sha256(data).digest()
