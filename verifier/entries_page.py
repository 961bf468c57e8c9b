"""A page of raw entries, and its compact binary representation ``application/vnd.hotline.entries``.

``GET /v1/entries`` answers a page as JSON (each entry base64) or, when the client asks for it, in this
binary form (docs/evidence-formats.md): the producer packs it with ``encode``, the verifier reads it with
``decode``, which trusts nothing. Both sides share this one module (the API may import the verifier;
the verifier never imports the API).

    magic "HLE1" | start u64 | tree_size u64 | next u64 (2^64-1: none) | count u32 | count × (length u32, bytes)

All integers are big-endian; every length is 1..``MAX_ENTRY_BYTES``; nothing follows the last entry.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from verifier.limits import MAX_ENTRY_BYTES, MAX_UINT64

MEDIA_TYPE = "application/vnd.hotline.entries"
MAGIC = b"HLE1"
#: ``next`` of the last page: there is no next page.
NO_NEXT = MAX_UINT64
_HEADER = struct.Struct(">4sQQQI")
_LENGTH = struct.Struct(">I")
HEADER_BYTES = _HEADER.size


class PageError(ValueError):
    """The bytes are not a well-formed page of the entries asked for (the message says what is wrong)."""


@dataclass(frozen=True)
class EntriesPage:
    """Raw entries ``start <= index < start + len(entries)`` and where the next page starts (``None``: no more)."""

    start: int
    entries: list[bytes]
    next: int | None
    tree_size: int


def checked(start: int, entries: list[bytes], following: int | None, tree_size: int) -> EntriesPage:
    """The page, if its ``next`` is consistent with it: the index after its last entry, and never after an
    empty page (the rules of either representation).

    Raises:
        PageError: it is not.
    """
    if following is not None and following != start + len(entries):
        raise PageError(f"the API's next page starts at {following}, not at {start + len(entries)}")
    if following is not None and not entries:
        raise PageError("the API served an empty page that claims a next one")
    return EntriesPage(start, entries, following, tree_size)


def encode(start: int, tree_size: int, following: int | None, entries: Sequence[bytes]) -> bytes:
    """The binary page (``entries`` as stored: bytes or any bytes-like object).

    Raises:
        ValueError: an entry is empty or over ``MAX_ENTRY_BYTES``, or a number does not fit its field.
    """
    pack = _LENGTH.pack
    parts = [_HEADER.pack(MAGIC, start, tree_size, NO_NEXT if following is None else following, len(entries))]
    for data in entries:
        length = len(data)
        if not 0 < length <= MAX_ENTRY_BYTES:
            raise ValueError(f"an entry of {length} bytes cannot be served (1..{MAX_ENTRY_BYTES})")
        parts.append(pack(length))
        parts.append(data)
    return b"".join(parts)


def decode(body: bytes, start: int) -> EntriesPage:
    """The page in ``body``, which was asked for from ``start``; one bytes object per entry.

    Raises:
        PageError: ``body`` is not exactly such a page.
    """
    size = len(body)
    if size < HEADER_BYTES:
        raise PageError(f"the API's binary entries page is truncated: {size} bytes, shorter than its header")
    magic, first, tree_size, following, count = _HEADER.unpack_from(body)
    if magic != MAGIC:
        raise PageError(f"the API's binary entries page does not start with {MAGIC!r}: {magic!r}")
    if first != start:
        raise PageError(f"the API answered a page from {first} when asked from {start}")
    if HEADER_BYTES + count * (_LENGTH.size + 1) > size:
        raise PageError(f"the API's binary entries page claims {count} entries but has only {size} bytes")
    unpack = _LENGTH.unpack_from
    entries: list[bytes] = []
    append = entries.append
    position = HEADER_BYTES
    for number in range(count):
        if position + _LENGTH.size > size:
            raise PageError(f"the API's binary entries page is truncated at entry {start + number}")
        (length,) = unpack(body, position)
        if not 0 < length <= MAX_ENTRY_BYTES:
            raise PageError(f"the API's entry {start + number} has a length of {length} bytes (1..{MAX_ENTRY_BYTES})")
        position += _LENGTH.size
        end = position + length
        if end > size:
            raise PageError(f"the API's binary entries page is truncated in entry {start + number}")
        append(body[position:end])
        position = end
    if position != size:
        raise PageError(f"the API's binary entries page has {size - position} bytes after its {count} entries")
    return checked(start, entries, None if following == NO_NEXT else following, tree_size)
