"""What the verifier reads from a chain, as plain values, and the interface a chain source offers.

The pure core works against ``ChainView``; ``verifier.sources.chain.ChainReader`` implements it over
JSON-RPC (several endpoints that must agree), and tests may implement it over a simulated chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class OnChainAnchor:
    """What the anchor contract stores for (log id, size)."""

    size: int
    root: bytes
    block_number: int
    timestamp: int


@dataclass(frozen=True)
class AnchoredEvent:
    """One ``Anchored`` event of the contract, where the chain has it."""

    size: int
    root: bytes
    previous_size: int
    block_number: int
    block_hash: bytes
    tx_hash: bytes


class ChainView(Protocol):
    """Read-only access to the chain a log is anchored on.

    Methods raise ``SourceError`` when the chain cannot be read and ``VerificationError`` when its
    endpoints contradict each other.
    """

    def chain_id(self) -> int: ...

    def code_present(self, contract: str) -> bool: ...

    def head(self) -> int: ...

    def block_hash(self, number: int) -> bytes | None: ...

    def anchored_at(self, contract: str, log_id: bytes, size: int) -> OnChainAnchor | None: ...

    def anchored_events(
        self, contract: str, log_id: bytes, *, from_block: int = 0, to_block: int | None = None
    ) -> list[AnchoredEvent]: ...
