"""ChainReader against real nodes (anvil, and the project's Python devnet): every read equals what web3 and the
producer report for checkpoints of a real ledger anchored by the producer's own code (V5, V6, V10 inputs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.verifier.sources.conftest import AnchoredChain, DemoLedger
from verifier.sources.chain import AnchoredEvent, ChainReader, OnChainAnchor


def web3_events(chain: AnchoredChain) -> list[AnchoredEvent]:
    found: Any = chain.writer.contract.events.Anchored().get_logs(
        from_block=0, argument_filters={"logId": chain.log_id}
    )
    return [
        AnchoredEvent(
            size=e["args"]["size"],
            root=bytes(e["args"]["root"]),
            previous_size=e["args"]["previousSize"],
            block_number=e["blockNumber"],
            block_hash=bytes(e["blockHash"]),
            tx_hash=bytes(e["transactionHash"]),
        )
        for e in found
    ]


def test_reads_equal_what_web3_and_the_producer_report(
    any_node: AnchoredChain, make_ledger: Callable[..., DemoLedger]
) -> None:
    chain, w3, demo = any_node, any_node.w3, make_ledger()
    with ChainReader([chain.url]) as reader:
        # Registered, nothing anchored yet: latest() is all zero on chain.
        assert reader.latest(chain.contract, chain.log_id) is None
        anchors = [demo.anchor_next(chain, count) for count in (3, 4, 5)]

        assert reader.chain_id() == w3.eth.chain_id == 12345
        assert reader.head() == w3.eth.block_number
        for size, root, confirmed in anchors:
            anchor = reader.anchored_at(chain.contract, chain.log_id, size)
            assert anchor == OnChainAnchor(size, root, confirmed.block_number, confirmed.timestamp)
            web3_root, web3_block, web3_time = chain.writer.contract.functions.anchoredAt(chain.log_id, size).call()
            assert (anchor.root, anchor.block_number, anchor.timestamp) == (bytes(web3_root), web3_block, web3_time)
            block = w3.eth.get_block(confirmed.block_number)
            assert reader.block_hash(confirmed.block_number) == bytes(block["hash"]) == confirmed.block_hash
            assert reader.block_timestamp(confirmed.block_number) == block["timestamp"]
        # A size between two anchors was never anchored.
        assert reader.anchored_at(chain.contract, chain.log_id, anchors[0][0] + 1) is None

        last_size, last_root, last = anchors[-1]
        assert reader.latest(chain.contract, chain.log_id) == OnChainAnchor(
            last_size, last_root, last.block_number, last.timestamp
        )
        assert tuple(chain.writer.contract.functions.latest(chain.log_id).call()) == (
            last_size, last_root, last.block_number, last.timestamp,
        )  # fmt: skip

        events = reader.anchored_events(chain.contract, chain.log_id)
        assert events == web3_events(chain)
        sizes = [size for size, _, _ in anchors]
        assert [(e.size, e.root, e.previous_size) for e in events] == [
            (size, root, previous) for (size, root, _), previous in zip(anchors, [0, *sizes[:-1]], strict=True)
        ]
        assert [e.tx_hash for e in events] == [confirmed.tx_hash for _, _, confirmed in anchors]


def test_contract_presence_any_address_case_and_unknown_logs(any_node: AnchoredChain) -> None:
    chain = any_node
    with ChainReader([chain.url]) as reader:
        for spelling in (chain.contract, chain.contract.lower(), "0x" + chain.contract[2:].upper()):
            assert reader.code_present(spelling)
        assert not reader.code_present("0x" + "00" * 19 + "99")
        # The views revert with UnknownLog for a log never registered: nothing is anchored for it.
        other_log = bytes(range(32))
        assert reader.latest(chain.contract, other_log) is None
        assert reader.anchored_at(chain.contract, other_log, 1) is None
        assert reader.anchored_events(chain.contract, other_log) == []


def test_blocks_above_the_head_do_not_exist_yet(any_node: AnchoredChain) -> None:
    with ChainReader([any_node.url]) as reader:
        head = reader.head()
        assert reader.block_hash(head) is not None
        assert reader.block_hash(head + 1) is None and reader.block_timestamp(head + 1) is None


def test_events_are_read_page_by_page_and_by_block_range(
    anvil: AnchoredChain, make_ledger: Callable[..., DemoLedger]
) -> None:
    demo = make_ledger()
    anchors = [demo.anchor_next(anvil, count) for count in (2, 2, 2, 2)]
    with ChainReader([anvil.url]) as whole, ChainReader([anvil.url], log_page_blocks=1) as paged:
        everything = whole.anchored_events(anvil.contract, anvil.log_id)
        assert len(everything) == 4
        assert paged.anchored_events(anvil.contract, anvil.log_id) == everything
        second, third = anchors[1][2].block_number, anchors[2][2].block_number
        window = paged.anchored_events(anvil.contract, anvil.log_id, from_block=second, to_block=third)
        assert window == everything[1:3]
        assert whole.anchored_events(anvil.contract, anvil.log_id, from_block=third + 100) == []
        # Past the head: only the blocks every endpoint has are read.
        assert whole.anchored_events(anvil.contract, anvil.log_id, to_block=10**9) == everything
