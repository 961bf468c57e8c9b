"""Read-only access to CheckpointAnchor (contracts/CheckpointAnchor.sol) through one or more JSON-RPC endpoints.

``ChainReader`` gives the verifier's chain steps what they need: the contract's root at a size (V5), the
anchoring block's hash and whether it is still canonical with enough confirmations (V6), and its time (V10).
Every read goes to every endpoint and their answers must be identical (``ChainDisagreement`` otherwise); only
the head is allowed to differ, as nodes may be a block apart. Contract reads are pinned to the lowest head so
that every endpoint answers about the same block.

The ABI is encoded by hand (``verifier.sources.abi``) and every answer is strictly checked
(``verifier.sources.chain_answers``): this package needs only httpx, never web3.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from types import TracebackType
from typing import Any, Self

import httpx

from verifier.chain_view import AnchoredEvent, OnChainAnchor
from verifier.sources.abi import ANCHORED_TOPIC, bytes32_word, encode_anchored_at, encode_latest, uint64_word
from verifier.sources.chain_answers import (
    BlockHeader,
    anchor_from_anchored_at,
    anchor_from_latest,
    decode_anchored_logs,
    decode_block,
    is_unknown_log_revert,
)
from verifier.sources.chain_errors import (
    ChainDisagreement,
    ChainRpcError,
    ChainUnavailable,
    MalformedChainAnswer,
)
from verifier.sources.jsonrpc import JsonRpcEndpoints, raise_failures, require_equal
from verifier.sources.rpc_values import contract_address, data, parse_data, parse_quantity, quantity

__all__ = [
    "LOG_PAGE_BLOCKS",
    "AnchoredEvent",
    "ChainDisagreement",
    "ChainReader",
    "ChainRpcError",
    "ChainUnavailable",
    "MalformedChainAnswer",
    "OnChainAnchor",
]

#: Blocks per ``eth_getLogs`` request: nodes cap the range or the result size of one request.
LOG_PAGE_BLOCKS = 10_000
#: EIP-155 chain ids are unsigned 256-bit in the JSON-RPC API.
MAX_CHAIN_ID = 2**256 - 1


class ChainReader:
    """The chain behind the JSON-RPC endpoints ``urls``, read only.

    ``timeout`` bounds each HTTP request, in seconds; ``client`` is an ``httpx.Client`` to use (left open by
    ``close``); ``log_page_blocks`` is how many blocks one ``eth_getLogs`` request covers.

    Every method raises ``ChainDisagreement`` when endpoints answer differently (evidence: each answer by URL),
    ``MalformedChainAnswer`` when an endpoint's answer is not a valid one, and ``ChainUnavailable`` when an
    endpoint cannot be reached or answers an HTTP or JSON-RPC error.
    """

    def __init__(
        self,
        urls: Sequence[str],
        *,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
        log_page_blocks: int = LOG_PAGE_BLOCKS,
    ) -> None:
        """Raises ``ValueError`` for no URL, a repeated or non-http(s) URL, or a non-positive timeout or page."""
        if log_page_blocks < 1:
            raise ValueError(f"log_page_blocks must be at least 1, got {log_page_blocks}")
        self.endpoints = JsonRpcEndpoints(urls, timeout=timeout, client=client)
        self.log_page_blocks = log_page_blocks

    @property
    def urls(self) -> tuple[str, ...]:
        return self.endpoints.urls

    # -- the chain ------------------------------------------------------------------------------------

    def chain_id(self) -> int:
        """The chain id (``eth_chainId``), the same on every endpoint."""
        return self.endpoints.agree(
            "eth_chainId", [], partial(parse_quantity, what="the chain id", maximum=MAX_CHAIN_ID), what="the chain id"
        )

    def code_present(self, contract: str) -> bool:
        """Whether ``contract`` holds code at the latest block; every endpoint must hold the same code.

        Raises:
            ValueError: ``contract`` is not 0x and 40 hex digits.
        """
        address = contract_address(contract)
        code = self.endpoints.agree(
            "eth_getCode",
            [data(address), "latest"],
            partial(parse_data, what="the contract's code"),
            what=f"the code at {contract}",
        )
        return len(code) > 0

    def head(self) -> int:
        """The newest block number every endpoint has: the minimum of their ``eth_blockNumber``.

        Endpoints a block or two apart do not disagree; they are just not equally up to date.
        """
        heads = self.endpoints.ask_all("eth_blockNumber", [], partial(parse_quantity, what="the block number"))
        return min(heads.values())

    def _read_block(self) -> int:
        """The block contract reads are pinned to: the lowest head among the endpoints that answer.

        An endpoint that is down here is reported by the read itself, where a disagreement among the others
        takes precedence: a lie is worth more to the report than a missing endpoint.
        """
        heads, failures = self.endpoints.gather("eth_blockNumber", [], partial(parse_quantity, what="the block number"))
        if not heads:
            raise_failures(failures)
        return min(heads.values())

    def block_hash(self, number: int) -> bytes | None:
        """The hash of block ``number``, or None if there is no such block yet (V6: is the anchor's block canonical).

        Raises:
            ValueError: ``number`` is not a uint64.
            ChainDisagreement: endpoints give different blocks, or one lacks a block at or below ``head()``.
        """
        block = self._block(number)
        return None if block is None else block.hash

    def block_timestamp(self, number: int) -> int | None:
        """The timestamp (seconds) of block ``number``, or None if there is no such block yet (V10).

        Raises as ``block_hash``.
        """
        block = self._block(number)
        return None if block is None else block.timestamp

    def _block(self, number: int) -> BlockHeader | None:
        uint64_word(number)
        method = "eth_getBlockByNumber"
        what = f"block {number}"
        blocks = self.endpoints.ask_all(method, [quantity(number), False], partial(decode_block, number=number))
        present = {url: block for url, block in blocks.items() if block is not None}
        require_equal(method, what, present)
        if not present:
            return None
        if len(present) < len(blocks):
            # Some endpoints lack the block: fine only while it is above the head they all have.
            if number <= self.head():
                require_equal(method, what, blocks)
            return None
        return next(iter(present.values()))

    # -- the contract ----------------------------------------------------------------------------------

    def anchored_at(self, contract: str, log_id: bytes, size: int) -> OnChainAnchor | None:
        """What the contract stores for the log at exactly ``size`` (V5), read at the endpoints' lowest head.

        Returns None when nothing is anchored at that size (zero root), or when the log is not registered.

        Raises:
            ValueError: a malformed contract address, a ``log_id`` not of 32 bytes, or ``size`` not a uint64.
        """
        call = encode_anchored_at(log_id, size)
        return self._call(
            contract, call, log_id, partial(anchor_from_anchored_at, size=size), f"anchoredAt(size {size})"
        )

    def latest(self, contract: str, log_id: bytes) -> OnChainAnchor | None:
        """The log's last anchored checkpoint, read at the lowest head; None while nothing is anchored or when the
        log is not registered.

        Raises:
            ValueError: a malformed contract address, or a ``log_id`` not of 32 bytes.
        """
        return self._call(contract, encode_latest(log_id), log_id, anchor_from_latest, "latest()")

    def _call(
        self, contract: str, call: bytes, log_id: bytes, decode: Callable[[Any], OnChainAnchor | None], what: str
    ) -> OnChainAnchor | None:
        address = contract_address(contract)
        block = self._read_block()

        def not_registered(error: ChainRpcError) -> OnChainAnchor | None:
            # Both views revert with UnknownLog(logId) for a log that was never registered: nothing is anchored.
            if is_unknown_log_revert(error.data, log_id):
                return None
            raise error

        return self.endpoints.agree(
            "eth_call",
            [{"to": data(address), "data": data(call)}, quantity(block)],
            decode,
            what=f"{what} of {contract} at block {block}",
            on_error=not_registered,
        )

    def anchored_events(
        self, contract: str, log_id: bytes, *, from_block: int = 0, to_block: int | None = None
    ) -> list[AnchoredEvent]:
        """The log's ``Anchored`` events in blocks ``from_block`` to ``to_block`` (default and at most ``head()``),
        in chain order, read ``log_page_blocks`` blocks at a time.

        Blocks above ``head()`` are not read: not every endpoint has them yet.

        Raises:
            ValueError: a malformed contract address, a ``log_id`` not of 32 bytes, or a block not a uint64.
        """
        address = contract_address(contract)
        bytes32_word(log_id)
        uint64_word(from_block)
        last = self._read_block()
        if to_block is not None:
            uint64_word(to_block)
            last = min(last, to_block)
        events: list[AnchoredEvent] = []
        for start in range(from_block, last + 1, self.log_page_blocks):
            end = min(start + self.log_page_blocks - 1, last)
            log_filter = {
                "address": data(address),
                "topics": [data(ANCHORED_TOPIC), data(log_id)],
                "fromBlock": quantity(start),
                "toBlock": quantity(end),
            }
            events += self.endpoints.agree(
                "eth_getLogs",
                [log_filter],
                partial(decode_anchored_logs, contract=address, log_id=log_id, from_block=start, to_block=end),
                what=f"the Anchored events of {contract} in blocks {start} to {end}",
            )
        return events

    # -- lifetime --------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP client (unless it was passed in); idempotent."""
        self.endpoints.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
