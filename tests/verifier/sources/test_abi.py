"""The hand-written ABI of verifier.sources.abi against keccak, the committed artifact, and eth-abi (tests only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak
from hypothesis import given
from hypothesis import strategies as st

from verifier.sources import abi
from verifier.sources.chain_errors import MalformedChainAnswer

ARTIFACT = Path(__file__).resolve().parents[3] / "contracts" / "build" / "CheckpointAnchor.json"
UINT64 = st.integers(min_value=0, max_value=2**64 - 1)
BYTES32 = st.binary(min_size=32, max_size=32)


def abi_item(kind: str, name: str) -> dict[str, Any]:
    items = [i for i in json.loads(ARTIFACT.read_text())["abi"] if i["type"] == kind and i.get("name") == name]
    assert len(items) == 1, f"the ABI must hold exactly one {kind} {name}"
    return items[0]


def types(params: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(p["name"], p["type"]) for p in params]


@pytest.mark.parametrize(
    ("constant", "signature"),
    [
        (abi.ANCHORED_AT_SELECTOR, "anchoredAt(bytes32,uint64)"),
        (abi.LATEST_SELECTOR, "latest(bytes32)"),
        (abi.UNKNOWN_LOG_SELECTOR, "UnknownLog(bytes32)"),
    ],
)
def test_selectors_are_keccak_of_their_signatures(constant: bytes, signature: str) -> None:
    assert constant == keccak(text=signature)[:4]


def test_the_event_topic_is_keccak_of_its_signature() -> None:
    assert keccak(text="Anchored(bytes32,uint64,bytes32,uint64)") == abi.ANCHORED_TOPIC


def test_the_committed_abi_has_these_exact_functions_event_and_error() -> None:
    anchored_at = abi_item("function", "anchoredAt")
    assert types(anchored_at["inputs"]) == [("logId", "bytes32"), ("size", "uint64")]
    assert types(anchored_at["outputs"]) == [("root", "bytes32"), ("blockNumber", "uint64"), ("timestamp", "uint64")]
    latest = abi_item("function", "latest")
    assert types(latest["inputs"]) == [("logId", "bytes32")]
    assert types(latest["outputs"]) == [
        ("size", "uint64"), ("root", "bytes32"), ("blockNumber", "uint64"), ("timestamp", "uint64"),
    ]  # fmt: skip
    assert anchored_at["stateMutability"] == latest["stateMutability"] == "view"
    event = abi_item("event", "Anchored")
    assert not event["anonymous"]
    assert [(p["name"], p["type"], p["indexed"]) for p in event["inputs"]] == [
        ("logId", "bytes32", True), ("size", "uint64", True), ("root", "bytes32", False),
        ("previousSize", "uint64", False),
    ]  # fmt: skip
    assert types(abi_item("error", "UnknownLog")["inputs"]) == [("logId", "bytes32")]


@given(BYTES32, UINT64)
def test_call_data_equals_eth_abi(log_id: bytes, size: int) -> None:
    assert abi.encode_anchored_at(log_id, size) == abi.ANCHORED_AT_SELECTOR + abi_encode(
        ["bytes32", "uint64"], [log_id, size]
    )
    assert abi.encode_latest(log_id) == abi.LATEST_SELECTOR + abi_encode(["bytes32"], [log_id])


@given(BYTES32, UINT64, UINT64, UINT64)
def test_results_decode_as_eth_abi_decodes_them(root: bytes, size: int, block: int, time: int) -> None:
    three = abi_encode(["bytes32", "uint64", "uint64"], [root, block, time])
    assert abi.decode_anchored_at(three) == abi_decode(["bytes32", "uint64", "uint64"], three)
    four = abi_encode(["uint64", "bytes32", "uint64", "uint64"], [size, root, block, time])
    assert abi.decode_latest(four) == abi_decode(["uint64", "bytes32", "uint64", "uint64"], four)
    two = abi_encode(["bytes32", "uint64"], [root, size])
    assert abi.decode_anchored_data(two) == (root, size)


@pytest.mark.parametrize("bad", [b"", b"\x00" * 31, b"\x00" * 95, b"\x00" * 97, b"\x00" * 128])
def test_a_result_of_the_wrong_length_is_malformed(bad: bytes) -> None:
    with pytest.raises(MalformedChainAnswer, match="ABI words"):
        abi.decode_anchored_at(bad)


def test_a_uint64_word_with_high_bits_is_malformed_as_solidity_would_refuse_it() -> None:
    word = (2**64).to_bytes(32, "big")
    with pytest.raises(MalformedChainAnswer, match="uint64"):
        abi.decode_anchored_at(bytes(32) + word + bytes(32))


@pytest.mark.parametrize(
    ("log_id", "size"),
    [(b"\x00" * 31, 1), ("00" * 32, 1), (b"\x00" * 32, -1), (b"\x00" * 32, 2**64), (b"\x00" * 32, True)],
)
def test_arguments_out_of_their_types_are_refused(log_id: Any, size: Any) -> None:
    with pytest.raises(ValueError):
        abi.encode_anchored_at(log_id, size)
