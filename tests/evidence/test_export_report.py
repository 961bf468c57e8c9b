"""The export report: its numbers match a recomputation from the log, and it renders (and prints to PDF)
in headless Chromium; the screenshot and the PDF are kept as test artifacts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ledger.exports import ExportFilter, write_export
from tests.anchoring.conftest import DevChain
from tests.evidence.conftest import AnchoredLog
from tests.evidence.test_exports import EXPORTER
from verifier.bundle_check import verify_parsed
from verifier.bundle_file import stream_bundle
from verifier.entry import parse_at
from verifier.export_report import NOTABLE_LABELS, ReportContext
from verifier.report_page import _stats, report_page
from verifier.seen import SeenCheckpoints
from verifier.sources.chain import ChainReader

pytestmark = pytest.mark.parametrize("dev_chain", ["anvil"], indirect=True)

ARTIFACTS = Path(os.environ.get("HOTLINE_TEST_ARTIFACTS", "/tmp/hotline-test-artifacts"))


def chromium() -> str:
    found = shutil.which("chromium")
    assert found, "Debian's chromium is needed (scripts/test installs it)"
    return found


def test_report_numbers_match_the_log_and_it_renders_in_chromium(
    anchored: AnchoredLog, dev_chain: DevChain, tmp_path: Path
) -> None:
    assert dev_chain.node is not None
    ledger = anchored.ledger
    out = tmp_path / "export.json"
    write_export(ledger, ExportFilter(reason="inspection"), out, signer=EXPORTER, by="regulator-test")
    trust = anchored.trust.__class__(**{**anchored.trust.__dict__, "exporter_keys": (EXPORTER.verifier(),)})
    # Read as a large export is read: streamed from the file (small chunks, so items straddle them).
    bundle, sha256 = stream_bundle(out, chunk=4096)
    with ChainReader([dev_chain.node.url]) as chain:
        seen = SeenCheckpoints.load(tmp_path / "state", trust.origin)
        report = verify_parsed(bundle, trust, chain=chain, seen=seen)
        stats = _stats(bundle, trust, chain)
        page = report_page(bundle, trust, report, chain, ReportContext("export.json", sha256, [dev_chain.node.url]))
    assert report.outcome.value == "VERIFIED", report.lines()
    assert stats is not None

    # Recompute from the log, independently: every transition's raw record, and the ledger's own anchors.
    records = [json.loads(e.data) for t in anchored.tickets for e in ledger.ticket_entries(t)]
    events = Counter(r["event"] for r in records)
    assert stats.transitions == len(records) and stats.tickets == len(anchored.tickets)
    assert stats.counts["urges"] == events["urge"] and stats.counts["returns"] == events["request_return"]
    assert stats.counts["dissatisfied"] == events["visit_dissatisfied"]
    assert stats.counts["rework"] == sum(r["to"] == "rework" for r in records)
    anchors = sorted(ledger.anchors(), key=lambda a: a.tree_size)
    lags = []
    for ticket in anchored.tickets:
        for stored in ledger.ticket_entries(ticket):
            first = next(a for a in anchors if a.tree_size > stored.index)
            anchored_at = datetime.fromtimestamp(first.block_timestamp, UTC)
            lags.append(max(0.0, (anchored_at - parse_at(json.loads(stored.data)["at"])).total_seconds()))
    assert sorted(stats.lags) == sorted(lags)
    accepted = sum(r["event"] == "accept" for r in records)
    measured = sum(d.limit(("dispatched", "accepted")).met + d.limit(("dispatched", "accepted")).missed for d in
                   stats.departments.values())  # fmt: skip
    assert measured == accepted, "every acceptance is measured against the acceptance limit"

    assert "inspection" in page and "验证通过 VERIFIED" in page
    for zh, _ in NOTABLE_LABELS.values():
        assert zh in page
    assert f"<b>{stats.counts['urges']}</b>" in page

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    html = ARTIFACTS / "export-report.html"
    html.write_text(page, encoding="utf-8")
    shot, pdf = ARTIFACTS / "export-report.png", ARTIFACTS / "export-report.pdf"
    for target in (shot, pdf):
        target.unlink(missing_ok=True)
    base = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}"]
    subprocess.run([*base, f"--screenshot={shot}", "--window-size=1100,2400", html.as_uri()], check=True, timeout=120,
                   capture_output=True)  # fmt: skip
    subprocess.run([*base, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", html.as_uri()], check=True,
                   timeout=120, capture_output=True)  # fmt: skip
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20_000
