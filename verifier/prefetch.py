"""Fetching the next page of entries in a background thread while the caller checks the current one.

The source's network wait (and the server's work) overlaps the verifier's checks; at most ``depth`` pages
wait in memory, so a fast source cannot make the audit's memory grow.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Protocol, cast

from verifier.merkle import leaf_hash


class Page(Protocol):
    @property
    def entries(self) -> list[bytes]: ...


Fetch = Callable[[int, int], Page]
#: A page as the audit walks it: its first index, its entries, and their leaf hashes (RFC 9162).
PageOfLeaves = tuple[int, list[bytes], list[bytes]]
_DONE = object()


def pages_from(fetch: Fetch, start: int, end: int) -> Iterator[tuple[int, list[bytes]]]:
    """The pages ``fetch`` serves for ``start <= index < end``, each as ``(first index, entries)``, one after the
    other; an empty page is the last (the caller decides whether that is a failure). Raises what ``fetch`` raises."""
    position = start
    while position < end:
        entries = fetch(position, end).entries
        yield position, entries
        if not entries:
            return
        position += len(entries)


class Prefetch:
    """The entries ``start <= index < end`` page by page, as ``(first index, entries, leaf hashes)``; a context
    manager.

    Iterating raises what ``fetch`` raised, when the caller reaches that page. An empty page ends the
    iteration (the caller decides whether that is a failure).
    """

    def __init__(self, fetch: Fetch, start: int, end: int, *, depth: int = 2) -> None:
        self._fetch, self._start, self._end = fetch, start, end
        self._pages: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="entries-prefetch", daemon=True)
        self._thread.start()

    def _put(self, item: object) -> bool:
        while not self._closed.is_set():
            try:
                self._pages.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for page in pages_from(self._fetch, self._start, self._end):
                if not self._put(page) or self._closed.is_set():
                    return
        except Exception as exc:  # handed to the caller, who knows which errors are the source's
            self._put(exc)
            return
        self._put(_DONE)

    def __iter__(self) -> Iterator[PageOfLeaves]:
        while True:
            item = self._pages.get()
            if item is _DONE:
                return
            if isinstance(item, Exception):
                raise item
            position, entries = cast(tuple[int, list[bytes]], item)
            # Hashed here, not in the thread: under one GIL the thread would only take turns with the caller.
            yield position, entries, [leaf_hash(data) for data in entries]
            if not entries:
                return

    def close(self) -> None:
        self._closed.set()
        self._thread.join()

    def __enter__(self) -> Prefetch:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
