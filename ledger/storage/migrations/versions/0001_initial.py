"""The initial ledger schema: log head, entries, tree nodes, tickets, checkpoints, payloads, keys, policies.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "log_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("origin", sa.String(255), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_log_head"),
    )
    op.create_table(
        "entries",
        sa.Column("idx", RowId, autoincrement=False, nullable=False),
        sa.Column("ticket", sa.String(40), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("transition_id", sa.String(128), nullable=True),
        sa.Column("request_digest", sa.LargeBinary(32), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("idx", name="pk_entries"),
    )
    op.create_index("ix_entries_ticket_seq", "entries", ["ticket", "seq"], unique=True)
    op.create_index("ix_entries_transition_id", "entries", ["transition_id"], unique=True)
    op.create_table(
        "nodes",
        sa.Column("id", RowId, autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_nodes"),
    )
    op.create_table(
        "tickets",
        sa.Column("ticket", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(40), nullable=False),
        sa.Column("head", sa.LargeBinary(32), nullable=False),
        sa.Column("policy", sa.String(80), nullable=False),
        sa.Column("last_index", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("ticket", name="pk_tickets"),
    )
    op.create_table(
        "checkpoints",
        sa.Column("tree_size", RowId, autoincrement=False, nullable=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("published_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name="pk_checkpoints"),
    )
    op.create_table(
        "payloads",
        sa.Column("entry_index", RowId, autoincrement=False, nullable=False),
        sa.Column("commitment_key", sa.BigInteger(), nullable=False),
        sa.Column("commitment", sa.String(71), nullable=False),
        sa.Column("salt", sa.LargeBinary(32), nullable=False),
        sa.Column("nonce", sa.LargeBinary(12), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("entry_index", name="pk_payloads"),
    )
    op.create_index("ix_payloads_commitment_key", "payloads", ["commitment_key"])
    op.create_table(
        "actor_keys",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("org", sa.String(64), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("public_key", sa.LargeBinary(32), nullable=False),
        sa.Column("registered_index", sa.BigInteger(), nullable=False),
        sa.Column("revoked_index", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_actor_keys"),
    )
    op.create_table(
        "policies",
        sa.Column("id", sa.String(80), nullable=False),
        sa.Column("entry_index", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_policies"),
    )


def downgrade() -> None:
    for table in ("policies", "actor_keys", "payloads", "checkpoints", "tickets", "nodes", "entries", "log_head"):
        op.drop_table(table)
