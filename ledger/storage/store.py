"""The ledger's repository: every SQL statement of the ledger lives here.

``LedgerStore.reading()`` and ``LedgerStore.writing()`` open one database transaction each and
hand out a view with the operations allowed in it. Writers are serialised: on SQLite by
``BEGIN IMMEDIATE``, on PostgreSQL by locking the log head row, so that sequencing (giving an
entry its index) is gap-free and duplicate-free across processes.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import InterfaceError, OperationalError

from ledger.proofs import node_key
from ledger.records import (
    ActorKey,
    LogHead,
    NodeId,
    SealedPayload,
    StoredAnchor,
    StoredCheckpoint,
    StoredEntry,
    TicketState,
)
from ledger.storage import driver_sql, migrate
from ledger.storage.checkpointer import WalCheckpointer
from ledger.storage.engine import make_engine, request_write_lock
from ledger.storage.leadership import Leadership
from ledger.storage.schema import (
    actor_keys,
    anchors,
    checkpoints,
    entries,
    log_head,
    nodes,
    payloads,
    policies,
    query_codes,
)
from ledger.storage.writer_turn import WriterTurn

_HEAD_ID = 1
#: Tree nodes at this level and above are cached in memory once read: at most one per 16 leaves.
CACHED_LEVEL = 4
#: Bound of that cache (about 100 MB at its fullest); it starts over when exceeded.
MAX_CACHED_NODES = 1 << 20
#: Most nodes the first proof at the current size loads into that cache at once (about 40 MB).
MAX_PREFILLED_NODES = 1 << 18
_HEAD_SQL = "SELECT origin, tree_size, root FROM log_head WHERE id = 1"
_ENTRY_COLUMNS = "SELECT idx, data, ticket, seq, transition_id, request_digest FROM entries"
_TICKET_COLUMNS = "SELECT ticket, seq, state, head, policy, last_index FROM tickets"


#: What the drivers raise when the database cannot be reached or has gone away: callers may retry later.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


class StorageError(RuntimeError):
    """The database holds something the ledger never writes (a missing node, a gap)."""


class ReadView:
    """Read operations inside one transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def head(self) -> LogHead | None:
        row = self._conn.execute(select(log_head).where(log_head.c.id == _HEAD_ID)).first()
        return None if row is None else LogHead(row.origin, row.tree_size, row.root)

    def node_hashes(self, ids: Sequence[NodeId]) -> list[bytes]:
        """The stored hashes of ``ids``, in the same order.

        Raises:
            StorageError: a node is not stored.
        """
        if not ids:
            return []
        keys = [node_key(node) for node in ids]
        found = dict(driver_sql.rows_where_in(self._conn, "SELECT id, hash FROM nodes", "id", list(set(keys))))
        return _in_order(ids, keys, found)

    def entry(self, index: int) -> StoredEntry | None:
        row = self._conn.execute(select(entries).where(entries.c.idx == index)).first()
        return None if row is None else _entry(row)

    def entries(self, start: int, end: int) -> list[StoredEntry]:
        """Entries with ``start <= index < end``, in index order."""
        query = select(entries).where(entries.c.idx >= start, entries.c.idx < end).order_by(entries.c.idx)
        return [_entry(row) for row in self._conn.execute(query)]

    def ticket_entries(self, ticket: str) -> list[StoredEntry]:
        query = select(entries).where(entries.c.ticket == ticket).order_by(entries.c.seq)
        return [_entry(row) for row in self._conn.execute(query)]

    def tickets(self, names: Iterable[str]) -> dict[str, TicketState]:
        wanted = list(set(names))
        if not wanted:
            return {}
        found = driver_sql.rows_where_in(self._conn, _TICKET_COLUMNS, "ticket", wanted)
        return {row[0]: TicketState(row[0], row[1], row[2], bytes(row[3]), row[4], row[5]) for row in found}

    def entries_by_transition_id(self, ids: Iterable[str]) -> dict[str, StoredEntry]:
        wanted = list(set(ids))
        if not wanted:
            return {}
        found = driver_sql.rows_where_in(self._conn, _ENTRY_COLUMNS, "transition_id", wanted)
        return {row[4]: StoredEntry(*row) for row in found}

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        row = self._conn.execute(select(checkpoints).order_by(checkpoints.c.tree_size.desc()).limit(1)).first()
        return None if row is None else StoredCheckpoint(*row)

    def checkpoint(self, tree_size: int) -> StoredCheckpoint | None:
        row = self._conn.execute(select(checkpoints).where(checkpoints.c.tree_size == tree_size)).first()
        return None if row is None else StoredCheckpoint(*row)

    def anchors(self, *, include_dropped: bool = False) -> list[StoredAnchor]:
        """Anchors in the order they were recorded (by default only those still on the canonical chain)."""
        query = select(anchors).order_by(anchors.c.id)
        if not include_dropped:
            query = query.where(anchors.c.dropped_at.is_(None))
        return [_anchor(row) for row in self._conn.execute(query)]

    def latest_anchor(self) -> StoredAnchor | None:
        """The anchor of the largest tree size still on the canonical chain."""
        query = (
            select(anchors)
            .where(anchors.c.dropped_at.is_(None))
            .order_by(anchors.c.tree_size.desc(), anchors.c.id.desc())
            .limit(1)
        )
        row = self._conn.execute(query).first()
        return None if row is None else _anchor(row)

    def first_anchor_covering(self, index: int) -> StoredAnchor | None:
        """The smallest anchored checkpoint still on the canonical chain whose tree holds entry ``index``."""
        query = (
            select(anchors)
            .where(anchors.c.dropped_at.is_(None), anchors.c.tree_size > index)
            .order_by(anchors.c.tree_size, anchors.c.id)
            .limit(1)
        )
        row = self._conn.execute(query).first()
        return None if row is None else _anchor(row)

    def query_code_hash(self, ticket: str) -> bytes | None:
        """The keyed hash of ``ticket``'s query code (``None``: the ticket has none)."""
        value = self._conn.execute(select(query_codes.c.code_hash).where(query_codes.c.ticket == ticket)).scalar()
        return None if value is None else bytes(value)

    def payload(self, commitment: str) -> SealedPayload | None:
        query = select(payloads).where(*_payload_is(commitment))
        row = self._conn.execute(query).first()
        if row is None:
            return None
        return SealedPayload(row.commitment, row.entry_index, row.salt, row.nonce, row.ciphertext)

    def actor_key(self, key: str) -> ActorKey | None:
        row = self._conn.execute(select(actor_keys).where(actor_keys.c.key == key)).first()
        return None if row is None else ActorKey(*row)

    def policy_ids(self) -> set[str]:
        return set(self._conn.execute(select(policies.c.id)).scalars())

    def policy_entry_index(self, policy_id: str) -> int | None:
        query = select(policies.c.entry_index).where(policies.c.id == policy_id)
        result: int | None = self._conn.execute(query).scalar()
        return result


class WriteView(ReadView):
    """Read and write operations inside one serialised writer transaction."""

    def lock_head(self) -> LogHead | None:
        """Take the writer lock and return the log head (``None`` before the log is created)."""
        locking = " FOR UPDATE" if self._conn.dialect.name == "postgresql" else ""
        found = driver_sql.rows(self._conn, _HEAD_SQL + locking)
        return LogHead(found[0][0], found[0][1], bytes(found[0][2])) if found else None

    def create_log(self, head: LogHead) -> LogHead:
        """Create the log head unless another process just did; return the head, locked.

        On PostgreSQL ``lock_head`` locks nothing while there is no row, so two replicas may both
        get here: the insert does nothing for the second, which then waits on the first's row.
        """
        self._conn.execute(
            _dialect_insert(self._conn, log_head)
            .values(id=_HEAD_ID, origin=head.origin, tree_size=head.tree_size, root=head.root)
            .on_conflict_do_nothing(index_elements=[log_head.c.id])
        )
        created = self.lock_head()
        assert created is not None
        return created

    def append(
        self,
        new_entries: Sequence[StoredEntry],
        new_nodes: Sequence[tuple[NodeId, bytes]],
        ticket_states: Sequence[TicketState],
        head: LogHead,
    ) -> None:
        """Store entries, the tree nodes they complete, the tickets they move, and the new head."""
        if new_entries:
            _insert_rows(
                self._conn,
                entries,
                ("idx", "ticket", "seq", "transition_id", "request_digest", "data"),
                [(e.index, e.ticket, e.seq, e.transition_id, e.request_digest, e.data) for e in new_entries],
            )
        if new_nodes:
            _insert_rows(self._conn, nodes, ("id", "hash"), [(node_key(n), h) for n, h in new_nodes])
        if ticket_states:
            self._upsert_tickets(ticket_states)
        mark = driver_sql.marks(self._conn, 1)
        update_head = f"UPDATE log_head SET tree_size = {mark}, root = {mark} WHERE id = {_HEAD_ID}"
        driver_sql.execute(self._conn, update_head, (head.tree_size, head.root))

    def _upsert_tickets(self, states: Sequence[TicketState]) -> None:
        # INSERT … ON CONFLICT … DO UPDATE is the same text on SQLite (≥ 3.24) and PostgreSQL.
        values = driver_sql.marks(self._conn, 6)
        sql = (
            f"INSERT INTO tickets (ticket, seq, state, head, policy, last_index) VALUES ({values})"
            " ON CONFLICT (ticket) DO UPDATE SET seq = excluded.seq, state = excluded.state, head = excluded.head,"
            " policy = excluded.policy, last_index = excluded.last_index"
        )
        rows = [(s.ticket, s.seq, s.state, s.head, s.policy, s.last_index) for s in states]
        driver_sql.execute_many(self._conn, sql, rows)

    def add_payloads(self, sealed: Sequence[SealedPayload]) -> None:
        if sealed:
            _insert_rows(
                self._conn,
                payloads,
                ("entry_index", "commitment_key", "commitment", "salt", "nonce", "ciphertext"),
                [
                    (p.entry_index, _commitment_key(p.commitment), p.commitment, p.salt, p.nonce, p.ciphertext)
                    for p in sealed
                ],
            )

    def add_query_codes(self, code_hashes: Sequence[tuple[str, bytes]]) -> None:
        """Store the keyed hashes of new tickets' query codes, as ``(ticket, hash)`` pairs."""
        if code_hashes:
            _insert_rows(self._conn, query_codes, ("ticket", "code_hash"), list(code_hashes))

    def delete_payload(self, commitment: str) -> bool:
        """Delete a payload and its salt; ``False`` when there was none."""
        query = delete(payloads).where(*_payload_is(commitment))
        return self._conn.execute(query).rowcount == 1

    def add_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        self._conn.execute(
            insert(checkpoints).values(
                tree_size=checkpoint.tree_size,
                root=checkpoint.root,
                note=checkpoint.note,
                published_at=checkpoint.published_at,
            )
        )

    def add_anchor(self, anchor: StoredAnchor) -> StoredAnchor:
        """Record an anchor; returns it with its id."""
        values = {k: v for k, v in vars(anchor).items() if k not in ("id", "dropped_at")}
        result = self._conn.execute(insert(anchors).values(**values).returning(anchors.c.id))
        return StoredAnchor(**values, id=int(result.scalar_one()))

    def drop_anchors(self, ids: Sequence[int], dropped_at: int) -> None:
        """Mark anchors a reorg removed from the canonical chain (their rows stay, as history)."""
        if ids:
            query = update(anchors).where(anchors.c.id.in_(list(ids)), anchors.c.dropped_at.is_(None))
            self._conn.execute(query.values(dropped_at=dropped_at))

    def add_actor_key(self, key: ActorKey) -> None:
        self._conn.execute(
            insert(actor_keys).values(
                key=key.key,
                org=key.org,
                role=key.role,
                public_key=key.public_key,
                registered_index=key.registered_index,
                revoked_index=key.revoked_index,
            )
        )

    def revoke_actor_key(self, key: str, revoked_index: int) -> None:
        self._conn.execute(update(actor_keys).where(actor_keys.c.key == key).values(revoked_index=revoked_index))

    def add_policy(self, policy_id: str, entry_index: int) -> None:
        self._conn.execute(insert(policies).values(id=policy_id, entry_index=entry_index))


def _dialect_insert(conn: Connection, table: Table) -> Any:
    """An INSERT with the dialect's ON CONFLICT clauses (PostgreSQL's or SQLite's)."""
    return (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)


def _payload_is(commitment: str) -> tuple[Any, Any]:
    """The payload of ``commitment``: found through the index on its first eight bytes."""
    return payloads.c.commitment_key == _commitment_key(commitment), payloads.c.commitment == commitment


def _commitment_key(commitment: str) -> int:
    """The first eight bytes of a ``sha256:<hex>`` commitment as a signed 64-bit integer (0 if malformed)."""
    try:
        return int.from_bytes(bytes.fromhex(commitment[7:23]), "big", signed=True)
    except ValueError:
        return 0


def _in_order(ids: Sequence[NodeId], keys: Sequence[int], found: dict[int, bytes]) -> list[bytes]:
    try:
        return [bytes(found[k]) for k in keys]
    except KeyError as exc:
        missing = [node for node, k in zip(ids, keys, strict=True) if k not in found]
        raise StorageError(f"tree nodes {missing} are not stored") from exc


def _insert_rows(conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert many rows through the driver's executemany, skipping per-row parameter processing.

    The hot path of sequencing: entries and tree nodes are plain integers, strings and bytes,
    which both drivers take as they are.
    """
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({driver_sql.marks(conn, len(columns))})"
    driver_sql.execute_many(conn, sql, rows)


def _anchor(row: Any) -> StoredAnchor:
    return StoredAnchor(
        tree_size=row.tree_size,
        root=bytes(row.root),
        chain_id=row.chain_id,
        contract=row.contract,
        tx_hash=bytes(row.tx_hash),
        block_number=row.block_number,
        block_hash=bytes(row.block_hash),
        block_timestamp=row.block_timestamp,
        recorded_at=row.recorded_at,
        id=row.id,
        dropped_at=row.dropped_at,
    )


def _entry(row: Any) -> StoredEntry:
    return StoredEntry(row.idx, row.data, row.ticket, row.seq, row.transition_id, row.request_digest)


class LedgerStore:
    """The ledger's database: migrated on open, one transaction per ``reading``/``writing`` block."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._nodes_sql_cache: dict[int, str] = {}
        self._head_and_nodes_sql_cache: dict[int, str] = {}
        mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        # A LEFT JOIN from the head row: one row (data NULL) when no entry is in the range.
        self._entry_data_sql = (
            f"SELECT h.tree_size, e.data FROM log_head h LEFT JOIN entries e ON e.idx >= {mark} AND e.idx < {mark}"
            " AND e.idx < h.tree_size WHERE h.id = 1 ORDER BY e.idx"
        )
        self._upper_nodes: dict[int, bytes] = {}
        self._prefilled = False
        self._readers = threading.local()
        self._readers_lock = threading.Lock()
        self._all_readers: list[Any] = []
        database = engine.url.database
        on_file = engine.dialect.name == "sqlite" and database not in (None, "", ":memory:")
        self._checkpointer = WalCheckpointer(str(database)) if on_file else None
        self._writer_turn = WriterTurn(Path(str(database)) if on_file else None)
        if self._checkpointer is not None:
            # A store dropped without close() must not leave its thread running.
            weakref.finalize(self, self._checkpointer.signal_stop)

    @classmethod
    def open(cls, url: str, **engine_options: Any) -> LedgerStore:
        """Connect to ``url`` (``sqlite:///…`` or ``postgresql://…``) and migrate it to the newest schema."""
        engine = make_engine(url, **engine_options)
        migrate.upgrade(engine)
        return cls(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def reading(self) -> Iterator[ReadView]:
        with self.engine.connect() as conn, conn.begin():
            yield ReadView(conn)

    @contextmanager
    def writing(self) -> Iterator[WriteView]:
        """A serialised writer transaction: committed when the block ends, rolled back on error.

        On a SQLite file, writers first take their turn (``WriterTurn``), so that one waiting in another
        process starts the moment this one commits instead of polling.
        """
        with self._writer_turn(), self.engine.connect() as conn:
            request_write_lock(conn)
            with conn.begin():
                yield WriteView(conn)

    def node_hashes(self, ids: Sequence[NodeId]) -> list[bytes]:
        """The stored hashes of ``ids``, in order, read outside any transaction.

        Tree nodes never change once written, so one statement needs no transaction, and nodes
        at ``CACHED_LEVEL`` and above (one per 16 leaves or fewer) are kept in memory once read.
        This is the proof-serving hot path, so it talks to the driver directly.

        Raises:
            StorageError: a node is not stored.
        """
        if not ids:
            return []
        keys = [node_key(node) for node in ids]
        cache = self._upper_nodes
        found = {k: cache[k] for k in keys if k in cache}
        missing = [k for k in keys if k not in found]
        if missing:
            fetched = dict(self._fetch(self._nodes_sql(len(missing)), missing))
            found.update(fetched)
            self._remember(ids, keys, fetched)
        return _in_order(ids, keys, found)

    def _remember(self, ids: Sequence[NodeId], keys: Sequence[int], fetched: dict[int, bytes]) -> None:
        """Cache the fetched nodes at ``CACHED_LEVEL`` and above (nodes never change once written)."""
        cache = self._upper_nodes
        if len(cache) > MAX_CACHED_NODES:
            cache.clear()
        for (level, _), key in zip(ids, keys, strict=True):
            if level >= CACHED_LEVEL and key in fetched:
                cache[key] = bytes(fetched[key])

    def tree_size(self) -> int | None:
        """The log's current size in one statement (``None`` before the log exists)."""
        rows = self._fetch("SELECT tree_size FROM log_head WHERE id = 1", [])
        return int(rows[0][0]) if rows else None

    def node_hashes_and_size(self, ids: Sequence[NodeId]) -> tuple[list[bytes], int | None]:
        """The stored hashes of ``ids`` (as ``node_hashes``) and the log's current size, read in one statement.

        One statement is one snapshot: the size is the log's size when the nodes were read. This lets
        a proof at the current size cost one database round trip instead of two.

        Raises:
            StorageError: a node is not stored.
        """
        keys = [node_key(node) for node in ids]
        cache = self._upper_nodes
        missing = list({k for k in keys if k not in cache})
        rows = self._fetch(self._head_and_nodes_sql(len(missing)), missing)
        if not rows:
            return [], None
        fetched = {k: bytes(h) for _, k, h in rows if k is not None}
        self._remember(ids, keys, fetched)
        found = {**fetched, **{k: cache[k] for k in keys if k in cache}}
        return _in_order(ids, keys, found), int(rows[0][0])

    def entry_data_and_size(self, start: int, end: int) -> tuple[list[bytes], int | None]:
        """The exact bytes of the entries ``start <= index < min(end, size)`` in index order, and the log's
        current size ``size``, read in one statement (one snapshot: the entries are those of that size).

        The hot path of ``GET /v1/entries``: only the data column, straight from the driver.

        Raises:
            StorageError: an entry below the size is not stored.
        """
        rows = self._fetch(self._entry_data_sql, [start, end])
        if not rows:
            return [], None
        size = int(rows[0][0])
        data = [row[1] for row in rows] if rows[0][1] is not None else []
        if len(data) != max(0, min(end, size) - start):
            raise StorageError(f"entries from {start} below size {size} are missing: {len(data)} stored")
        return data, size

    def path_hashes_and_size(self, keys: Sequence[int]) -> tuple[list[bytes], int | None]:
        """The stored hashes of a path's siblings and the log's current size, read in one statement.

        ``keys[level]`` is the ``node_key`` of the sibling at ``level``, bottom up from level 0, as in an
        inclusion proof inside a perfect subtree: a leaner ``node_hashes_and_size`` for the proof hot path,
        which knows each node's level from its place and so caches (from ``CACHED_LEVEL``) without
        looking it up.

        Raises:
            StorageError: a node is not stored.
        """
        cache = self._upper_nodes
        upper = keys[CACHED_LEVEL:]
        # Taken from the cache once: another thread may empty it at any time.
        cached = [cache.get(k) for k in upper]
        missing = [*keys[:CACHED_LEVEL], *(k for k, h in zip(upper, cached, strict=True) if h is None)]
        rows = self._fetch(self._head_and_nodes_sql(len(missing)), missing)
        if not rows:
            return [], None
        fetched = {k: bytes(h) for _, k, h in rows if k is not None}
        if len(fetched) != len(set(missing)):
            raise StorageError(f"tree nodes {sorted(set(missing) - fetched.keys())} are not stored")
        if len(cache) > MAX_CACHED_NODES:
            cache.clear()
        hashes = [fetched[k] for k in keys[:CACHED_LEVEL]]
        for k, h in zip(upper, cached, strict=True):
            if h is None:
                h = cache[k] = fetched[k]
            hashes.append(h)
        size = int(rows[0][0])
        if not self._prefilled:
            self._prefilled = True
            self._prefill(size)
        return hashes, size

    def _prefill(self, tree_size: int) -> None:
        """Load the upper tree into the node cache in one statement (the first proof at the current size).

        Proofs at random leaves otherwise read most of their upper siblings one by one, on first use,
        for as long as the cache is cold: a few µs each. This reads every stored node from the lowest
        level (``CACHED_LEVEL`` or above) whose nodes, in a tree of ``tree_size``, number at most
        ``MAX_PREFILLED_NODES``: one scan of the nodes table, ~0.1 s and ~20 MB at 10^6 entries
        (levels from 4). A node's key ends in ``level`` one bits (``node_key``), so the level is a mask.
        """
        level = CACHED_LEVEL
        while tree_size >> level > MAX_PREFILLED_NODES // 2:
            level += 1
        mask = (1 << level) - 1
        rows = self._fetch(f"SELECT id, hash FROM nodes WHERE (id & {mask}) = {mask}", [])
        cache = self._upper_nodes
        if len(cache) + len(rows) > MAX_CACHED_NODES:
            cache.clear()
        cache.update((key, bytes(h)) for key, h in rows)

    def _fetch(self, sql: str, parameters: Sequence[Any]) -> list[Any]:
        """Run one read statement on this thread's reader connection (autocommit, outside the pool).

        A connection that fails is dropped, so the next read opens a fresh one.
        """
        reader = getattr(self._readers, "connection", None)
        if reader is None:
            proxied = self.engine.raw_connection()
            proxied.detach()
            reader = proxied.dbapi_connection
            if self.engine.dialect.name == "postgresql":
                reader.autocommit = True  # type: ignore[union-attr]
            self._readers.connection = reader
            with self._readers_lock:
                self._all_readers.append(reader)
        try:
            cursor = reader.cursor()  # type: ignore[union-attr]
            cursor.execute(sql, parameters)
            rows = list(cursor.fetchall())
            cursor.close()
            return rows
        except Exception:
            self._readers.connection = None
            raise

    def _nodes_sql(self, count: int) -> str:
        sql = self._nodes_sql_cache.get(count)
        if sql is None:
            mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
            sql = f"SELECT id, hash FROM nodes WHERE id IN ({', '.join([mark] * count)})"
            self._nodes_sql_cache[count] = sql
        return sql

    def _head_and_nodes_sql(self, count: int) -> str:
        # A LEFT JOIN from the head row: one row (nodes NULL) even when every node is cached.
        sql = self._head_and_nodes_sql_cache.get(count)
        if sql is None:
            mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
            sql = "SELECT h.tree_size, n.id, n.hash FROM log_head h LEFT JOIN nodes n ON " + (
                f"n.id IN ({', '.join([mark] * count)})" if count else "1 = 0"
            )
            sql += " WHERE h.id = 1"
            self._head_and_nodes_sql_cache[count] = sql
        return sql

    def leadership(self, name: str) -> Leadership:
        """The role ``name`` (e.g. the active anchor worker of a log), held by at most one process."""
        return Leadership(self.engine, name)

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self._writer_turn.close()
        with self._readers_lock:
            for reader in self._all_readers:
                reader.close()
            self._all_readers.clear()
        self._readers = threading.local()
        self.engine.dispose()
