"""The sequencer's fast path for a request's canonical bytes gives ``canonical_parts``' bytes, or its error.

``ledger.sequencer._request_parts`` puts a plain request's canonical bytes together from its parts and
shares the canonical text of its ``attrs`` with the entry (``verifier.entry.build_transition``). The
idempotency digest is taken over these bytes, so a single differing byte would turn a retried request into
a conflict (or, worse, two different requests into one). Differential tests against the reference,
``TransitionRequest.canonical_parts``, over requests of plain and of odd values; and the digest against
``hmac``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import InvalidRequest, LedgerError
from ledger.payloads import PayloadKey
from ledger.sequencer import TransitionRequest, _request_parts
from tests.ledger.test_sequencer import register
from tests.verifier.test_canonical import json_values, keys, strings
from verifier.canonical import canonical_bytes
from verifier.entry import Actor
from verifier.errors import FormatError
from verifier.limits import MAX_SAFE_INTEGER

#: Strings, with the ones that need care: escapes, astral characters, a lone surrogate (refused).
texts = st.one_of(strings, st.sampled_from(["", '"\\\n\x00', "\U0001f600", "中文", "\ud800", "a\udfffb"]))
#: Values of other types where a string or an integer belongs: the fast path must leave them to the reference.
odd = st.sampled_from([None, 0, -1, 1.5, True, 2**60, -(2**53), ["x"], {"a": 1}, b"bytes", ("t",)])
safe_ints = st.one_of(
    st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER), st.sampled_from([MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER])
)
unsafe_ints = st.sampled_from([MAX_SAFE_INTEGER + 1, -MAX_SAFE_INTEGER - 1, 2**64])


def parts(compute: Any, request: TransitionRequest) -> tuple[str, Any]:
    try:
        return "ok", compute(request)
    except LedgerError as exc:
        return type(exc).__name__, (exc.message, exc.details)
    except Exception as exc:  # Whatever the reference raises, the fast path must too.
        return type(exc).__name__, str(exc)


def reference(request: TransitionRequest) -> tuple[bytes, bytes | None]:
    """``canonical_parts`` with the sequencer's error for it, as before the fast path."""
    try:
        return request.canonical_parts()
    except FormatError as exc:
        raise InvalidRequest(f"ticket {request.ticket}: {exc.message}", **exc.evidence) from exc


def check_agrees(request: TransitionRequest) -> None:
    fast = parts(_request_parts, request)
    expected = parts(reference, request)
    assert (fast[0], fast[1][:2] if fast[0] == "ok" else fast[1]) == expected
    if fast[0] == "ok" and fast[1][2] is not None:
        # The attrs text the entry is put together with is their canonical encoding.
        assert fast[1][2].encode() == canonical_bytes(request.attrs)


@settings(max_examples=500, deadline=None)
@given(
    st.fixed_dictionaries(
        {
            "transition_id": texts.filter(lambda t: len(t) > 0 and "\x00" not in t),
            "ticket": texts,
            "event": texts,
            "to": texts,
            "at": texts,
            "org": texts,
            "role": texts,
            "key": st.one_of(st.none(), texts),
            "attrs": st.one_of(st.just({}), st.dictionaries(keys, json_values, max_size=4)),
            "payload": st.one_of(st.none(), json_values),
            "expected_seq": st.one_of(st.none(), safe_ints),
            "policy": st.one_of(st.none(), texts),
            "sig": st.one_of(st.none(), texts),
        }
    )
)
def test_plain_requests_give_the_reference_bytes(fields: dict[str, Any]) -> None:
    actor = Actor(fields.pop("org"), fields.pop("role"), fields.pop("key"))
    check_agrees(TransitionRequest(actor=actor, **fields))


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(["ticket", "event", "to", "at", "actor.org", "actor.role", "actor.key", "attrs", "payload"])
    | st.sampled_from(["expected_seq", "policy", "sig"]),
    st.one_of(odd, unsafe_ints, texts, st.dictionaries(keys, json_values, max_size=3), json_values),
    st.sampled_from(["", "attrs-float", "attrs-deep", "astral-key", "payload-float"]),
)
def test_odd_requests_give_the_reference_bytes_or_error(field: str, value: Any, also: str) -> None:
    request = register()
    if field.startswith("actor."):
        actor = {"org": request.actor.org, "role": request.actor.role, "key": request.actor.key}
        actor[field.split(".")[1]] = value
        request = dataclasses.replace(request, actor=Actor(**actor))
    else:
        request = dataclasses.replace(request, **{field: value})
    if also == "attrs-float" and isinstance(request.attrs, dict):
        request = dataclasses.replace(request, attrs={**request.attrs, "score": 1.5})
    elif also == "attrs-deep":
        request = dataclasses.replace(request, attrs={"k": [[[[[[[1]]]]]]]})
    elif also == "astral-key" and isinstance(request.attrs, dict):
        request = dataclasses.replace(request, attrs={**request.attrs, "\U0001f600": 1, "\uffff": 2})
    elif also == "payload-float":
        request = dataclasses.replace(request, payload={"n": 0.5})
    check_agrees(request)


def test_the_demo_requests_take_the_fast_path() -> None:
    request = register()
    fields, payload, attrs_text = _request_parts(request)
    assert attrs_text is not None
    assert (fields, payload) == request.canonical_parts()


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.binary(max_size=300))
def test_the_request_digest_is_hmac_sha256(key: bytes, data: bytes) -> None:
    mac_key = hmac.new(key, b"hotline-ledger request digest v1", hashlib.sha256).digest()
    assert PayloadKey(key).digest(data) == hmac.new(mac_key, data, hashlib.sha256).digest()


def test_the_request_digest_of_a_long_request() -> None:
    key, data = os.urandom(32), os.urandom(100_000)
    mac_key = hmac.new(key, b"hotline-ledger request digest v1", hashlib.sha256).digest()
    assert PayloadKey(key).digest(data) == hmac.new(mac_key, data, hashlib.sha256).digest()
