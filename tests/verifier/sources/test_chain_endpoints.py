"""Several endpoints: two anvils fed the same transactions agree; when one of them holds another history, every
read that sees the difference raises ChainDisagreement with both answers; a dead endpoint makes the read
unavailable (INCOMPLETE), never silently skipped. And a reorg on a real node changes what the reader reports (V6)."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from ledger.devnet.process import rpc_call
from tests.verifier.sources.conftest import AnchoredChain, DemoLedger
from verifier.errors import VerificationError
from verifier.sources.chain import ChainDisagreement, ChainReader, ChainUnavailable, OnChainAnchor

Twins = tuple[AnchoredChain, AnchoredChain]


def closed_port_url() -> str:
    """A loopback URL where nothing listens (the port was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_two_honest_endpoints_agree_on_every_read(twin_anvils: Twins, make_ledger: Callable[..., DemoLedger]) -> None:
    a, b = twin_anvils
    demo = make_ledger()
    for count in (3, 4):
        demo.grow(count)
        on_a, on_b = demo.anchor_head(a), demo.anchor_head(b)
        assert on_a == on_b  # Same transactions, same blocks: the very same block hashes.
    size, root, confirmed = on_a
    with ChainReader([a.url, b.url]) as reader:
        assert reader.chain_id() == 12345
        assert reader.code_present(a.contract)
        assert reader.anchored_at(a.contract, a.log_id, size) == OnChainAnchor(
            size, root, confirmed.block_number, confirmed.timestamp
        )
        assert reader.latest(a.contract, a.log_id) == reader.anchored_at(a.contract, a.log_id, size)
        assert len(reader.anchored_events(a.contract, a.log_id)) == 2
        assert reader.block_hash(confirmed.block_number) == confirmed.block_hash
        assert reader.block_timestamp(confirmed.block_number) == confirmed.timestamp

        # b runs a block ahead: not a disagreement. Reads stay at a's head; b's newest block is not there yet.
        rpc_call(b.url, "evm_mine", [])
        ahead = a.w3.eth.block_number + 1
        assert reader.head() == ahead - 1
        assert reader.block_hash(ahead) is None and reader.block_timestamp(ahead) is None
        assert reader.latest(a.contract, a.log_id) == OnChainAnchor(
            size, root, confirmed.block_number, confirmed.timestamp
        )
        assert len(reader.anchored_events(a.contract, a.log_id, to_block=ahead)) == 2


def test_an_endpoint_with_a_forked_next_checkpoint_is_caught(
    twin_anvils: Twins, make_ledger: Callable[..., DemoLedger]
) -> None:
    a, b = twin_anvils
    demo = make_ledger()
    demo.grow(3)
    demo.anchor_head(a)
    demo.anchor_head(b)
    # Only b gets the next checkpoint; a mines an empty block so both heads are at the same height.
    size, _, forked = demo.anchor_next(b, 4)
    rpc_call(a.url, "evm_mine", [])
    with ChainReader([a.url, b.url]) as reader:
        assert reader.head() == forked.block_number
        with pytest.raises(ChainDisagreement) as caught:
            reader.anchored_at(a.contract, a.log_id, size)
        assert caught.value.evidence[a.url] is None
        assert caught.value.evidence[b.url] == OnChainAnchor(
            size, demo.ledger.head().root, forked.block_number, forked.timestamp
        )
        with pytest.raises(ChainDisagreement) as latest:
            reader.latest(a.contract, a.log_id)
        assert {latest.value.evidence[a.url].size, latest.value.evidence[b.url].size} == {4, size}
        with pytest.raises(ChainDisagreement) as events:
            reader.anchored_events(a.contract, a.log_id)
        assert [len(events.value.evidence[url]) for url in (a.url, b.url)] == [1, 2]
        with pytest.raises(ChainDisagreement) as blocks:
            reader.block_hash(forked.block_number)
        assert blocks.value.evidence[b.url].hash == forked.block_hash
        # Disagreement is bad evidence (FAILED), not a missing source; the text names both endpoints.
        assert isinstance(caught.value, VerificationError)
        text = caught.value.diagnostics()
        assert a.url in text and b.url in text and "0x" + demo.ledger.head().root.hex() in text


def test_an_endpoint_with_another_root_at_the_same_size_is_caught(
    twin_anvils: Twins, make_ledger: Callable[..., DemoLedger]
) -> None:
    a, b = twin_anvils
    honest, other = make_ledger(seed=11), make_ledger(seed=99)
    size, root, _ = honest.anchor_next(a, 5)
    other_size, other_root, _ = other.anchor_next(b, 5)
    assert size == other_size and root != other_root
    with ChainReader([a.url, b.url]) as reader:
        with pytest.raises(ChainDisagreement) as caught:
            reader.anchored_at(a.contract, a.log_id, size)
        assert (caught.value.evidence[a.url].root, caught.value.evidence[b.url].root) == (root, other_root)
        with pytest.raises(ChainDisagreement):
            reader.latest(a.contract, a.log_id)
        with pytest.raises(ChainDisagreement) as events:
            reader.anchored_events(a.contract, a.log_id)
        assert [e.root for url in (a.url, b.url) for e in events.value.evidence[url]] == [root, other_root]


def test_a_lie_is_reported_even_when_a_third_endpoint_is_down(
    twin_anvils: Twins, make_ledger: Callable[..., DemoLedger]
) -> None:
    a, b = twin_anvils
    size, _, _ = make_ledger(seed=11).anchor_next(a, 5)
    make_ledger(seed=99).anchor_next(b, 5)
    with ChainReader([a.url, closed_port_url(), b.url]) as reader, pytest.raises(ChainDisagreement):
        reader.anchored_at(a.contract, a.log_id, size)


def test_an_endpoint_that_is_down_makes_every_read_unavailable(
    twin_anvils: Twins, make_ledger: Callable[..., DemoLedger]
) -> None:
    a, b = twin_anvils
    demo = make_ledger()
    size, _, _ = demo.anchor_next(a, 3)
    demo.anchor_head(b)
    dead = closed_port_url()
    with ChainReader([a.url, dead], timeout=2) as reader:
        for read in (
            reader.chain_id,
            reader.head,
            lambda: reader.code_present(a.contract),
            lambda: reader.block_hash(1),
            lambda: reader.anchored_at(a.contract, a.log_id, size),
            lambda: reader.latest(a.contract, a.log_id),
            lambda: reader.anchored_events(a.contract, a.log_id),
        ):
            with pytest.raises(ChainUnavailable) as caught:
                read()
            assert caught.value.url == dead and not isinstance(caught.value, VerificationError)
    b.node.stop()  # A node that was answering, then stopped.
    with ChainReader([a.url, b.url], timeout=2) as reader, pytest.raises(ChainUnavailable) as stopped:
        reader.latest(a.contract, a.log_id)
    assert stopped.value.url == b.url and "unreachable" in str(stopped.value)


def test_a_reorg_that_drops_the_anchor_block_changes_what_the_reader_reports(
    anvil: AnchoredChain, make_ledger: Callable[..., DemoLedger]
) -> None:
    demo = make_ledger()
    first_size, _, first = demo.anchor_next(anvil, 3)
    size, root, dropped = demo.anchor_next(anvil, 4)
    with ChainReader([anvil.url]) as reader:
        assert reader.anchored_at(anvil.contract, anvil.log_id, size) is not None
        rpc_call(anvil.url, "anvil_reorg", [1, []])  # The anchor's block is replaced by an empty one.
        assert reader.anchored_at(anvil.contract, anvil.log_id, size) is None
        assert reader.latest(anvil.contract, anvil.log_id) == OnChainAnchor(
            first_size, demo.ledger.root_at(first_size), first.block_number, first.timestamp
        )
        replaced = reader.block_hash(dropped.block_number)
        assert replaced is not None and replaced != dropped.block_hash
        assert [e.size for e in reader.anchored_events(anvil.contract, anvil.log_id)] == [first_size]

        # The producer anchors it again: now in another block.
        anvil.writer.resync_nonce()
        proof = demo.ledger.consistency_proof(first_size, size)
        again = anvil.writer.wait_confirmed(anvil.writer.send_anchor(size, root, proof), timeout=30)
        anchor = reader.anchored_at(anvil.contract, anvil.log_id, size)
        assert anchor == OnChainAnchor(size, root, again.block_number, again.timestamp)
        assert again.block_number > dropped.block_number
        assert reader.block_hash(again.block_number) == again.block_hash != dropped.block_hash
