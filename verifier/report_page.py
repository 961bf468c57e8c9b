"""Build the HTML report of a verified bundle: statistics from its entries and the chain's anchor times."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from html import escape

from verifier.anchor_check import ChainAnchors
from verifier.bundle import Bundle
from verifier.chain_view import ChainView
from verifier.entry import PolicyEntry, Transition, parse_entry
from verifier.errors import SourceError, VerificationError
from verifier.export_report import ReportContext, render_report
from verifier.export_stats import ExportStats, compute_stats
from verifier.policy import Policy, parse_policy
from verifier.report import Report, Status
from verifier.trust import Trust


def _transitions(bundle: Bundle) -> Iterator[tuple[int, Transition]]:
    """The bundle's transitions in index order (its entries are listed so), parsed one at a time."""
    for item in bundle.entries:
        entry = parse_entry(item.data)
        if isinstance(entry, Transition):
            yield item.index, entry


def _stats(bundle: Bundle, trust: Trust, chain: ChainView) -> ExportStats | None:
    """Statistics at anchored times, or ``None`` when the chain cannot give them."""
    policies: dict[str, Policy] = {}
    for item in bundle.policies:
        entry = parse_entry(item.data)
        if isinstance(entry, PolicyEntry):
            policies[entry.id] = parse_policy(entry.document)
    try:
        events = chain.anchored_events(trust.chain.contract, trust.chain.log_id, to_block=chain.head())
        anchors = ChainAnchors(chain, trust, events)
        own = anchors.covering(bundle.anchor.size - 1)
        if own is None:
            return None

        def anchored_time(index: int) -> datetime | None:
            found = anchors.covering(index)
            return None if found is None else found.moment

        as_of = datetime.fromtimestamp(own.timestamp, UTC)
        return compute_stats(_transitions(bundle), policies, anchored_time, as_of)
    except (SourceError, VerificationError):
        return None


def report_page(
    bundle: Bundle | None, trust: Trust, report: Report, chain: ChainView | None, context: ReportContext
) -> str:
    """The report page for a bundle already verified into ``report`` (statistics only if V5 passed).

    ``bundle`` is ``None`` when it could not be parsed: the page then lists the report's lines.
    """
    if bundle is None:
        lines = "".join(f"<li>{escape(line)}</li>" for line in report.lines())
        return f'<!DOCTYPE html><html lang="zh-CN"><meta charset="utf-8"><title>FAILED</title><ul>{lines}</ul>\n'
    stats = None
    if chain is not None and report.status("V5") is Status.PASSED:
        stats = _stats(bundle, trust, chain)
    policy = None
    if bundle.policies:
        first = parse_entry(bundle.policies[0].data)
        policy = parse_policy(first.document) if isinstance(first, PolicyEntry) else None
    return render_report(bundle, report, stats, context, policy)
