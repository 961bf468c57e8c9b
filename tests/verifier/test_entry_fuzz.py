"""Hostile entry bytes: whatever JSON value stands in any member of a valid entry of each schema, or as the whole
entry, ``parse_entry`` refuses it with a ``FormatError`` (or accepts it): never another exception, which would
crash the verifier on evidence a dishonest operator controls (``{"v":[]}`` once raised ``TypeError``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.evidence.test_fuzz_parsers import _paths
from tests.verifier.test_entry import dispatch, opening, publish_policy, register_key, revoke_key, signed
from verifier.canonical import canonical_bytes
from verifier.entry import parse_entry
from verifier.errors import FormatError

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**60), max_value=2**60) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
RECORDS = {
    "opening": opening,
    "dispatch": dispatch,
    "signed": lambda: signed(dispatch()),
    "register_key": register_key,
    "revoke_key": revoke_key,
    "policy": publish_policy,
}


def outcome(data: bytes) -> str:
    try:
        parse_entry(data)
    except FormatError:
        return "refused"
    return "accepted"


@pytest.mark.parametrize("v", [[], {}, ["hotline.transition/v1"], {"a": 1}, 1, True, None])
def test_a_schema_name_that_is_no_string_is_refused(v: Any) -> None:
    with pytest.raises(FormatError, match="unknown entry schema"):
        parse_entry(canonical_bytes({**opening(), "v": v}))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(RECORDS)), st.data())
def test_any_value_anywhere_is_refused_cleanly(kind: str, data: st.DataObject) -> None:
    record = json.loads(json.dumps(RECORDS[kind]()))
    path = data.draw(st.sampled_from(_paths(record)))
    value = data.draw(json_values)
    if not path:
        record = value
    else:
        parent = record
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = value
    try:
        encoded = canonical_bytes(record)
    except FormatError:
        return  # not encodable (e.g. a lone surrogate): no entry can hold it
    assert outcome(encoded) in ("refused", "accepted")
