"""One writer transaction's worth of new entries, and how it becomes part of the tree.

Sequencing and integration happen in the same database transaction: when it commits, every
new entry has its index, its ticket position, and the tree (nodes and head) covers it. A crash
before the commit leaves nothing behind; after it, nothing is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.errors import LogStateError
from ledger.proofs import right_border
from ledger.records import LogHead, SealedPayload, StoredEntry, TicketState
from ledger.storage import WriteView
from ledger.tree import integrate
from verifier.merkle import fold_right_border, leaf_hash


@dataclass
class PendingBatch:
    """Entries sequenced in the current transaction, not yet written."""

    head: LogHead
    entries: list[StoredEntry] = field(default_factory=list)
    leaves: list[bytes] = field(default_factory=list)
    tickets: dict[str, TicketState] = field(default_factory=dict)
    payloads: list[SealedPayload] = field(default_factory=list)

    @property
    def next_index(self) -> int:
        return self.head.tree_size + len(self.entries)

    def add(
        self,
        data: bytes,
        *,
        leaf: bytes | None = None,
        ticket: str | None = None,
        seq: int | None = None,
        transition_id: str | None = None,
        request_digest: bytes | None = None,
    ) -> tuple[int, bytes]:
        """Sequence ``data``: give it the next index. Returns the index and the leaf hash (``leaf``, if the
        caller has it already)."""
        index = self.next_index
        leaf = leaf_hash(data) if leaf is None else leaf
        self.entries.append(StoredEntry(index, data, ticket, seq, transition_id, request_digest))
        self.leaves.append(leaf)
        return index, leaf

    def write(self, view: WriteView) -> LogHead:
        """Integrate the batch into the tree and store it; returns the new head.

        Raises:
            LogStateError: the stored right border does not fold into the stored root (the
                database was altered or damaged), so the log is not extended.
        """
        border_ids = right_border(self.head.tree_size)
        border = list(zip(border_ids, view.node_hashes(border_ids), strict=True))
        if fold_right_border(h for _, h in border) != self.head.root:
            raise LogStateError(
                f"stored tree nodes do not match the stored root at size {self.head.tree_size}",
                tree_size=self.head.tree_size,
            )
        new_nodes, root, size = integrate(border, self.head.tree_size, self.leaves)
        new_head = LogHead(self.head.origin, size, root)
        view.append(self.entries, new_nodes, list(self.tickets.values()), new_head)
        view.add_payloads(self.payloads)
        return new_head
