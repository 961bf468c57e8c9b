"""A full audit: every entry of the log fetched, the tree recomputed, every anchor and checkpoint held to it.

The server's latest checkpoint (signed by a trusted key, V4) sets how far the audit goes. Entries are
read page by page and folded into a compact range, so memory stays in the number of tickets, not of
entries; at every size the chain anchored, and every size this verifier saw before, the recomputed root
must be the one anchored (V5) or seen (V12), and at the end the checkpoint's (V3). Each transition is
checked as it passes (V1, V7–V10). Progress is saved in the state directory so an interrupted audit
resumes where it stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from verifier.anchor_check import ChainAnchors
from verifier.chain_view import AnchoredEvent, ChainView
from verifier.checkpoint import Checkpoint, failure_step, open_checkpoint
from verifier.entry import parse_entry
from verifier.entry_walk import EntryWalk
from verifier.errors import SourceError, VerificationError
from verifier.merkle import CompactRange, leaf_hash
from verifier.report import CORE_STEPS, Report
from verifier.seen import SeenCheckpoints
from verifier.trust import Trust


class Page(Protocol):
    @property
    def entries(self) -> list[bytes]: ...


class LogSource(Protocol):
    def entries(self, start: int, end: int | None = None) -> Page: ...

    def latest_checkpoint(self) -> str: ...


Progress = Callable[[int, int], None]


@dataclass
class _Anchors:
    """The chain's anchors of this log, checked for order and canonical blocks (V5, V6)."""

    events: list[AnchoredEvent]
    head: int


def _chain(report: Report, chain: ChainView, trust: Trust) -> _Anchors | None:
    place = trust.chain
    try:
        chain_id = chain.chain_id()
        if chain_id != place.chain_id:
            report.failed(
                "V5",
                f"the RPC endpoint is on chain {chain_id}, not the trusted chain {place.chain_id}",
                chain_id=chain_id,
                trusted_chain_id=place.chain_id,
            )
            return None
        if not chain.code_present(place.contract):
            report.failed("V5", f"no contract at {place.contract} on chain {chain_id}", contract=place.contract)
            return None
        head = chain.head()
        events = chain.anchored_events(place.contract, place.log_id, to_block=head)
        canonical = {e.block_number: chain.block_hash(e.block_number) for e in events}
    except VerificationError as exc:
        report.failed("V5", exc)
        return None
    except SourceError as exc:
        for step in ("V5", "V6", "V10"):
            report.not_run(step, f"the chain could not be read: {exc}")
        return None
    previous = 0
    for event in events:
        if event.previous_size != previous or event.size <= previous:
            report.failed(
                "V5",
                f"the anchor of size {event.size} does not extend the previous anchor (size {previous})",
                size=event.size,
                previous_size=event.previous_size,
            )
        if canonical[event.block_number] != event.block_hash:
            report.failed(
                "V6",
                f"the anchor of size {event.size} is in a block that is no longer canonical",
                size=event.size,
                block_number=event.block_number,
                event_block_hash=event.block_hash,
                canonical_block_hash=canonical[event.block_number],
            )
        previous = event.size
    if events:
        confirmations = head - events[-1].block_number + 1
        if confirmations < trust.confirmations:
            report.not_run(
                "V6", f"the last anchor has {confirmations} of {trust.confirmations} confirmations; try again later"
            )
    report.passed("V6", f"{len(events)} anchor(s), each in a canonical block")
    return _Anchors(events, head)


class LogAudit:
    """One full audit of a log against its trust file, a chain, and what this verifier saw before."""

    def __init__(
        self,
        source: LogSource,
        trust: Trust,
        chain: ChainView,
        seen: SeenCheckpoints | None,
        *,
        progress: Progress | None = None,
    ) -> None:
        self.source, self.trust, self.chain, self.seen = source, trust, chain, seen
        self.progress = progress
        self.report = Report(f"log {trust.origin}")
        self.tree = CompactRange()
        self.expected: dict[int, tuple[str, bytes]] = {}

    def _latest(self) -> Checkpoint | None:
        try:
            note = self.source.latest_checkpoint()
        except SourceError as exc:
            for step in CORE_STEPS:
                self.report.not_run(step, f"the log's latest checkpoint could not be fetched: {exc}")
            return None
        try:
            checkpoint = open_checkpoint(note, self.trust.verifier_keys, origin=self.trust.origin)
        except VerificationError as exc:
            self.report.failed(failure_step(exc), exc)
            for step in CORE_STEPS:
                self.report.not_run(step, "the log's latest checkpoint is malformed or not trusted")
            return None
        self.report.passed("V4", f"latest checkpoint at size {checkpoint.tree_size} signed by a trusted key")
        return checkpoint

    def _expect(self, checkpoint: Checkpoint, anchors: _Anchors | None) -> None:
        """The roots the recomputed tree must have, by size, and the step a mismatch fails."""
        if self.seen is not None:
            for size, root in self.seen.roots.items():
                if size <= checkpoint.tree_size:
                    self.expected[size] = ("V12", root)
        for event in anchors.events if anchors else []:
            if event.size <= checkpoint.tree_size:
                self.expected[event.size] = ("V5", event.root)
        anchored = self.expected.get(checkpoint.tree_size)
        if anchored is not None and anchored[0] == "V5" and anchored[1] != checkpoint.root_hash:
            # V5: the operator signed another tree at a size the chain anchored — whatever the entries
            # served, they cannot build both roots, so the fork is reported here and the chain's root kept.
            self.report.failed(
                "V5",
                f"the latest checkpoint's root is not the root anchored on chain at size {checkpoint.tree_size}: "
                "the checkpoint is of a forked log",
                size=checkpoint.tree_size,
                checkpoint_root=checkpoint.root_hash,
                anchored_root=anchored[1],
            )
            return
        self.expected[checkpoint.tree_size] = ("V3", checkpoint.root_hash)

    def _check_root(self) -> None:
        step, root = self.expected[self.tree.size]
        calculated = self.tree.root()
        if calculated != root:
            what = {"V3": "the latest checkpoint", "V5": "the on-chain anchor", "V12": "a checkpoint seen before"}
            self.report.failed(
                step,
                f"the entries served do not build the tree of {what[step]} at size {self.tree.size}",
                size=self.tree.size,
                expected_root=root,
                calculated_root=calculated,
            )

    def _walk(self, walk: EntryWalk, size: int) -> bool:
        """Fetch and check entries up to ``size``; False if the source failed."""
        while self.tree.size < size:
            start = self.tree.size
            try:
                page = self.source.entries(start, size)
            except SourceError as exc:
                for step in ("V1", "V3", "V7", "V8", "V9", "V10"):
                    self.report.not_run(step, f"entries from {start} could not be fetched: {exc}")
                return False
            if not page.entries:
                self.report.failed("V3", f"the log serves no entry {start}, below its checkpoint's size {size}")
                return False
            for data in page.entries[: size - start]:
                index = self.tree.size
                self.tree.append(leaf_hash(data))
                try:
                    walk.feed(index, parse_entry(data))
                except VerificationError as exc:
                    self.report.failed(
                        exc.step or "V1", f"entry {index}: {exc.message}", **{**exc.evidence, "index": index}
                    )
                if self.tree.size in self.expected:
                    self._check_root()
            if self.progress is not None:
                self.progress(self.tree.size, size)
        return True

    def run(self) -> Report:
        report = self.report
        checkpoint = self._latest()
        if checkpoint is None:
            return report
        if self.seen is not None:
            try:
                self.seen.check(checkpoint.tree_size, checkpoint.root_hash, latest=True)
            except VerificationError as exc:
                report.failed("V12", exc)
        anchors = _chain(report, self.chain, self.trust)
        self._expect(checkpoint, anchors)
        chain_anchors = ChainAnchors(self.chain, self.trust, list(anchors.events)) if anchors else None
        walk = EntryWalk(report, self.trust.origin, chain_anchors)
        started = time.monotonic()
        if self._walk(walk, checkpoint.tree_size):
            walk.finish()
            report.passed("V1", f"{self.tree.size} entries well-formed")
            report.passed("V3", f"the {self.tree.size} entries build the latest checkpoint's tree")
        report.passed("V2", "every leaf hash recomputed from the entry bytes")
        anchored = len(anchors.events) if anchors else 0
        report.passed("V5", f"{anchored} on-chain anchor(s), each the recomputed root at its size")
        report.passed("V11", "a log audit discloses nothing")
        if self.seen is not None:
            if report.ok("V12"):
                self.seen.remember(checkpoint.tree_size, checkpoint.root_hash)
            report.passed("V12", f"agrees with {len(self.seen.roots)} checkpoint(s) seen before")
        else:
            report.not_run("V12", "no state directory: earlier checkpoints are unknown")
        elapsed = time.monotonic() - started
        report.facts.update(
            entries=self.tree.size,
            tree_size=checkpoint.tree_size,
            root=checkpoint.root_hash,
            anchors=anchored,
            seconds=round(elapsed, 3),
        )
        return report


def audit_log(
    source: LogSource,
    trust: Trust,
    chain: ChainView,
    seen: SeenCheckpoints | None,
    *,
    progress: Progress | None = None,
) -> Report:
    """Run a full audit; the report's facts hold entries, tickets, anchors and the time taken."""
    return LogAudit(source, trust, chain, seen, progress=progress).run()
