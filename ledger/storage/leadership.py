"""Leadership: at most one process holds a named role (the active anchor worker) per database.

On PostgreSQL it is a session-level advisory lock held by a dedicated connection (DESIGN §10): if the
leader dies, the server ends its session and the lock is free for a standby at once. On a SQLite file it
is an exclusive ``flock`` on a file beside the database, which the kernel releases when the process dies.
An in-memory SQLite database lives in one process, which is always its leader.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from pathlib import Path

from sqlalchemy import Connection, Engine, text


def _advisory_key(name: str) -> int:
    """A signed 64-bit advisory lock key for ``name`` (stable across processes and versions)."""
    return int.from_bytes(hashlib.sha256(f"hotline-ledger/{name}".encode()).digest()[:8], "big", signed=True)


class Leadership:
    """The role ``name`` in the database of ``engine``: ``acquire`` (non-blocking), ``held``, ``release``."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.name = name
        self._connection: Connection | None = None
        self._descriptor: int | None = None
        self._always = False
        self._key = 0

    def acquire(self) -> bool:
        """Take the role if nobody holds it; True when this process holds it afterwards."""
        if self.held():
            return True
        if self.engine.dialect.name == "postgresql":
            return self._acquire_advisory()
        database = self.engine.url.database
        if not database or database == ":memory:":
            self._always = True
            return True
        return self._acquire_flock(Path(database))

    def held(self) -> bool:
        """Whether this process still holds the role (for PostgreSQL: its session is still alive)."""
        if self._always or self._descriptor is not None:
            return True
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
            return True
        except Exception:
            self._drop_connection()
            return False

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
            finally:
                self._drop_connection()
        if self._descriptor is not None:
            os.close(self._descriptor)  # closing the descriptor releases the flock
            self._descriptor = None
        self._always = False

    def _acquire_advisory(self) -> bool:
        connection = self.engine.connect()
        connection.execution_options(isolation_level="AUTOCOMMIT")
        # Advisory locks are per database; the schema tells apart logs that share one.
        schema = connection.execute(text("SELECT current_schema()")).scalar()
        self._key = _advisory_key(f"{self.name} in {schema}")
        taken = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}).scalar()
        if taken:
            self._connection = connection
            return True
        connection.close()
        return False

    def _acquire_flock(self, database: Path) -> bool:
        # The role's name may hold any character (origins hold slashes): the file is named by its hash.
        path = database.with_name(f"{database.name}.{_advisory_key(self.name) & 0xFFFFFFFFFFFFFFFF:016x}.lock")
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return False
        self._descriptor = descriptor
        return True

    def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # the session is gone already; closing cannot fail the caller
                connection.close()
