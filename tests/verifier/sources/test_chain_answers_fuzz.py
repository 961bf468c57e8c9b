"""Fuzzing the pure answer decoders: whatever a node sends, each returns a checked value or raises
MalformedChainAnswer (never IndexError, TypeError, ValueError…), and valid answers decode to what was encoded."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.canonical import nested_deeper_than
from verifier.sources import rpc_values
from verifier.sources.abi import ANCHORED_TOPIC
from verifier.sources.chain_answers import (
    AnchoredEvent,
    anchor_from_anchored_at,
    anchor_from_latest,
    decode_anchored_logs,
    decode_block,
    is_unknown_log_revert,
)
from verifier.sources.chain_errors import ChainUnavailable, MalformedChainAnswer
from verifier.sources.jsonrpc import parse_envelope, rpc_error

CONTRACT = bytes.fromhex("5fbdb2315678afecb367f032d93f642f64180aa3")
LOG_ID = bytes(range(32))

hex_digits = st.text(alphabet="0123456789abcdefABCDEF", max_size=140)
hexish = st.one_of(
    hex_digits.map(lambda digits: "0x" + digits),
    st.binary(max_size=140).map(lambda raw: "0x" + raw.hex()),
    st.text(max_size=20),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), hexish)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12,
)


def word(value: int) -> str:
    return value.to_bytes(32, "big").hex()


def valid_log(index: int) -> dict[str, Any]:
    return {
        "address": "0x" + CONTRACT.hex(),
        "topics": ["0x" + ANCHORED_TOPIC.hex(), "0x" + LOG_ID.hex(), "0x" + word(index + 1)],
        "data": "0x" + bytes([index + 1]).hex() * 32 + word(index),
        "blockNumber": hex(index + 1),
        "blockHash": "0x" + "ab" * 32,
        "transactionHash": "0x" + "cd" * 32,
        "logIndex": "0x0",
        "removed": False,
    }


# A valid list of logs with some fields replaced by anything: reaches every check of the log decoder.
mutated_logs = st.builds(
    lambda count, changes: [
        {**valid_log(i), **{key: value for (j, key), value in changes.items() if j == i}} for i in range(count)
    ],
    st.integers(min_value=0, max_value=3),
    st.dictionaries(
        st.tuples(st.integers(min_value=0, max_value=3), st.sampled_from(sorted(valid_log(0)))), json_values, max_size=3
    ),
)
mutated_blocks = st.fixed_dictionaries(
    {},
    optional={
        "number": st.one_of(st.just("0x3"), json_values),
        "hash": st.one_of(st.just("0x" + "ab" * 32), json_values),
        "timestamp": st.one_of(st.just("0x10"), json_values),
    },
)


def decodes_or_is_malformed(decode: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return decode(*args, **kwargs)
    except MalformedChainAnswer as exc:
        assert isinstance(exc.message, str) and len(exc.answer) <= 201
        return None


@settings(max_examples=200)
@given(json_values)
def test_value_parsers_never_crash(value: Any) -> None:
    decodes_or_is_malformed(rpc_values.parse_quantity, value, "x")
    decodes_or_is_malformed(rpc_values.parse_data, value, "x")
    decodes_or_is_malformed(rpc_values.parse_hash, value, "x")
    decodes_or_is_malformed(rpc_values.parse_address, value, "x")
    assert is_unknown_log_revert(value, LOG_ID) in (True, False)


@settings(max_examples=200)
@given(st.one_of(json_values, st.binary(max_size=200).map(lambda raw: "0x" + raw.hex())))
def test_call_result_decoders_never_crash(result: Any) -> None:
    decodes_or_is_malformed(anchor_from_anchored_at, result, 5)
    decodes_or_is_malformed(anchor_from_latest, result)


@settings(max_examples=200)
@given(st.one_of(json_values, mutated_blocks))
def test_the_block_decoder_never_crashes(result: Any) -> None:
    decodes_or_is_malformed(decode_block, result, 3)


@settings(max_examples=200)
@given(st.one_of(json_values, mutated_logs))
def test_the_log_decoder_never_crashes(result: Any) -> None:
    decoded = decodes_or_is_malformed(decode_anchored_logs, result, CONTRACT, LOG_ID, 0, 10)
    assert decoded is None or all(isinstance(event, AnchoredEvent) for event in decoded)


@given(st.integers(min_value=0, max_value=3))
def test_valid_logs_decode_to_their_values(count: int) -> None:
    events = decode_anchored_logs([valid_log(i) for i in reversed(range(count))], CONTRACT, LOG_ID, 0, 10)
    assert [(e.size, e.previous_size, e.block_number, e.root[0]) for e in events] == [
        (i + 1, i, i + 1, i + 1) for i in range(count)
    ]


@given(st.integers(min_value=0, max_value=2**64 - 1), st.binary(min_size=0, max_size=40))
def test_quantities_and_data_round_trip(number: int, raw: bytes) -> None:
    assert rpc_values.parse_quantity(rpc_values.quantity(number), "x") == number
    assert rpc_values.parse_quantity(rpc_values.quantity(number).upper().replace("0X", "0x"), "x") == number
    assert rpc_values.parse_data(rpc_values.data(raw), "x") == raw


@settings(max_examples=300)
@given(st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode())))
def test_the_envelope_check_never_crashes(raw: bytes) -> None:
    with contextlib.suppress(MalformedChainAnswer):
        parse_envelope(raw, 1, "http://node", "m")


@settings(max_examples=300)
@given(json_values)
def test_error_objects_become_chain_errors(error: Any) -> None:
    assert isinstance(rpc_error(error, "http://node", "m"), ChainUnavailable)


@given(st.integers(min_value=0, max_value=60), st.text(alphabet='[]{}"\\ a', max_size=60))
def test_nesting_depth_matches_the_json_parser(depth: int, noise: str) -> None:
    nested = json.dumps(json.loads("[" * depth + json.dumps(noise) + "]" * depth))
    assert nested_deeper_than(nested, 32) == (depth > 32)
