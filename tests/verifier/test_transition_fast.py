"""The usual-layout fast path of ``parse_entry`` (``verifier.transition_fast``) gives the strict parser's answer.

Differential tests: for transitions of every shape (valid, near misses, other types, free-form ``attrs`` with
escapes, astral keys and nesting) and every kind of mutation of their bytes, ``parse_entry`` returns the very
object the strict parser builds — every field, the parsed time included — or raises the same error; and the fast
path alone either declines or agrees.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.verifier.test_canonical import json_values, keys
from tests.verifier.test_fast_paths import TRANSITION, field_values, mutate, mutations, parse_entry_strictly
from verifier import transition_fast
from verifier.canonical import canonical_bytes
from verifier.entry import Transition, encode_entry, parse_entry
from verifier.errors import VerificationError
from verifier.transition_fast import FAST_MAX_BYTES, parse_usual_transition

OPENING = {**TRANSITION, "seq": 1, "prev": None, "from": None, "event": "register", "to": "registered"}


def outcome(parse: Any, data: bytes) -> tuple[str, Any]:
    try:
        entry = parse(data)
    except VerificationError as exc:
        return type(exc).__name__, (exc.message, exc.evidence)
    return type(entry).__name__, vars(entry)


def agree(data: bytes) -> tuple[str, Any]:
    """Assert the three agree on ``data``; return the strict parser's outcome."""
    strict = outcome(parse_entry_strictly, data)
    assert outcome(parse_entry, data) == strict
    fast = parse_usual_transition(data)
    if fast is not None:
        assert strict == ("Transition", vars(fast))
    return strict


def took_fast_path(data: bytes) -> bool:
    return parse_usual_transition(data) is not None


@settings(max_examples=800, deadline=None)
@given(
    st.dictionaries(st.sampled_from(sorted(TRANSITION)), field_values, max_size=2),
    st.dictionaries(st.sampled_from(["org", "role", "key", "key"]), field_values, max_size=2),
    st.one_of(st.dictionaries(keys, json_values, max_size=4), st.just({})),
    st.sampled_from([OPENING, TRANSITION]),
    mutations(),
)
def test_parse_entry_agrees_with_the_strict_parser(
    changes: dict[str, Any], actor: dict[str, Any], attrs: dict[str, Any], base: dict[str, Any], how: Any
) -> None:
    record: dict[str, Any] = {**base, **changes, "attrs": attrs}
    record["actor"] = {**base["actor"], **actor}
    try:
        data = canonical_bytes(record)
    except VerificationError:
        return  # no bytes to parse: the record cannot be encoded at all
    agree(mutate(data, how))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(keys, json_values, max_size=6), mutations())
def test_free_form_attrs_agree(attrs: dict[str, Any], how: Any) -> None:
    try:
        data = canonical_bytes({**TRANSITION, "attrs": attrs})
    except VerificationError:
        return
    agree(data)
    agree(mutate(data, how))


def test_the_usual_transitions_take_the_fast_path_and_build_every_field() -> None:
    for record in (OPENING, TRANSITION, {**TRANSITION, "actor": {"org": "hz.centre", "role": "unit", "key": "k:1"}}):
        data = encode_entry(record)
        assert took_fast_path(data)
        kind, fields = agree(data)
        assert kind == "Transition"
        assert set(fields) == {f.name for f in dataclasses.fields(Transition)}
        assert fields["moment"] is not None


def _with(base: dict[str, Any], **changes: Any) -> bytes:
    return canonical_bytes({**base, **changes})


HARD = {
    # Accepted by the strict parser, declined here (escapes, a signature, astral characters).
    "origin with a quote": _with(TRANSITION, log='12345."hz"/v1'),
    "origin with a backslash": _with(TRANSITION, log="12345\\hz"),
    "signed": _with(TRANSITION, sig="A" * 86 + "=="),
    "astral key in attrs": _with(TRANSITION, attrs={"\U0001f600": 1, "\uffff": 2}),
    "control character in attrs": _with(TRANSITION, attrs={"a": "\x01\n"}),
    # Refused by the strict parser: the fast path must decline them all.
    "seq 1 with prev": _with(OPENING, prev="ab" * 32),
    "seq 1 with from": _with(OPENING, **{"from": "registered"}),
    "seq 2 without prev": _with(TRANSITION, prev=None),
    "seq 2 without from": _with(TRANSITION, **{"from": None}),
    "seq beyond 2^53": _with(TRANSITION).replace(b'"seq":2', b'"seq":9007199254740992'),
    "seq 0": _with(TRANSITION, seq=0),
    "no such day": _with(TRANSITION, at="2026-02-30T09:15:00.123+08:00"),
    "hour 24": _with(TRANSITION, at="2026-03-02T24:15:00.123+08:00"),
    "offset 24": _with(TRANSITION, at="2026-03-02T09:15:00.123+24:00"),
    "attrs not canonical": _with(TRANSITION).replace(b'"category":"noise"', b'"category":"nois\\u0065"'),
    "attrs keys out of order": _with(TRANSITION, attrs={}).replace(b'"attrs":{}', b'"attrs":{"b":1,"a":2}'),
    "attrs duplicate key": _with(TRANSITION, attrs={}).replace(b'"attrs":{}', b'"attrs":{"a":1,"a":1}'),
    "attrs float": _with(TRANSITION, attrs={}).replace(b'"attrs":{}', b'"attrs":{"a":1.5}'),
    "attrs unsafe integer": _with(TRANSITION, attrs={}).replace(b'"attrs":{}', b'"attrs":{"a":9007199254740992}'),
    "attrs an array": _with(TRANSITION, attrs={}).replace(b'"attrs":{}', b'"attrs":[]'),
    "attrs too deep": _with(TRANSITION, attrs={}).replace(b'"attrs":{}', b'"attrs":{"a":[[[[[[[1]]]]]]]}'),
    "attrs as deep as the fast path takes": _with(TRANSITION, attrs={"a": [[[[1]]]]}),
    "attrs deeper than the fast path takes": _with(TRANSITION, attrs={"a": [[[[[1]]]]]}),
    "attrs hiding the next member": _with(TRANSITION, attrs={"a": '},"event":"x","from":null'}),
    "white space": _with(TRANSITION).replace(b',"event"', b', "event"'),
    "not UTF-8": _with(TRANSITION).replace(b"noise", b"nois\xff"),
    "lone surrogate escape": _with(TRANSITION, attrs={}).replace(b'"attrs":{}', b'"attrs":{"a":"\\ud800"}'),
    "another schema's name": _with(TRANSITION, v="hotline.transition/v2"),
}


@pytest.mark.parametrize("data", list(HARD.values()), ids=list(HARD))
def test_the_hard_cases_agree(data: bytes) -> None:
    agree(data)


@pytest.mark.parametrize(
    "name", ["seq 1 with prev", "seq beyond 2^53", "no such day", "attrs not canonical", "attrs too deep", "signed"]
)
def test_the_fast_path_declines_what_it_must_not_decide(name: str) -> None:
    assert not took_fast_path(HARD[name])


@pytest.mark.parametrize("name", ["control character in attrs", "attrs as deep as the fast path takes"])
def test_the_fast_path_takes_what_it_can(name: str) -> None:
    assert took_fast_path(HARD[name])


def test_the_length_bound_is_exact() -> None:
    base = encode_entry({**TRANSITION, "attrs": {"note": ""}})
    fill = FAST_MAX_BYTES - len(base)
    at_bound = encode_entry({**TRANSITION, "attrs": {"note": "x" * fill}})
    over = encode_entry({**TRANSITION, "attrs": {"note": "x" * (fill + 1)}})
    assert len(at_bound) == FAST_MAX_BYTES and took_fast_path(at_bound)
    assert len(over) == FAST_MAX_BYTES + 1 and not took_fast_path(over)
    agree(at_bound)
    agree(over)


def test_remembered_attrs_are_never_shared_between_entries() -> None:
    data = encode_entry({**TRANSITION, "attrs": {"category": "noise"}})
    first, second = parse_entry(data), parse_entry(data)
    assert isinstance(first, Transition) and isinstance(second, Transition)
    assert first.attrs is not second.attrs
    first.attrs["category"] = "changed"  # type: ignore[index]
    assert second.attrs == {"category": "noise"}
    assert parse_entry(data).attrs == {"category": "noise"}


def test_the_memories_start_over_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transition_fast, "MAX_REMEMBERED_ATTRS", 3)
    monkeypatch.setattr(transition_fast, "MAX_REMEMBERED_ACTORS", 3)
    for n in range(10):
        record = {**TRANSITION, "attrs": {"n": n}, "actor": {"org": f"org{n}", "role": "dispatcher"}}
        agree(encode_entry(record))
        assert len(transition_fast._ATTRS) <= 3 and len(transition_fast._ACTORS) <= 3
