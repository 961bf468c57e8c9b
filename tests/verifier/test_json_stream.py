"""The streaming JSON reader decodes what ``parse_json_strict`` decodes and refuses what it refuses, however the
file is cut into chunks (a number, an escape or a multi-byte character split between two reads)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.canonical import parse_json_strict
from verifier.errors import FormatError
from verifier.json_stream import JsonStream

values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**60), max_value=2**60) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=10,
)


def streamed(data: bytes, chunk: int) -> Any:
    """The document read back through the stream: array members item by item, the rest whole."""
    stream = JsonStream(io.BytesIO(data), chunk=chunk)
    document: dict[str, Any] = {}
    for name in stream.members():
        if stream.peek() == "[":
            document[name] = list(stream.items(limit=10_000, what=name))
        else:
            document[name] = stream.value(limit=10_000, what=name)
    stream.end()
    assert stream.raw_sha256 is not None
    return document


def verdict(read: Any) -> tuple[str, Any]:
    try:
        return "value", read()
    except FormatError:
        return "refused", None


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), values, max_size=5), st.integers(1, 9), st.booleans(), st.booleans())
def test_the_stream_reads_every_object_as_the_strict_parser_does(
    document: dict[str, Any], chunk: int, ascii_only: bool, spaced: bool
) -> None:
    data = json.dumps(document, ensure_ascii=ascii_only, indent=1 if spaced else None).encode()
    assert streamed(data, chunk) == parse_json_strict(data)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.text(max_size=4), values, min_size=1, max_size=4), st.integers(1, 7), st.data())
def test_a_damaged_document_gets_the_same_verdict_from_both(
    document: dict[str, Any], chunk: int, data: st.DataObject
) -> None:
    text = bytearray(json.dumps(document, ensure_ascii=False).encode())
    position = data.draw(st.integers(0, len(text) - 1))
    how = data.draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
    if how == "flip":
        text[position] ^= 1 << data.draw(st.integers(0, 7))
    elif how == "cut":
        del text[position:]
    elif how == "insert":
        text[position:position] = data.draw(st.sampled_from([b",", b"]", b"}", b'"', b"1", b"\xe4", b"NaN", b"1.5"]))
    else:
        del text[position]
    raw = bytes(text)
    direct = verdict(lambda: parse_json_strict(raw))
    if direct[0] == "value" and not isinstance(direct[1], dict):
        return  # the stream reads objects only; a bare value is refused by its first character
    assert verdict(lambda: streamed(raw, chunk)) == direct


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"a":1,"a":2}', "duplicate object key 'a'"),
        (b'{"a":[1.5]}', "floats are not allowed"),
        (b'{"a":[1e5]}', "floats are not allowed"),
        (b'{"a":[1.]}', "not valid JSON"),
        (b'{"a":[NaN]}', "NaN is not a JSON value"),
        (b'{"a":1} x', "extra data after the document"),
        (b'{"a":[1,2', "not valid JSON"),
        (b'{"a":"\xff"}', "not valid UTF-8 at byte 6"),
        (b'{"a":' + b"[" * 70 + b"]" * 70 + b"}", "nested deeper than 64"),
        (b'{"a":[' + b'"' + b"x" * 2000 + b'"]}', "a[0]: longer than 1000 characters"),
    ],
)
def test_bad_documents_are_refused_with_the_reason(data: bytes, message: str) -> None:
    for chunk in (1, 3, 1024):
        stream = JsonStream(io.BytesIO(data), chunk=chunk)
        with pytest.raises(FormatError, match=re.escape(message)):
            for name in stream.members():
                if stream.peek() == "[":
                    list(stream.items(limit=1000, what=name))
                else:
                    stream.value(limit=1000, what=name)
            stream.end()


def test_a_long_value_is_read_in_a_few_passes_not_one_per_chunk() -> None:
    data = json.dumps({"big": "x" * 200_000}).encode()
    decoded = []
    stream = JsonStream(io.BytesIO(data), chunk=64)
    real = stream._decoder.raw_decode

    def counting(text: str, position: int) -> tuple[Any, int]:
        decoded.append(len(text) - position)
        return real(text, position)

    stream._decoder = type("Counting", (), {"raw_decode": staticmethod(counting)})()  # type: ignore[assignment]
    assert [name for name in stream.members() if stream.value(limit=300_000, what=name)] == ["big"]
    assert len(decoded) < 30 and sum(decoded) < 2_000_000, decoded


def test_deep_nesting_is_refused_even_where_the_recursion_limit_was_raised() -> None:
    """py_ecc, imported beside the ledger, raises the limit to 100,000: the C decoder would then overflow its stack
    (SIGSEGV) on 200,000 nested brackets instead of raising RecursionError. Run apart: a crash must not end the run."""
    program = """
import io, sys
sys.setrecursionlimit(100_000)
from verifier.errors import FormatError
from verifier.json_stream import JsonStream
data = b'{"a":' + b"[" * 200_000 + b"]" * 200_000 + b"}"
stream = JsonStream(io.BytesIO(data), chunk=65536)
try:
    for name in stream.members():
        stream.value(limit=10**6, what=name)
except FormatError as exc:
    print(exc.message)
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "nested deeper than 64 levels" in done.stdout
