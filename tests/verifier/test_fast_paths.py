"""The full audit's fast paths give the strict paths' verdicts, byte for byte and error for error.

``parse_canonical`` tries the C JSON decoder and one re-encoding before the strict parser, and
``parse_entry`` remembers names that matched their pattern. Differential tests: for canonical bytes and
every kind of mutation of them (a byte inserted, removed or replaced, a key repeated, a number spelled
as a float, white space, escapes), the fast path returns the same value or raises the same error as the
strict one.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.verifier.test_canonical import json_values, keys, strings
from verifier import entry as entry_module
from verifier.canonical import canonical_bytes, canonical_text_within, parse_canonical, parse_canonical_strict
from verifier.entry import build_entry, build_transition, encode_entry, parse_entry
from verifier.errors import FormatError, VerificationError

TRANSITION = {
    "v": "hotline.transition/v1",
    "log": "12345.hangzhou.gov.cn/ledger/v1",
    "ticket": "HZ-2026-000001",
    "seq": 2,
    "prev": "ab" * 32,
    "event": "dispatch",
    "from": "pending_dispatch",
    "to": "dispatched",
    "actor": {"org": "hz.centre", "role": "dispatcher"},
    "at": "2026-03-02T09:15:00.123+08:00",
    "policy": "cn-baseline@0123456789ab",
    "attrs": {"category": "noise", "urgency": "normal", "tags": ["a", "b"]},
    "payload": None,
}
SNIPPETS = [b" ", b"\n", b",", b'"', b"\\", b"{", b"}", b"[", b"]", b"1.0", b"1e2", b"-0", b"NaN", b"\\u0041", b"\xff"]


def outcome(parse: Any, data: bytes) -> tuple[str, str]:
    try:
        return "ok", repr(parse(data))
    except VerificationError as exc:
        return type(exc).__name__, exc.message


def mutations() -> st.SearchStrategy[tuple[str, int, bytes]]:
    return st.tuples(
        st.sampled_from(["insert", "delete", "replace", "none"]),
        st.integers(min_value=0, max_value=10_000),
        st.one_of(st.sampled_from(SNIPPETS), st.binary(min_size=1, max_size=3)),
    )


def mutate(data: bytes, how: tuple[str, int, bytes]) -> bytes:
    kind, position, snippet = how
    at = position % (len(data) + 1)
    if kind == "insert":
        return data[:at] + snippet + data[at:]
    if kind == "delete":
        return data[:at] + data[at + 1 :]
    if kind == "replace":
        return data[:at] + snippet + data[at + len(snippet) :]
    return data


@settings(max_examples=400, deadline=None)
@given(json_values, mutations())
def test_parse_canonical_fast_path_agrees_with_the_strict_path(value: Any, how: tuple[str, int, bytes]) -> None:
    data = mutate(canonical_bytes(value), how)
    assert outcome(parse_canonical, data) == outcome(parse_canonical_strict, data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_parse_canonical_fast_path_agrees_on_any_bytes(data: bytes) -> None:
    assert outcome(parse_canonical, data) == outcome(parse_canonical_strict, data)


@pytest.mark.parametrize(
    "data",
    [
        b'{"a":1,"a":1}',
        b'{"a":1,"a":2}',
        b'{"a":1.0}',
        b'{"a":1e2}',
        b'{"a":-0}',
        b'{"a":NaN}',
        b'{"a":9007199254740992}',
        b'{"a":"\\u0041"}',
        b'{"a":"\\/"}',
        b'{"a":"\\ud800"}',
        b'{"b":1,"a":2}',
        b'{"a":1} ',
        '{"\U0001f600":2,"\uffff":1}'.encode(),
        '{"\uffff":1,"\U0001f600":2}'.encode(),
        b"[[[[[[[[[1]]]]]]]]]",
        b"[" * 100 + b"]" * 100,
        b'{"a":' + b"1" * 5000 + b"}",
    ],
    ids=repr,
)
def test_parse_canonical_fast_path_agrees_on_the_hard_cases(data: bytes) -> None:
    assert outcome(parse_canonical, data) == outcome(parse_canonical_strict, data)


def parse_entry_strictly(data: bytes) -> Any:
    """``parse_entry`` as it was before its fast paths: the strict parser and no remembered names."""
    entry_module._MATCHED.clear()
    if len(data) > entry_module.MAX_ENTRY_BYTES:
        raise FormatError(f"entry is {len(data)} bytes, more than {entry_module.MAX_ENTRY_BYTES}")
    return entry_module._validate(parse_canonical_strict(data), data)


@settings(max_examples=400, deadline=None)
@given(
    st.fixed_dictionaries(
        {
            "event": st.sampled_from(["dispatch", "Dispatch", "d", "", "x" * 41]),
            "from": st.sampled_from(["pending_dispatch", None, "Pending", 3]),
            "role": st.sampled_from(["dispatcher", "agent", "Agent", "", ["x"]]),
            "org": st.sampled_from(["hz.centre", "hz centre", ".hz", {"a": 1}]),
            "log": st.sampled_from(["12345.hangzhou.gov.cn/ledger/v1", "a b", ""]),
            "policy": st.sampled_from(["cn-baseline@0123456789ab", "cn-baseline@0123", "x"]),
        }
    ),
    mutations(),
)
def test_parse_entry_agrees_with_the_strict_path(fields: dict[str, Any], how: tuple[str, int, bytes]) -> None:
    record = {**TRANSITION, **{k: v for k, v in fields.items() if k not in ("role", "org")}}
    record["actor"] = {"org": fields["org"], "role": fields["role"]}
    data = mutate(canonical_bytes(record), how)
    # Warm the remembered names with a valid entry first, as a long audit would have.
    parse_entry(encode_entry(TRANSITION))
    fast = outcome(parse_entry, data)
    assert fast == outcome(parse_entry_strictly, data)
    # And in the other order: what was remembered from this entry changes nothing for the next.
    assert outcome(parse_entry, data) == fast


# --- build_transition: an entry put together around canonical attrs, as build_entry encodes it -----------

#: Strings for a record's fields: valid ones, near misses, and strings that are not plain (escapes, astral
#: characters, a lone surrogate), which the assembly must write exactly as the encoder does.
string_values = st.one_of(
    st.sampled_from(
        [
            "",
            "x",
            "ab" * 32,
            "dispatched",
            "hz.centre",
            "2026-03-02T09:15:00.123+08:00",
            "sha256:" + "cd" * 32,
            "\ud800",
            '"\\\n',
            "\U0001f600",
            "中文",
        ]
    ),
    strings,
)
#: And values of other types, which build_transition leaves to build_entry.
field_values = st.one_of(
    string_values, string_values, st.sampled_from([None, 0, 1, 2, -1, 2**60, True, 1.5, ["x"], {"a": 1}])
)
optional_fields = st.sampled_from(["sig", "sig", "extra", "missing:to", "missing:attrs", "none", "none", "none"])


def built(build: Any, *args: Any) -> tuple[str, Any]:
    try:
        entry = build(*args)
    except VerificationError as exc:
        return type(exc).__name__, (exc.message, exc.evidence)
    except Exception as exc:  # Whatever the strict path raises, the fast one must too.
        return type(exc).__name__, str(exc)
    return "ok", (entry.data, repr(entry))


@settings(max_examples=600, deadline=None)
@given(
    st.dictionaries(st.sampled_from(sorted(TRANSITION)), field_values, max_size=3),
    st.dictionaries(st.sampled_from(["org", "role", "key", "key", "other"]), field_values, max_size=2),
    st.one_of(st.dictionaries(keys, json_values, max_size=4), st.just({})),
    optional_fields,
    st.one_of(st.none(), string_values, field_values),
)
def test_build_transition_agrees_with_build_entry(
    changes: dict[str, Any], actor_changes: dict[str, Any], attrs: dict[str, Any], shape: str, sig: Any
) -> None:
    record: dict[str, Any] = {**TRANSITION, **changes}
    record["actor"] = {**TRANSITION["actor"], **actor_changes}
    if "attrs" not in changes:
        record["attrs"] = attrs
    if shape == "sig":
        record["sig"] = sig
    elif shape == "extra":
        record["extra"] = sig
    elif shape.startswith("missing:"):
        record.pop(shape.split(":")[1])
    try:
        attrs_text = canonical_text_within(record.get("attrs"), 1, "$.attrs")
    except FormatError:
        return  # The producer refuses such attrs before it builds an entry (checked below).
    assert outcome_of_build(record, attrs_text) == built(lambda r: build_entry(r, checked=True), record)


def outcome_of_build(record: dict[str, Any], attrs_text: str) -> tuple[str, Any]:
    return built(build_transition, record, attrs_text)


@settings(max_examples=600, deadline=None)
@given(
    st.dictionaries(st.sampled_from(sorted(set(TRANSITION) - {"seq", "actor", "attrs"})), string_values, max_size=3),
    st.one_of(st.just(1), st.just(2), st.integers(min_value=-3, max_value=2**60)),
    st.dictionaries(st.sampled_from(["org", "role", "key"]), string_values, max_size=2),
    st.one_of(st.dictionaries(keys, json_values, max_size=4), st.just({})),
    st.one_of(st.none(), string_values),
)
def test_build_transition_agrees_with_build_entry_on_plain_records(
    changes: dict[str, Any], seq: int, actor_changes: dict[str, Any], attrs: dict[str, Any], sig: str | None
) -> None:
    # The records build_transition puts together itself: strings where strings belong, an integer seq.
    record: dict[str, Any] = {**TRANSITION, **changes, "seq": seq, "attrs": attrs}
    record["actor"] = {**TRANSITION["actor"], **actor_changes}
    if sig is not None:
        record["sig"] = sig
    for name in ("from", "prev", "payload"):
        if name not in changes and seq % 3 == 0:
            record[name] = None
    try:
        attrs_text = canonical_text_within(attrs, 1, "$.attrs")
    except FormatError:
        return
    assert outcome_of_build(record, attrs_text) == built(lambda r: build_entry(r, checked=True), record)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_canonical_text_within_is_what_canonical_bytes_writes_there(value: Any) -> None:
    # The value as attrs of an entry-like object: its text is the one canonical_bytes writes for it there.
    whole = {"a": 1, "attrs": value, "z": "\U0001f600"}
    try:
        expected: tuple[str, Any] = ("ok", canonical_bytes(whole))
    except FormatError as exc:
        expected = ("error", (exc.message, exc.evidence))
    try:
        text = canonical_text_within(value, 1, "$.attrs")
        got: tuple[str, Any] = ("ok", ('{"a":1,"attrs":' + text + ',"z":"\U0001f600"}').encode())
    except FormatError as exc:
        got = ("error", (exc.message, exc.evidence))
    except UnicodeEncodeError:
        # Left to the caller, which encodes the whole (build_transition, the sequencer).
        got = ("error", ("string holds a lone surrogate, which is not valid Unicode", {"path": "$"}))
    assert got == expected


@pytest.mark.parametrize(
    "attrs",
    [
        {"\uffff": 1, "\U0001f600": 2},
        {"k": [[[[[[[1]]]]]]]},
        {"k": [[[[[[1]]]]]]},
        {"score": 1.5},
        {"n": 2**60},
        {1: "x"},
        {"s": "\ud800"},
    ],
    ids=repr,
)
def test_canonical_text_within_hard_cases(attrs: dict[Any, Any]) -> None:
    test_canonical_text_within_is_what_canonical_bytes_writes_there.hypothesis.inner_test(attrs)  # type: ignore[attr-defined]
