"""Step V13, for exported bundles: the exporter's signature, by a key the trust file names, and every
ticket the export names present whole (no ticket cut short, none slipped in)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping

from verifier.bundle import Bundle, issued_message
from verifier.entry import Entry, Transition
from verifier.errors import VerificationError
from verifier.note import parse_vkey
from verifier.report import Report
from verifier.trust import Trust


def _signature(report: Report, bundle: Bundle, trust: Trust) -> bool:
    issued = bundle.issued
    if issued is None:
        report.failed("V13", "the bundle names an export but carries no exporter signature (issued)")
        return False
    key = parse_vkey(issued.key)
    trusted = {(k.name, k.key_id, k.public_key) for k in trust.exporter_keys}
    if (key.name, key.key_id, key.public_key) not in trusted:
        report.failed(
            "V13", f"the bundle is signed by {key.name}+{key.key_id.hex()}, which the trust file does not name",
            key=issued.key,
        )  # fmt: skip
        return False
    digest = hashlib.sha256(bundle.unsigned_bytes()).digest()
    try:
        key.verify(issued_message(digest), issued.sig)
    except VerificationError as exc:
        report.failed("V13", f"the exporter's signature does not verify: {exc.message}", unsigned_sha256=digest)
        return False
    return True


def _complete(report: Report, bundle: Bundle, entries: Mapping[int, Entry]) -> None:
    assert bundle.export is not None
    seqs: dict[str, list[int]] = defaultdict(list)
    for index in sorted(entries):
        entry = entries[index]
        if isinstance(entry, Transition):
            seqs[entry.ticket].append(entry.seq)
    named = dict(bundle.export.tickets)
    for ticket, count in bundle.export.tickets:
        held = seqs.get(ticket, [])
        if held != list(range(1, count + 1)):
            report.failed(
                "V13",
                f"ticket {ticket}: the export names {count} entries, the bundle holds seq {held[:20]}",
                ticket=ticket,
                named_entries=count,
                held_seqs=held[:50],
            )
            return
    extra = sorted(set(seqs) - set(named))
    if extra:
        report.failed("V13", f"the bundle holds tickets the export does not name: {', '.join(extra[:10])}")


def check_export(report: Report, bundle: Bundle, entries: Mapping[int, Entry], trust: Trust) -> None:
    """Run V13 when the bundle is signed or names an export (otherwise the step does not appear)."""
    if bundle.issued is None and bundle.export is None:
        return
    if not _signature(report, bundle, trust):
        return
    if bundle.export is None:
        report.passed("V13", "signed by a trusted exporter key")
        return
    _complete(report, bundle, entries)
    report.passed(
        "V13",
        f"export {bundle.export.id} signed by a trusted exporter key; its {len(bundle.export.tickets)} ticket(s) "
        "are whole",
    )
