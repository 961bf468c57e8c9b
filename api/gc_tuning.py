"""Garbage collection for a server process, which builds many short-lived containers for every request.

A batch of 1,000 transitions allocates tens of thousands of containers (parsed JSON, models, records, rows).
With CPython's default thresholds (700, 10, 10) that runs dozens of young collections per batch and, every few
batches, a full one that walks every object the process holds: web3, pydantic, SQLAlchemy, FastAPI and the
ledger's caches. Under batches that was measured at about a third of the server's CPU, some of it spent while
holding the database's write lock (BENCHMARKS.md, "HTTP ingest"). So once a server is built, what it holds is
frozen (``gc.freeze``: left out of every later collection; its objects are still freed by reference counting),
and a young collection waits for ``THRESHOLDS[0]`` new containers. Cycles are still collected.
"""

from __future__ import annotations

import gc

#: Young collections after 10,000 new containers (CPython: 700); older generations as CPython's.
THRESHOLDS = (10_000, 10, 10)


def tune_collection() -> None:
    """Collect what is garbage now, freeze what is left, and raise the young generation's threshold."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
