"""SQLite WAL checkpoints off the writers' commit path.

By default SQLite copies the write-ahead log back into the database file inside whichever
commit crosses 1,000 pages, so a writer pays for it. Writers here run with
``wal_autocheckpoint=0`` and this background thread checkpoints instead, on its own
connection: ``PASSIVE`` (never blocks a reader or writer) every ``interval`` seconds, and
``RESTART`` when the log has grown past ``restart_pages`` so it cannot grow without bound.
Durability is unchanged: a commit is durable once it is in the log (``synchronous=FULL``).
"""

from __future__ import annotations

import sqlite3
import threading

#: Seconds between passive checkpoints.
CHECKPOINT_INTERVAL = 0.5
#: WAL size, in pages, above which the checkpoint restarts the log (about 64 MB at 4 KiB pages).
RESTART_PAGES = 16_000


class WalCheckpointer:
    """A daemon thread checkpointing one SQLite database file; ``stop()`` ends it."""

    def __init__(self, path: str, *, interval: float = CHECKPOINT_INTERVAL, restart_pages: int = RESTART_PAGES) -> None:
        self._path = path
        self._interval = interval
        self._restart_pages = restart_pages
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpointer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            connection.execute("PRAGMA busy_timeout=1000")
            while not self._stopped.wait(self._interval):
                try:
                    _, log_pages, _ = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    if log_pages > self._restart_pages:
                        connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
                except sqlite3.OperationalError:
                    continue  # busy: try again at the next tick
        finally:
            connection.close()

    def signal_stop(self) -> None:
        """Ask the thread to end after its current checkpoint, without waiting for it."""
        self._stopped.set()

    def stop(self) -> None:
        """End the thread and wait for it."""
        self._stopped.set()
        self._thread.join(timeout=5)
