"""The simulator's log as an operator's API would serve it, in memory: a ``TicketSource`` and a ``LogSource``.

Hooks let a test make the server lie: alter a ticket's bundle document, the entries of a page, the
latest checkpoint or a consistency proof, just before they are served. The HTTP server of the
malicious-API tests serves the same answers over the wire.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from tests.evidence.simulator import LogSimulator
from verifier import entries_page
from verifier.canonical import canonical_bytes
from verifier.entries_page import EntriesPage

PAGE_SIZE = 7

BundleHook = Callable[[dict[str, Any]], None]
EntriesHook = Callable[[int, list[bytes]], list[bytes]]


class SimulatedApi:
    """Serves ``sim``'s latest published checkpoint, ticket bundles, entries and proofs."""

    def __init__(self, sim: LogSimulator, *, page_size: int = PAGE_SIZE) -> None:
        self.sim = sim
        self.page_size = page_size
        self.on_bundle: list[BundleHook] = []
        self.on_entries: list[EntriesHook] = []
        self.on_checkpoint: Callable[[str], str] | None = None
        self.on_consistency: Callable[[list[bytes]], list[bytes]] | None = None
        self.disclose = False

    # -- TicketSource --------------------------------------------------------------------------

    def ticket_bundle(self, ticket: str) -> bytes:
        document = self.sim.ticket_bundle(ticket, disclose=self.disclose).document()
        for hook in self.on_bundle:
            hook(document)
        return canonical_bytes(document)

    def latest_checkpoint(self) -> str:
        note = self.sim.latest
        return self.on_checkpoint(note) if self.on_checkpoint else note

    def consistency(self, size1: int, size2: int) -> list[bytes]:
        proof = self.sim.consistency(size1, size2)
        return self.on_consistency(proof) if self.on_consistency else proof

    # -- LogSource -----------------------------------------------------------------------------

    def served(self, start: int, end: int | None = None) -> list[bytes]:
        """The entries a page from ``start`` holds, after the hooks."""
        stop = min(self.sim.size, start + self.page_size, self.sim.size if end is None else end)
        entries = list(self.sim.entries[start:stop])
        for hook in self.on_entries:
            entries = hook(start, entries)
        return entries

    def entries(self, start: int, end: int | None = None) -> EntriesPage:
        entries = self.served(start, end)
        following = start + len(entries) if start + len(entries) < self.sim.size and entries else None
        return EntriesPage(start, entries, following, self.sim.size)

    def entries_document(self, start: int, end: int | None = None) -> dict[str, Any]:
        """The JSON answer of ``GET /v1/entries`` for this page."""
        page = self.entries(start, end)
        return {
            "start": start,
            "entries": [
                {"index": start + n, "data": base64.b64encode(data).decode()} for n, data in enumerate(page.entries)
            ],
            "next": page.next,
            "tree_size": page.tree_size,
        }

    def entries_binary(self, start: int, end: int | None = None) -> bytes:
        """The binary answer of ``GET /v1/entries`` for this page (``application/vnd.hotline.entries``)."""
        page = self.entries(start, end)
        return entries_page.encode(start, page.tree_size, page.next, page.entries)
