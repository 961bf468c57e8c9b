"""Whose turn it is to write a SQLite database file, across threads and processes.

SQLite lets one writer in at a time and makes the others poll: a writer that finds the database locked
sleeps in growing steps (up to 100 ms) before it tries again, so with several API processes writing one
log the waiting process often sleeps on long after the lock is free. Taking an exclusive ``flock`` on a
file beside the database first makes the waiters queue in the kernel, which wakes one the moment the
lock is released; SQLite's own lock then is free at once. The kernel drops the lock of a process that
dies. In-memory databases and PostgreSQL (whose row locks wake waiters at once) need no turn.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class WriterTurn:
    """An exclusive turn to write the SQLite database at ``database`` (``None``: every turn is free)."""

    def __init__(self, database: Path | None) -> None:
        self._path = None if database is None else database.with_name(database.name + ".writer.lock")
        self._threads = threading.Lock()
        self._descriptor: int | None = None

    @contextmanager
    def __call__(self) -> Iterator[None]:
        if self._path is None:
            yield
            return
        # A flock belongs to the open file, which this process's threads share: a thread lock first.
        with self._threads:
            if self._descriptor is None:
                self._descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._descriptor, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._descriptor, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._threads:
            if self._descriptor is not None:
                os.close(self._descriptor)
                self._descriptor = None
