"""Verify a ``hotline.bundle/v1`` against a trust file: steps V1–V12, each reported (DESIGN §7).

Nothing in the bundle is trusted: its keys, chain and anchor claims are only compared with what the
trust file and the chain say. Without a chain (offline) the chain steps are reported as not run.
"""

from __future__ import annotations

from collections.abc import Iterable

from verifier.anchor_check import CHAIN_STEPS, ChainAnchors, check_anchor
from verifier.bundle import Bundle, ProvenEntry, parse_bundle
from verifier.chain_view import ChainView
from verifier.checkpoint import Checkpoint, failure_step, open_checkpoint
from verifier.commitment import verify_disclosure
from verifier.entry import Entry, KeyEntry, PolicyEntry, Transition, parse_entry
from verifier.entry_walk import EntryWalk
from verifier.errors import FormatError, VerificationError
from verifier.export_check import check_export
from verifier.merkle import leaf_hash, verify_inclusion
from verifier.report import CORE_STEPS, Report
from verifier.seen import SeenCheckpoints
from verifier.trust import Trust

_KINDS: dict[str, type] = {"entries": Transition, "policies": PolicyEntry, "keys": KeyEntry}


def _hashes(report: Report, bundle: Bundle) -> list[tuple[str, ProvenEntry]]:
    """V2: every entry's bytes hash to the leaf hash claimed for it; return those that do."""
    good = []
    for kind, items in (("entries", bundle.entries), ("policies", bundle.policies), ("keys", bundle.keys)):
        for item in items:
            calculated = leaf_hash(item.data)
            if calculated != item.leaf_hash:
                report.failed(
                    "V2",
                    f"{kind}: the bytes of entry {item.index} do not hash to its leaf hash",
                    index=item.index,
                    claimed=item.leaf_hash,
                    calculated=calculated,
                )
            else:
                good.append((kind, item))
    total = len(bundle.entries) + len(bundle.policies) + len(bundle.keys)
    report.passed("V2", f"{total} leaf hash(es) recomputed")
    return good


def _parse_entries(report: Report, proven: Iterable[tuple[str, ProvenEntry]]) -> dict[int, Entry]:
    """V1 for the entries' contents (only those whose hashes held)."""
    parsed = {}
    for kind, item in proven:
        try:
            entry = parse_entry(item.data)
        except VerificationError as exc:
            report.failed(
                exc.step or "V1", f"{kind}: entry {item.index}: {exc.message}", **{**exc.evidence, "index": item.index}
            )
            continue
        if not isinstance(entry, _KINDS[kind]):
            report.failed("V1", f"{kind}: entry {item.index} is not a {_KINDS[kind].__name__} entry", index=item.index)
            continue
        parsed[item.index] = entry
    return parsed


def _checkpoint(report: Report, bundle: Bundle, trust: Trust) -> Checkpoint | None:
    """V4: the checkpoint is the trusted log's, signed by a key of the trust file."""
    try:
        checkpoint = open_checkpoint(bundle.checkpoint, trust.verifier_keys, origin=trust.origin)
    except VerificationError as exc:
        report.failed(failure_step(exc), exc)
        return None
    report.passed("V4", f"checkpoint of {checkpoint.origin} at size {checkpoint.tree_size} signed by a trusted key")
    return checkpoint


def _inclusion(report: Report, proven: list[tuple[str, ProvenEntry]], checkpoint: Checkpoint) -> None:
    """V3: every entry's inclusion proof leads to the checkpoint's root."""
    for kind, item in proven:
        try:
            verify_inclusion(item.leaf_hash, item.index, checkpoint.tree_size, item.proof, checkpoint.root_hash)
        except VerificationError as exc:
            # The proof's own evidence names the index too: merge, never pass it twice.
            report.failed("V3", f"{kind}: entry {item.index}: {exc.message}", **{**exc.evidence, "index": item.index})
    report.passed("V3", f"{len(proven)} inclusion proof(s) against the root of size {checkpoint.tree_size}")


def _disclosures(report: Report, bundle: Bundle, parsed: dict[int, Entry]) -> None:
    """V11: each disclosed payload and salt open the commitment of the entry they name."""
    for disclosure in bundle.disclosures:
        entry = parsed.get(disclosure.index)
        if not isinstance(entry, Transition) or entry.payload is None:
            report.failed(
                "V11", f"a disclosure names entry {disclosure.index}, which has no payload here", index=disclosure.index
            )
            continue
        try:
            verify_disclosure(entry.payload, disclosure.salt, disclosure.payload)
        except VerificationError as exc:
            report.failed("V11", f"entry {disclosure.index}: {exc.message}", index=disclosure.index, **exc.evidence)
    count = len(bundle.disclosures)
    report.passed("V11", f"{count} disclosure(s) match their commitments" if count else "no disclosures")


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


def verify_bundle(
    data: bytes, trust: Trust, *, chain: ChainView | None, seen: SeenCheckpoints | None, subject: str = "bundle"
) -> Report:
    """Verify a bundle's bytes; returns the report (``seen`` is updated but not saved)."""
    report = Report(subject)
    try:
        bundle = parse_bundle(data)
    except FormatError as exc:
        report.failed("V1", exc)
        for step in CORE_STEPS:
            report.not_run(step, "the bundle could not be parsed")
        return report
    report.facts.update(entries=len(bundle.entries), origin=bundle.origin)
    proven = _hashes(report, bundle)
    parsed = _parse_entries(report, proven)
    report.passed("V1", f"bundle and {len(parsed)} entry(ies) well-formed")
    checkpoint = _checkpoint(report, bundle, trust)
    anchors: ChainAnchors | None = None
    if checkpoint is None:
        for step in ("V3", *CHAIN_STEPS, "V12"):
            report.not_run(step, "no trusted checkpoint (V4)")
    else:
        report.facts.update(tree_size=checkpoint.tree_size, root=checkpoint.root_hash)
        _inclusion(report, proven, checkpoint)
        _check_claim(report, bundle, trust, checkpoint)
        if chain is None:
            for step in CHAIN_STEPS:
                report.not_run(step, "offline: the chain was not consulted")
        elif report.ok("V5"):
            anchors = check_anchor(report, trust, checkpoint, bundle.anchor, chain)
        _seen(report, seen, checkpoint)
        if seen is not None and report.ok("V4") and report.ok("V12"):
            seen.remember(checkpoint.tree_size, checkpoint.root_hash)
    walk = EntryWalk(report, trust.origin, anchors)
    for index in sorted(parsed):
        walk.feed(index, parsed[index])
    walk.finish()
    _disclosures(report, bundle, parsed)
    check_export(report, bundle, parsed, trust)
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
