"""An in-memory chain with the anchor contract's storage, for the tamper suite: it implements ``ChainView``.

It keeps what ``contracts/CheckpointAnchor.sol`` keeps — per (contract, log id, size) the root, block and
time, and the ``Anchored`` events — in blocks with hashes and timestamps, and a head that advances. A
test can reorganise it (the blocks of an anchor replaced by others), make it unreachable, or make it a
lying node that still returns the events of blocks a reorg removed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from verifier.chain_view import AnchoredEvent, OnChainAnchor
from verifier.errors import SourceError

CHAIN_ID = 12345
CONTRACT = "0x" + "a1" * 20
#: 2026-03-02T09:00:00+08:00, the simulated log's first morning.
GENESIS_TIME = 1772413200
BLOCK_SECONDS = 2


@dataclass(frozen=True)
class Block:
    number: int
    hash: bytes
    timestamp: int


@dataclass(frozen=True)
class _Anchor:
    contract: str
    log_id: bytes
    event: AnchoredEvent
    timestamp: int


class SimulatedChain:
    """A chain (id ``chain_id``) on which ``contracts`` are deployed; implements ``ChainView``."""

    def __init__(self, chain_id: int = CHAIN_ID, contracts: tuple[str, ...] = (CONTRACT,)) -> None:
        self.id = chain_id
        self.contracts = {c.lower() for c in contracts}
        self.blocks = [Block(0, self._hash(0, 0), GENESIS_TIME)]
        self.anchors: list[_Anchor] = []
        #: Anchors a reorg removed that a lying node still reports in ``anchored_events``.
        self.stale: list[_Anchor] = []
        self.reachable = True
        self._epoch = 0

    def _hash(self, number: int, epoch: int) -> bytes:
        return hashlib.sha256(f"block {self.id}:{number}:{epoch}".encode()).digest()

    # -- driving the chain -------------------------------------------------------------------

    def mine(self, timestamp: int | None = None) -> Block:
        """Add a block (``timestamp`` defaults to the head's plus ``BLOCK_SECONDS``)."""
        last = self.blocks[-1]
        moment = last.timestamp + BLOCK_SECONDS if timestamp is None else timestamp
        block = Block(last.number + 1, self._hash(last.number + 1, self._epoch), max(moment, last.timestamp))
        self.blocks.append(block)
        return block

    def anchor(self, log_id: bytes, size: int, root: bytes, *, timestamp: int, contract: str = CONTRACT) -> Block:
        """Anchor (size, root) in a new block at ``timestamp``, as ``anchor()`` of the contract would.

        Raises:
            ValueError: ``size`` does not exceed the last anchored size (the contract reverts).
        """
        contract = contract.lower()
        previous = max((a.event.size for a in self.anchors if (a.contract, a.log_id) == (contract, log_id)), default=0)
        if size <= previous:
            raise ValueError(f"the contract reverts: size {size} does not exceed {previous}")
        block = self.mine(timestamp)
        tx = hashlib.sha256(b"tx" + block.hash + root).digest()
        event = AnchoredEvent(size, root, previous, block.number, block.hash, tx)
        self.anchors.append(_Anchor(contract, log_id, event, block.timestamp))
        return block

    def reorg(self, depth: int, *, lying_node: bool = False) -> None:
        """Replace the last ``depth`` blocks by as many others: anchors in them are gone.

        ``lying_node``: ``anchored_events`` keeps reporting the removed anchors (as a stale node would).
        """
        cut = self.blocks[-depth].number
        removed = [a for a in self.anchors if a.event.block_number >= cut]
        self.anchors = [a for a in self.anchors if a.event.block_number < cut]
        if lying_node:
            self.stale += removed
        times = [b.timestamp for b in self.blocks[-depth:]]
        del self.blocks[-depth:]
        self._epoch += 1
        for moment in times:
            self.mine(moment)

    # -- ChainView ---------------------------------------------------------------------------

    def _reach(self) -> None:
        if not self.reachable:
            raise SourceError("the simulated chain is unreachable")

    def chain_id(self) -> int:
        self._reach()
        return self.id

    def code_present(self, contract: str) -> bool:
        self._reach()
        return contract.lower() in self.contracts

    def head(self) -> int:
        self._reach()
        return self.blocks[-1].number

    def block_hash(self, number: int) -> bytes | None:
        self._reach()
        return self.blocks[number].hash if 0 <= number < len(self.blocks) else None

    def anchored_at(self, contract: str, log_id: bytes, size: int) -> OnChainAnchor | None:
        self._reach()
        for a in self.anchors:
            if (a.contract, a.log_id, a.event.size) == (contract.lower(), log_id, size):
                return OnChainAnchor(size, a.event.root, a.event.block_number, a.timestamp)
        return None

    def anchored_events(
        self, contract: str, log_id: bytes, *, from_block: int = 0, to_block: int | None = None
    ) -> list[AnchoredEvent]:
        self._reach()
        last = self.head() if to_block is None else to_block
        return sorted(
            (
                a.event
                for a in [*self.anchors, *self.stale]
                if (a.contract, a.log_id) == (contract.lower(), log_id) and from_block <= a.event.block_number <= last
            ),
            key=lambda e: e.block_number,
        )
