"""Plain values the ledger's storage hands in and out; they know nothing about SQL."""

from __future__ import annotations

from dataclasses import dataclass

from verifier.quick_init import quick_init

NodeId = tuple[int, int]


@dataclass(frozen=True)
class LogHead:
    """The log's current size and root, and its origin."""

    origin: str
    tree_size: int
    root: bytes


@quick_init
@dataclass(frozen=True)
class TicketState:
    """Where a ticket's history stands: its last ``seq``, state, entry hash and policy."""

    ticket: str
    seq: int
    state: str
    head: bytes
    policy: str
    last_index: int


@quick_init
@dataclass(frozen=True)
class StoredEntry:
    """An entry as stored: its index, bytes and (for transitions) its ticket and seq."""

    index: int
    data: bytes
    ticket: str | None = None
    seq: int | None = None
    transition_id: str | None = None
    request_digest: bytes | None = None


@quick_init
@dataclass(frozen=True)
class SealedPayload:
    """An encrypted payload with its salt, as kept off the log."""

    commitment: str
    entry_index: int
    salt: bytes
    nonce: bytes
    ciphertext: bytes


@dataclass(frozen=True)
class StoredCheckpoint:
    """A published checkpoint: size, root, the signed note and when it was published (ms)."""

    tree_size: int
    root: bytes
    note: str
    published_at: int


@dataclass(frozen=True)
class ActorKey:
    """An actor key as registered in the log (and the index that revoked it, if any)."""

    key: str
    org: str
    role: str
    public_key: bytes
    registered_index: int
    revoked_index: int | None = None


@dataclass(frozen=True)
class StoredAnchor:
    """A checkpoint anchored on chain: where (chain, contract), in which transaction and block, and when.

    ``block_timestamp`` is the chain's block time in seconds; ``recorded_at`` is when the worker recorded
    it (ms). ``id`` orders anchors as they were recorded; ``dropped_at`` is set (ms) when a reorg removed
    the anchor from the canonical chain, after which the same checkpoint is anchored again.
    """

    tree_size: int
    root: bytes
    chain_id: int
    contract: str
    tx_hash: bytes
    block_number: int
    block_hash: bytes
    block_timestamp: int
    recorded_at: int
    id: int | None = None
    dropped_at: int | None = None


@dataclass(frozen=True)
class StoredApiKey:
    """An API key as stored: public id, name, scopes, the SHA-256 of its secret token, and times (ms)."""

    id: str
    name: str
    scopes: tuple[str, ...]
    token_hash: bytes
    created_at: int
    revoked_at: int | None = None
