"""What the chain adapter reads, and the pure functions that turn JSON-RPC results into it.

Each decoder takes any JSON value (whatever a node answered) and returns a checked value or raises
``MalformedChainAnswer``; none raises anything else (tests/verifier/sources/test_chain_answers.py fuzzes them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from verifier.chain_view import AnchoredEvent, OnChainAnchor
from verifier.sources.abi import (
    ANCHORED_TOPIC,
    UNKNOWN_LOG_SELECTOR,
    decode_anchored_at,
    decode_anchored_data,
    decode_latest,
    decode_uint64,
)
from verifier.sources.chain_errors import MalformedChainAnswer
from verifier.sources.rpc_values import parse_address, parse_data, parse_hash, parse_quantity

ZERO_ROOT = bytes(32)


@dataclass(frozen=True)
class BlockHeader:
    """The parts of a block the verifier needs (V6 canonical block, V10 block time)."""

    number: int
    hash: bytes
    timestamp: int


def decode_call_result(result: Any, what: str) -> bytes:
    """An ``eth_call`` result: return data, which a contract's view never leaves empty.

    Raises:
        MalformedChainAnswer: not hex data, or empty (no contract code at the address on that endpoint).
    """
    raw = parse_data(result, f"{what}'s return data")
    if not raw:
        raise MalformedChainAnswer(f"{what} returned nothing: is the contract deployed at that address?", answer=result)
    return raw


def anchor_from_anchored_at(result: Any, size: int) -> OnChainAnchor | None:
    """``anchoredAt(logId, size)``'s answer; None when nothing is anchored at ``size`` (zero root).

    Raises:
        MalformedChainAnswer: not three ABI words, a uint64 out of range, or a zero root with non-zero fields.
    """
    root, block_number, timestamp = decode_anchored_at(decode_call_result(result, "anchoredAt"))
    if root == ZERO_ROOT:
        if block_number or timestamp:
            raise MalformedChainAnswer("anchoredAt answered a zero root with a block or time", answer=result)
        return None
    return OnChainAnchor(size, root, block_number, timestamp)


def anchor_from_latest(result: Any) -> OnChainAnchor | None:
    """``latest(logId)``'s answer; None while the log has no anchor (size 0).

    Raises:
        MalformedChainAnswer: not four ABI words, a uint64 out of range, or size 0 with non-zero fields.
    """
    size, root, block_number, timestamp = decode_latest(decode_call_result(result, "latest"))
    if size == 0:
        if root != ZERO_ROOT or block_number or timestamp:
            raise MalformedChainAnswer("latest answered size 0 with a root, block or time", answer=result)
        return None
    return OnChainAnchor(size, root, block_number, timestamp)


def is_unknown_log_revert(data: Any, log_id: bytes) -> bool:
    """Whether a JSON-RPC error's ``data`` is the revert ``UnknownLog(log_id)``: the log is not registered."""
    if not isinstance(data, str):
        return False
    try:
        raw = parse_data(data, "revert data")
    except MalformedChainAnswer:
        return False
    return raw == UNKNOWN_LOG_SELECTOR + log_id


def decode_block(result: Any, number: int) -> BlockHeader | None:
    """``eth_getBlockByNumber(number, false)``'s answer; None when the endpoint has no such block (null).

    Raises:
        MalformedChainAnswer: not a block object, another block's number, or a bad hash or timestamp.
    """
    if result is None:
        return None
    if not isinstance(result, dict):
        raise MalformedChainAnswer("a block must be a JSON object or null", answer=result)
    answered = parse_quantity(result.get("number"), "the block's number")
    if answered != number:
        raise MalformedChainAnswer(f"asked for block {number}, got block {answered}", answer=result.get("number"))
    return BlockHeader(
        number,
        parse_hash(result.get("hash"), "the block's hash"),
        parse_quantity(result.get("timestamp"), "the block's timestamp"),
    )


def decode_anchored_logs(
    result: Any, contract: bytes, log_id: bytes, from_block: int, to_block: int
) -> list[AnchoredEvent]:
    """``eth_getLogs``' answer for ``Anchored`` logs of ``log_id`` by ``contract`` in blocks ``from_block`` to
    ``to_block``, in chain order (block number, then log index).

    Logs flagged ``removed`` (no longer canonical) are left out.

    Raises:
        MalformedChainAnswer: not a list of log objects, a log another filter would select, a log outside the
            block range, a field that is malformed, or two logs at the same position.
    """
    if not isinstance(result, list):
        raise MalformedChainAnswer("eth_getLogs must answer a list of logs", answer=result)
    found: dict[tuple[int, int], AnchoredEvent] = {}
    for index, entry in enumerate(result):
        what = f"log {index}"
        if not isinstance(entry, dict):
            raise MalformedChainAnswer(f"{what} must be a JSON object", answer=entry)
        removed = entry.get("removed", False)
        if not isinstance(removed, bool):
            raise MalformedChainAnswer(f"{what}'s removed flag must be true or false", answer=removed)
        if removed:
            continue
        if parse_address(entry.get("address"), f"{what}'s address") != contract:
            raise MalformedChainAnswer(f"{what} was not emitted by the contract", answer=entry.get("address"))
        topics = entry.get("topics")
        if not isinstance(topics, list) or len(topics) != 3:
            raise MalformedChainAnswer(f"{what} must have 3 topics (Anchored, logId, size)", answer=topics)
        event_topic, log_topic, size_topic = (parse_hash(t, f"{what}'s topic {i}") for i, t in enumerate(topics))
        if event_topic != ANCHORED_TOPIC or log_topic != log_id:
            raise MalformedChainAnswer(f"{what} is not an Anchored log of this log id", answer=topics)
        root, previous_size = decode_anchored_data(parse_data(entry.get("data"), f"{what}'s data"))
        block_number = parse_quantity(entry.get("blockNumber"), f"{what}'s block number")
        if not from_block <= block_number <= to_block:
            raise MalformedChainAnswer(
                f"{what} is in block {block_number}, outside the blocks asked for ({from_block} to {to_block})",
                answer=entry.get("blockNumber"),
            )
        position = (block_number, parse_quantity(entry.get("logIndex"), f"{what}'s log index"))
        if position in found:
            raise MalformedChainAnswer(f"{what} repeats the position (block, log index) {position}", answer=entry)
        found[position] = AnchoredEvent(
            size=decode_uint64(size_topic, f"{what}'s size"),
            root=root,
            previous_size=previous_size,
            block_number=block_number,
            block_hash=parse_hash(entry.get("blockHash"), f"{what}'s block hash"),
            tx_hash=parse_hash(entry.get("transactionHash"), f"{what}'s transaction hash"),
        )
    return [found[position] for position in sorted(found)]
