"""Checks of a log as stored, for the tests whose writers ran (and maybe died) in other processes.

``tests.ledger.test_sequencer.assert_log_intact`` recomputes the log from its entries; these add
what a crash or a race could leave behind: a lost acknowledged append, a duplicate, and rows
that are not part of the tree (a partial write).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import select

from ledger.proofs import node_key
from ledger.records import TicketState
from ledger.sequencer import Receipt
from ledger.service import Ledger
from ledger.storage.schema import checkpoints, entries, nodes, payloads, tickets
from verifier.checkpoint import open_checkpoint
from verifier.entry import Transition, parse_entry
from verifier.merkle import leaf_hash, verify_consistency
from verifier.note import NoteVerifier


def assert_acknowledged(ledger: Ledger, acknowledged: Iterable[Receipt]) -> None:
    """Every acknowledged receipt is in the log at its index: same entry hash, transition, ticket, seq and state."""
    for receipt in acknowledged:
        stored = ledger.entry(receipt.index)
        assert stored is not None, f"acknowledged {receipt.transition_id} at {receipt.index} is not in the log"
        assert leaf_hash(stored.data).hex() == receipt.entry_hash, f"entry {receipt.index} is not what was acknowledged"
        entry = parse_entry(stored.data)
        assert isinstance(entry, Transition)
        assert (stored.transition_id, entry.ticket, entry.seq, entry.to_state, entry.payload) == (
            receipt.transition_id,
            receipt.ticket,
            receipt.seq,
            receipt.state,
            receipt.payload,
        ), f"entry {receipt.index} is not what was acknowledged"


def assert_no_duplicates(ledger: Ledger) -> None:
    """No transition id, and no (ticket, seq), is in the log twice."""
    stored = ledger.entries(0, ledger.head().tree_size)
    ids = Counter(e.transition_id for e in stored if e.transition_id is not None)
    positions = Counter((e.ticket, e.seq) for e in stored if e.ticket is not None)
    assert [i for i, n in ids.items() if n > 1] == []
    assert [p for p, n in positions.items() if n > 1] == []


def assert_storage_whole(ledger: Ledger, verifier: NoteVerifier) -> None:
    """Every stored row belongs to the tree the head names, and the tree has every row it needs.

    Entries and leaves number exactly the tree size; the nodes are exactly the perfect subtrees of
    that tree; each payload belongs to the entry that commits to it (and each commitment has its
    payload, as nothing was erased); each ticket row is its last entry; each checkpoint verifies,
    names a root of this tree, and is consistent with the one before.
    """
    head = ledger.head()
    size = head.tree_size
    with ledger.store.engine.connect() as conn:
        entry_count = len(conn.execute(select(entries.c.idx)).all())
        node_keys = set(conn.execute(select(nodes.c.id)).scalars())
        payload_rows = dict(conn.execute(select(payloads.c.commitment, payloads.c.entry_index)).all())
        ticket_rows = {row.ticket: TicketState(*row) for row in conn.execute(select(tickets))}
        checkpoint_rows = conn.execute(select(checkpoints).order_by(checkpoints.c.tree_size)).all()
    leaves = sum(1 for key in node_keys if key % 2 == 0)  # level-0 nodes have even in-order keys
    assert (entry_count, leaves) == (size, size), f"{entry_count} entries and {leaves} leaves in a tree of {size}"
    expected_nodes = {node_key((level, index)) for level in range(size.bit_length()) for index in range(size >> level)}
    assert node_keys == expected_nodes, f"nodes beyond or missing from the tree of {size}"

    commitments: dict[str, int] = {}
    last: dict[str, TicketState] = {}
    for stored in ledger.entries(0, size):
        entry = parse_entry(stored.data)
        if isinstance(entry, Transition):
            if entry.payload is not None:
                commitments[entry.payload] = stored.index
            last[entry.ticket] = TicketState(
                entry.ticket, entry.seq, entry.to_state, entry.leaf_hash, entry.policy, stored.index
            )
    assert payload_rows == commitments
    for commitment in commitments:
        ledger.payload(commitment)  # decrypts under the payload key, bound to its commitment
    assert ticket_rows == last

    previous = None
    for row in checkpoint_rows:
        opened = open_checkpoint(row.note, [verifier], origin=ledger.origin)
        assert (opened.tree_size, opened.root_hash) == (row.tree_size, row.root)
        assert row.tree_size <= size and ledger.root_at(row.tree_size) == row.root
        if previous is not None:
            proof = ledger.consistency_proof(previous.tree_size, row.tree_size)
            verify_consistency(previous.tree_size, row.tree_size, proof, previous.root, row.root)
        previous = row
