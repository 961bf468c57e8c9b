"""Regulators' exports: a signed, self-verifying bundle of every anchored entry of the selected tickets,
written to disk in canonical form, recorded in the log, and refused by the verifier when cut short."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date
from pathlib import Path

import pytest

from ledger.exports import ExportFilter, ExportRefused, select_tickets, write_export
from tests.conftest import ORIGIN
from tests.evidence.conftest import AnchoredLog
from verifier.bundle import Bundle, issued_message, parse_bundle
from verifier.bundle_check import verify_bundle
from verifier.entry import ExportEntry, Transition, parse_entry
from verifier.note import NoteSigner
from verifier.report import Outcome, Report, Status

EXPORTER = NoteSigner.generate(f"{ORIGIN}/export")


def verify(data: bytes, log: AnchoredLog) -> Report:
    trust = dataclasses.replace(log.trust, exporter_keys=(EXPORTER.verifier(),))
    return verify_bundle(data, trust, chain=None, seen=None)


def failed_first(report: Report) -> str | None:
    return report.first_failure.step if report.first_failure else None


def resign(bundle: Bundle) -> bytes:
    """The bundle signed again by the (trusted) exporter key, as a dishonest exporter would."""
    assert bundle.issued is not None
    unsigned = dataclasses.replace(bundle, issued=dataclasses.replace(bundle.issued, sig=b"\0" * 64))
    signature = EXPORTER.sign(issued_message(hashlib.sha256(unsigned.unsigned_bytes()).digest()))
    return dataclasses.replace(bundle, issued=dataclasses.replace(bundle.issued, sig=signature)).encode()


def test_an_export_of_a_department_verifies_and_is_recorded_in_the_log(anchored: AnchoredLog, tmp_path: Path) -> None:
    ledger = anchored.ledger
    org = next(
        e.actor.org
        for ticket in anchored.tickets
        for e in (parse_entry(s.data) for s in ledger.ticket_entries(ticket))
        if isinstance(e, Transition) and e.actor.role == "unit"
    )
    chosen = ExportFilter(org=org)
    out = tmp_path / "export.json"
    result = write_export(ledger, chosen, out, signer=EXPORTER, by="regulator-test")
    data = out.read_bytes()
    bundle = parse_bundle(data)
    assert bundle.encode() == data, "the streamed bundle is canonical JSON"
    assert bundle.export is not None and bundle.export.id == result.id
    assert dict(bundle.export.tickets) == select_tickets(ledger, chosen, result.tree_size)
    assert 0 < result.tickets < len(anchored.tickets) + 1 and result.entries == len(bundle.entries)
    assert bundle.disclosures == ()
    report = verify(data, anchored)
    assert [r.step for r in report.ordered if r.status is Status.FAILED] == [], report.lines()
    assert report.results["V13"].status is Status.PASSED and report.outcome is Outcome.INCOMPLETE

    recorded = ledger.entry(result.index)
    assert recorded is not None
    entry = parse_entry(recorded.data)
    assert isinstance(entry, ExportEntry) and entry.id == result.id and entry.by == "regulator-test"
    assert entry.bundle == "sha256:" + hashlib.sha256(data).hexdigest()
    assert (entry.tickets, entry.entries) == (result.tickets, result.entries)


def test_a_ticket_cut_short_or_slipped_in_fails_even_when_signed_again(anchored: AnchoredLog, tmp_path: Path) -> None:
    out = tmp_path / "export.json"
    write_export(anchored.ledger, ExportFilter(), out, signer=EXPORTER, by="regulator-test")
    bundle = parse_bundle(out.read_bytes())
    last = max(bundle.entries, key=lambda e: e.index)
    cut = dataclasses.replace(bundle, entries=tuple(e for e in bundle.entries if e is not last))
    assert failed_first(verify(cut.encode(), anchored)) == "V13", "the signature no longer covers the bundle"
    report = verify(resign(cut), anchored)
    assert failed_first(report) == "V13" and "the export names" in report.results["V13"].detail
    assert bundle.export is not None
    fewer = dataclasses.replace(bundle.export, tickets=bundle.export.tickets[1:])
    report = verify(resign(dataclasses.replace(bundle, export=fewer)), anchored)
    assert failed_first(report) == "V13" and "does not name" in report.results["V13"].detail
    stranger = NoteSigner.generate(f"{ORIGIN}/export")
    assert bundle.issued is not None
    unsigned = hashlib.sha256(bundle.unsigned_bytes()).digest()
    forged = dataclasses.replace(
        bundle,
        issued=dataclasses.replace(bundle.issued, key=stranger.vkey, sig=stranger.sign(issued_message(unsigned))),
    )
    report = verify(forged.encode(), anchored)
    assert failed_first(report) == "V13" and "does not name" in report.results["V13"].detail


def test_disclosure_only_when_asked_and_filters_that_select_nothing_are_refused(
    anchored: AnchoredLog, tmp_path: Path
) -> None:
    ledger = anchored.ledger
    plain, disclosed = tmp_path / "plain.json", tmp_path / "disclosed.json"
    write_export(ledger, ExportFilter(tickets=(anchored.tickets[0],)), plain, signer=EXPORTER, by="r")
    write_export(
        ledger, ExportFilter(tickets=(anchored.tickets[0],), disclose=True), disclosed, signer=EXPORTER, by="r"
    )
    opened = parse_bundle(disclosed.read_bytes())
    assert opened.disclosures, "the demo's opening transitions carry payloads"
    payload_texts = {str(v).encode() for d in opened.disclosures for v in d.payload.values() if len(str(v)) > 3}
    assert not any(text in plain.read_bytes() for text in payload_texts)
    assert verify(disclosed.read_bytes(), anchored).results["V11"].status is Status.PASSED

    with pytest.raises(ExportRefused, match="no anchored ticket"):
        write_export(ledger, ExportFilter(tickets=("NO-SUCH-TICKET",)), plain, signer=EXPORTER, by="r")
    with pytest.raises(ExportRefused, match="selects no anchored ticket"):
        write_export(ledger, ExportFilter(org="no-such-org"), plain, signer=EXPORTER, by="r")
    with pytest.raises(ExportRefused, match="starts"):
        write_export(ledger, ExportFilter(start=date(2026, 4, 1), end=date(2026, 3, 1)), plain, signer=EXPORTER, by="r")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [], "no temporary file left behind"
