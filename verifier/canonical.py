"""RFC 8785 (JCS) canonical JSON, restricted to the values entries may hold.

Entries hold no floats (DESIGN §3), so every number is an integer that an IEEE double
represents exactly; with that restriction, RFC 8785 §3.2.2 number serialisation is the
integer's decimal form, and string escaping (§3.2.2.2) is what ``json.dumps`` does with
``ensure_ascii=False``. What remains is the key order: RFC 8785 §3.2.3 sorts object keys by
their UTF-16 code units, which differs from Python's code-point order only when a key holds
characters above U+FFFF.

``canonical_bytes`` is the one encoder of the project; ``parse_canonical`` is its strict
inverse, refusing anything that would not re-encode to the very same bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from json.encoder import encode_basestring
from typing import Any

from verifier.errors import FormatError
from verifier.limits import MAX_JSON_DEPTH, MAX_SAFE_INTEGER

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_SORTED_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False, sort_keys=True)


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _scalar(value: Any, kind: type, path: Callable[[], str]) -> None:
    """Check a value that is not a container."""
    if kind is int:
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            where = path()
            raise FormatError(f"{where}: integer {value} is outside ±(2^53−1)", path=where)
    elif kind is float:
        where = path()
        raise FormatError(f"{where}: floating-point numbers are not allowed in entries", path=where)
    elif kind is not str and kind is not bool and value is not None:
        where = path()
        raise FormatError(f"{where}: {kind.__name__} is not a JSON value", path=where)


def _check(value: Any, depth: int, path: str) -> bool:
    """Check ``value`` holds only JCS-safe types; return whether a key holds a character above U+FFFF.

    Scalars are checked inline and paths are only formatted for an error: this walk runs on
    every entry the producer writes.
    """
    kind = type(value)
    if kind is not dict and kind is not list and kind is not tuple:
        _scalar(value, kind, lambda: path)
        return False
    if depth >= MAX_JSON_DEPTH:
        raise FormatError(f"{path}: nested deeper than {MAX_JSON_DEPTH} levels", path=path)
    astral = False
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise FormatError(f"{path}: object key {key!r} is not a string", path=path)
            if not key.isascii() and _ASTRAL.search(key):
                astral = True
            item_kind = type(item)
            if item_kind is dict or item_kind is list or item_kind is tuple:
                astral = _check(item, depth + 1, f"{path}.{key}") or astral
            elif item_kind is not str:
                _scalar(item, item_kind, lambda key=key: f"{path}.{key}")  # type: ignore[misc]
        return astral
    for i, item in enumerate(value):
        item_kind = type(item)
        if item_kind is dict or item_kind is list or item_kind is tuple:
            astral = _check(item, depth + 1, f"{path}[{i}]") or astral
        elif item_kind is not str:
            _scalar(item, item_kind, lambda i=i: f"{path}[{i}]")  # type: ignore[misc]
    return astral


def _utf16_sorted(value: Any) -> Any:
    """A copy of ``value`` whose objects list their keys in UTF-16 code-unit order."""
    if isinstance(value, dict):
        return {key: _utf16_sorted(value[key]) for key in sorted(value, key=_utf16_key)}
    if isinstance(value, list | tuple):
        return [_utf16_sorted(item) for item in value]
    return value


def canonical_bytes(value: Any, *, checked: bool = False) -> bytes:
    """Encode ``value`` as RFC 8785 canonical JSON in UTF-8.

    ``checked=True`` is for a value built only from parts that already went through this
    function (and plain strings and integers): the type walk is skipped.

    Raises:
        FormatError: a float, an integer beyond ±(2^53−1), a non-string key, a lone surrogate,
            nesting deeper than ``MAX_JSON_DEPTH``, or a non-JSON type.
    """
    text = None
    if checked:
        text = _SORTED_ENCODER.encode(value)
        if _ASTRAL.search(text):
            # A key may hold a character above U+FFFF: take the path that sorts in UTF-16 order.
            text = None
    if text is None:
        # Code-point order (sort_keys) equals UTF-16 order unless a key holds an astral character.
        text = _ENCODER.encode(_utf16_sorted(value)) if _check(value, 0, "$") else _SORTED_ENCODER.encode(value)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise FormatError("string holds a lone surrogate, which is not valid Unicode", path="$") from exc


#: A string as ``canonical_bytes`` writes it (RFC 8785 §3.2.2.2: quotes, and escapes only for ``"``, ``\\``
#: and control characters), as text: the function its encoder calls for every string.
json_string: Callable[[str], str] = encode_basestring


def canonical_text_within(value: Any, depth: int, path: str) -> str:
    """The text ``canonical_bytes`` writes for ``value`` where it meets it ``depth`` levels deep, at ``path``.

    For callers that put canonical text together from parts: the same type walk (so the same
    ``FormatError`` for the same value at that place), then the same encoding. Strings are not encoded
    to UTF-8 here; a lone surrogate is found when the caller encodes the whole.

    Raises:
        FormatError: as ``canonical_bytes`` would for ``value`` at that place.
    """
    if _check(value, depth, path):
        return _ENCODER.encode(_utf16_sorted(value))
    return _SORTED_ENCODER.encode(value)


def _refuse_float(text: str) -> Any:
    raise FormatError(f"number {text} is not an integer: floats are not allowed in entries")


def _refuse_constant(text: str) -> Any:
    raise FormatError(f"{text} is not a JSON value")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise FormatError(f"duplicate object key {key!r}", key=key)
        result[key] = value
    return result


#: Deepest nesting ``parse_json_strict`` hands to the JSON decoder (the canonical checks refuse far less).
MAX_PARSE_DEPTH = 64
#: A whole string (possessive: never re-scanned), a bracket, or a quote opening a string that never closes.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*+"|[\[\]{}]|"')


def nested_deeper_than(text: str, limit: int) -> bool:
    """Whether the JSON text ``text`` nests arrays and objects more than ``limit`` deep (brackets inside strings do
    not count). Linear in the text, whatever it holds; for text that is not JSON the answer is some answer."""
    if text.count("[") + text.count("{") <= limit:
        return False
    return _deeper(text, 0, limit, one_value=False)


def check_depth(text: str) -> None:
    """Refuse nesting deeper than ``MAX_PARSE_DEPTH`` before the recursive C decoder sees it.

    Only documents with that many brackets can be that deep, so the exact scan (which skips
    brackets inside strings) runs only for them.
    """
    if nested_deeper_than(text, MAX_PARSE_DEPTH):
        raise FormatError(f"JSON nested deeper than {MAX_PARSE_DEPTH} levels")


def loads_within_depth(text: str) -> Any:
    """``json.loads(text)`` after ``check_depth``: plain JSON (floats, duplicate keys and all), but never deeper
    than the decoder's recursion can take, whatever the recursion limit.

    Raises:
        FormatError: nested deeper than ``MAX_PARSE_DEPTH``.
        ValueError: not JSON.
    """
    check_depth(text)
    return json.loads(text)


def check_value_depth(text: str, start: int) -> None:
    """``check_depth`` for the one value that starts at ``start`` in ``text``, scanning only as far as it goes."""
    if _deeper(text, start, MAX_PARSE_DEPTH, one_value=True):
        raise FormatError(f"JSON nested deeper than {MAX_PARSE_DEPTH} levels")


def _deeper(text: str, start: int, limit: int, *, one_value: bool) -> bool:
    depth = 0
    for token in _TOKENS.finditer(text, start):
        found = token.group()
        if found == '"':
            return False  # a string that never closes: the rest lies inside it (and the text is no JSON)
        if found in ("[", "{"):
            depth += 1
            if depth > limit:
                return True
        elif found in ("]", "}"):
            depth -= 1
        if one_value and depth <= 0:
            return False
    return False


_STRICT_DECODER = json.JSONDecoder(
    object_pairs_hook=_no_duplicates, parse_float=_refuse_float, parse_constant=_refuse_constant
)


def strict_decoder() -> json.JSONDecoder:
    """The decoder ``parse_json_strict`` uses (its ``raw_decode`` lets a stream decode one value at a time)."""
    return _STRICT_DECODER


def parse_json_strict(data: bytes) -> Any:
    """Parse UTF-8 JSON, refusing duplicate keys, floats, NaN, Infinity and absurd nesting.

    Raises:
        FormatError: the bytes are not UTF-8 or not such JSON.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"not valid UTF-8 at byte {exc.start}", offset=exc.start) from exc
    check_depth(text)
    try:
        return _STRICT_DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except RecursionError as exc:
        raise FormatError("JSON nested too deeply") from exc
    except ValueError as exc:
        # int() refuses numbers of more than 4,300 digits with a plain ValueError.
        raise FormatError(f"not valid JSON: {exc}") from exc


class _NotFast(Exception):
    """The fast path declines: the strict path decides (and raises the error the caller must see)."""


def _decline(_: str) -> Any:
    raise _NotFast


def _safe_int(text: str) -> int:
    value = int(text)
    if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise _NotFast
    return value


_FAST_DECODER = json.JSONDecoder(parse_float=_decline, parse_constant=_decline, parse_int=_safe_int)


def _parse_canonical_fast(data: bytes) -> Any:
    """The value of ``data`` if it is plainly canonical, else ``_NotFast``; never a different verdict.

    Accepts only what ``parse_canonical``'s strict path accepts, with the same value: the C decoder
    without a per-object hook, then one C encoding compared byte for byte. A duplicate key, an escape,
    white space or key disorder changes the re-encoding, so it falls to the strict path; floats,
    NaN/Infinity and unsafe integers are declined by the decoder's hooks; any character above U+FFFF
    (which could make code-point and UTF-16 key order differ), a lone surrogate, invalid UTF-8 or as
    many containers as ``MAX_JSON_DEPTH`` leave the decision to the strict path too.
    """
    return _plainly_canonical(data.decode("utf-8"))


def _plainly_canonical(text: str, containers: int = 0) -> Any:
    """``_parse_canonical_fast`` for text found inside a document with ``containers`` other objects and arrays."""
    if not text.isascii() and _ASTRAL.search(text):
        raise _NotFast
    if text.count("{") + text.count("[") + containers >= MAX_JSON_DEPTH:
        raise _NotFast
    value = _FAST_DECODER.decode(text)
    if _SORTED_ENCODER.encode(value) != text:
        raise _NotFast
    return value


def plainly_canonical_object(text: str, containers: int) -> dict[str, Any] | None:
    """The object ``text`` holds if it is plainly canonical (as ``parse_canonical``'s fast path decides), where it
    sits inside a document with ``containers`` other objects and arrays; ``None`` if the strict path must decide.

    For a fast parser that found an object's text inside canonical bytes of a known layout: the same
    declines as the fast path over the whole document (characters above U+FFFF, as many containers as
    ``MAX_JSON_DEPTH``, floats, unsafe integers, anything that does not re-encode to the same text).
    """
    try:
        value = _plainly_canonical(text, containers)
    except (_NotFast, ValueError, RecursionError):
        return None
    return value if type(value) is dict else None


def parse_canonical(data: bytes) -> Any:
    """Parse bytes that must be exactly the canonical encoding of what they hold.

    Most entries take a fast path that accepts exactly what the strict path accepts; anything else
    goes through ``parse_json_strict`` and the canonical re-encoding check, which give the error.

    Raises:
        FormatError: not strict JSON, or not in canonical form (key order, white space,
            escapes, number form).
    """
    try:
        return _parse_canonical_fast(data)
    except (_NotFast, ValueError, RecursionError):
        # ValueError covers UnicodeDecodeError and UnicodeEncodeError, JSONDecodeError and too many digits.
        pass
    return parse_canonical_strict(data)


def parse_canonical_strict(data: bytes) -> Any:
    """``parse_canonical`` without its fast path (the reference the fast path is tested against).

    Raises:
        FormatError: as ``parse_canonical``.
    """
    value = parse_json_strict(data)
    if canonical_bytes(value) != data:
        raise FormatError("not in RFC 8785 canonical form")
    return value
