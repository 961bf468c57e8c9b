"""Verify a ``hotline.bundle/v1`` against a trust file: steps V1–V12, each reported (DESIGN §7).

Nothing in the bundle is trusted: its keys, chain and anchor claims are only compared with what the
trust file and the chain say. Without a chain (offline) the chain steps are reported as not run.
"""

from __future__ import annotations

import hashlib
import heapq
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from verifier.anchor_check import CHAIN_STEPS, ChainAnchors, check_anchor
from verifier.bundle import Bundle, ProvenEntry, parse_bundle
from verifier.bundle_file import Progress, read_bundle
from verifier.chain_view import ChainView
from verifier.checkpoint import Checkpoint, failure_step, open_checkpoint
from verifier.commitment import check_opening, payload_commitment
from verifier.entry import Entry, KeyEntry, PolicyEntry, Transition, parse_entry
from verifier.entry_walk import EntryWalk
from verifier.errors import FormatError, VerificationError
from verifier.export_check import TicketTally, check_export
from verifier.merkle import leaf_hash, verify_inclusion
from verifier.report import CORE_STEPS, Report
from verifier.seen import SeenCheckpoints
from verifier.trust import Trust

_KINDS: dict[str, type] = {"entries": Transition, "policies": PolicyEntry, "keys": KeyEntry}


def _openings(report: Report, bundle: Bundle) -> dict[int, list[str]]:
    """V11, first half: the commitment each disclosure calculates, by the entry index it names."""
    calculated: dict[int, list[str]] = defaultdict(list)
    for disclosure in bundle.disclosures:
        try:
            calculated[disclosure.index].append(payload_commitment(disclosure.salt, disclosure.payload))
        except VerificationError as exc:
            report.failed("V11", f"entry {disclosure.index}: {exc.message}", index=disclosure.index, **exc.evidence)
    return calculated


def _no_payload(report: Report, index: int) -> None:
    report.failed("V11", f"a disclosure names entry {index}, which has no payload here", index=index)


class _Walk:
    """One pass over every entry of the bundle, in index order: V2, V1, V3, then V7–V10, V11 and V13's tally."""

    def __init__(
        self, report: Report, trust: Trust, checkpoint: Checkpoint | None, anchors: ChainAnchors | None
    ) -> None:
        self.report = report
        self.checkpoint = checkpoint
        self.entries = EntryWalk(report, trust.origin, anchors)
        self.tally = TicketTally()
        self.total = 0
        self.hashed = 0
        self.parsed = 0

    def feed(self, kind: str, item: ProvenEntry, openings: dict[int, list[str]]) -> None:
        report = self.report
        self.total += 1
        calculated = leaf_hash(item.data)
        if calculated != item.leaf_hash:
            report.failed(
                "V2",
                f"{kind}: the bytes of entry {item.index} do not hash to its leaf hash",
                index=item.index,
                claimed=item.leaf_hash,
                calculated=calculated,
            )
            return
        self.hashed += 1
        try:
            entry = parse_entry(item.data)
        except VerificationError as exc:
            report.failed(
                exc.step or "V1", f"{kind}: entry {item.index}: {exc.message}", **{**exc.evidence, "index": item.index}
            )
            entry = None
        if entry is not None and not isinstance(entry, _KINDS[kind]):
            report.failed("V1", f"{kind}: entry {item.index} is not a {_KINDS[kind].__name__} entry", index=item.index)
            entry = None
        if self.checkpoint is not None:
            self._inclusion(kind, item, self.checkpoint)
        if entry is None:
            return
        self.parsed += 1
        self.entries.feed(item.index, entry)
        self.tally.feed(entry)
        if item.index in openings:
            self._open(item.index, entry, openings.pop(item.index))

    def _inclusion(self, kind: str, item: ProvenEntry, checkpoint: Checkpoint) -> None:
        """V3: the entry's inclusion proof leads to the checkpoint's root."""
        try:
            verify_inclusion(item.leaf_hash, item.index, checkpoint.tree_size, item.proof, checkpoint.root_hash)
        except VerificationError as exc:
            # The proof's own evidence names the index too: merge, never pass it twice.
            self.report.failed(
                "V3", f"{kind}: entry {item.index}: {exc.message}", **{**exc.evidence, "index": item.index}
            )

    def _open(self, index: int, entry: Entry, calculated: list[str]) -> None:
        """V11, second half: the disclosures naming this entry open its commitment."""
        if not isinstance(entry, Transition) or entry.payload is None:
            _no_payload(self.report, index)
            return
        for commitment in calculated:
            try:
                check_opening(entry.payload, commitment)
            except VerificationError as exc:
                self.report.failed("V11", f"entry {index}: {exc.message}", index=index, **exc.evidence)

    def finish(self, bundle: Bundle, openings: dict[int, list[str]]) -> None:
        report = self.report
        report.passed("V2", f"{self.total} leaf hash(es) recomputed")
        report.passed("V1", f"bundle and {self.parsed} entry(ies) well-formed")
        if self.checkpoint is not None:
            size = self.checkpoint.tree_size
            report.passed("V3", f"{self.hashed} inclusion proof(s) against the root of size {size}")
        self.entries.finish()
        for index in sorted(openings):
            _no_payload(report, index)
        count = len(bundle.disclosures)
        report.passed("V11", f"{count} disclosure(s) match their commitments" if count else "no disclosures")


def _in_index_order(bundle: Bundle) -> Iterator[tuple[str, ProvenEntry]]:
    """The bundle's entries, policies and keys merged by index (each list is in ascending order, V1)."""

    def tagged(kind: str, items: Iterable[ProvenEntry]) -> Iterator[tuple[str, ProvenEntry]]:
        for item in items:
            yield kind, item

    lists = (tagged("entries", bundle.entries), tagged("policies", bundle.policies), tagged("keys", bundle.keys))
    return heapq.merge(*lists, key=lambda pair: pair[1].index)


def _checkpoint(report: Report, bundle: Bundle, trust: Trust) -> Checkpoint | None:
    """V4: the checkpoint is the trusted log's, signed by a key of the trust file."""
    try:
        checkpoint = open_checkpoint(bundle.checkpoint, trust.verifier_keys, origin=trust.origin)
    except VerificationError as exc:
        report.failed(failure_step(exc), exc)
        return None
    report.passed("V4", f"checkpoint of {checkpoint.origin} at size {checkpoint.tree_size} signed by a trusted key")
    return checkpoint


def _seen(report: Report, seen: SeenCheckpoints | None, checkpoint: Checkpoint) -> None:
    """V12: the checkpoint agrees with those this verifier saw before (a bundle's may be an old one)."""
    if seen is None:
        report.not_run("V12", "no state directory: earlier checkpoints are unknown")
        return
    try:
        detail = seen.check(checkpoint.tree_size, checkpoint.root_hash, latest=False)
    except VerificationError as exc:
        report.failed("V12", exc)
        return
    report.passed("V12", detail)


def unreadable(subject: str, error: FormatError) -> Report:
    """The report on evidence that could not be parsed: V1 failed, nothing else run."""
    report = Report(subject)
    report.failed("V1", error)
    for step in CORE_STEPS:
        report.not_run(step, "the bundle could not be parsed")
    return report


def verify_bundle(
    data: bytes, trust: Trust, *, chain: ChainView | None, seen: SeenCheckpoints | None, subject: str = "bundle"
) -> Report:
    """Verify a bundle's bytes; returns the report (``seen`` is updated but not saved)."""
    try:
        bundle = parse_bundle(data)
    except FormatError as exc:
        return unreadable(subject, exc)
    return verify_parsed(bundle, trust, chain=chain, seen=seen, subject=subject)


@dataclass(frozen=True)
class CheckedFile:
    """A bundle file's verification: the report, the bundle (``None`` if it did not parse) and the file's SHA-256."""

    report: Report
    bundle: Bundle | None
    sha256: bytes


def verify_file(
    path: Path,
    trust: Trust,
    *,
    chain: ChainView | None,
    seen: SeenCheckpoints | None,
    subject: str,
    progress: Progress | None = None,
) -> CheckedFile:
    """Verify a bundle file, streaming it when it is large (``verifier.bundle_file``; ``progress`` follows the passes).

    Raises:
        OSError: the file cannot be read.
    """
    try:
        bundle, sha256 = read_bundle(path, progress)
    except FormatError as exc:
        with path.open("rb") as file:
            return CheckedFile(unreadable(subject, exc), None, hashlib.file_digest(file, "sha256").digest())
    return CheckedFile(verify_parsed(bundle, trust, chain=chain, seen=seen, subject=subject), bundle, sha256)


def verify_parsed(
    bundle: Bundle, trust: Trust, *, chain: ChainView | None, seen: SeenCheckpoints | None, subject: str = "bundle"
) -> Report:
    """Verify a parsed bundle (in memory or streamed from its file) in one pass over its entries."""
    report = Report(subject)
    report.facts.update(entries=len(bundle.entries), origin=bundle.origin)
    checkpoint = _checkpoint(report, bundle, trust)
    anchors: ChainAnchors | None = None
    if checkpoint is None:
        for step in ("V3", *CHAIN_STEPS, "V12"):
            report.not_run(step, "no trusted checkpoint (V4)")
    else:
        report.facts.update(tree_size=checkpoint.tree_size, root=checkpoint.root_hash)
        _check_claim(report, bundle, trust, checkpoint)
        if chain is None:
            for step in CHAIN_STEPS:
                report.not_run(step, "offline: the chain was not consulted")
        elif report.ok("V5"):
            anchors = check_anchor(report, trust, checkpoint, bundle.anchor, chain)
        _seen(report, seen, checkpoint)
        if seen is not None and report.ok("V4") and report.ok("V12"):
            seen.remember(checkpoint.tree_size, checkpoint.root_hash)
    walk = _Walk(report, trust, checkpoint, anchors)
    try:
        openings = _openings(report, bundle)
        previous: int | None = None
        for kind, item in _in_index_order(bundle):
            if item.index == previous:
                report.failed("V1", f"{kind}: entry {item.index} is listed twice in the bundle", index=item.index)
                continue
            previous = item.index
            walk.feed(kind, item, openings)
    except FormatError as exc:  # a streamed bundle's file changed or went away while it was read
        report.failed("V1", exc)
        return report
    walk.finish(bundle, openings)
    check_export(report, bundle, walk.tally, trust)
    return report


def _check_claim(report: Report, bundle: Bundle, trust: Trust, checkpoint: Checkpoint) -> None:
    """The bundle's own anchor claim must name the trusted chain and the checkpoint it carries (V5)."""
    if bundle.chain != trust.chain:
        report.failed(
            "V5",
            "the bundle's anchor is on another chain or contract than the trusted one",
            bundle_chain=bundle.chain.document(),
            trusted_chain=trust.chain.document(),
        )
    elif (bundle.anchor.size, bundle.anchor.root) != (checkpoint.tree_size, checkpoint.root_hash):
        report.failed(
            "V5",
            "the bundle's anchor is not of its checkpoint",
            anchor_size=bundle.anchor.size,
            anchor_root=bundle.anchor.root,
            checkpoint_size=checkpoint.tree_size,
            checkpoint_root=checkpoint.root_hash,
        )
