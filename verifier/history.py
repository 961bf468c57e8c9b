"""Tickets' histories checked entry by entry, in log order: chains (V7), workflow (V8), actor keys (V9).

``History`` is fed the entries of a log (or of a bundle) in increasing index order and keeps only
what the next entry needs: per ticket its last seq, entry hash and state; the published policies; the
actor keys with the indices that registered and revoked them. So a full audit holds memory in the
number of tickets and keys, not in the number of entries.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from verifier.entry import KeyEntry, PolicyEntry, Transition
from verifier.errors import PolicyViolation, VerificationError
from verifier.policy import Policy, check_transition, parse_policy

#: Most allowed (policy, state, event, from, to, role) combinations ``History`` remembers (then it starts over).
MAX_REMEMBERED_TRANSITIONS = 4096


#: A transition's workflow step as V8 checks it: (event, from state, to state, actor role).
Step = tuple[str, str | None, str, str]

#: Where ``History.transition`` hands a failed check: the error and its step.
Failed = Callable[[VerificationError, str], None]


class ChainBreak(VerificationError):
    """A ticket's entries do not form one chain: a gap, a fork, a wrong ``prev`` (step V7)."""

    step = "V7"


class ActorSignatureError(VerificationError):
    """An actor signature by an unknown, foreign or revoked key, or one that does not verify (step V9)."""

    step = "V9"


@dataclass(slots=True)
class TicketHead:
    """A ticket's last entry: its seq, leaf hash, the state it left the ticket in, and its index."""

    seq: int
    head: bytes
    state: str
    index: int


@dataclass(slots=True)
class ActorKeyState:
    """An actor key as the log registered it, with the indices that registered and revoked it."""

    org: str
    public_key: bytes
    registered: int
    revoked: int | None = None


def _where(index: int, entry: Transition) -> dict[str, object]:
    """A chain break's evidence of place (built only for a failure: the checks run for every transition)."""
    return {"ticket": entry.ticket, "index": index, "seq": entry.seq}


class History:
    """The state a verifier keeps while it walks a log's entries in index order."""

    def __init__(self) -> None:
        self.tickets: dict[str, TicketHead] = {}
        self.policies: dict[str, tuple[int, Policy]] = {}
        self.keys: dict[str, ActorKeyState] = {}
        self.transitions = 0
        self.signed = 0
        self._allowed: set[tuple[str, str | None, Step]] = set()

    def add_policy(self, index: int, entry: PolicyEntry) -> None:
        if entry.id not in self.policies:
            self.policies[entry.id] = (index, parse_policy(entry.document))

    def add_key(self, index: int, entry: KeyEntry) -> None:
        if entry.op == "register":
            assert entry.public_key is not None
            if entry.key in self.keys:
                raise ActorSignatureError(f"actor key {entry.key!r} is registered twice", key=entry.key, index=index)
            self.keys[entry.key] = ActorKeyState(entry.org, entry.public_key, index)
            return
        known = self.keys.get(entry.key)
        if known is None or known.revoked is not None:
            raise ActorSignatureError(
                f"actor key {entry.key!r} is revoked but was not registered (or is revoked twice)",
                key=entry.key,
                index=index,
            )
        known.revoked = index

    def transition(self, index: int, entry: Transition, leaf: bytes | None, failed: Failed) -> None:
        """Steps V7, V8 and V9 for one transition, each failure handed to ``failed`` with its step; then the
        transition becomes its ticket's head whatever the checks found.

        ``leaf``: the entry's leaf hash, when the caller has it already.
        """
        head = leaf or entry.leaf_hash
        if entry.sig is None and self.advance(
            index,
            entry.ticket,
            entry.seq,
            entry.prev,
            entry.policy,
            (entry.event, entry.from_state, entry.to_state, entry.actor.role),
            head,
        ):
            return
        last = self.tickets.get(entry.ticket)
        try:
            self._check_chain(index, entry, last)
        except VerificationError as exc:
            failed(exc, "V7")
        try:
            self._check_workflow(index, entry, last)
        except VerificationError as exc:
            failed(exc, "V8")
        if entry.sig is not None:
            try:
                self._check_signature(index, entry, entry.sig)
            except VerificationError as exc:
                failed(exc, "V9")
        if last is None:
            self.tickets[entry.ticket] = TicketHead(entry.seq, head, entry.to_state, index)
        else:
            last.seq, last.head, last.state, last.index = entry.seq, head, entry.to_state, index
        self.transitions += 1
        self.signed += entry.sig is not None

    def advance(
        self, index: int, ticket: str, seq: int, prev: str | None, policy: str, step: Step, head: bytes
    ) -> bool:
        """An unsigned transition in one go, when its V7 and V8 checks pass plainly: it becomes its ticket's
        head, and True. False, with nothing changed, when a check fails or needs its full form (a workflow
        step not checked before): ``transition`` then decides, with the evidence.

        ``step``: the transition's (event, from, to, actor role); ``head``: its leaf hash.
        """
        last = self.tickets.get(ticket)
        if last is None:
            if seq != 1 or prev is not None:
                return False
            current = None
        elif seq != last.seq + 1 or prev != last.head.hex():
            return False
        else:
            current = last.state
        published = self.policies.get(policy)
        if published is None or published[0] > index or (policy, current, step) not in self._allowed:
            return False
        if last is None:
            self.tickets[ticket] = TicketHead(seq, head, step[2], index)
        else:
            last.seq, last.head, last.state, last.index = seq, head, step[2], index
        self.transitions += 1
        return True

    def _check_chain(self, index: int, entry: Transition, last: TicketHead | None) -> None:
        """Step V7: ``seq`` follows the ticket's last, ``prev`` names its last entry's hash."""
        if last is None:
            if entry.seq != 1 or entry.prev is not None:
                raise ChainBreak(
                    f"ticket {entry.ticket}: its first entry here has seq {entry.seq}; entries 1 to {entry.seq - 1} "
                    "are missing",
                    expected_seq=1,
                    **_where(index, entry),
                )
            return
        if entry.seq != last.seq + 1:
            what = "a second entry for seq" if entry.seq <= last.seq else "a gap before seq"
            raise ChainBreak(
                f"ticket {entry.ticket}: {what} {entry.seq} (after seq {last.seq} at index {last.index})",
                expected_seq=last.seq + 1,
                previous_index=last.index,
                **_where(index, entry),
            )
        if entry.prev != last.head.hex():
            raise ChainBreak(
                f"ticket {entry.ticket}: seq {entry.seq} does not link to seq {last.seq} (prev is not its hash)",
                expected_prev=last.head.hex(),
                prev=entry.prev,
                **_where(index, entry),
            )

    def _check_workflow(self, index: int, entry: Transition, last: TicketHead | None) -> None:
        """Step V8: the transition is allowed by the policy it names, which the log published before it."""
        published = self.policies.get(entry.policy)
        if published is None or published[0] > index:
            raise PolicyViolation(
                f"ticket {entry.ticket} seq {entry.seq} names policy {entry.policy}, which is not published "
                "before it in the log",
                policy=entry.policy,
                index=index,
                known=sorted(self.policies),
            )
        current = last.state if last else None
        # check_transition is a pure function of these values, and a log repeats few combinations of them.
        allowed = (entry.policy, current, (entry.event, entry.from_state, entry.to_state, entry.actor.role))
        if allowed in self._allowed:
            return
        try:
            check_transition(
                published[1],
                current_state=last.state if last else None,
                event=entry.event,
                from_state=entry.from_state,
                to_state=entry.to_state,
                role=entry.actor.role,
            )
        except PolicyViolation as exc:
            raise PolicyViolation(
                f"ticket {entry.ticket} seq {entry.seq}: {exc.message}", index=index, **exc.evidence
            ) from exc
        if len(self._allowed) >= MAX_REMEMBERED_TRANSITIONS:
            self._allowed.clear()
        self._allowed.add(allowed)

    def _check_signature(self, index: int, entry: Transition, sig: str) -> None:
        """Step V9: a signed transition verifies with its actor's key, registered before it and not revoked."""
        where = {"ticket": entry.ticket, "seq": entry.seq, "index": index, "key": entry.actor.key}
        key = self.keys.get(entry.actor.key or "")
        if key is None or key.registered > index:
            raise ActorSignatureError(f"signed by key {entry.actor.key!r}, not registered before it", **where)
        if key.revoked is not None and key.revoked < index:
            raise ActorSignatureError(
                f"signed by key {entry.actor.key!r}, revoked at index {key.revoked}", revoked_index=key.revoked, **where
            )
        if key.org != entry.actor.org:
            raise ActorSignatureError(
                f"signed by key {entry.actor.key!r} of {key.org}, for an actor of {entry.actor.org}", **where
            )
        try:
            signature = base64.b64decode(sig, validate=True)
            Ed25519PublicKey.from_public_bytes(key.public_key).verify(signature, entry.signed_bytes())
        except (InvalidSignature, binascii.Error, ValueError):
            raise ActorSignatureError(f"the signature by key {entry.actor.key!r} does not verify", **where) from None

    def policy(self, policy_id: str) -> Policy | None:
        published = self.policies.get(policy_id)
        return published[1] if published else None
