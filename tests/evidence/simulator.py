"""A tamperable simulator of a hotline log and its chain (after python-tuf's RepositorySimulator).

It plays the *producer*: it appends entries (well-formed by default, anything a test wants otherwise —
an illegal transition, a forged signature, a policy under a wrong id), signs checkpoints with the
operator's key (or another), anchors them on a ``SimulatedChain`` and builds ``hotline.bundle/v1``
bundles. It checks nothing: the verifier under test is always the real one. Proofs come from the RFC
9162 reference tree of the tests, which shares no code with the verifier.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.policies import load_policy
from tests.conftest import ORIGIN
from tests.evidence.sim_chain import CONTRACT, GENESIS_TIME, SimulatedChain
from tests.merkle_reference import ReferenceTree
from verifier.bundle import AnchorClaim, Bundle, Disclosure, ProvenEntry
from verifier.canonical import canonical_bytes
from verifier.checkpoint import Checkpoint, sign_checkpoint
from verifier.commitment import payload_commitment
from verifier.entry import KEY_V1, POLICY_V1, TRANSITION_V1, format_at
from verifier.merkle import leaf_hash
from verifier.note import NoteSigner
from verifier.policy import Policy
from verifier.trust import ChainPlace, Trust, log_id_of

HOTLINE = "330100-12345"
UNIT = "330102-zjj"
#: A simulated second per entry appended, and the anchor's block this long after the last entry.
ENTRY_SECONDS = 20
ANCHOR_SECONDS = 30


@dataclass
class _TicketHead:
    seq: int
    head: bytes
    state: str
    indices: list[int] = field(default_factory=list)


class LogSimulator:
    """A log (``origin``) under the operator's ``signer``, anchored on ``chain``; everything tamperable."""

    def __init__(
        self,
        *,
        origin: str = ORIGIN,
        signer: NoteSigner | None = None,
        chain: SimulatedChain | None = None,
        policy: Policy | None = None,
    ) -> None:
        self.origin = origin
        self.signer = signer or NoteSigner.generate(origin)
        self.chain = chain or SimulatedChain()
        self.contract = CONTRACT
        self.now = datetime.fromtimestamp(GENESIS_TIME, UTC)
        self.entries: list[bytes] = []
        self.tickets: dict[str, _TicketHead] = {}
        self.policy_index: dict[str, int] = {}
        self.key_indices: dict[str, list[int]] = {}
        self.actor_keys: dict[str, Ed25519PrivateKey] = {}
        self.disclosures: dict[int, tuple[Any, bytes]] = {}
        self.signed_by: dict[int, str] = {}
        self.checkpoints: dict[int, str] = {}
        self.claims: dict[int, AnchorClaim] = {}
        self.policy = policy or load_policy("cn-baseline")
        self.publish_policy(self.policy)

    @property
    def log_id(self) -> bytes:
        return log_id_of(self.origin)

    def trust(self, *, confirmations: int = 1) -> Trust:
        """The trust file an auditor of this log holds."""
        place = ChainPlace(self.chain.id, self.contract.lower(), self.log_id)
        return Trust(self.origin, (self.signer.verifier(),), place, confirmations)

    # -- appending ---------------------------------------------------------------------------

    def _at(self) -> str:
        self.now += timedelta(seconds=ENTRY_SECONDS)
        return format_at(self.now)

    def append(self, data: bytes) -> int:
        """Append raw entry bytes (anything at all); return the index."""
        self.entries.append(data)
        return len(self.entries) - 1

    def add(self, record: dict[str, Any]) -> int:
        """Append a record's canonical bytes, unchecked."""
        return self.append(canonical_bytes(record))

    def publish_policy(self, policy: Policy, *, claimed_id: str | None = None) -> int:
        """Publish ``policy`` in full (under ``claimed_id``, a lie, if given)."""
        record = {"v": POLICY_V1, "log": self.origin, "id": claimed_id or policy.id, "at": self._at()}
        index = self.add({**record, "policy": dict(policy.document)})
        self.policy_index.setdefault(claimed_id or policy.id, index)
        return index

    def register_key(self, key: str, *, org: str = HOTLINE, role: str = "agent") -> int:
        private = self.actor_keys[key] = Ed25519PrivateKey.generate()
        public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        record = {"v": KEY_V1, "log": self.origin, "op": "register", "key": key, "org": org, "role": role}
        index = self.add(
            {**record, "alg": "ed25519", "public_key": base64.b64encode(public).decode(), "at": self._at()}
        )
        self.key_indices[key] = [index]
        return index

    def revoke_key(self, key: str, *, org: str = HOTLINE) -> int:
        index = self.add({"v": KEY_V1, "log": self.origin, "op": "revoke", "key": key, "org": org, "at": self._at()})
        self.key_indices[key].append(index)
        return index

    def transition(
        self,
        ticket: str,
        event: str,
        to: str,
        *,
        role: str = "agent",
        org: str = HOTLINE,
        key: str | None = None,
        signer: Ed25519PrivateKey | None = None,
        payload: Any = None,
        at: str | None = None,
        **overrides: Any,
    ) -> int:
        """Append the ticket's next transition; ``overrides`` replace any field (``from_`` for ``from``).

        A transition by ``key`` is signed with that actor key, or with ``signer`` (a forgery) if given.
        """
        head = self.tickets.get(ticket)
        actor: dict[str, Any] = {"org": org, "role": role} | ({"key": key} if key else {})
        record: dict[str, Any] = {
            "v": TRANSITION_V1,
            "log": self.origin,
            "ticket": ticket,
            "seq": head.seq + 1 if head else 1,
            "prev": head.head.hex() if head else None,
            "event": event,
            "from": head.state if head else None,
            "to": to,
            "actor": actor,
            "at": at or self._at(),
            "policy": self.policy.id,
            "attrs": {"category": "complaint", "urgency": "normal", "channel": "phone"} if not head else {},
            "payload": None,
        }
        if payload is not None:
            salt = os.urandom(32)
            record["payload"] = payload_commitment(salt, payload)
        if "from_" in overrides:
            overrides["from"] = overrides.pop("from_")
        record.update(overrides)
        if key is not None:
            signature = (signer or self.actor_keys[key]).sign(canonical_bytes(record))
            record["sig"] = base64.b64encode(signature).decode()
        index = self.add(record)
        if key is not None:
            self.signed_by[index] = key
        if payload is not None:
            self.disclosures[index] = (payload, salt)
        indices = head.indices if head else []
        self.tickets[ticket] = _TicketHead(record["seq"], leaf_hash(self.entries[index]), to, [*indices, index])
        return index

    def open_ticket(self, ticket: str, *, payload: Any = None) -> list[int]:
        """A ticket registered, sent for dispatch and dispatched: three legal transitions."""
        return [
            self.transition(ticket, "register", "registered", payload=payload),
            self.transition(ticket, "submit_for_dispatch", "pending_dispatch"),
            self.transition(ticket, "dispatch", "dispatched", role="dispatcher"),
        ]

    # -- the tree, checkpoints and anchors ---------------------------------------------------

    @property
    def size(self) -> int:
        return len(self.entries)

    def tree(self) -> ReferenceTree:
        return ReferenceTree.from_data(self.entries)

    def root(self, size: int | None = None) -> bytes:
        return self.tree().root(self.size if size is None else size)

    def sign(self, size: int | None = None, *, root: bytes | None = None, signer: NoteSigner | None = None) -> str:
        """A signed checkpoint at ``size`` (``root``: a lie, if given), not published."""
        size = self.size if size is None else size
        checkpoint = Checkpoint(self.origin, size, root or self.root(size))
        return sign_checkpoint(checkpoint, signer or self.signer)

    def publish(self, size: int | None = None, **lie: Any) -> str:
        """Sign and publish a checkpoint (the server serves the latest published one)."""
        note = self.sign(size, **lie)
        self.checkpoints[self.size if size is None else size] = note
        return note

    @property
    def latest(self) -> str:
        return self.checkpoints[max(self.checkpoints)]

    def anchor(self, size: int | None = None, *, root: bytes | None = None, delay: int = ANCHOR_SECONDS) -> AnchorClaim:
        """Publish a checkpoint and anchor it ``delay`` seconds after the last entry; return the claim."""
        size = self.size if size is None else size
        root = root or self.root(size)
        self.publish(size, root=root)
        self.now += timedelta(seconds=delay)
        block = self.chain.anchor(self.log_id, size, root, timestamp=int(self.now.timestamp()), contract=self.contract)
        event = next(e for e in self.chain.anchored_events(self.contract, self.log_id) if e.size == size)
        claim = AnchorClaim(size, root, event.tx_hash, block.number, block.hash, block.timestamp)
        self.claims[size] = claim
        return claim

    # -- evidence ----------------------------------------------------------------------------

    def proven(self, index: int, size: int, tree: ReferenceTree | None = None) -> ProvenEntry:
        data = self.entries[index]
        return ProvenEntry(index, leaf_hash(data), data, tuple((tree or self.tree()).path(index, size)))

    def consistency(self, size1: int, size2: int) -> list[bytes]:
        return self.tree().proof(size1, size2) if 0 < size1 < size2 else []

    def bundle(self, indices: list[int], *, size: int | None = None, disclose: bool = False) -> Bundle:
        """A bundle of ``indices`` under the anchor at ``size`` (default: the latest claimed anchor)."""
        size = max(self.claims) if size is None else size
        claim = self.claims[size]
        tree = self.tree()
        keys = {self.signed_by[i] for i in indices if i in self.signed_by}
        key_indices = sorted(i for k in keys for i in self.key_indices.get(k, []) if i < size)
        policy_indices = sorted(i for i in self.policy_index.values() if i < size)
        return Bundle(
            origin=self.origin,
            verifier_key=self.signer.vkey,
            chain=ChainPlace(self.chain.id, self.contract.lower(), self.log_id),
            checkpoint=self.checkpoints[size],
            anchor=claim,
            entries=tuple(self.proven(i, size, tree) for i in sorted(indices)),
            policies=tuple(self.proven(i, size, tree) for i in policy_indices),
            keys=tuple(self.proven(i, size, tree) for i in key_indices),
            disclosures=tuple(
                Disclosure(i, *self.disclosures[i]) for i in sorted(indices) if disclose and i in self.disclosures
            ),
        )

    def ticket_bundle(self, ticket: str, *, disclose: bool = False) -> Bundle:
        """The ticket's anchored entries under the latest anchor, as the ledger builds it."""
        size = max(self.claims)
        return self.bundle([i for i in self.tickets[ticket].indices if i < size], disclose=disclose)
