"""A resumed full audit and the anchors that appear between its runs, on a simulated chain (no network).

Run 1 stops while nothing is anchored; then the operator anchors a size *inside* the audited prefix and the
whole log. Run 2 must prove the new anchor's root against the audited prefix (a consistency proof), and check
the timeliness (V10) of the transitions that run 1 passed unanchored: the report equals that of an
uninterrupted audit against the final chain. A forged anchor root inside the prefix fails V5.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledger.demo import seed_demo
from ledger.service import Ledger
from verifier.audit_state import progress_path
from verifier.chain_view import AnchoredEvent, OnChainAnchor
from verifier.log_audit import LogAudit, Resumable
from verifier.seen import SeenCheckpoints
from verifier.trust import ChainPlace, Trust, log_id_of

CONTRACT = "0x" + "ab" * 20


@dataclass
class Page:
    entries: list[bytes]


class LedgerSource:
    """The log as the API would serve it, in pages of 100."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def entries(self, start: int, end: int | None = None) -> Page:
        stop = min(end if end is not None else start + 100, start + 100, self.ledger.head().tree_size)
        return Page([e.data for e in self.ledger.entries(start, stop)])

    def latest_checkpoint(self) -> str:
        latest = self.ledger.latest_checkpoint()
        assert latest is not None
        return latest.note

    def consistency(self, size1: int, size2: int) -> list[bytes]:
        return self.ledger.consistency_proof(size1, size2)


class SimulatedChain:
    """The anchor contract's events and roots, each anchor in its own block, stamped ``moment``."""

    def __init__(self, moment: datetime) -> None:
        self.anchors: list[tuple[int, bytes]] = []
        self.timestamp = int(moment.timestamp())

    def chain_id(self) -> int:
        return 12345

    def code_present(self, contract: str) -> bool:
        return True

    def head(self) -> int:
        return len(self.anchors) + 10

    def block_hash(self, number: int) -> bytes:
        return number.to_bytes(32, "big")

    def anchored_at(self, contract: str, log_id: bytes, size: int) -> OnChainAnchor | None:
        block = next((n for n, (s, _) in enumerate(self.anchors, 1) if s == size), None)
        return None if block is None else OnChainAnchor(size, self.anchors[block - 1][1], block, self.timestamp)

    def anchored_events(self, contract: str, log_id: bytes, **_: Any) -> list[AnchoredEvent]:
        previous = [0] + [size for size, _ in self.anchors]
        return [
            AnchoredEvent(size, root, previous[n - 1], n, self.block_hash(n), bytes(32))
            for n, (size, root) in enumerate(self.anchors, 1)
        ]


def audit(ledger: Ledger, chain: SimulatedChain, state: Path, *, stop_at: int | None = None) -> dict[str, Any]:
    trust = Trust(ledger.origin, (ledger.signer.verifier(),), ChainPlace(12345, CONTRACT, log_id_of(ledger.origin)), 1)
    stop = threading.Event()

    def progress(done: int, total: int) -> None:
        if stop_at is not None and done >= stop_at:
            stop.set()

    seen = SeenCheckpoints.load(state, ledger.origin)
    resumable = Resumable(progress_path(state, ledger.origin), save_every=150)
    report = LogAudit(LedgerSource(ledger), trust, chain, seen, progress=progress, resumable=resumable, stop=stop).run()
    document = report.document()
    document["facts"] = {k: v for k, v in document["facts"].items() if k not in ("seconds", "resumed_from")}
    return dict(document)


def test_anchors_inside_the_resumed_prefix_are_proved_and_its_pending_transitions_checked(
    ledger: Ledger, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    seed_demo(ledger, 60, seed=7, live_until=now)
    size = ledger.publish_checkpoint().tree_size
    chain = SimulatedChain(now)
    first = audit(ledger, chain, tmp_path / "resumed", stop_at=300)
    assert first["outcome"] == "INCOMPLETE" and first["facts"]["entries"] == 300

    chain.anchors = [(200, ledger.root_at(200)), (size, ledger.root_at(size))]
    resumed = audit(ledger, chain, tmp_path / "resumed")
    whole = audit(ledger, chain, tmp_path / "whole")
    assert whole["outcome"] == "VERIFIED", whole
    assert resumed == whole
    v10 = next(step for step in resumed["steps"] if step["step"] == "V10")
    assert v10["detail"].startswith(f"{size - 1} transition(s) anchored in time"), v10


def test_a_forged_anchor_root_inside_the_resumed_prefix_fails_v5(ledger: Ledger, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    seed_demo(ledger, 60, seed=7, live_until=now)
    size = ledger.publish_checkpoint().tree_size
    chain = SimulatedChain(now)
    audit(ledger, chain, tmp_path, stop_at=300)
    chain.anchors = [(200, bytes(32)), (size, ledger.root_at(size))]
    report = audit(ledger, chain, tmp_path)
    assert report["first_failure"] == "V5", report
    v5 = next(step for step in report["steps"] if step["step"] == "V5")
    assert "does not extend the tree of the on-chain anchor (size 200)" in v5["detail"], v5
