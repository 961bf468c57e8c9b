"""Sequencing before the write lock, confirmed under it.

Several processes writing one log take turns at the database's single write lock. Most of a group's time
under that lock went to sequencing in Python: building, validating and policy-checking each entry. That
work depends on only two things the database holds — the entries already stored under the group's
transition ids (idempotency) and the states of its tickets — besides the log's size, which only numbers
the entries. So a group can be sequenced against a read snapshot first, outside the lock; under the lock
the same two reads are made again, and when they are unchanged the speculated batch is used, its entries
renumbered from the head as it is now. When anything the speculation read has changed (another process
wrote one of the tickets or transition ids meanwhile), or the speculation was refused or involved actor
signatures (keys may be revoked meanwhile), the group is sequenced under the lock as before, so the
outcome is always the one sequencing under the lock gives.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.batch import PendingBatch
from ledger.errors import LedgerError
from ledger.records import LogHead, SealedPayload, StoredEntry, TicketState
from ledger.sequencer import Lookups, PreparedRequest, Receipt, TransitionSequencer
from ledger.storage import LedgerStore


@dataclass(frozen=True)
class Speculation:
    """A group sequenced against a snapshot of ``tree_size`` entries, and what it read there."""

    tree_size: int
    found: Lookups
    batch: PendingBatch
    receipts: list[Receipt]


def speculate(
    store: LedgerStore, sequencer: TransitionSequencer, prepared: list[PreparedRequest]
) -> Speculation | None:
    """Sequence ``prepared`` against a read snapshot; ``None`` when only the write lock can decide."""
    if any(p.request.sig is not None for p in prepared):
        return None  # a key may be revoked before the lock: signatures are checked under it
    try:
        with store.reading() as view:
            head = view.head()
            if head is None:
                return None
            found = sequencer.lookups(view, prepared)
            batch = PendingBatch(head)
            receipts = sequencer.sequence(view, batch, prepared, found)
    except LedgerError:
        return None  # refused on the snapshot: the locked path decides, and raises what it finds
    return Speculation(head.tree_size, found, batch, receipts)


def confirm(speculation: Speculation, head: LogHead, found: Lookups) -> tuple[PendingBatch, list[Receipt]] | None:
    """The speculated batch and receipts numbered from ``head``, if ``found`` (read under the lock) is what
    the speculation read; otherwise ``None``."""
    if found != speculation.found:
        return None
    shift = head.tree_size - speculation.tree_size
    old = speculation.batch
    batch = PendingBatch(head)
    batch.leaves = old.leaves
    if shift == 0:
        batch.entries, batch.tickets, batch.payloads = old.entries, old.tickets, old.payloads
        return batch, speculation.receipts
    batch.entries = [
        StoredEntry(e.index + shift, e.data, e.ticket, e.seq, e.transition_id, e.request_digest) for e in old.entries
    ]
    batch.tickets = {
        name: TicketState(t.ticket, t.seq, t.state, t.head, t.policy, t.last_index + shift)
        for name, t in old.tickets.items()
    }
    batch.payloads = [
        SealedPayload(p.commitment, p.entry_index + shift, p.salt, p.nonce, p.ciphertext) for p in old.payloads
    ]
    first = speculation.tree_size  # receipts of entries this group adds; replays keep their stored index
    receipts = [
        r
        if r.replayed or r.index < first
        else Receipt(r.transition_id, r.index + shift, r.entry_hash, r.ticket, r.seq, r.state, r.payload)
        for r in speculation.receipts
    ]
    return batch, receipts
