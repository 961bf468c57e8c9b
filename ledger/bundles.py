"""Producing evidence: ``hotline.bundle/v1`` for a ticket or a set of entries, and C2SP tlog-proofs.

A bundle is proved against the latest checkpoint still anchored on the canonical chain, so everything
in it is anchored: a ticket's entries appended after that anchor are left for a later bundle (the
result says how many). With the transitions come the policy entries they name and the key entries
(registration and, if it happened before the anchor, revocation) of the keys that signed them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ledger.errors import LedgerError, LogStateError
from ledger.records import StoredAnchor, StoredCheckpoint
from ledger.service import Ledger
from verifier.bundle import AnchorClaim, Bundle, Disclosure, ProvenEntry
from verifier.entry import Transition, parse_entry
from verifier.merkle import leaf_hash
from verifier.tlog_proof import TlogProof
from verifier.trust import ChainPlace, log_id_of


class NotAnchoredYet(LedgerError):
    """Evidence was asked for entries no anchored checkpoint covers yet."""

    code = "not_anchored_yet"


class TicketNotFound(LedgerError):
    """No ticket with that number in this log."""

    code = "ticket_not_found"


@dataclass(frozen=True)
class TicketBundle:
    """A ticket's bundle, and how many of its entries came after the anchor (left out)."""

    bundle: Bundle
    pending: int


def latest_anchor(ledger: Ledger) -> StoredAnchor:
    anchor = ledger.latest_anchor()
    if anchor is None:
        raise NotAnchoredYet("no checkpoint of this log is anchored yet; try again after the next anchor")
    return anchor


def needs(transitions: Iterable[Transition]) -> tuple[set[str], set[str]]:
    """The policy ids transitions name, and the ids of the keys that signed them."""
    policy_ids, key_ids = set(), set()
    for transition in transitions:
        policy_ids.add(transition.policy)
        if transition.sig is not None and transition.actor.key is not None:
            key_ids.add(transition.actor.key)
    return policy_ids, key_ids


def context_indices(ledger: Ledger, policy_ids: set[str], key_ids: set[str], size: int) -> tuple[list[int], list[int]]:
    """The indices of the policy entries and key entries (registration, revocation) below ``size``."""
    policies = {ledger.policy_entry_index(p) for p in policy_ids}
    keys: set[int | None] = set()
    for key_id in key_ids:
        key = ledger.actor_key(key_id)
        if key is not None:
            keys.add(key.registered_index)
            keys.add(key.revoked_index)
    return (
        sorted(i for i in policies if i is not None and i < size),
        sorted(i for i in keys if i is not None and i < size),
    )


def proven(ledger: Ledger, index: int, data: bytes, size: int) -> ProvenEntry:
    """An entry with its leaf hash and its inclusion proof in the tree of ``size``."""
    return ProvenEntry(index, leaf_hash(data), data, tuple(ledger.inclusion_proof(index, size)))


def stored_data(ledger: Ledger, index: int) -> bytes:
    """The bytes of entry ``index``.

    Raises:
        LogStateError: it is missing from the database.
    """
    stored = ledger.entry(index)
    if stored is None:
        raise LogStateError(f"entry {index} is missing from the database", index=index)
    return stored.data


def anchored_checkpoint(ledger: Ledger, anchor: StoredAnchor) -> StoredCheckpoint:
    """The signed checkpoint an anchor put on chain.

    Raises:
        LogStateError: it is missing from the database, or its root is not the anchor's.
    """
    checkpoint = ledger.checkpoint(anchor.tree_size)
    if checkpoint is None or checkpoint.root != anchor.root:
        size = anchor.tree_size
        raise LogStateError(f"the anchored checkpoint of size {size} is not in the database", size=size)
    return checkpoint


def anchor_claim(anchor: StoredAnchor) -> AnchorClaim:
    return AnchorClaim(
        anchor.tree_size, anchor.root, anchor.tx_hash, anchor.block_number, anchor.block_hash, anchor.block_timestamp
    )


def chain_place(ledger: Ledger, anchor: StoredAnchor) -> ChainPlace:
    return ChainPlace(anchor.chain_id, anchor.contract.lower(), log_id_of(ledger.origin))


def entries_bundle(
    ledger: Ledger,
    indices: Iterable[int],
    *,
    anchor: StoredAnchor | None = None,
    disclose: bool = False,
) -> Bundle:
    """A bundle proving the entries at ``indices`` under the latest anchored checkpoint.

    ``disclose``: add the payloads with their salts (regulators' exports only; never by default).

    Raises:
        NotAnchoredYet: nothing is anchored, or an index is beyond the anchored size.
        LogStateError: the anchored checkpoint is missing from the database.
    """
    anchor = anchor or latest_anchor(ledger)
    size = anchor.tree_size
    checkpoint = anchored_checkpoint(ledger, anchor)
    wanted = sorted(set(indices))
    if wanted and wanted[-1] >= size:
        raise NotAnchoredYet(f"entry {wanted[-1]} is not covered by the latest anchor (size {size})", size=size)
    # Entry by entry: a ticket's entries lie far apart in a large log, so the range between them is not read.
    data = [stored_data(ledger, i) for i in wanted]
    proofs = ledger.inclusion_proofs(wanted, size) if wanted else []
    items = [ProvenEntry(i, leaf_hash(d), d, tuple(p)) for i, d, p in zip(wanted, data, proofs, strict=True)]
    parsed = [(item.index, parse_entry(item.data)) for item in items]
    transitions = [(i, e) for i, e in parsed if isinstance(e, Transition)]
    policy_indices, key_indices = context_indices(ledger, *needs(e for _, e in transitions), size)
    context = {i: stored_data(ledger, i) for i in (*policy_indices, *key_indices)}
    disclosures = []
    if disclose:
        for index, transition in transitions:
            opened = ledger.disclosure(transition.payload) if transition.payload else None
            if opened is not None:
                disclosures.append(Disclosure(index, opened[0], opened[1]))
    return Bundle(
        origin=ledger.origin,
        verifier_key=ledger.signer.vkey,
        chain=chain_place(ledger, anchor),
        checkpoint=checkpoint.note,
        anchor=anchor_claim(anchor),
        entries=tuple(items),
        policies=tuple(proven(ledger, i, context[i], size) for i in policy_indices),
        keys=tuple(proven(ledger, i, context[i], size) for i in key_indices),
        disclosures=tuple(disclosures),
    )


def ticket_bundle(ledger: Ledger, ticket: str) -> TicketBundle:
    """The bundle of a ticket's anchored history.

    Raises:
        TicketNotFound: no such ticket.
        NotAnchoredYet: none of its entries is anchored yet.
    """
    entries = ledger.ticket_entries(ticket)
    if not entries:
        raise TicketNotFound(f"no ticket {ticket!r} in this log", ticket=ticket)
    anchor = latest_anchor(ledger)
    anchored = [e.index for e in entries if e.index < anchor.tree_size]
    if not anchored:
        raise NotAnchoredYet(
            f"ticket {ticket} is not anchored yet (its first entry {entries[0].index} is beyond the anchored "
            f"size {anchor.tree_size}); try again after the next anchor",
            ticket=ticket,
        )
    bundle = entries_bundle(ledger, anchored, anchor=anchor)
    return TicketBundle(bundle, len(entries) - len(anchored))


def entry_tlog_proof(ledger: Ledger, index: int) -> TlogProof:
    """The C2SP tlog-proof of entry ``index`` under the latest anchored checkpoint (else the latest one).

    Raises:
        NotAnchoredYet: no published checkpoint covers the entry yet.
    """
    anchor = ledger.latest_anchor()
    checkpoint = ledger.checkpoint(anchor.tree_size) if anchor and index < anchor.tree_size else None
    checkpoint = checkpoint or ledger.latest_checkpoint()
    if checkpoint is None or index >= checkpoint.tree_size:
        raise NotAnchoredYet(f"no published checkpoint covers entry {index} yet", index=index)
    return TlogProof(index, tuple(ledger.inclusion_proof(index, checkpoint.tree_size)), checkpoint.note)
