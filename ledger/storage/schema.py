"""The ledger's tables (SQLAlchemy Core). Entries, nodes, checkpoints and anchors are append-only.

One database holds one log (one jurisdiction's origin). Integer primary keys are plain
``INTEGER PRIMARY KEY`` on SQLite, so they alias the rowid and cost no separate index.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

#: BIGINT everywhere but SQLite, where only INTEGER PRIMARY KEY aliases the rowid.
RowId = BigInteger().with_variant(Integer(), "sqlite")

log_head = Table(
    "log_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("origin", String(255), nullable=False),
    Column("tree_size", BigInteger, nullable=False),
    Column("root", LargeBinary(32), nullable=False),
)

entries = Table(
    "entries",
    metadata,
    Column("idx", RowId, primary_key=True, autoincrement=False),
    Column("ticket", String(40), nullable=True),
    Column("seq", Integer, nullable=True),
    Column("transition_id", String(128), nullable=True),
    Column("request_digest", LargeBinary(32), nullable=True),
    Column("data", LargeBinary, nullable=False),
    Index(None, "ticket", "seq", unique=True),
    Index(None, "transition_id", unique=True),
)

nodes = Table(
    "nodes",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

tickets = Table(
    "tickets",
    metadata,
    Column("ticket", String(40), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("state", String(40), nullable=False),
    Column("head", LargeBinary(32), nullable=False),
    Column("policy", String(80), nullable=False),
    Column("last_index", BigInteger, nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("tree_size", RowId, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("published_at", BigInteger, nullable=False),
)

# Anchors are appended as the worker records them; a reorg that drops one only stamps ``dropped_at``,
# and the re-anchoring is a new row: the history of what was on chain, and when, is never rewritten.
anchors = Table(
    "anchors",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("tree_size", BigInteger, nullable=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("chain_id", BigInteger, nullable=False),
    Column("contract", String(42), nullable=False),
    Column("tx_hash", LargeBinary(32), nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("block_hash", LargeBinary(32), nullable=False),
    Column("block_timestamp", BigInteger, nullable=False),
    Column("recorded_at", BigInteger, nullable=False),
    Column("dropped_at", BigInteger, nullable=True),
    Index(None, "tree_size"),
)

payloads = Table(
    "payloads",
    metadata,
    # Keyed by the entry that commits to the payload: appends insert in key order, and the
    # commitment is found through a small index on its first eight bytes.
    Column("entry_index", RowId, primary_key=True, autoincrement=False),
    Column("commitment_key", BigInteger, nullable=False),
    Column("commitment", String(71), nullable=False),
    Column("salt", LargeBinary(32), nullable=False),
    Column("nonce", LargeBinary(12), nullable=False),
    Column("ciphertext", LargeBinary, nullable=False),
    Index(None, "commitment_key"),
)

actor_keys = Table(
    "actor_keys",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("org", String(64), nullable=False),
    Column("role", String(40), nullable=False),
    Column("public_key", LargeBinary(32), nullable=False),
    Column("registered_index", BigInteger, nullable=False),
    Column("revoked_index", BigInteger, nullable=True),
)

policies = Table(
    "policies",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("entry_index", BigInteger, nullable=False),
)

# API keys (issue 4): looked up by their short public id; only a SHA-256 of the secret token is kept.
# Revocation stamps ``revoked_at`` so that the list still shows who had access and until when.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("name", String(80), nullable=False),
    Column("scopes", String(200), nullable=False),
    Column("token_hash", LargeBinary(32), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger, nullable=True),
)

# The citizen's 查询码 of each ticket, only as a keyed hash (DESIGN §9): written in the transaction
# that opens the ticket, so a ticket never exists without its code, nor a code without its ticket.
query_codes = Table(
    "query_codes",
    metadata,
    Column("ticket", String(40), primary_key=True),
    Column("code_hash", LargeBinary(32), nullable=False),
)
