"""What only a real node can show: reorgs (``anvil_reorg``), confirmations, EIP-1559 fees."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from web3 import Web3

from ledger.anchoring.development import development_accounts
from ledger.anchoring.sender import Fees
from ledger.anchoring.worker import AnchorWorker
from ledger.demo import demo_requests
from ledger.service import Ledger
from tests.anchoring.conftest import Clock, DevChain
from verifier.merkle import verify_consistency

REQUESTS = list(demo_requests(30, seed=11))


pytestmark = pytest.mark.parametrize("dev_chain", ["anvil"], indirect=True)


def grow(ledger: Ledger, count: int) -> None:
    done = ledger.head().tree_size - 1
    ledger.append(REQUESTS[done : done + count])


def reorg(w3: Web3, depth: int) -> None:
    """Replace the last ``depth`` blocks with empty ones: their transactions are gone."""
    w3.provider.make_request("anvil_reorg", [depth, []])  # type: ignore[arg-type]


def test_an_anchor_dropped_by_a_reorg_is_detected_and_anchored_again(
    ledger: Ledger, dev_chain: DevChain, make_worker: Callable[..., AnchorWorker], clock: Clock
) -> None:
    worker = make_worker(interval=1.0)
    grow(ledger, 4)
    first = worker.step()
    grow(ledger, 6)
    clock.now += 1.0
    second = worker.step()
    assert first is not None and second is not None and second.block_number == first.block_number + 1

    reorg(dev_chain.w3, 1)  # the second anchor's block is replaced
    assert worker.chain.latest().size == first.tree_size

    again = worker.step()
    assert again is not None and (again.tree_size, again.root) == (second.tree_size, second.root)
    # Same signer, nonce and call: the very same signed transaction, now in a new canonical block.
    assert again.block_hash != second.block_hash and again.block_number == second.block_number + 1
    history = ledger.anchors(include_dropped=True)
    assert [(a.tree_size, a.dropped_at is not None) for a in history] == [(5, False), (11, True), (11, False)]
    assert ledger.anchors() == [first, again]
    on_chain = worker.chain.latest()
    assert (on_chain.size, on_chain.root) == (again.tree_size, again.root)
    proof = ledger.consistency_proof(first.tree_size, again.tree_size)
    verify_consistency(first.tree_size, again.tree_size, proof, first.root, again.root)


def test_a_reorg_noticed_by_a_new_worker_is_repaired_on_start(
    ledger: Ledger, dev_chain: DevChain, make_worker: Callable[..., AnchorWorker]
) -> None:
    grow(ledger, 3)
    dropped = make_worker().step()
    assert dropped is not None
    reorg(dev_chain.w3, 1)
    assert make_worker().step() is not None
    assert [a.dropped_at is not None for a in ledger.anchors(include_dropped=True)] == [True, False]
    assert make_worker().chain.latest().size == dropped.tree_size


def test_an_anchor_is_recorded_only_after_its_confirmations(
    ledger: Ledger, dev_chain: DevChain, make_worker: Callable[..., AnchorWorker]
) -> None:
    worker = make_worker(confirmations=3, receipt_timeout=20)
    grow(ledger, 2)
    mined: list[int] = []

    def mine_later() -> None:
        for _ in range(2):
            threading.Event().wait(0.3)
            mined.append(dev_chain.w3.eth.block_number)
            dev_chain.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    miner = threading.Thread(target=mine_later)
    miner.start()
    anchor = worker.step()
    miner.join()
    assert anchor is not None and len(mined) == 2
    assert dev_chain.w3.eth.block_number == anchor.block_number + 2


def test_eip1559_fees_are_selectable(
    ledger: Ledger, dev_chain: DevChain, make_worker: Callable[..., AnchorWorker]
) -> None:
    worker = make_worker()
    worker.chain.sender.fees = Fees(mode="eip1559", max_fee=0, priority_fee=0)
    grow(ledger, 2)
    anchor = worker.step()
    assert anchor is not None
    tx = dev_chain.w3.eth.get_transaction(anchor.tx_hash)  # type: ignore[arg-type]
    assert tx["type"] == 2 and tx["maxFeePerGas"] == 0
    assert tx["from"] == development_accounts()[1].address
