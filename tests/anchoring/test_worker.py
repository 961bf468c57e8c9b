"""The anchor worker on eth-tester and anvil, over SQLite and PostgreSQL: publishing on interval or
backlog, one transaction per checkpoint, crash recovery by reconciling with the chain, forks, refusals."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from web3 import Web3

from ledger.anchoring.chain import AnchorRejected, ChainMismatch
from ledger.anchoring.deployment import Deployment
from ledger.anchoring.development import development_accounts
from ledger.anchoring.worker import AnchorForkError, AnchorWorker
from ledger.demo import demo_requests
from ledger.errors import LogStateError
from ledger.service import Ledger
from tests.anchoring.conftest import Clock, DevChain, anchor_chain
from verifier.merkle import verify_consistency

REQUESTS = list(demo_requests(60, seed=7))
ANCHORER = development_accounts()[1].address


def grow(ledger: Ledger, count: int) -> None:
    done = ledger.head().tree_size - 1  # the policy entry comes first
    ledger.append(REQUESTS[done : done + count])


def sent(w3: Web3) -> int:
    """Transactions the anchorer has sent so far."""
    return int(w3.eth.get_transaction_count(ANCHORER))


def test_a_step_publishes_and_anchors_the_checkpoint(
    ledger: Ledger, dev_chain: DevChain, make_worker: Callable[..., AnchorWorker]
) -> None:
    grow(ledger, 10)
    worker = make_worker()
    anchor = worker.step()
    assert anchor is not None
    checkpoint = ledger.latest_checkpoint()
    assert checkpoint is not None and checkpoint.tree_size == ledger.head().tree_size == anchor.tree_size
    assert anchor.root == checkpoint.root
    on_chain = worker.chain.latest()
    assert (on_chain.size, on_chain.root) == (anchor.tree_size, anchor.root)
    block = dev_chain.w3.eth.get_block(anchor.block_number)
    assert bytes(block["hash"]) == anchor.block_hash and block["timestamp"] == anchor.block_timestamp
    receipt = dev_chain.w3.eth.get_transaction_receipt(anchor.tx_hash)  # type: ignore[arg-type]
    assert receipt["status"] == 1 and receipt["blockNumber"] == anchor.block_number
    assert ledger.anchors() == [anchor]
    assert sent(dev_chain.w3) == 1


def test_each_later_anchor_carries_a_consistency_proof_from_the_last(
    ledger: Ledger, dev_chain: DevChain, make_worker: Callable[..., AnchorWorker], clock: Clock
) -> None:
    worker = make_worker(interval=2.0)
    sizes = []
    for count in (3, 1, 17, 9):
        grow(ledger, count)
        clock.now += 2.0
        anchor = worker.step()
        assert anchor is not None
        sizes.append(anchor.tree_size)
    assert sizes == sorted(sizes) and sent(dev_chain.w3) == 4
    first, *rest = ledger.anchors()
    previous = first
    for anchor in rest:
        proof = ledger.consistency_proof(previous.tree_size, anchor.tree_size)
        verify_consistency(previous.tree_size, anchor.tree_size, proof, previous.root, anchor.root)
        previous = anchor


def test_checkpoints_wait_for_the_interval_unless_the_backlog_is_large(
    ledger: Ledger, make_worker: Callable[..., AnchorWorker], clock: Clock
) -> None:
    worker = make_worker(interval=2.0, max_pending=20)
    grow(ledger, 5)
    assert worker.step() is not None  # the first step publishes at once
    grow(ledger, 5)
    clock.now += 1.0
    assert worker.step() is None  # not due, backlog small
    assert ledger.latest_checkpoint().tree_size == 6  # type: ignore[union-attr]
    grow(ledger, 20)
    anchor = worker.step()  # backlog reached max_pending: published and anchored before the interval
    assert anchor is not None and anchor.tree_size == ledger.head().tree_size == 31
    clock.now += 5.0
    assert worker.step() is None  # nothing new: no empty checkpoint, no transaction


def test_with_nothing_new_the_worker_sends_nothing(ledger: Ledger, dev_chain: DevChain, deployment: Deployment) -> None:
    worker = AnchorWorker(ledger, anchor_chain(dev_chain.w3, deployment))
    worker.step()
    before = sent(dev_chain.w3)
    assert worker.step() is None and sent(dev_chain.w3) == before


def test_a_crash_between_sending_and_recording_neither_loses_nor_repeats_the_anchor(
    ledger: Ledger, dev_chain: DevChain, make_worker: Callable[..., AnchorWorker]
) -> None:
    grow(ledger, 12)
    checkpoint = ledger.publish_checkpoint()
    crashed = make_worker()
    tx_hash = crashed.chain.send_anchor(checkpoint.tree_size, checkpoint.root, [])
    crashed.chain.wait_confirmed(tx_hash)  # mined, but the process died before recording it
    assert ledger.anchors() == []

    restarted = make_worker()
    assert restarted.step() is None  # reconciled: recorded from the chain, nothing sent
    (anchor,) = ledger.anchors()
    assert (anchor.tree_size, anchor.root, anchor.tx_hash) == (checkpoint.tree_size, checkpoint.root, tx_hash)
    assert sent(dev_chain.w3) == 1


def test_sending_the_same_checkpoint_again_is_refused_by_the_contract(
    ledger: Ledger, dev_chain: DevChain, make_worker: Callable[..., AnchorWorker]
) -> None:
    grow(ledger, 4)
    worker = make_worker()
    anchor = worker.step()
    assert anchor is not None
    with pytest.raises(AnchorRejected, match="SizeNotIncreasing"):
        worker.chain.send_anchor(anchor.tree_size, anchor.root, [])
    assert sent(dev_chain.w3) == 1


def test_a_root_on_chain_that_is_not_this_logs_is_a_fork(
    ledger: Ledger, make_worker: Callable[..., AnchorWorker]
) -> None:
    grow(ledger, 8)
    worker = make_worker()
    worker.chain.wait_confirmed(worker.chain.send_anchor(5, b"\x42" * 32, []))
    with pytest.raises(AnchorForkError, match="size 5"):
        worker.step()
    assert ledger.anchors() == [] and ledger.latest_checkpoint() is None


def test_an_anchor_beyond_the_log_is_a_fork(ledger: Ledger, make_worker: Callable[..., AnchorWorker]) -> None:
    grow(ledger, 2)
    worker = make_worker()
    worker.chain.wait_confirmed(worker.chain.send_anchor(1000, b"\x42" * 32, []))
    with pytest.raises(AnchorForkError, match="only 3 entries"):
        worker.reconcile()


def test_a_sender_that_is_not_an_anchorer_is_refused_with_the_contracts_reason(
    ledger: Ledger, dev_chain: DevChain, make_worker: Callable[..., AnchorWorker]
) -> None:
    grow(ledger, 3)
    worker = make_worker(account_index=2)
    with pytest.raises(AnchorRejected, match="NotAnchorer"):
        worker.step()
    assert ledger.anchors() == [] and dev_chain.w3.eth.get_transaction_count(development_accounts()[2].address) == 0


def test_another_chain_or_contract_is_refused(ledger: Ledger, dev_chain: DevChain, deployment: Deployment) -> None:
    grow(ledger, 3)
    wrong_chain = anchor_chain(dev_chain.w3, deployment)
    wrong_chain.chain_id = 1
    with pytest.raises(ChainMismatch, match=f"chain {deployment.chain_id}, not the configured chain 1"):
        AnchorWorker(ledger, wrong_chain).step()
    no_contract = anchor_chain(dev_chain.w3, deployment)
    no_contract.address = development_accounts()[5].address
    with pytest.raises(ChainMismatch, match="no contract"):
        AnchorWorker(ledger, no_contract).step()
    assert ledger.anchors() == []


def test_the_ledger_refuses_to_record_a_foreign_root(ledger: Ledger, make_worker: Callable[..., AnchorWorker]) -> None:
    grow(ledger, 3)
    anchor = make_worker().step()
    assert anchor is not None
    from dataclasses import replace

    with pytest.raises(LogStateError, match="not this log's root"):
        ledger.record_anchor(replace(anchor, root=bytes(32), id=None))
    assert ledger.anchors() == [anchor]


def test_an_unreachable_chain_lets_the_log_grow_and_one_transaction_anchors_the_backlog(
    ledger: Ledger, dev_chain: DevChain, make_worker: Callable[..., AnchorWorker], clock: Clock
) -> None:
    grow(ledger, 2)
    assert make_worker().step() is not None
    dead = Web3(Web3.HTTPProvider("http://127.0.0.1:9", request_kwargs={"timeout": 1}))
    offline = make_worker(w3=dead, interval=1.0)
    stop = threading.Event()
    runner = threading.Thread(target=offline.run, args=(stop,))
    runner.start()
    try:
        for _ in range(4):
            grow(ledger, 5)
            clock.now += 1.0
        wait_for(lambda: offline.failures >= 3)
    finally:
        stop.set()
        runner.join(timeout=10)
    assert not runner.is_alive() and offline.failures >= 3
    assert len(ledger.anchors()) == 1 and sent(dev_chain.w3) == 1

    clock.now += 1.0
    back = make_worker(interval=1.0).step()
    assert back is not None and back.tree_size == ledger.head().tree_size == 23
    assert sent(dev_chain.w3) == 2  # the whole backlog in one transaction


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    pause = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        pause.wait(0.02)
    raise AssertionError("condition not reached")


def test_only_the_leader_anchors_and_a_standby_takes_over(
    ledger: Ledger, make_worker: Callable[..., AnchorWorker], clock: Clock
) -> None:
    grow(ledger, 3)
    active, standby = make_worker(interval=0.05), make_worker(interval=0.05)
    stop_active, stop_standby = threading.Event(), threading.Event()
    threads = [
        threading.Thread(target=active.run, args=(stop_active,)),
        threading.Thread(target=standby.run, args=(stop_standby,)),
    ]
    threads[0].start()
    try:
        wait_for(lambda: ledger.latest_anchor() is not None)
        threads[1].start()
        grow(ledger, 4)
        clock.now += 1.0
        wait_for(lambda: ledger.latest_anchor().tree_size == 8)  # type: ignore[union-attr]
        assert not standby._reconciled  # it never stepped: it stood by

        stop_active.set()
        threads[0].join(timeout=10)
        grow(ledger, 2)
        clock.now += 1.0
        wait_for(lambda: ledger.latest_anchor().tree_size == 10)  # type: ignore[union-attr]
        assert standby._reconciled
    finally:
        stop_active.set()
        stop_standby.set()
        for thread in threads:
            if thread.is_alive() or thread.ident is not None:
                thread.join(timeout=10)
    assert [a.tree_size for a in ledger.anchors()] == [4, 8, 10]
