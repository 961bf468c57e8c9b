"""Verify one ticket as a server serves it: its bundle (V1–V11), and the server's latest checkpoint
against those seen before (V12: no rollback, no fork, consistency proved from the server's proofs)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from verifier.bundle import Bundle, parse_bundle
from verifier.bundle_check import unreadable, verify_parsed
from verifier.chain_view import ChainView
from verifier.checkpoint import Checkpoint, failure_step, open_checkpoint
from verifier.entry import Transition, parse_entry
from verifier.errors import FormatError, SourceError, VerificationError
from verifier.merkle import verify_consistency
from verifier.report import CORE_STEPS, Report
from verifier.seen import SeenCheckpoints
from verifier.trust import Trust


class TicketSource(Protocol):
    def ticket_bundle(self, ticket: str) -> bytes: ...

    def latest_checkpoint(self) -> str: ...

    def consistency(self, size1: int, size2: int) -> Sequence[bytes]: ...


def _incomplete(ticket: str, reason: str) -> Report:
    report = Report(f"ticket {ticket}")
    for step in CORE_STEPS:
        report.not_run(step, reason)
    return report


def _for_other_tickets(bundle: Bundle, ticket: str) -> list[int]:
    """Indices of bundle entries that are not transitions of ``ticket`` (a server answering another)."""
    wrong = []
    for item in bundle.entries:
        try:
            entry = parse_entry(item.data)
        except VerificationError:
            continue
        if not isinstance(entry, Transition) or entry.ticket != ticket:
            wrong.append(item.index)
    return wrong if bundle.entries else [-1]


def _latest(report: Report, source: TicketSource, trust: Trust) -> Checkpoint | None:
    try:
        note = source.latest_checkpoint()
    except SourceError as exc:
        report.not_run("V12", f"the server's latest checkpoint could not be fetched: {exc}")
        return None
    try:
        return open_checkpoint(note, trust.verifier_keys, origin=trust.origin)
    except VerificationError as exc:
        report.failed(failure_step(exc), f"the server's latest checkpoint: {exc.message}", **exc.evidence)
        return None


def _consistent(report: Report, source: TicketSource, old_size: int, old_root: bytes, new: Checkpoint) -> None:
    """The bundle's checkpoint (``old_size``, ``old_root``) and the server's latest are one log (V12)."""
    if old_size >= new.tree_size:
        if old_size == new.tree_size and old_root != new.root_hash:
            report.failed("V12", "two checkpoints of the same size with different roots", size=new.tree_size)
        return
    try:
        proof = source.consistency(old_size, new.tree_size)
        verify_consistency(old_size, new.tree_size, proof, old_root, new.root_hash)
    except SourceError as exc:
        report.not_run("V12", f"no consistency proof from the server: {exc}")
    except VerificationError as exc:
        report.failed(
            "V12",
            f"the bundle's checkpoint (size {old_size}) is not consistent with the server's latest "
            f"(size {new.tree_size}): {exc.message}",
            **exc.evidence,
        )


def verify_ticket(
    source: TicketSource, ticket: str, trust: Trust, *, chain: ChainView | None, seen: SeenCheckpoints | None
) -> Report:
    """Fetch and verify ``ticket``'s bundle, then hold the server's latest checkpoint to what was seen."""
    try:
        data = source.ticket_bundle(ticket)
    except SourceError as exc:
        return _incomplete(ticket, f"the ticket's bundle could not be fetched: {exc}")
    try:
        bundle = parse_bundle(data)
    except FormatError as exc:
        return unreadable(f"ticket {ticket}", exc)
    report = verify_parsed(bundle, trust, chain=chain, seen=seen, subject=f"ticket {ticket}")
    wrong = _for_other_tickets(bundle, ticket)
    if wrong:
        report.failed("V1", f"the server's bundle holds entries that are not ticket {ticket}'s", indices=wrong)
    # The bundle's checkpoint, as V4 verified it (absent when it did not).
    size, root = report.facts.get("tree_size"), report.facts.get("root")
    if not report.ok("V4") or size is None or root is None:
        return report
    latest = _latest(report, source, trust)
    if latest is None:
        return report
    _consistent(report, source, size, root, latest)
    if seen is not None:
        try:
            seen.check(latest.tree_size, latest.root_hash, latest=True, consistency=source.consistency)
        except VerificationError as exc:
            report.failed("V12", exc)
        except SourceError as exc:
            report.not_run("V12", f"no consistency proof from the server: {exc}")
        if report.ok("V12"):
            seen.remember(latest.tree_size, latest.root_hash)
    report.facts["server_tree_size"] = latest.tree_size
    return report
