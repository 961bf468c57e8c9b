"""Engines for the ledger's two databases: SQLite (WAL, the embedded default) and PostgreSQL."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

#: How long a SQLite connection waits for another writer before giving up.
BUSY_TIMEOUT_MS = 30_000
#: The begin statement for the next transaction on a connection (see ``begin_immediate``).
_BEGIN_MODE = "hotline_begin_mode"


def normalise_url(url: str) -> str:
    """Map plain ``postgresql://`` URLs to the psycopg 3 driver the project ships with."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from pysqlite, so that BEGIN is ours (SQLAlchemy's
    # documented recipe), then make commits durable: WAL with synchronous=FULL fsyncs the log
    # on every commit, so a committed append survives a crash of the process or the machine.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # Switching to WAL needs a moment without other connections and does not wait for the busy
    # timeout: retry briefly while another process holds the database (replicas starting together).
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)
    cursor.execute("PRAGMA synchronous=FULL")
    # Checkpoints run in ledger.storage.checkpointer, not inside a writer's commit.
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    mode = conn.info.pop(_BEGIN_MODE, "BEGIN")
    conn.exec_driver_sql(mode)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with the ledger's connection settings."""
    url = normalise_url(url)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def request_write_lock(conn: Any) -> None:
    """Make the next transaction on ``conn`` a writer from its start (SQLite ``BEGIN IMMEDIATE``).

    A deferred SQLite transaction that reads and then writes can fail with "database is
    locked" when another process wrote in between; taking the write lock up front serialises
    writers instead. PostgreSQL locks the log head row (``SELECT … FOR UPDATE``) instead.
    """
    if conn.dialect.name == "sqlite":
        conn.info[_BEGIN_MODE] = "BEGIN IMMEDIATE"
