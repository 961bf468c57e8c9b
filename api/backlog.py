"""How far anchoring lags behind the log: the numbers behind ``/metrics`` and the 503 on submissions.

Pending entries are the tree size minus the size of the latest checkpoint anchored on the canonical chain.
The numbers are read from the database at most every ``refresh`` seconds and shared by all requests.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from ledger.service import Ledger


@dataclass(frozen=True)
class Backlog:
    tree_size: int
    anchored_size: int
    #: Block time (seconds) of the latest anchor; ``None`` before the first.
    anchored_at: int | None
    read_at: float

    @property
    def pending(self) -> int:
        return self.tree_size - self.anchored_size

    def lag_seconds(self, now: float) -> float:
        """Seconds since the latest anchor while entries wait (0: none waiting; NaN: never anchored)."""
        if self.pending == 0:
            return 0.0
        return math.nan if self.anchored_at is None else max(0.0, now - self.anchored_at)


class BacklogMonitor:
    """Reads the backlog through the ledger, at most once per ``refresh`` seconds (thread-safe)."""

    def __init__(self, ledger: Ledger, *, refresh: float) -> None:
        self._ledger = ledger
        self._refresh = refresh
        self._lock = threading.Lock()
        self._last: Backlog | None = None

    def fresh(self) -> Backlog | None:
        """The backlog if read less than ``refresh`` seconds ago, else ``None`` (never reads the database)."""
        last = self._last
        return last if last is not None and time.monotonic() - last.read_at < self._refresh else None

    def current(self) -> Backlog:
        """The backlog as of at most ``refresh`` seconds ago (reads the database; call it off the event loop)."""
        with self._lock:
            now = time.monotonic()
            if self._last is None or now - self._last.read_at >= self._refresh:
                anchor = self._ledger.latest_anchor()
                self._last = Backlog(
                    tree_size=self._ledger.head().tree_size,
                    anchored_size=anchor.tree_size if anchor else 0,
                    anchored_at=anchor.block_timestamp if anchor else None,
                    read_at=now,
                )
            return self._last
