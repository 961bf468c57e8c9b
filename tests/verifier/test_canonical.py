"""``verifier.canonical``: RFC 8785 (JCS) bytes, checked against the ``rfc8785`` package.

``rfc8785.dumps`` is the independent oracle for the encoder over generated values (no floats,
integers within ±(2^53 − 1), any Unicode scalar values in keys and strings). The parser must
refuse every other spelling of the same value, and everything that is not a JSON value an entry
may hold.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.canonical import canonical_bytes, parse_canonical, parse_json_strict
from verifier.errors import FormatError, VerificationError
from verifier.limits import MAX_JSON_DEPTH, MAX_SAFE_INTEGER

# Characters that exercise the escaping and ordering rules: controls (escaped as \u00xx or
# \b \f \n \r \t), quote and backslash, '/', DEL, U+2028/U+2029 (not escaped by JCS), BMP
# characters above the surrogate block (U+E000…U+FFFF, which sort *after* astral characters in
# UTF-16), astral characters (surrogate pairs in UTF-16) and a BOM inside a string.
SPECIAL = [
    *map(chr, range(0x20)),
    '"',
    "\\",
    "/",
    "\x7f",
    "\u2028",
    "\u2029",
    "\ue000",
    "\uff61",
    "\ufeff",
    "\uffff",
    "\U00010000",
    "\U0001f600",
    "\U0010ffff",
    "é",
    "中",
]

# The utf-8 codec excludes surrogates, so every generated string is valid Unicode.
strings = st.text(alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from(SPECIAL)), max_size=12)
keys = st.one_of(strings, st.sampled_from(["a", "b", "\uffff", "\U0001f600", "\ue000", "\U00010000", "ticket"]))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER),
    st.sampled_from([0, -1, MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER, 2**31, 10**15]),
    strings,
)


def depth(value: Any) -> int:
    """Nesting depth: 0 for a scalar, 1 + the deepest child for an array or object."""
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list | tuple):
        return 1 + max(map(depth, value), default=0)
    return 0


json_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(keys, children, max_size=6)),
    max_leaves=30,
).filter(lambda v: depth(v) <= MAX_JSON_DEPTH)


def nested(levels: int) -> Any:
    value: Any = 1
    for i in range(levels):
        value = [value] if i % 2 else {"k": value}
    return value


# --- The encoder equals rfc8785 -------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_canonical_bytes_equal_rfc8785(value: Any) -> None:
    assert canonical_bytes(value) == rfc8785.dumps(value)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(keys, scalars, min_size=2, max_size=8))
def test_object_keys_sort_by_utf16_code_units(value: dict[str, Any]) -> None:
    assert canonical_bytes(value) == rfc8785.dumps(value)
    decoded = list(json.loads(canonical_bytes(value)))
    assert decoded == sorted(value, key=lambda k: k.encode("utf-16-be"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # U+FFFF > U+1F600 by code point, but 0xFFFF > 0xD83D by UTF-16 code unit.
        ({"\uffff": 1, "\U0001f600": 2}, '{"\U0001f600":2,"\uffff":1}'),
        ({"\ue000": 1, "\U00010000": 2, "z": 3}, '{"z":3,"\U00010000":2,"\ue000":1}'),
        # RFC 8785 §3.2.3's example keys, sorted as the RFC shows.
        (
            {
                "\u20ac": "Euro Sign",
                "\r": "Carriage Return",
                "\ufb33": "Hebrew Letter Dalet With Dagesh",
                "1": "One",
                "\U0001f600": "Emoji: Grinning Face",
                "\u0080": "Control",
                "\u00f6": "Latin Small Letter O With Diaeresis",
            },
            '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",'
            '"\u20ac":"Euro Sign","\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
        ),
        ("\u2028\u2029", '"\u2028\u2029"'),
        ("\x00\x08\t\n\x0c\r\x1f\x7f", '"\\u0000\\b\\t\\n\\f\\r\\u001f\x7f"'),
        ('"\\/', '"\\"\\\\/"'),
        ([True, False, None, -0, MAX_SAFE_INTEGER], f"[true,false,null,0,{MAX_SAFE_INTEGER}]"),
        ({}, "{}"),
        ([], "[]"),
        ((1, "a"), '[1,"a"]'),
    ],
    ids=[
        "utf16-vs-codepoint",
        "private-use-vs-astral",
        "rfc8785-3.2.3",
        "u2028",
        "controls",
        "quote-slash",
        "scalars",
        "empty-object",
        "empty-array",
        "tuple",
    ],
)
def test_known_encodings(value: Any, expected: str) -> None:
    assert canonical_bytes(value) == expected.encode("utf-8") == rfc8785.dumps(value)


# --- Values the encoder refuses -------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        1.0,
        0.5,
        -0.0,
        math.nan,
        math.inf,
        {"a": [1, 2.5]},
        MAX_SAFE_INTEGER + 1,
        -MAX_SAFE_INTEGER - 1,
        2**64,
        {"n": [-(2**63)]},
        "\ud800",
        "a\udfffb",
        {"k": "\udc00"},
        {"\ud83d": 1},
        {1: "a"},
        {None: "a"},
        {True: "a"},
        {(1, 2): "a"},
        nested(MAX_JSON_DEPTH + 1),
        nested(MAX_JSON_DEPTH + 5),
        {1, 2},
        frozenset(),
        b"bytes",
        bytearray(b"x"),
        Decimal(1),
        object(),
        [{"a": {1, 2}}],
    ],
    ids=lambda v: type(v).__name__ + ":" + repr(v)[:30],
)
def test_canonical_bytes_refuses(value: Any) -> None:
    with pytest.raises(FormatError):
        canonical_bytes(value)


def test_depth_limit_is_exact() -> None:
    assert depth(nested(MAX_JSON_DEPTH)) == MAX_JSON_DEPTH
    assert parse_canonical(canonical_bytes(nested(MAX_JSON_DEPTH))) == nested(MAX_JSON_DEPTH)
    with pytest.raises(FormatError):
        canonical_bytes(nested(MAX_JSON_DEPTH + 1))
    with pytest.raises(FormatError):
        parse_canonical(json.dumps(nested(MAX_JSON_DEPTH + 1), separators=(",", ":")).encode())


def test_safe_integer_bounds_are_exact() -> None:
    for n in (MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER):
        assert canonical_bytes(n) == str(n).encode()
    for n in (MAX_SAFE_INTEGER + 1, -MAX_SAFE_INTEGER - 1):
        with pytest.raises(FormatError):
            canonical_bytes(n)
        with pytest.raises(FormatError):
            parse_canonical(str(n).encode())


def test_format_error_is_a_verification_error() -> None:
    with pytest.raises(VerificationError):
        canonical_bytes(1.5)


# --- The parser: canonical bytes round-trip, every other spelling is refused ---------------


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_parse_canonical_round_trips(value: Any) -> None:
    data = canonical_bytes(value)
    parsed = parse_canonical(data)
    assert parsed == value
    assert canonical_bytes(parsed) == data


@settings(max_examples=300, deadline=None)
@given(json_values, st.sampled_from(["ascii", "indent", "spaces", "codepoint-order", "insertion-order"]))
def test_parse_canonical_refuses_other_spellings(value: Any, spelling: str) -> None:
    """Any other serialisation of the same value is refused unless it happens to be identical."""
    if spelling == "ascii":
        text = json.dumps(value, ensure_ascii=True, separators=(",", ":"), sort_keys=True)
    elif spelling == "indent":
        text = json.dumps(value, ensure_ascii=False, indent=1)
    elif spelling == "spaces":
        text = json.dumps(value, ensure_ascii=False)
    elif spelling == "codepoint-order":
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    data = text.encode("utf-8")
    if data == canonical_bytes(value):
        assert parse_canonical(data) == value
    else:
        with pytest.raises(FormatError):
            parse_canonical(data)


@pytest.mark.parametrize(
    "data",
    [
        # White space.
        b'{"a": 1}',
        b'{"a":1} ',
        b' {"a":1}',
        b'{"a":1}\n',
        b"[1, 2]",
        b'{\n"a":1}',
        # Key order: by code point instead of UTF-16, unsorted.
        b'{"b":1,"a":2}',
        '{"\uffff":1,"\U0001f600":2}'.encode(),
        # Escapes JCS does not use.
        b'"\\u0041"',
        b'"\\/"',
        b'"\\u00e9"',
        b'"\\u001F"',
        b'"\\u000a"',
        b'"\\u2028"',
        b'"\\ud83d\\ude00"',
        b'"\\u007f"',
        # Control characters must be escaped.
        b'"\x01"',
        b'"a\nb"',
        # Duplicate keys, even with equal values.
        b'{"a":1,"a":1}',
        b'{"a":1,"b":{"c":1,"c":2}}',
        # Numbers: floats, exponents, signs, leading zeros, out of range, non-finite.
        b"1.0",
        b"1e2",
        b"1E2",
        b"-0",
        b"01",
        b"+1",
        b"0.5",
        b"9007199254740992",
        b"-9007199254740992",
        b"NaN",
        b"Infinity",
        b"-Infinity",
        b'{"a":NaN}',
        # Lone surrogates, escaped.
        b'"\\ud800"',
        b'{"\\udc00":1}',
        # Not UTF-8: invalid byte, overlong form, encoded surrogate, truncated sequence, Latin-1.
        b'"\xff"',
        b'"\xc0\xaf"',
        b'"\xed\xa0\x80"',
        b'"\xe4\xb8"',
        '"é"'.encode("latin-1"),
        # UTF-16 and a byte-order mark.
        '"a"'.encode("utf-16"),
        b'\xef\xbb\xbf{"a":1}',
        # Not JSON at all.
        b"",
        b"{",
        b'{"a":1,}',
        b"[1,]",
        b"'a'",
        b"undefined",
        b'{"a":1}{"b":2}',
    ],
    ids=repr,
)
def test_parse_canonical_refuses(data: bytes) -> None:
    with pytest.raises(FormatError):
        parse_canonical(data)


@pytest.mark.parametrize(
    ("data", "value"),
    [
        (b"null", None),
        (b"true", True),
        (b"0", 0),
        (b"-9007199254740991", -MAX_SAFE_INTEGER),
        (b'"\\u0000\\b\\t\\n\\f\\r\\u001f"', "\x00\b\t\n\f\r\x1f"),
        ('"\u2028/\U0001f600"'.encode(), "\u2028/\U0001f600"),
        ('{"\U0001f600":2,"\uffff":1}'.encode(), {"\uffff": 1, "\U0001f600": 2}),
        (b'{"a":[],"b":{}}', {"a": [], "b": {}}),
    ],
    ids=repr,
)
def test_parse_canonical_accepts(data: bytes, value: Any) -> None:
    assert parse_canonical(data) == value
    assert canonical_bytes(value) == data


def test_parse_json_strict_refuses_duplicates_and_floats_but_allows_layout() -> None:
    assert parse_json_strict(b'{ "b" : 1 , "a" : 2 }') == {"b": 1, "a": 2}
    with pytest.raises(FormatError, match="duplicate"):
        parse_json_strict(b'{"a":1,"a":2}')
    with pytest.raises(FormatError, match="float"):
        parse_json_strict(b"[1.5]")
    with pytest.raises(FormatError):
        parse_json_strict(b"[-Infinity]")
    with pytest.raises(FormatError):
        parse_json_strict(b"[" * 100_000 + b"]" * 100_000)


@settings(max_examples=300)
@given(json_values)
def test_the_checked_path_encodes_exactly_like_the_full_one(value: Any) -> None:
    # canonical_bytes(checked=True) skips the type walk for values already checked; it must
    # still sort astral-plane keys in UTF-16 order (by falling back) and give identical bytes.
    assert canonical_bytes(value, checked=True) == canonical_bytes(value) == rfc8785.dumps(value)


def test_the_checked_path_sorts_astral_keys_in_utf16_order() -> None:
    value = {"\U0001f600": 1, "\uffff": 2}
    assert canonical_bytes(value, checked=True) == rfc8785.dumps(value)


def test_the_depth_scan_is_linear_on_hostile_text() -> None:
    """A string that never closes, full of escaped quotes, once made the scan start over at every quote: 40 KB took
    seconds and a 1 MB request body (the devnet's limit) would have taken most of an hour. Run apart, so that a
    regression fails on the timeout instead of hanging the suite; linear, it takes milliseconds."""
    program = """
from verifier.canonical import check_depth, nested_deeper_than
text = '{"a":"' + (chr(92) + '"') * 500_000 + '[' * 70
check_depth(text)
assert not nested_deeper_than(text, 32)
"""
    subprocess.run([sys.executable, "-c", program], check=True, timeout=60)
