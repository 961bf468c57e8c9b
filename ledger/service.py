"""``Ledger``: the producer's front door — append transitions, publish checkpoints, prove, erase.

It holds no state of its own beyond configuration: every operation is one database transaction
through ``ledger.storage``, so several processes (API replicas) can share one database.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ledger.batch import PendingBatch
from ledger.errors import ActorKeyError, InvalidRequest, LogStateError, PayloadNotFound
from ledger.payloads import PayloadKey
from ledger.proofs import (
    ProofPlan,
    ProofRequestError,
    consistency_plan,
    inclusion_path_keys,
    inclusion_plan,
    right_border,
)
from ledger.publisher import publish_checkpoint
from ledger.query_codes import QueryCodeKey, with_codes
from ledger.records import ActorKey, LogHead, StoredAnchor, StoredCheckpoint, StoredEntry
from ledger.sequencer import Receipt, TransitionRequest, TransitionSequencer, is_transition_id
from ledger.storage import Leadership, LedgerStore, ReadView, WriteView
from verifier.entry import (
    COMMITMENT_RE,
    EXPORT_V1,
    KEY_V1,
    POLICY_V1,
    Actor,
    PolicyEntry,
    Transition,
    encode_entry,
    format_at,
    parse_entry,
)
from verifier.errors import FormatError
from verifier.merkle import EMPTY_ROOT, fold_right_border
from verifier.note import NoteSigner
from verifier.policy import Policy, parse_policy


def _now() -> str:
    return format_at(datetime.now(UTC))


class Ledger:
    """One log in one database, operated with the operator's signer key and payload key."""

    def __init__(
        self,
        store: LedgerStore,
        origin: str,
        signer: NoteSigner,
        payload_key: PayloadKey,
        policies: dict[str, Policy],
        default_policy: str,
    ) -> None:
        self.store = store
        self.origin = origin
        self.signer = signer
        self.payload_key = payload_key
        self.policies = policies
        self.default_policy = default_policy
        self._sequencer = TransitionSequencer(origin, policies, default_policy, payload_key)
        self._seen_size = 0
        #: A tree size and, by subtree height, the part of inclusion proofs at that size after the leaf's
        #: path inside its subtree (see ``inclusion_proof``); replaced as a whole when the size changes.
        self._proof_suffixes: tuple[int, dict[int, tuple[bytes, ...]]] = (0, {})

    @classmethod
    def open(
        cls,
        store: LedgerStore,
        *,
        origin: str,
        signer: NoteSigner,
        payload_key: PayloadKey,
        policies: Sequence[Policy],
    ) -> Ledger:
        """Open (creating if new) the log ``origin`` and publish any of ``policies`` not yet in it.

        The first of ``policies`` is the default for new tickets.

        Raises:
            LogStateError: the database holds another log, or no policy was given.
        """
        if not policies:
            raise LogStateError("a log needs at least one workflow policy")
        with store.writing() as view:
            head = view.lock_head()
            if head is None:
                head = view.create_log(LogHead(origin, 0, EMPTY_ROOT))
            if head.origin != origin:
                raise LogStateError(
                    f"this database holds the log {head.origin!r}, not {origin!r}", stored=head.origin, asked=origin
                )
            published = _published_policies(view)
            batch = PendingBatch(head)
            for policy in policies:
                if policy.id not in published:
                    index = _add_policy_entry(batch, origin, policy)
                    view.add_policy(policy.id, index)
                    published[policy.id] = policy
            if batch.entries:
                batch.write(view)
        return cls(store, origin, signer, payload_key, published, policies[0].id)

    # -- sequencing ---------------------------------------------------------------------------

    def append(
        self, requests: Sequence[TransitionRequest], *, query_codes: QueryCodeKey | None = None
    ) -> list[Receipt]:
        """Record transitions, all or none, in one transaction; return a receipt for each.

        With ``query_codes``, every ticket these requests open gets a citizen's query code, stored
        (as its keyed hash) in the same transaction and returned once, on the opening receipt.

        Raises:
            LedgerError: see ``TransitionSequencer.prepare`` and ``sequence``; then nothing was recorded.
        """
        prepared = self._sequencer.prepare(requests)
        # Codes for the tickets these requests probably open, drawn before the lock (see QueryCodeKey.draw).
        drawn = query_codes.draw(p.request.ticket for p in prepared if p.may_open_ticket) if query_codes else None
        codes: dict[str, str] = {}
        with self.store.writing() as view:
            head = self._lock(view)
            self._refresh_policies(view, requests)
            batch = PendingBatch(head)
            receipts = self._sequencer.sequence(view, batch, prepared)
            if query_codes is not None:
                codes = query_codes.issue(view, receipts, drawn)
            if batch.entries:
                batch.write(view)
        return with_codes(receipts, codes) if codes else receipts

    def append_one(self, request: TransitionRequest) -> Receipt:
        """Record one transition (see ``append``)."""
        return self.append([request])[0]

    def register_actor_key(self, key: str, *, org: str, role: str, public_key: bytes, at: str | None = None) -> int:
        """Append a ``hotline.key/v1`` registration; return its index.

        Raises:
            ActorKeyError: the key id is registered already.
            InvalidRequest: a field breaks the entry schema.
        """
        record = {
            "v": KEY_V1,
            "log": self.origin,
            "op": "register",
            "key": key,
            "org": org,
            "role": role,
            "alg": "ed25519",
            "public_key": base64.b64encode(public_key).decode(),
            "at": at or _now(),
        }
        with self.store.writing() as view:
            head = self._lock(view)
            if view.actor_key(key) is not None:
                raise ActorKeyError(f"actor key {key!r} is registered already", key=key)
            batch = PendingBatch(head)
            index, _ = batch.add(_encode(record))
            view.add_actor_key(ActorKey(key, org, role, public_key, index))
            batch.write(view)
        return index

    def revoke_actor_key(self, key: str, *, at: str | None = None) -> int:
        """Append a ``hotline.key/v1`` revocation; return its index.

        Raises:
            ActorKeyError: the key is not registered, or revoked already.
        """
        with self.store.writing() as view:
            head = self._lock(view)
            stored = view.actor_key(key)
            if stored is None or stored.revoked_index is not None:
                state = "revoked already" if stored else "not registered"
                raise ActorKeyError(f"actor key {key!r} is {state}", key=key)
            record = {
                "v": KEY_V1,
                "log": self.origin,
                "op": "revoke",
                "key": key,
                "org": stored.org,
                "at": at or _now(),
            }
            batch = PendingBatch(head)
            index, _ = batch.add(_encode(record))
            view.revoke_actor_key(key, index)
            batch.write(view)
        return index

    def record_export(
        self, export_id: str, *, by: str, filter: Mapping[str, Any], bundle_sha256: bytes, tickets: int, entries: int
    ) -> int:
        """Append a ``hotline.export/v1`` entry: an export was made (who, which filter, the bundle's hash)."""
        record = {
            "v": EXPORT_V1,
            "log": self.origin,
            "id": export_id,
            "by": by,
            "filter": dict(filter),
            "bundle": "sha256:" + bundle_sha256.hex(),
            "tickets": tickets,
            "entries": entries,
            "at": _now(),
        }
        data = _encode(record)
        with self.store.writing() as view:
            batch = PendingBatch(self._lock(view))
            index, _ = batch.add(data)
            batch.write(view)
        return index

    def publish_policy(self, policy: Policy, *, at: str | None = None) -> int | None:
        """Publish a policy in the log (``None`` when it was published before); return its index."""
        with self.store.writing() as view:
            head = self._lock(view)
            existing = view.policy_entry_index(policy.id)
            if existing is not None:
                return None
            batch = PendingBatch(head)
            index = _add_policy_entry(batch, self.origin, policy, at)
            view.add_policy(policy.id, index)
            batch.write(view)
        self.policies[policy.id] = policy
        return index

    # -- payloads -----------------------------------------------------------------------------

    def payload(self, commitment: str) -> Any:
        """The decrypted payload behind ``commitment``.

        Raises:
            PayloadNotFound: never stored, or erased.
        """
        _check_commitment(commitment)
        with self.store.reading() as view:
            sealed = view.payload(commitment)
        if sealed is None:
            raise _payload_not_found(commitment)
        return self.payload_key.open(sealed)

    def disclosure(self, commitment: str) -> tuple[Any, bytes] | None:
        """The payload behind ``commitment`` with its salt, to disclose it (``None``: never stored, or erased)."""
        _check_commitment(commitment)
        with self.store.reading() as view:
            sealed = view.payload(commitment)
        return None if sealed is None else (self.payload_key.open(sealed), sealed.salt)

    def erase_payload(self, commitment: str, *, actor: Actor, reason: str, at: str | None = None) -> Receipt:
        """Erase a payload and its salt, and record an ``erase`` event on its ticket (PIPL Art. 47).

        Both happen in one transaction: the content is gone exactly when the log says so.

        Raises:
            PayloadNotFound: never stored, or erased already.
            IllegalTransition: the ticket's policy does not let ``actor`` erase.
        """
        _check_commitment(commitment)
        with self.store.writing() as view:
            head = self._lock(view)
            sealed = view.payload(commitment)
            entry = view.entry(sealed.entry_index) if sealed else None
            if sealed is None or entry is None or entry.ticket is None:
                raise _payload_not_found(commitment)
            ticket = view.tickets([entry.ticket])[entry.ticket]
            request = TransitionRequest(
                transition_id=f"erase:{commitment}",
                ticket=entry.ticket,
                event="erase",
                to=ticket.state,
                actor=actor,
                at=at or _now(),
                attrs={"erased": commitment, "reason": reason},
            )
            batch = PendingBatch(head)
            receipt = self._sequencer.sequence(view, batch, self._sequencer.prepare([request]))[0]
            view.delete_payload(commitment)
            batch.write(view)
        return receipt

    # -- publishing ---------------------------------------------------------------------------

    def publish_checkpoint(self) -> StoredCheckpoint:
        """Sign and store a checkpoint of the current tree, after verifying it (see ``publisher``)."""
        with self.store.writing() as view:
            head = self._lock(view)
            return publish_checkpoint(view, head, self.signer)

    def record_anchor(self, anchor: StoredAnchor) -> StoredAnchor:
        """Record a confirmed anchor (the anchor worker's bookkeeping); returns it with its id.

        Raises:
            LogStateError: the anchored root is not this log's root at that size.
            ProofRequestError: the size is beyond the log.
        """
        if self.root_at(anchor.tree_size) != anchor.root:
            raise LogStateError(
                f"the anchored root is not this log's root at size {anchor.tree_size}", size=anchor.tree_size
            )
        with self.store.writing() as view:
            return view.add_anchor(anchor)

    def leadership(self, role: str) -> Leadership:
        """The role ``role`` for this log (e.g. ``anchor-worker``), held by at most one process at a time."""
        return self.store.leadership(f"{role} {self.origin}")

    def drop_anchors(self, ids: Sequence[int]) -> None:
        """Stamp anchors a reorg removed from the chain as dropped (they stay in the history)."""
        with self.store.writing() as view:
            view.drop_anchors(ids, int(datetime.now(UTC).timestamp() * 1000))

    # -- reading and proving ------------------------------------------------------------------

    def head(self) -> LogHead:
        with self.store.reading() as view:
            return _head(view)

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        with self.store.reading() as view:
            return view.latest_checkpoint()

    def checkpoint(self, tree_size: int) -> StoredCheckpoint | None:
        with self.store.reading() as view:
            return view.checkpoint(tree_size)

    def anchors(self, *, include_dropped: bool = False) -> list[StoredAnchor]:
        """Anchored checkpoints in recording order (with ``include_dropped``, also those a reorg removed)."""
        with self.store.reading() as view:
            return view.anchors(include_dropped=include_dropped)

    def latest_anchor(self) -> StoredAnchor | None:
        """The largest checkpoint still anchored on the canonical chain, as last recorded."""
        with self.store.reading() as view:
            return view.latest_anchor()

    def entry(self, index: int) -> StoredEntry | None:
        with self.store.reading() as view:
            return view.entry(index)

    def entries(self, start: int, end: int) -> list[StoredEntry]:
        with self.store.reading() as view:
            return view.entries(start, end)

    def entry_data(self, start: int, end: int) -> tuple[list[bytes], int]:
        """The exact bytes of the entries ``start <= index < end`` that are in the log, and its size, in one
        snapshot (no record per entry: the cheap read behind ``GET /v1/entries``).

        Raises:
            LogStateError: there is no log in this database.
        """
        data, size = self.store.entry_data_and_size(start, end)
        if size is None:
            raise LogStateError("no log in this database")
        return data, size

    def ticket_entries(self, ticket: str) -> list[StoredEntry]:
        with self.store.reading() as view:
            return view.ticket_entries(ticket)

    def transition(self, transition_id: str) -> StoredEntry | None:
        """The entry recorded for a client's ``transition_id`` (``None``: never recorded)."""
        if not is_transition_id(transition_id):
            return None
        with self.store.reading() as view:
            return view.entries_by_transition_id([transition_id]).get(transition_id)

    def first_anchor_covering(self, index: int) -> StoredAnchor | None:
        """The first anchor still on the canonical chain whose checkpoint holds entry ``index``."""
        with self.store.reading() as view:
            return view.first_anchor_covering(index)

    def query_code_hash(self, ticket: str) -> bytes | None:
        """The stored keyed hash of ``ticket``'s query code (``None``: no such ticket, or none issued)."""
        with self.store.reading() as view:
            return view.query_code_hash(ticket)

    def policy_entry_index(self, policy_id: str) -> int | None:
        """The index of the entry that published ``policy_id`` (``None``: never published)."""
        with self.store.reading() as view:
            return view.policy_entry_index(policy_id)

    def actor_key(self, key: str) -> ActorKey | None:
        """An actor key with the indices of the entries that registered and (if so) revoked it."""
        with self.store.reading() as view:
            return view.actor_key(key)

    def inclusion_proof(self, index: int, tree_size: int | None = None) -> list[bytes]:
        """The inclusion proof of entry ``index`` in the tree of ``tree_size`` (default: current).

        Raises:
            ProofRequestError: the index is not in that tree, or the tree is larger than the log.
        """
        if tree_size is not None:
            return self._proof(lambda size: inclusion_plan(index, size), tree_size)
        # At the current size: the leaf's path inside its perfect subtree, read in one statement with the
        # size (one snapshot), and the rest, which at that size is the same for every leaf of the subtree
        # (``inclusion_path_keys``) and was kept from an earlier proof. Stored nodes never change, so what
        # was kept for a size stays right for that size; a log that has grown since is proved afresh.
        size, suffixes = self._proof_suffixes
        if type(index) is int and 0 <= index < size:
            height, keys = inclusion_path_keys(index, size)
            suffix = suffixes.get(height)
            if suffix is not None:
                hashes, current = self.store.path_hashes_and_size(keys)
                if current == size:
                    hashes.extend(suffix)
                    return hashes
        proof, size = self._proof_at(lambda size: inclusion_plan(index, size), None)
        if self._proof_suffixes[0] != size:
            self._proof_suffixes = (size, {})
        kept_size, kept = self._proof_suffixes
        if kept_size == size:
            height, _ = inclusion_path_keys(index, size)
            kept[height] = tuple(proof[height:])
        return proof

    def inclusion_proofs(self, indices: Sequence[int], tree_size: int) -> list[list[bytes]]:
        """The inclusion proofs of many entries in the tree of ``tree_size``, reading each stored node once.

        Raises:
            ProofRequestError: an index is not in that tree, or the tree is larger than the log.
        """
        size = self._proof_size(tree_size)
        plans = [inclusion_plan(index, size) for index in indices]
        wanted = list(dict.fromkeys(node for plan in plans for node in plan.ids))
        found = dict(zip(wanted, self.store.node_hashes(wanted), strict=True))
        return [plan.rehash([found[node] for node in plan.ids]) for plan in plans]

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """The consistency proof from ``size1`` to ``size2`` (default: current size).

        Raises:
            ProofRequestError: sizes out of order, zero, or beyond the log.
        """
        return self._proof(lambda size: consistency_plan(size1, size), size2)

    def root_at(self, tree_size: int) -> bytes:
        """The root of the tree at an earlier (or the current) size."""
        return fold_right_border(self.store.node_hashes(right_border(self._proof_size(tree_size))))

    # -- internals ----------------------------------------------------------------------------

    def _lock(self, view: WriteView) -> LogHead:
        head = view.lock_head()
        if head is None or head.origin != self.origin:
            raise LogStateError(f"the log {self.origin!r} is not in this database")
        return head

    def _proof(self, plan_at: Callable[[int], ProofPlan], tree_size: int | None) -> list[bytes]:
        return self._proof_at(plan_at, tree_size)[0]

    def _proof_at(self, plan_at: Callable[[int], ProofPlan], tree_size: int | None) -> tuple[list[bytes], int]:
        """The proof ``plan_at`` plans, at ``tree_size`` (default: the current size), and that size.

        At the current size the plan is made for the largest size seen so far and its nodes are read in
        the same statement (one snapshot) as the current size: when the log has not grown since, that
        one read is the whole proof. When it has, the proof is planned again at the size just read,
        which was the current size during this call. Another process may append at any time, so the
        size is never taken from memory alone.
        """
        if tree_size is not None:
            size = self._proof_size(tree_size)
            plan = plan_at(size)
            return plan.rehash(self.store.node_hashes(plan.ids)), size
        guess = self._seen_size
        try:
            plan = plan_at(guess)
        except ProofRequestError:
            # Nothing seen yet, or the request reaches beyond the size seen: read the size first.
            size = self._proof_size(None)
            plan = plan_at(size)
            return plan.rehash(self.store.node_hashes(plan.ids)), size
        hashes, current = self.store.node_hashes_and_size(plan.ids)
        if current == guess:
            return plan.rehash(hashes), guess
        size = self._checked_size(current, None)
        plan = plan_at(size)
        return plan.rehash(self.store.node_hashes(plan.ids)), size

    def _proof_size(self, tree_size: int | None) -> int:
        """``tree_size``, checked to be within the log (default: the current size).

        A log never shrinks, so a size at most one already seen needs no database read.
        """
        if tree_size is not None and 0 <= tree_size <= self._seen_size:
            return tree_size
        return self._checked_size(self.store.tree_size(), tree_size)

    def _checked_size(self, current: int | None, tree_size: int | None) -> int:
        """``tree_size`` checked against the log's ``current`` size, just read (default: ``current``)."""
        if current is None:
            raise LogStateError("no log in this database")
        self._seen_size = max(self._seen_size, current)
        if tree_size is None:
            return current
        if not 0 <= tree_size <= current:
            raise ProofRequestError(f"tree size {tree_size} is beyond the log's size {current}")
        return tree_size

    def _refresh_policies(self, view: ReadView, requests: Iterable[TransitionRequest]) -> None:
        # Another process may have published a policy since this one loaded them.
        if any(r.policy is not None and r.policy not in self.policies for r in requests):
            self.policies.update(_published_policies(view))


def _payload_not_found(commitment: str) -> PayloadNotFound:
    return PayloadNotFound(f"no payload for {commitment!r} (never stored, or erased)", commitment=commitment)


def _check_commitment(commitment: str) -> None:
    """Raise ``PayloadNotFound`` for text that is no commitment, before it reaches the database (where a NUL
    would be an error on PostgreSQL)."""
    if not COMMITMENT_RE.fullmatch(commitment):
        raise _payload_not_found(commitment)


def _head(view: ReadView) -> LogHead:
    head = view.head()
    if head is None:
        raise LogStateError("no log in this database")
    return head


def _encode(record: dict[str, Any]) -> bytes:
    try:
        return encode_entry(record)
    except FormatError as exc:
        raise InvalidRequest(exc.message, **exc.evidence) from exc


def _add_policy_entry(batch: PendingBatch, origin: str, policy: Policy, at: str | None = None) -> int:
    record = {"v": POLICY_V1, "log": origin, "id": policy.id, "at": at or _now(), "policy": dict(policy.document)}
    index, _ = batch.add(_encode(record))
    return index


def _published_policies(view: ReadView) -> dict[str, Policy]:
    published: dict[str, Policy] = {}
    for policy_id in view.policy_ids():
        index = view.policy_entry_index(policy_id)
        stored = view.entry(index) if index is not None else None
        parsed = parse_entry(stored.data) if stored else None
        if not isinstance(parsed, PolicyEntry):
            raise LogStateError(f"policy {policy_id} is registered but its entry is missing", policy=policy_id)
        published[policy_id] = parse_policy(parsed.document)
    return published


__all__ = ["Ledger", "Receipt", "Transition", "TransitionRequest"]
