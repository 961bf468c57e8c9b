"""The binary entries page (``verifier.entries_page``): what ``encode`` packs ``decode`` reads back, and ``decode``
refuses every malformed body with a ``PageError`` — never another exception."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.entries_page import HEADER_BYTES, MAGIC, NO_NEXT, EntriesPage, PageError, decode, encode
from verifier.limits import MAX_ENTRY_BYTES

ENTRIES = [b'{"a":1}', b"x" * 300, b"\x00\xff"]


def raw(
    start: int = 10,
    tree_size: int = 20,
    following: int = 13,
    entries: list[bytes] = ENTRIES,
    *,
    count: int | None = None,
    magic: bytes = MAGIC,
) -> bytes:
    """A page packed by hand, so that it can be wrong in any field (lengths are the entries' own)."""
    header = struct.pack(">4sQQQI", magic, start, tree_size, following, len(entries) if count is None else count)
    return header + b"".join(struct.pack(">I", len(e)) + e for e in entries)


def test_what_encode_packs_decode_reads_back() -> None:
    assert raw() == encode(10, 20, 13, ENTRIES)
    assert decode(raw(), 10) == EntriesPage(10, ENTRIES, 13, 20)
    assert decode(encode(10, 13, None, ENTRIES), 10) == EntriesPage(10, ENTRIES, None, 13)
    assert encode(10, 13, None, ENTRIES) == raw(tree_size=13, following=NO_NEXT)
    assert decode(encode(0, 0, None, []), 0) == EntriesPage(0, [], None, 0)
    largest = [b"y" * MAX_ENTRY_BYTES]
    assert decode(encode(2**63, 2**64 - 2, None, largest), 2**63).entries == largest
    assert all(type(e) is bytes for e in decode(raw(), 10).entries)
    assert len(encode(0, 1, None, [b"z"])) == HEADER_BYTES + 4 + 1


def test_encode_refuses_what_the_format_cannot_hold() -> None:
    for entries in ([b""], [b"y" * (MAX_ENTRY_BYTES + 1)]):
        with pytest.raises(ValueError, match="cannot be served"):
            encode(0, 1, None, entries)
    with pytest.raises(struct.error):
        encode(-1, 1, None, [b"z"])


MALFORMED: dict[str, tuple[bytes, str]] = {
    "wrong magic": (raw(magic=b"HLE2"), r"does not start with b'HLE1': b'HLE2'"),
    "JSON": (b'{"start": 10, "entries": [], "next": null, "tree_size": 20}', "does not start with b'HLE1': b'{\"st'"),
    "empty": (b"", "truncated: 0 bytes, shorter than its header"),
    "header cut": (raw()[: HEADER_BYTES - 1], "shorter than its header"),
    "another start": (raw(start=11), "a page from 11 when asked from 10"),
    "count above the body": (raw(count=2**32 - 1), "claims 4294967295 entries but has only"),
    "count one too many": (raw(count=4), "truncated at entry 13"),
    "count one too few": (raw(count=2), "has 6 bytes after its 2 entries"),
    "length 0": (raw(entries=[b"a", b"", b"ccc"]), "entry 11 has a length of 0 bytes"),
    "length too large": (raw(entries=[b"q" * (MAX_ENTRY_BYTES + 1)], following=11), "length of 65537 bytes"),
    "entry cut": (raw()[:-1], "truncated in entry 12"),
    "length cut": (raw()[: HEADER_BYTES + 4 + 7 + 4 + 300 + 2], "truncated at entry 12"),
    "trailing bytes": (raw() + b"\n", "has 1 bytes after its 3 entries"),
    "next not after the page": (raw(following=14), "next page starts at 14, not at 13"),
    "next behind the page": (raw(following=10), "next page starts at 10, not at 13"),
    "next after an empty page": (raw(entries=[], following=10), "an empty page that claims a next one"),
}


@pytest.mark.parametrize("body, message", MALFORMED.values(), ids=MALFORMED.keys())
def test_each_malformation_is_refused_with_what_is_wrong(body: bytes, message: str) -> None:
    with pytest.raises(PageError) as refused:
        decode(body, 10)
    assert message in str(refused.value) and "\n" not in str(refused.value)


def _decoded_or_refused(body: bytes, start: int) -> None:
    try:
        page = decode(body, start)
    except PageError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert page.start == start and encode(page.start, page.tree_size, page.next, page.entries) == body


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.integers(0, 2**64 - 1))
def test_any_bytes_are_a_page_or_refused(body: bytes, start: int) -> None:
    _decoded_or_refused(body, start)


@st.composite
def mutated_pages(draw: st.DrawFn) -> tuple[bytes, int]:
    """A well-formed page with a few bytes changed, cut or added: near misses reach deeper into the parser."""
    entries = draw(st.lists(st.binary(min_size=1, max_size=40), max_size=6))
    start = draw(st.sampled_from([0, 7, 2**63]))
    following = draw(st.sampled_from([None, start + len(entries)]))
    body = bytearray(encode(start, start + len(entries) + draw(st.integers(0, 3)), following, entries))
    for _ in range(draw(st.integers(0, 3))):
        position = draw(st.integers(0, len(body)))
        action = draw(st.sampled_from(["set", "cut", "insert"]))
        if action == "set" and position < len(body):
            body[position] = draw(st.integers(0, 255))
        elif action == "cut":
            del body[position:]
        else:
            body[position:position] = draw(st.binary(min_size=1, max_size=4))
    return bytes(body), start


@settings(max_examples=500, deadline=None)
@given(mutated_pages())
def test_near_miss_pages_are_a_page_or_refused(case: tuple[bytes, int]) -> None:
    _decoded_or_refused(*case)
