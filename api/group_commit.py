"""Group commit: one writer thread appends the transitions of many concurrent requests in one transaction.

Requests hand their transitions to ``GroupCommitter.submit`` and wait on a future. The writer thread takes
the first waiting job, gathers whatever else arrives within ``max_wait`` seconds (up to ``max_requests``
transitions), and records them all with one ``Ledger.append`` — one database transaction and one fsync
for the group. Each future is resolved only after that transaction committed, so an answer of 201 means
the entry is durable.

A job is all or nothing (a batch request is one job). When the group's append is refused (one job holds
an illegal transition, say), nothing of the group was written, and each job is then appended alone, so
one bad request fails only itself. Any other failure (the database is gone) fails the whole group.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field, replace

from ledger.errors import LedgerError
from ledger.query_codes import QueryCodeKey
from ledger.sequencer import Receipt, TransitionRequest
from ledger.service import Ledger

log = logging.getLogger("hotline.api.group_commit")


@dataclass
class _Job:
    requests: list[TransitionRequest]
    future: Future[list[Receipt]] = field(default_factory=Future)


class GroupCommitter:
    """The single writer of an API process. ``start()`` it, ``submit()`` jobs, ``close()`` it."""

    def __init__(
        self,
        ledger: Ledger,
        *,
        query_codes: QueryCodeKey | None = None,
        max_requests: int = 1000,
        max_wait: float = 0.002,
    ) -> None:
        self._ledger = ledger
        self._query_codes = query_codes
        self.max_requests = max_requests
        self.max_wait = max_wait
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._closed = False
        #: Writer transactions run (``Ledger.append`` calls, committed or not) and transitions committed.
        self.transactions = 0
        self.committed = 0
        self.groups_split = 0

    def start(self) -> None:
        self._thread.start()

    def submit(self, requests: list[TransitionRequest]) -> Future[list[Receipt]]:
        """Queue one all-or-nothing job; its future gives a receipt per request once committed.

        Raises (through the future):
            LedgerError: the ledger refused the job (nothing of it was written).
        """
        if self._closed:
            raise RuntimeError("the group committer is closed")
        job = _Job(list(requests))
        self._queue.put(job)
        return job.future

    def close(self) -> None:
        """Finish the jobs already queued, then stop the writer thread."""
        self._closed = True
        self._queue.put(None)
        if self._thread.is_alive():
            self._thread.join()

    # -- the writer thread ------------------------------------------------------------------

    def _run(self) -> None:
        carried: _Job | None = None
        stopping = False
        while not stopping:
            first = carried or self._queue.get()
            carried = None
            if first is None:
                break
            group = [first]
            size = len(first.requests)
            deadline = time.monotonic() + self.max_wait
            while size < self.max_requests:
                try:
                    job = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if job is None:
                    stopping = True
                    break
                if size + len(job.requests) > self.max_requests:
                    carried = job
                    break
                group.append(job)
                size += len(job.requests)
            self._commit([job for job in group if job.future.set_running_or_notify_cancel()])
        if carried is not None and carried.future.set_running_or_notify_cancel():
            self._commit([carried])

    def _commit(self, group: list[_Job]) -> None:
        if not group:
            return
        try:
            self.transactions += 1
            receipts = self._ledger.append(
                [request for job in group for request in job.requests], query_codes=self._query_codes
            )
        except LedgerError as exc:
            if len(group) == 1:
                group[0].future.set_exception(exc)
                return
            # Nothing of the group was written: append each job alone, so only the refused one fails.
            self.groups_split += 1
            for job in group:
                self._commit([job])
            return
        except BaseException as exc:
            log.warning("group of %d jobs failed: %s", len(group), type(exc).__name__)
            for job in group:
                job.future.set_exception(exc)
            return
        self.committed += sum(not r.replayed for r in receipts)
        seen: set[str] = set()
        start = 0
        for job in group:
            mine = receipts[start : start + len(job.requests)]
            start += len(job.requests)
            # A transition id that an earlier job of the group recorded is a replay for this one.
            job.future.set_result(
                [replace(r, replayed=True, query_code=None) if r.transition_id in seen else r for r in mine]
            )
            seen.update(r.transition_id for r in mine)
