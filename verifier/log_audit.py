"""A full audit: every entry of the log fetched, the tree recomputed, every anchor and checkpoint held to it.

The server's latest checkpoint (signed by a trusted key, V4) sets how far the audit goes. Entries are
read page by page and folded into a compact range, so memory stays in the number of tickets, not of
entries; at every size the chain anchored, and every size this verifier saw before, the recomputed root
must be the one anchored (V5) or seen (V12), and at the end the checkpoint's (V3). Each transition is
checked as it passes (V1, V7–V10). Progress is saved in the state directory (``verifier.audit_state``) every
``save_every`` entries and when the audit stops early, so an interrupted audit resumes where it stopped; a
resumed audit first proves that the server's log still extends the prefix audited before (a consistency
proof from that size to the latest checkpoint, V12), so a server cannot rewrite what it served between runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from verifier.anchor_check import ChainAnchors, wrong_place
from verifier.audit_state import AuditProgress, load_progress, save_progress
from verifier.chain_view import AnchoredEvent, ChainView
from verifier.checkpoint import Checkpoint, failure_step, open_checkpoint
from verifier.entry_walk import EntryWalk
from verifier.errors import SourceError, VerificationError
from verifier.merkle import CompactRange, verify_consistency
from verifier.prefetch import Page, PageOfLeaves, Prefetch
from verifier.report import CORE_STEPS, Report, Status, StepResult
from verifier.seen import SeenCheckpoints
from verifier.trust import Trust


class LogSource(Protocol):
    def entries(self, start: int, end: int | None = None) -> Page: ...

    def latest_checkpoint(self) -> str: ...

    def consistency(self, size1: int, size2: int) -> Sequence[bytes]: ...


class Pages(Protocol):
    """Pages ``(first index, entries, leaf hashes)`` as a context manager (see ``verifier.prefetch.Prefetch``)."""

    def __enter__(self) -> Iterable[PageOfLeaves]: ...

    def __exit__(self, *exc: object) -> None: ...


@runtime_checkable
class PagedSource(Protocol):
    """A source that fetches a range of pages its own way (``LogApi``: in a child process)."""

    def pages(self, start: int, end: int) -> Pages: ...


Progress = Callable[[int, int], None]


@dataclass
class _Anchors:
    """The chain's anchors of this log, checked for order and canonical blocks (V5, V6)."""

    events: list[AnchoredEvent]
    head: int


def _chain(report: Report, chain: ChainView, trust: Trust) -> _Anchors | None:
    place = trust.chain
    try:
        failure = wrong_place(chain, trust)
        if failure is not None:
            report.failed("V5", failure)
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


#: Steps the entry walk runs, which an early stop leaves not run.
WALK_STEPS = ("V1", "V3", "V7", "V8", "V9", "V10")
#: How often, in entries, a full audit saves its progress by default (a save of 125,000 tickets' state takes
#: ~0.5 s; Ctrl-C and an unreachable API save at once whatever this is).
SAVE_EVERY = 250_000
_WHAT = {"V3": "the latest checkpoint", "V5": "the on-chain anchor", "V12": "a checkpoint seen before"}
_RESUME_WHAT = {**_WHAT, "V12": "the latest checkpoint"}


@dataclass
class Resumable:
    """Where a full audit keeps its progress, and how often it saves it (in entries)."""

    path: Path
    save_every: int = SAVE_EVERY


class LogAudit:
    """One full audit of a log against its trust file, a chain, and what this verifier saw before.

    With ``resumable`` the audit saves its progress and starts from saved progress; ``stop`` (an event set
    by the CLI on Ctrl-C) ends it after the current page, progress saved, as INCOMPLETE.
    """

    def __init__(
        self,
        source: LogSource,
        trust: Trust,
        chain: ChainView,
        seen: SeenCheckpoints | None,
        *,
        progress: Progress | None = None,
        resumable: Resumable | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.source, self.trust, self.chain, self.seen = source, trust, chain, seen
        self.progress, self.resumable, self.stop = progress, resumable, stop
        self.report = Report(f"log {trust.origin}")
        self.tree = CompactRange()
        self.expected: dict[int, tuple[str, bytes]] = {}
        #: Sizes whose recomputed root was compared with an expected one (kept in the saved progress).
        self.checked: dict[int, bytes] = {}
        self._before_walk: dict[str, StepResult] = {}

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

    def _root_differs(self, size: int, calculated: bytes) -> None:
        step, root = self.expected[size]
        self.report.failed(
            step,
            f"the entries served do not build the tree of {_WHAT[step]} at size {size}",
            size=size,
            expected_root=root,
            calculated_root=calculated,
        )

    def _check_root(self) -> None:
        size = self.tree.size
        calculated = self.tree.root()
        if calculated != self.expected[size][1]:
            self._root_differs(size, calculated)
        self.checked[size] = calculated

    # -- resuming -----------------------------------------------------------------------------------

    def _resume(self, walk: EntryWalk, checkpoint: Checkpoint) -> bool:
        """Take up saved progress, once the server's log is shown to extend it; False if it does not."""
        saved = load_progress(self.resumable.path, self.trust) if self.resumable else None
        if saved is None or saved.tree.size == 0:
            return True
        size, root = saved.tree.size, saved.tree.root()
        report = self.report
        if size > checkpoint.tree_size:
            report.failed(
                "V12",
                f"the log's latest checkpoint is at size {checkpoint.tree_size}, but this verifier audited {size} "
                "entries of it before: the log was rolled back",
                size=checkpoint.tree_size,
                audited_size=size,
            )
            return False
        checked = saved.checked
        try:
            if not self._consistent(size, root, checkpoint.tree_size, checkpoint.root_hash, "V12"):
                return False
            # Roots expected at sizes the saved audit passed: anchored (or seen) since, or never compared.
            for expected_size, (step, expected_root) in sorted(self.expected.items()):
                if expected_size > size or expected_size == checkpoint.tree_size:
                    continue
                if checked.get(expected_size) != expected_root:
                    if not self._consistent(expected_size, expected_root, size, root, step):
                        return False
                    checked[expected_size] = expected_root
        except SourceError as exc:
            for step in WALK_STEPS:
                report.not_run(step, f"a consistency proof to resume from entry {size} could not be fetched: {exc}")
            return False
        self.tree, self.checked = saved.tree, checked
        saved.resume(walk, report)
        walk.recheck_pending()
        report.facts["resumed_from"] = size
        return True

    def _consistent(self, size1: int, root1: bytes, size2: int, root2: bytes, step: str) -> bool:
        """Whether the tree of ``size2`` extends the one of ``size1`` (RFC 9162 §2.1.4); else ``step`` fails.

        For V12 the older tree is the audited prefix and the newer the latest checkpoint; otherwise the
        older is an anchor's (V5) or a seen checkpoint's tree, and the newer the audited prefix.

        Raises:
            SourceError: the consistency proof could not be fetched.
        """
        try:
            proof = self.source.consistency(size1, size2) if size1 < size2 else []
            verify_consistency(size1, size2, proof, root1, root2)
        except VerificationError as exc:
            audited, other = "the entries audited before", _RESUME_WHAT[step]
            older, newer = (audited, other) if step == "V12" else (other, audited)
            self.report.failed(
                step,
                f"the tree of {newer} (size {size2}) does not extend the tree of {older} (size {size1}): "
                "the log was rewritten",
                size1=size1,
                size2=size2,
                root1=root1,
                root2=root2,
                reason=exc.message,
            )
            return False
        return True

    def _save(self, walk: EntryWalk) -> None:
        if self.resumable is None:
            return
        changed = [r for step, r in self.report.results.items() if self._before_walk.get(step) is not r]
        if walk.anchors is None and not any(r.step == "V10" for r in changed):
            # Entries checked without the chain's anchor times can never get V10 in a resumed run.
            reason = "entries were audited while the chain could not be read; run with --restart for V10"
            changed.append(StepResult("V10", Status.NOT_RUN, reason))
        document = AuditProgress.capture(self.tree, self.checked, walk, changed)
        save_progress(self.resumable.path, self.trust.origin, self.trust, document)

    # -- the walk -----------------------------------------------------------------------------------

    def _walk(self, walk: EntryWalk, size: int) -> str | None:
        """Fetch and check entries up to ``size``; return why the walk ended early, or ``None``."""
        tree, expected, feed, stop = self.tree, self.expected, walk.feed_bytes, self.stop
        every = self.resumable.save_every if self.resumable else 0
        saved_at = tree.size
        if self.progress is not None:
            self.progress(tree.size, size)
        source = self.source
        fetched = (
            source.pages(tree.size, size)
            if isinstance(source, PagedSource)
            else Prefetch(source.entries, tree.size, size)
        )
        with fetched as pages:
            try:
                for start, entries, leaves in pages:
                    if not entries:
                        message = f"the log serves no entry {start}, below its checkpoint's size {size}"
                        self.report.failed("V3", message)
                        return message
                    for data, leaf in zip(entries[: size - start], leaves, strict=False):
                        index = tree.size
                        tree.append(leaf)
                        try:
                            feed(index, data, leaf)
                        except VerificationError as exc:
                            evidence = {**exc.evidence, "index": index}
                            self.report.failed(exc.step or "V1", f"entry {index}: {exc.message}", **evidence)
                        if index + 1 in expected:
                            self._check_root()
                    if self.progress is not None:
                        self.progress(tree.size, size)
                    if every and tree.size - saved_at >= every:
                        self._save(walk)
                        saved_at = tree.size
                    if stop is not None and stop.is_set() and tree.size < size:
                        return f"interrupted at entry {tree.size:,}; run again to resume"
            except SourceError as exc:
                return f"entries from {tree.size} could not be fetched: {exc}; run again to resume"
        return None if tree.size >= size else f"the log served entries only up to {tree.size}"

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
        self._before_walk = dict(report.results)
        started = time.monotonic()
        if not self._resume(walk, checkpoint):
            for step in WALK_STEPS:
                report.not_run(step, "the saved progress could not be resumed")
            return self._facts(checkpoint, anchors, started)
        stopped = self._walk(walk, checkpoint.tree_size)
        self._keep_progress(walk, stopped)
        if stopped is None:
            walk.finish()
            report.passed("V1", f"{self.tree.size} entries well-formed")
            report.passed("V3", f"the {self.tree.size} entries build the latest checkpoint's tree")
        else:
            for step in WALK_STEPS:
                report.not_run(step, stopped)
        report.passed("V2", "every leaf hash recomputed from the entry bytes")
        anchored = len(anchors.events) if anchors else 0
        report.passed("V5", f"{anchored} on-chain anchor(s), each the recomputed root at its size")
        report.passed("V11", "a log audit discloses nothing")
        if self.seen is not None:
            if report.ok("V12") and stopped is None:
                self.seen.remember(checkpoint.tree_size, checkpoint.root_hash)
            report.passed("V12", f"agrees with {len(self.seen.roots)} checkpoint(s) seen before")
        else:
            report.not_run("V12", "no state directory: earlier checkpoints are unknown")
        return self._facts(checkpoint, anchors, started)

    def _keep_progress(self, walk: EntryWalk, stopped: str | None) -> None:
        """Save the progress of an audit that stopped early or passed so far; forget that of a failed one.

        A finished audit that failed is no prefix to build on, so the next run starts over; an audit cut
        short keeps what it found, failures included, for the next run to finish.
        """
        if self.resumable is None:
            return
        if self.report.first_failure is None or (stopped is not None and self.report.ok("V3")):
            self._save(walk)
        else:
            self.resumable.path.unlink(missing_ok=True)

    def _facts(self, checkpoint: Checkpoint, anchors: _Anchors | None, started: float) -> Report:
        self.report.facts.update(
            entries=self.tree.size,
            tree_size=checkpoint.tree_size,
            root=checkpoint.root_hash,
            anchors=len(anchors.events) if anchors else 0,
            seconds=round(time.monotonic() - started, 3),
        )
        return self.report


def audit_log(
    source: LogSource,
    trust: Trust,
    chain: ChainView,
    seen: SeenCheckpoints | None,
    *,
    progress: Progress | None = None,
    resumable: Resumable | None = None,
    stop: threading.Event | None = None,
) -> Report:
    """Run a full audit; the report's facts hold entries, tickets, anchors and the time taken.

    Raises:
        FormatError: the saved progress in ``resumable.path`` is damaged (run with it removed).
        OSError: the saved progress cannot be read or written.
    """
    return LogAudit(source, trust, chain, seen, progress=progress, resumable=resumable, stop=stop).run()
