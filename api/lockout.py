"""Lockout after repeated wrong query codes, per ticket and per client (issue 6, against guessing).

The token buckets of ``api.ratelimit`` slow every caller down; this counts only failures. After
``max_failures`` wrong codes within ``seconds`` for one key (a ticket number, or a client address), the
key is locked for ``seconds``: every lookup of it is refused, the right code included, so a guesser
learns nothing from trying on. A ticket number that does not exist is counted and locked exactly like
one that does, so the lockout is no oracle either. Like the rate limits, state is per replica.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

#: Most keys tracked at once; the least recently seen is forgotten first.
MAX_KEYS = 100_000


@dataclass
class _Record:
    failures: int
    since: float
    locked_until: float = 0.0


class Lockout:
    """Failure counters with a lockout, keyed by any string."""

    def __init__(self, max_failures: int, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.seconds = seconds
        self._clock = clock
        self._records: OrderedDict[str, _Record] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, *keys: str) -> float:
        """Seconds until none of ``keys`` is locked any more; 0 when none is."""
        now = self._clock()
        with self._lock:
            found = (self._records.get(key) for key in keys)
            return max((r.locked_until - now for r in found if r is not None and r.locked_until > now), default=0.0)

    def fail(self, *keys: str) -> None:
        """Count a failure for each of ``keys``, locking those that reach ``max_failures``."""
        now = self._clock()
        with self._lock:
            for key in keys:
                record = self._records.pop(key, None)
                if record is None or now - record.since > self.seconds:
                    record = _Record(0, now, record.locked_until if record else 0.0)
                record.failures += 1
                if record.failures >= self.max_failures:
                    record.locked_until = now + self.seconds
                    record.failures, record.since = 0, now
                self._records[key] = record
                if len(self._records) > MAX_KEYS:
                    self._records.popitem(last=False)
