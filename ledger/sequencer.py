"""Sequencing ticket transitions: validate against the workflow, chain, and give each its index.

``TransitionSequencer.prepare`` does the work that needs no database (canonical bytes, the
idempotency digest, payload sealing) before the write lock; ``sequence`` then runs inside one
writer transaction (``ledger.storage.WriteView``) and either sequences every request or raises
and sequences none (a batch is all or nothing).
Idempotency is by the client's ``transition_id``: the same id with the same content gets the
same receipt again; with other content it is a conflict.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.batch import PendingBatch
from ledger.errors import (
    ActorKeyError,
    IllegalTransition,
    InvalidRequest,
    LedgerError,
    StaleSequence,
    TransitionConflict,
    UnknownPolicy,
)
from ledger.payloads import PayloadKey
from ledger.records import SealedPayload, StoredEntry, TicketState
from ledger.storage import WriteView
from verifier.canonical import canonical_bytes, canonical_text_within, json_string
from verifier.entry import TRANSITION_V1, Actor, Transition, build_entry, build_transition, parse_entry
from verifier.errors import FormatError, PolicyViolation
from verifier.limits import MAX_SAFE_INTEGER
from verifier.policy import Policy, check_transition
from verifier.quick_init import quick_init

TRANSITION_ID_CHARS = 128


def is_transition_id(text: object) -> bool:
    """Whether ``text`` can be a client's transition id: 1–128 characters, none of them NUL.

    NUL is refused because PostgreSQL text cannot hold it: every database must accept the same ids.
    """
    return isinstance(text, str) and 0 < len(text) <= TRANSITION_ID_CHARS and "\x00" not in text


@quick_init
@dataclass(frozen=True)
class TransitionRequest:
    """A core system's request to record one transition of a ticket.

    ``expected_seq``, when given, is the ``seq`` the client expects this transition to get
    (the ticket's last ``seq`` + 1); anything else is refused as stale. ``policy`` defaults to
    the ticket's policy (or the log's default policy for a new ticket). ``payload`` is personal
    content: it is sealed in the payload store and only its commitment enters the log.
    """

    transition_id: str
    ticket: str
    event: str
    to: str
    actor: Actor
    at: str
    attrs: Mapping[str, Any] = field(default_factory=dict)
    payload: Any = None
    expected_seq: int | None = None
    policy: str | None = None
    sig: str | None = None

    def canonical_parts(self) -> tuple[bytes, bytes | None]:
        """Canonical bytes of the request without its payload, and of its payload (``None``: none).

        Raises:
            FormatError: a field or the payload is not canonical-JSON encodable.
        """
        actor = {"org": self.actor.org, "role": self.actor.role, "key": self.actor.key}
        fields = canonical_bytes(
            {
                "transition_id": self.transition_id,
                "ticket": self.ticket,
                "event": self.event,
                "to": self.to,
                "actor": actor,
                "at": self.at,
                "attrs": self.attrs,
                "expected_seq": self.expected_seq,
                "policy": self.policy,
                "sig": self.sig,
            }
        )
        return fields, None if self.payload is None else canonical_bytes(self.payload)


@quick_init
@dataclass(frozen=True)
class Receipt:
    """What the ledger answers for a sequenced transition."""

    transition_id: str
    index: int
    entry_hash: str
    ticket: str
    seq: int
    state: str
    payload: str | None
    replayed: bool = False
    #: The citizen's 查询码, only on the receipt that opened the ticket and only when codes are issued
    #: (``Ledger.append(…, query_codes=…)``); the ledger keeps nothing but its keyed hash.
    query_code: str | None = None


#: Where an entry goes in its ticket's chain: its ``seq``, the previous entry's leaf hash (hex; ``None`` for the
#: first), the state it moves from (``None`` for the first) and its policy id. That is all an entry's record takes
#: from its ticket's state (``TransitionSequencer._record``); the rest is the request's.
Position = tuple[int, str | None, str | None, str]


@quick_init
@dataclass(frozen=True)
class Guess:
    """A request's entry built and checked before the write lock, at a guessed position (``prepare``)."""

    position: Position
    entry: Transition
    leaf: bytes


@quick_init
@dataclass(frozen=True)
class PreparedRequest:
    """A request with what can be computed before the write lock: its digest and its sealed payload.

    ``sealed`` carries no entry index yet (``-1``); sequencing gives it one. ``attrs_text`` is the
    canonical text of the request's ``attrs``, for its entry (``None``: the entry is encoded in full).
    """

    request: TransitionRequest
    digest: bytes
    sealed: SealedPayload | None
    attrs_text: str | None = None
    #: The entry built before the write lock on the guess that the request's ticket is new to the log (see
    #: ``TransitionSequencer._guess``); ``None``: no guess.
    guess: Guess | None = None

    @property
    def may_open_ticket(self) -> bool:
        """Whether the guess has this request open its ticket (it may get a query code)."""
        return self.guess is not None and self.guess.position[0] == 1


class TransitionSequencer:
    """Turns requests into chained, policy-checked ``hotline.transition/v1`` entries."""

    def __init__(
        self, origin: str, policies: Mapping[str, Policy], default_policy: str, payload_key: PayloadKey
    ) -> None:
        self.origin = origin
        self.policies = policies
        self.default_policy = default_policy
        self.payload_key = payload_key

    def prepare(self, requests: Sequence[TransitionRequest]) -> list[PreparedRequest]:
        """Check, canonicalise, digest and seal ``requests``: the work that needs no database.

        Done before the write lock is taken, so that it does not hold up other writers.

        Raises:
            InvalidRequest: a malformed transition id, or a field or payload that is not canonical JSON.
        """
        prepared = []
        # The guessed state of each ticket after the requests so far (None: its guess failed), and the ids seen.
        states: dict[str, TicketState | None] = {}
        seen: set[str] = set()
        for request in requests:
            if not is_transition_id(request.transition_id):
                raise InvalidRequest(
                    f"transition_id must be 1–{TRANSITION_ID_CHARS} characters, none of them NUL", field="transition_id"
                )
            fields, payload_bytes, attrs_text = _request_parts(request)
            # Canonical JSON holds no raw newline, so the separator keeps the two parts apart.
            digest = self.payload_key.digest(fields + b"\n" + (payload_bytes or b"null"))
            sealed = None if payload_bytes is None else self.payload_key.seal(payload_bytes, -1)
            guess = self._guess(request, sealed, attrs_text, states, seen)
            prepared.append(PreparedRequest(request, digest, sealed, attrs_text, guess))
        return prepared

    def _guess(
        self,
        request: TransitionRequest,
        sealed: SealedPayload | None,
        attrs_text: str | None,
        states: dict[str, TicketState | None],
        seen: set[str],
    ) -> Guess | None:
        """Build and check ``request``'s entry before the write lock, on the guess that its ticket is new to the log.

        A batch mostly opens tickets and moves them on: under that guess each request's position is known
        (``seq`` 1 and no ``prev`` for a ticket's first request, after the previous guessed entry for the next,
        as ``states`` holds them), so its entry is built and checked against the workflow here, outside the
        lock. ``sequence`` uses a guessed entry only when the position it finds under the lock is the guessed
        one: the record is then the same (``_record``), and building an entry and checking the workflow are
        functions of the record, so the entry and the verdict are the ones it would have reached. A request
        whose guess fails a check that needs no database (its ticket already exists, say) gets no guess, nor do
        the later requests of its ticket: they are built under the lock as before.
        """
        ticket, transition_id = request.ticket, request.transition_id
        state = states.get(ticket)
        if transition_id in seen or (ticket in states and state is None):
            return None  # A replay within the batch, or a ticket whose guess failed.
        seen.add(transition_id)
        seq = state.seq + 1 if state else 1
        try:
            if request.expected_seq is not None and request.expected_seq != seq:
                raise StaleSequence(f"ticket {ticket}: expected_seq {request.expected_seq} is not the guessed {seq}")
            policy = self._policy_for(request, state)
            position = _position(seq, state, policy)
            entry = self._build(request, attrs_text, self._record(request, position, sealed))
            self._check_workflow(request, policy, position[2])
        except LedgerError:
            states[ticket] = None
            return None
        leaf = entry.leaf_hash
        states[ticket] = TicketState(ticket, seq, request.to, leaf, policy.id, -1)
        return Guess(position, entry, leaf)

    def sequence(self, view: WriteView, batch: PendingBatch, prepared: Sequence[PreparedRequest]) -> list[Receipt]:
        """Sequence ``prepared`` requests into ``batch``; raise (sequencing none) on the first refusal.

        Raises:
            TransitionConflict: a transition id was used before with other content.
            StaleSequence: ``expected_seq`` is not the ticket's next ``seq``.
            IllegalTransition: the workflow policy does not allow the transition now.
            UnknownPolicy: the request names a policy this log never published.
            ActorKeyError: a signature by an unknown or revoked key, or one that fails.
            InvalidRequest: a field breaks the entry schema.
        """
        stored = view.entries_by_transition_id(p.request.transition_id for p in prepared)
        known = view.tickets(p.request.ticket for p in prepared)
        in_batch: dict[str, tuple[bytes, Receipt]] = {}
        receipts = []
        for item in prepared:
            request, digest = item.request, item.digest
            previous = stored.get(request.transition_id)
            if previous is not None:
                receipts.append(self._replay(request, previous, digest))
                continue
            if request.transition_id in in_batch:
                earlier_digest, earlier = in_batch[request.transition_id]
                if earlier_digest != digest:
                    raise _conflict(request)
                receipts.append(earlier)
                continue
            state = batch.tickets.get(request.ticket) or known.get(request.ticket)
            receipt = self._sequence_one(view, batch, item, state)
            in_batch[request.transition_id] = (digest, receipt)
            receipts.append(receipt)
        return receipts

    def _replay(self, request: TransitionRequest, previous: StoredEntry, digest: bytes) -> Receipt:
        if previous.request_digest != digest:
            raise _conflict(request)
        entry = parse_entry(previous.data)
        assert isinstance(entry, Transition)
        return Receipt(
            request.transition_id,
            previous.index,
            entry.leaf_hash.hex(),
            entry.ticket,
            entry.seq,
            entry.to_state,
            entry.payload,
            replayed=True,
        )

    def _policy_for(self, request: TransitionRequest, state: TicketState | None) -> Policy:
        policy_id = request.policy or (state.policy if state else self.default_policy)
        policy = self.policies.get(policy_id)
        if policy is None:
            raise UnknownPolicy(
                f"policy {policy_id!r} is not published in this log", policy=policy_id, known=sorted(self.policies)
            )
        return policy

    def _sequence_one(
        self,
        view: WriteView,
        batch: PendingBatch,
        prepared: PreparedRequest,
        state: TicketState | None,
    ) -> Receipt:
        request = prepared.request
        seq = state.seq + 1 if state else 1
        if request.expected_seq is not None and request.expected_seq != seq:
            raise StaleSequence(
                f"ticket {request.ticket}: expected_seq {request.expected_seq} is stale, the next seq is {seq}"
                + (f" (state {state.state!r})" if state else " (the ticket does not exist yet)"),
                ticket=request.ticket,
                expected_seq=request.expected_seq,
                next_seq=seq,
                state=state.state if state else None,
            )
        policy = self._policy_for(request, state)
        current = state.state if state else None
        position = _position(seq, state, policy)
        guess = prepared.guess
        leaf: bytes | None = None
        if guess is not None and guess.position == position:
            # Built and checked from this request at this very position before the lock (see _guess).
            entry, leaf = guess.entry, guess.leaf
        else:
            entry = self._build(request, prepared.attrs_text, self._record(request, position, prepared.sealed))
            self._check_workflow(request, policy, current)
        if entry.sig is not None:
            self._check_signature(view, entry)
        sealed = prepared.sealed
        if sealed is not None:
            sealed = SealedPayload(sealed.commitment, batch.next_index, sealed.salt, sealed.nonce, sealed.ciphertext)
        index, leaf = batch.add(
            entry.data,
            leaf=leaf,
            ticket=request.ticket,
            seq=seq,
            transition_id=request.transition_id,
            request_digest=prepared.digest,
        )
        if sealed is not None:
            batch.payloads.append(sealed)
        batch.tickets[request.ticket] = TicketState(request.ticket, seq, request.to, leaf, policy.id, index)
        commitment = sealed.commitment if sealed else None
        return Receipt(request.transition_id, index, leaf.hex(), request.ticket, seq, request.to, commitment)

    @staticmethod
    def _check_workflow(request: TransitionRequest, policy: Policy, current: str | None) -> None:
        """Check ``request`` against the workflow ``policy`` on a ticket in state ``current``.

        Raises:
            IllegalTransition: the policy does not allow it.
        """
        try:
            check_transition(
                policy,
                current_state=current,
                event=request.event,
                from_state=current,
                to_state=request.to,
                role=request.actor.role,
            )
        except PolicyViolation as exc:
            raise IllegalTransition(
                f"ticket {request.ticket}: {exc.message}",
                ticket=request.ticket,
                state=current,
                event=request.event,
                to=request.to,
                role=request.actor.role,
                policy=policy.id,
            ) from exc

    def _record(self, request: TransitionRequest, position: Position, sealed: SealedPayload | None) -> dict[str, Any]:
        """The entry record of ``request`` at ``position`` in its ticket's chain, with ``sealed``'s commitment."""
        seq, prev, moved_from, policy_id = position
        actor: dict[str, Any] = {"org": request.actor.org, "role": request.actor.role}
        if request.actor.key is not None:
            actor["key"] = request.actor.key
        record: dict[str, Any] = {
            "v": TRANSITION_V1,
            "log": self.origin,
            "ticket": request.ticket,
            "seq": seq,
            "prev": prev,
            "event": request.event,
            "from": moved_from,
            "to": request.to,
            "actor": actor,
            "at": request.at,
            "policy": policy_id,
            "attrs": dict(request.attrs),
            "payload": sealed.commitment if sealed else None,
        }
        if request.sig is not None:
            record["sig"] = request.sig
        return record

    @staticmethod
    def _build(request: TransitionRequest, attrs_text: str | None, record: dict[str, Any]) -> Transition:
        """The entry of ``record`` (``attrs_text``: its attrs' canonical text, if known).

        Raises:
            InvalidRequest: a field breaks the entry schema.
        """
        try:
            # Every part of the record went through canonical_parts or is the ledger's own string or int.
            if attrs_text is None:
                entry = build_entry(record, checked=True)
            else:
                entry = build_transition(record, attrs_text)
        except FormatError as exc:
            raise InvalidRequest(f"ticket {request.ticket}: {exc.message}", **exc.evidence) from exc
        assert isinstance(entry, Transition)
        return entry

    @staticmethod
    def _check_signature(view: WriteView, entry: Transition) -> None:
        # Step V9 as the producer applies it: a signed entry must verify with the actor's
        # registered, unrevoked key, so the log never holds a signature the verifier refuses.
        key_id = entry.actor.key
        if key_id is None:
            raise ActorKeyError("a signed transition must name the actor's key (actor.key)", ticket=entry.ticket)
        key = view.actor_key(key_id)
        if key is None or key.revoked_index is not None:
            state = "revoked" if key else "not registered"
            raise ActorKeyError(f"actor key {key_id!r} is {state}", key=key_id, ticket=entry.ticket)
        if key.org != entry.actor.org:
            raise ActorKeyError(f"actor key {key_id!r} belongs to {key.org}, not {entry.actor.org}", key=key_id)
        assert entry.sig is not None
        try:
            Ed25519PublicKey.from_public_bytes(key.public_key).verify(base64.b64decode(entry.sig), entry.signed_bytes())
        except InvalidSignature as exc:
            raise ActorKeyError(f"signature by {key_id!r} does not verify", key=key_id, ticket=entry.ticket) from exc


def _position(seq: int, state: TicketState | None, policy: Policy) -> Position:
    """The ``seq``-th position of a ticket in ``state`` (``None``: new) under ``policy``."""
    return (seq, state.head.hex() if state else None, state.state if state else None, policy.id)


def _request_parts(request: TransitionRequest) -> tuple[bytes, bytes | None, str | None]:
    """``request.canonical_parts()``, and the canonical text of its ``attrs`` for its entry.

    A request of plain values (strings, ``None``, a safe integer, a ``dict`` of attrs) is put together
    from its parts: the type walk of ``attrs`` is the one ``canonical_parts`` does, and the text of
    ``attrs`` is shared with the entry (``build_transition``), so nothing is walked or encoded twice.
    Anything else goes to ``canonical_parts`` itself (attrs text ``None``), which gives the same bytes
    or the same error. ``tests/ledger/test_request_bytes.py`` checks the two agree.

    Raises:
        InvalidRequest: a field or the payload is not canonical-JSON encodable.
    """
    actor = request.actor
    org, role, key = actor.org, actor.role, actor.key
    attrs, expected_seq, policy, sig = request.attrs, request.expected_seq, request.policy, request.sig
    try:
        if (
            type(request.ticket) is str
            and type(request.event) is str
            and type(request.to) is str
            and type(request.at) is str
            and type(org) is str
            and type(role) is str
            and (key is None or type(key) is str)
            and (policy is None or type(policy) is str)
            and (sig is None or type(sig) is str)
            and (expected_seq is None or (type(expected_seq) is int and abs(expected_seq) <= MAX_SAFE_INTEGER))
            and type(attrs) is dict
            and type(request.transition_id) is str
        ):
            # Where canonical_parts' walk meets attrs: one level down, at "$.attrs".
            attrs_text = canonical_text_within(attrs, 1, "$.attrs")
            # canonical_parts' object in RFC 8785 key order (§3.2.3; the keys are ASCII).
            text = "".join(
                (
                    '{"actor":{"key":',
                    "null" if key is None else json_string(key),
                    ',"org":',
                    json_string(org),
                    ',"role":',
                    json_string(role),
                    '},"at":',
                    json_string(request.at),
                    ',"attrs":',
                    attrs_text,
                    ',"event":',
                    json_string(request.event),
                    ',"expected_seq":',
                    "null" if expected_seq is None else str(expected_seq),
                    ',"policy":',
                    "null" if policy is None else json_string(policy),
                    ',"sig":',
                    "null" if sig is None else json_string(sig),
                    ',"ticket":',
                    json_string(request.ticket),
                    ',"to":',
                    json_string(request.to),
                    ',"transition_id":',
                    json_string(request.transition_id),
                    "}",
                )
            )
            try:
                fields = text.encode("utf-8")
            except UnicodeEncodeError:
                pass  # A lone surrogate: canonical_parts raises the error for it.
            else:
                payload = request.payload
                return fields, None if payload is None else canonical_bytes(payload), attrs_text
        return (*request.canonical_parts(), None)
    except FormatError as exc:
        raise InvalidRequest(f"ticket {request.ticket}: {exc.message}", **exc.evidence) from exc


def _conflict(request: TransitionRequest) -> TransitionConflict:
    return TransitionConflict(
        f"transition_id {request.transition_id!r} was already used with different content",
        transition_id=request.transition_id,
        ticket=request.ticket,
    )
